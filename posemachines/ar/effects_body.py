"""Props on the limbs: gloves and flames at the wrists, a glowing or armoured skin along the
bones."""

from __future__ import annotations

import numpy as np

from posemachines.ar.meshes import (
    Mesh,
    Prop,
    cone,
    cylinder,
    rgba,
    segment_transform,
    sphere,
    transform,
)
from posemachines.ar.rig import (
    HIP,
    LELBOW,
    LFOOT,
    LHIP,
    LKNEE,
    LSHOULDER,
    LWRIST,
    RELBOW,
    RFOOT,
    RHIP,
    RKNEE,
    RSHOULDER,
    RWRIST,
    THORAX,
    limb_frame,
)
from posemachines.ar.scene import Effect, Scene

HANDS = ((LELBOW, LWRIST), (RELBOW, RWRIST))
#: Bones of the skin effects with their radius as a fraction of h (thorax to head top).
LIMBS: tuple[tuple[int, int, float], ...] = (
    (LSHOULDER, LELBOW, 0.17), (LELBOW, LWRIST, 0.14), (RSHOULDER, RELBOW, 0.17),
    (RELBOW, RWRIST, 0.14), (LHIP, LKNEE, 0.24), (LKNEE, LFOOT, 0.18), (RHIP, RKNEE, 0.24),
    (RKNEE, RFOOT, 0.18), (LHIP, RHIP, 0.2), (LSHOULDER, RSHOULDER, 0.17),
)


class Gloves(Effect):
    name = "gloves"
    description = "red boxing gloves on both hands, turned with the forearms"
    anchors = (LWRIST, RWRIST)

    def __init__(self, scene: Scene) -> None:
        super().__init__(scene)
        h = scene.track.head_mm
        self.size = h
        red, white = rgba("#c4161c"), rgba("#f2f2f2")
        self.glove = sphere(red, 16, 24, shininess=0.8)
        self.cuff = cylinder(white, 20, shininess=0.3)

    def props_at(self, frame: int) -> list[Prop]:
        joints, h = self.scene.joints(frame), self.size
        left = self.scene.torso[frame][:, 0]
        props = []
        for elbow, wrist in HANDS:
            rotation = limb_frame(joints[elbow], joints[wrist], left)
            down = -rotation[:, 1]                                # along the forearm, outwards
            centre = joints[wrist] + 0.24 * h * down
            props.append(Prop(self.glove, transform(rotation, centre,
                                                    [0.24 * h, 0.32 * h, 0.27 * h])))
            props.append(Prop(self.cuff, segment_transform(joints[wrist] - 0.12 * h * down,
                                                           joints[wrist] + 0.02 * h * down,
                                                           0.17 * h)))
        return props


class Flames(Effect):
    name = "flames"
    description = "fire burning from both hands, flickering and rising"
    anchors = (LWRIST, RWRIST)
    TONGUES = 5

    def __init__(self, scene: Scene) -> None:
        super().__init__(scene)
        self.layers = [cone(rgba(color, alpha), 10, look="glow") for color, alpha in
                       (("#ff3a00", 0.55), ("#ffa000", 0.7), ("#fff2a0", 0.9))]
        self.core = sphere(rgba("#ffb000", 0.8), 10, 14, look="glow")

    def props_at(self, frame: int) -> list[Prop]:
        scene, joints = self.scene, self.scene.joints(frame)
        h = scene.track.head_mm
        up = scene.floor.normal
        props = []
        for hand, (elbow, wrist) in enumerate(HANDS):
            palm = joints[wrist] + 0.15 * h * (joints[wrist] - joints[elbow]) / max(
                float(np.linalg.norm(joints[wrist] - joints[elbow])), 1e-6)
            rng = np.random.default_rng((frame, hand))  # the same flicker on every run
            props.append(Prop(self.core, transform(np.eye(3), palm, 0.16 * h)))
            for tongue in range(self.TONGUES):
                angle = 2 * np.pi * tongue / self.TONGUES + 0.3 * rng.standard_normal()
                tilt = 0.25 * np.array([np.cos(angle), 0.0, np.sin(angle)])
                axis = up + scene.head[frame] @ tilt
                height = h * (0.55 + 0.35 * rng.random()) * (1.3 if tongue == 0 else 1.0)
                base = palm + 0.06 * h * (scene.head[frame] @ [np.cos(angle), 0, np.sin(angle)])
                for k, layer in enumerate(self.layers):
                    shrink = 1.0 - 0.28 * k
                    props.append(Prop(layer, segment_transform(
                        base, base + axis / np.linalg.norm(axis) * height * shrink,
                        0.11 * h * shrink)))
        return props


class SkinEffect(Effect):
    """Capsules along every bone: `bone_mesh` (unit cylinder) and `joint_mesh` (unit sphere)
    scaled by the bone radii times `thickness`."""

    anchors = (LSHOULDER, RSHOULDER, LELBOW, RELBOW, LWRIST, RWRIST, LHIP, RHIP, LKNEE, RKNEE,
               LFOOT, RFOOT)
    thickness = 1.0
    bone_mesh: Mesh
    joint_mesh: Mesh

    def props_at(self, frame: int) -> list[Prop]:
        joints, h = self.scene.joints(frame), self.scene.track.head_mm
        props = []
        radius_at: dict[int, float] = {}
        for start, end, radius in LIMBS:
            r = radius * h * self.thickness
            props.append(Prop(self.bone_mesh, segment_transform(joints[start], joints[end], r)))
            for joint in (start, end):
                radius_at[joint] = max(radius_at.get(joint, 0.0), r)
        for joint, r in radius_at.items():
            props.append(Prop(self.joint_mesh, transform(np.eye(3), joints[joint], r)))
        torso = self.scene.torso[frame]
        centre = joints[HIP] + 0.45 * (joints[THORAX] - joints[HIP])  # below the collarbones
        half_length = 0.5 * float(np.linalg.norm(joints[THORAX] - joints[HIP]))
        props.append(Prop(self.joint_mesh, transform(torso, centre, self.thickness * np.array(
            [0.55 * self.scene.track.shoulder_mm, half_length, 0.45 * h]))))
        return props


class Glow(SkinEffect):
    name = "glow"
    description = "a glowing energy skin along every bone"
    thickness = 1.15

    def __init__(self, scene: Scene) -> None:
        super().__init__(scene)
        color = rgba("#20c8ff", 0.55)
        self.bone_mesh = cylinder(color, 16, capped=False, look="glow")
        self.joint_mesh = sphere(color, 10, 16, look="glow")


class Armour(SkinEffect):
    name = "armour"
    description = "polished steel armour over the limbs and a breastplate"
    thickness = 1.1

    def __init__(self, scene: Scene) -> None:
        super().__init__(scene)
        steel = rgba("#aab3bf")
        self.bone_mesh = cylinder(steel, 20, capped=False, shininess=1.0)
        self.joint_mesh = sphere(rgba("#8a939e"), 12, 18, shininess=1.0)
