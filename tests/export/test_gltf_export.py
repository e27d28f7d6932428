"""motion.glb: structure, forward kinematics of its animation, and a real load in three.js
(headless Chromium) and Blender where they are installed."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import subprocess
import textwrap
from pathlib import Path

import numpy as np
import pygltflib
import pytest
from scipy.spatial.transform import Rotation

from posemachines.errors import PoseDataError
from posemachines.export.bvh_export import WORLD_TO_BVH
from posemachines.export.gltf_export import write_glb
from posemachines.skeleton import JOINTS16_NAMES, JOINTS16_PARENTS
from tests.export.sample_poses import add_scene, make_result, random_poses

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")


def three_dir() -> Path | None:
    """three.js from npm: $POSEMACHINES_THREE_DIR or .cache/node/node_modules/three (.ci/run
    installs it there; nothing is fetched at run time)."""
    env = os.environ.get("POSEMACHINES_THREE_DIR")
    path = Path(env) if env else REPO / ".cache" / "node" / "node_modules" / "three"
    return path if (path / "build" / "three.module.js").is_file() else None


@pytest.fixture(scope="module")
def walk():
    """A rigid random-pose walk in the world frame, 12 frames at 25 fps."""
    poses = random_poses(12, seed=7, max_angle_deg=30)
    result = dataclasses.replace(
        make_result(12), pose3d_mm=poses, frame_indices=np.arange(12),
        timestamps_s=np.arange(12) / 25.0, missing_frames=())
    return add_scene(result)


def expected_joints_m(result) -> np.ndarray:
    """(T, 16, 3) the world joints in glTF axes (+Y up, subject facing the camera faces +Z), m."""
    return result.world.joints_mm @ WORLD_TO_BVH.T / 1000.0


def forward_kinematics(gltf: pygltflib.GLTF2, frame: int) -> np.ndarray:
    """(16, 3) joint positions at animation frame `frame`, read back from the file's data."""
    blob = gltf.binary_blob()

    def accessor(index: int) -> np.ndarray:
        acc = gltf.accessors[index]
        view = gltf.bufferViews[acc.bufferView]
        width = {"SCALAR": 1, "VEC3": 3, "VEC4": 4}[acc.type]
        return np.frombuffer(blob, np.float32, acc.count * width,
                             view.byteOffset).reshape(acc.count, width)

    animation = gltf.animations[0]
    rotation, translation = {}, {}
    for channel in animation.channels:
        values = accessor(animation.samplers[channel.sampler].output)[frame]
        (rotation if channel.target.path == "rotation" else translation)[channel.target.node] = \
            values
    positions, frames = np.zeros((16, 3)), [None] * 16
    for joint in range(16):
        node = gltf.nodes[joint]
        local = Rotation.from_quat(rotation[joint])
        offset = translation.get(joint, np.array(node.translation))
        parent = JOINTS16_PARENTS[joint]
        if parent < 0:
            positions[joint], frames[joint] = offset, local
        else:
            positions[joint] = positions[parent] + frames[parent].apply(offset)
            frames[joint] = frames[parent] * local
    return positions


def test_file_structure_and_animation_reproduce_the_walk(walk, tmp_path):
    gltf = pygltflib.GLTF2().load(str(write_glb(walk, tmp_path / "motion.glb")))
    assert [node.name for node in gltf.nodes[:16]] == list(JOINTS16_NAMES)
    assert gltf.skins[0].joints == list(range(16))
    assert len(gltf.animations[0].channels) == 17  # 16 rotations + the root's translation
    times = gltf.accessors[gltf.animations[0].samplers[0].input]
    assert times.count == 12 and times.max == pytest.approx([11 / 25.0])
    expected = expected_joints_m(walk)
    for frame in (0, 5, 11):
        np.testing.assert_allclose(forward_kinematics(gltf, frame), expected[frame], atol=1e-4)


def test_empty_result_and_unwritable_path_raise(walk, tmp_path):
    empty = dataclasses.replace(
        make_result(2), pose3d_mm=np.zeros((0, 16, 3)), keypoints_px=np.zeros((0, 16, 2)),
        confidence=np.zeros((0, 16)), frame_indices=np.zeros(0, int), timestamps_s=np.zeros(0),
        correction=None)
    with pytest.raises(PoseDataError, match="no poses"):
        write_glb(empty, tmp_path / "motion.glb")
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    with pytest.raises(PoseDataError, match="Cannot write glTF"):
        write_glb(walk, blocker / "motion.glb")


THREE_PAGE = """<!DOCTYPE html><html><body><pre id="result">pending</pre>
<script type="importmap">{"imports": {"three": "__THREE__/build/three.module.js"}}</script>
<script type="module">
import * as THREE from "three";
import { GLTFLoader } from "__THREE__/examples/jsm/loaders/GLTFLoader.js";
const out = document.getElementById("result");
const names = __NAMES__, frames = __FRAMES__, dt = __DT__;
new GLTFLoader().load("__GLB__", gltf => {
  const mixer = new THREE.AnimationMixer(gltf.scene);
  const action = mixer.clipAction(gltf.animations[0]);
  action.setLoop(THREE.LoopOnce); action.clampWhenFinished = true;  // the last frame holds
  action.play();
  let skinned = 0;
  gltf.scene.traverse(o => { if (o.isSkinnedMesh) skinned = o.skeleton.bones.length; });
  const joints = [];
  for (const f of frames) {
    mixer.setTime(f * dt);
    gltf.scene.updateMatrixWorld(true);
    joints.push(names.map(n => gltf.scene.getObjectByName(n).getWorldPosition(
      new THREE.Vector3()).toArray()));
  }
  out.textContent = JSON.stringify({skinned, joints});
}, undefined, e => { out.textContent = "error " + e; });
</script></body></html>"""


def test_three_js_loads_the_file_and_its_joints_match_ours(walk, tmp_path):
    three = three_dir()
    if three is None or not CHROMIUM.exists():
        message = "three.js (npm, .cache/node) or chromium missing; .ci/run installs both"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    glb = write_glb(walk, tmp_path / "motion.glb")
    frames = [0, 4, 11]
    page = tmp_path / "page.html"
    page.write_text(THREE_PAGE.replace("__THREE__", three.as_uri())
                    .replace("__NAMES__", json.dumps(list(JOINTS16_NAMES)))
                    .replace("__FRAMES__", json.dumps(frames))
                    .replace("__DT__", repr(1 / 25.0)).replace("__GLB__", glb.as_uri()))
    completed = subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu",
         "--allow-file-access-from-files", "--virtual-time-budget=10000", "--no-first-run",
         f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120, check=False)
    text = re.search(r'<pre id="result">(.*?)</pre>', completed.stdout, re.DOTALL).group(1)
    loaded = json.loads(text)
    assert loaded["skinned"] == 16
    joints = np.array(loaded["joints"])
    np.testing.assert_allclose(joints, expected_joints_m(walk)[frames], atol=1e-3)  # 1 mm


BLENDER_SCRIPT = textwrap.dedent("""
    import sys
    import bpy
    import numpy
    # Debian's Blender 3.4 glTF importer still uses numpy.bool, which numpy 1.24 removed.
    numpy.bool = bool
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.ops.import_scene.gltf(filepath=sys.argv[-1])
    armature = [o for o in bpy.data.objects if o.type == "ARMATURE"][0]
    scene = bpy.context.scene
    action = armature.animation_data.action
    scene.frame_set(int(action.frame_range[0]))
    hip = armature.matrix_world @ armature.pose.bones["Hip"].head
    print("RESULT", len(armature.data.bones), *[round(v, 4) for v in hip])
""")


@pytest.mark.skipif(shutil.which("blender") is None, reason="Blender is not installed")
def test_blender_imports_the_file(walk, tmp_path):
    glb = write_glb(walk, tmp_path / "motion.glb")
    script = tmp_path / "import_glb.py"
    script.write_text(BLENDER_SCRIPT)
    completed = subprocess.run(
        ["blender", "-b", "--factory-startup", "--python", str(script), "--", str(glb)],
        capture_output=True, text=True, timeout=180, check=False,
        # Debian's Blender runs the system Python; a virtualenv's python first on PATH would
        # hide the system numpy that its glTF importer needs.
        env={**os.environ, "PATH": "/usr/local/bin:/usr/bin:/bin"})
    line = next(x for x in completed.stdout.splitlines() if x.startswith("RESULT"))
    bones, *hip = line.split()[1:]
    assert int(bones) == 16
    # Blender is Z-up: (x, y, z)_blender = (x, -z, y)_gltf.
    ours = expected_joints_m(walk)[0, 0]
    np.testing.assert_allclose([float(v) for v in hip], [ours[0], -ours[2], ours[1]], atol=1e-3)
