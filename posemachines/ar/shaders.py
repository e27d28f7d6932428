"""GLSL 3.30 shaders of the AR renderer (`renderer.py` says what each pass does).

Props arrive as triangles already in camera mm (`renderer.batch_vertices`), each corner with
its colour and material: occludable (hidden where the person is in front), glow (self-lit,
added onto the frame), shininess. Pixel (u, v) of the image sits at gl_FragCoord / supersample
- 0.5 + tile_origin.
"""

VERTEX_SHADER = """
#version 330
uniform mat4 projection;
in vec3 in_position;
in vec3 in_normal;
in vec4 in_color;
in vec3 in_material;   // occlusion (0 none, 1 occludable, 2 behind the body), glow, shininess
out vec3 v_position;
out vec3 v_normal;
out vec4 v_color;
out vec3 v_material;
void main() {
    v_position = in_position;
    v_normal = in_normal;
    v_color = in_color;
    v_material = in_material;
    gl_Position = projection * vec4(in_position, 1.0);
}
"""

PROP_FRAGMENT_SHADER = """
#version 330
uniform sampler2D body_depth;
uniform sampler2D body_mask;
uniform vec3 mask_row0;
uniform vec3 mask_row1;
uniform vec2 mask_size;
uniform bool has_mask;
uniform float fallback_depth;
uniform vec2 tile_origin;
uniform float supersample;
in vec3 v_position;
in vec3 v_normal;
in vec4 v_color;
in vec3 v_material;
out vec4 color;
void main() {
    bool occludable = v_material.x > 0.5;
    bool behind_body = v_material.x > 1.5;
    bool glow = v_material.y > 0.5;
    float shininess = v_material.z;
    vec3 view = normalize(-v_position);
    vec3 normal = normalize(v_normal);
    normal *= sign(dot(normal, view) + 1e-6);              // two-sided: face the viewer
    float facing = dot(normal, view);
    // One light at the camera, raised a little above and left of it, so that flat faces
    // towards the camera are lit without all catching the highlight.
    vec3 light = normalize(view + vec3(-0.25, -0.45, 0.0));
    float diffuse = max(dot(normal, light), 0.0);
    float highlight = pow(max(dot(normal, normalize(light + view)), 0.0), 40.0);
    vec3 rgb;
    float alpha = v_color.a;
    if (glow) {
        rgb = v_color.rgb * (0.5 + 0.5 * facing);
        alpha *= smoothstep(0.0, 0.6, facing);             // soft rim
    } else {
        rgb = v_color.rgb * (0.3 + 0.7 * diffuse) + shininess * highlight;
    }
    if (occludable) {
        float body_z = texelFetch(body_depth, ivec2(gl_FragCoord.xy), 0).r;
        float coverage;
        if (has_mask) {
            vec3 px = vec3(gl_FragCoord.xy / supersample - 0.5 + tile_origin, 1.0);
            vec2 m = vec2(dot(mask_row0, px), dot(mask_row1, px));
            bool inside = all(greaterThanEqual(m, vec2(-0.5))) && all(lessThan(m, mask_size - 0.5));
            coverage = inside ? texture(body_mask, (m + 0.5) / mask_size).r : 0.0;
            if (body_z >= 1e8) body_z = behind_body ? -1e9 : fallback_depth;
        } else {
            coverage = body_z < 1e8 ? 1.0 : 0.0;
        }
        if (v_position.z > body_z) alpha *= 1.0 - coverage;
    }
    // No discard: a fully hidden fragment adds nothing to the premultiplied blend, and a
    // shader without discard lets llvmpipe reject hidden fragments before shading them.
    rgb = pow(clamp(rgb, 0.0, 1.0), vec3(1.0 / 2.2));       // linear -> sRGB, as the frame
    // Glow adds light: it barely dims what is behind it.
    color = vec4(rgb * alpha, glow ? 0.25 * alpha : alpha);
}
"""

DEPTH_FRAGMENT_SHADER = """
#version 330
in vec3 v_position;
in vec3 v_normal;
in vec4 v_color;
in vec3 v_material;
out float depth;
void main() { depth = v_position.z; }
"""
