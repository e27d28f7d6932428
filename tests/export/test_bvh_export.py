"""motion.bvh export: file structure, and re-import with our BVH reader + FK to the joints."""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
import textwrap

import numpy as np
import pytest

from posemachines.data.bvh import forward_kinematics, read_bvh
from posemachines.errors import PoseDataError
from posemachines.export.bvh_export import (
    camera_to_bvh_world,
    poses_to_motion,
    rest_offsets,
    write_motion_bvh,
)
from posemachines.skeleton import JOINTS16_NAMES, bone_lengths
from tests.export.sample_poses import add_scene, make_result, random_poses, rest_pose

MM_PER_CM = 10.0


def reimported_joints_mm(path) -> np.ndarray:
    """(F, 16, 3) mm camera frame, root-relative, from a BVH file in cm."""
    motion = read_bvh(path)
    order = [motion.joint_index(name) for name in JOINTS16_NAMES]
    joints = camera_to_bvh_world(forward_kinematics(motion).joints[:, order] * MM_PER_CM)
    return joints - joints[:, :1]


def test_rigid_poses_come_back_within_10_mm(tmp_path):
    poses = random_poses(40, seed=3)
    result = dataclasses.replace(
        make_result(40), pose3d_mm=poses, frame_indices=np.arange(40),
        timestamps_s=np.arange(40) / 25.0, missing_frames=())
    path = write_motion_bvh(result, tmp_path / "motion.bvh")
    error_mm = np.linalg.norm(reimported_joints_mm(path) - poses, axis=-1)
    assert error_mm.max() < 10.0
    assert error_mm.max() < 0.01  # a rigid skeleton is reproduced exactly (text precision)


def test_frame_count_and_frame_time_follow_the_video(tmp_path):
    result = make_result(5)  # frames 0, 1, 3, 4, 5 at 25 fps: frame 2 is missing
    motion = read_bvh(write_motion_bvh(result, tmp_path / "motion.bvh"))
    assert motion.num_frames == 6
    assert motion.frame_time_s == pytest.approx(1 / 25.0)
    joints = reimported_joints_mm(tmp_path / "motion.bvh")
    np.testing.assert_allclose(joints[[0, 1, 3, 4, 5]], result.pose3d_mm, atol=0.01)


def test_file_structure_is_strict_bvh(tmp_path):
    path = write_motion_bvh(make_result(5), tmp_path / "motion.bvh")
    text = path.read_text()
    hierarchy, motion_block = text.split("MOTION\n")
    names = re.findall(r"^\s*(?:ROOT|JOINT) (\S+)$", hierarchy, re.MULTILINE)
    assert sorted(names) == sorted(JOINTS16_NAMES) and len(set(names)) == 16
    assert hierarchy.startswith("HIERARCHY\nROOT Hip\n")
    channels = [int(n) for n in re.findall(r"CHANNELS (\d+)", hierarchy)]
    assert channels[0] == 6 and channels[1:] == [3] * 15
    assert "CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation" in hierarchy
    assert hierarchy.count("{") == hierarchy.count("}") == 16 + 5  # joints + End Sites
    lines = motion_block.strip().splitlines()
    assert lines[0] == "Frames: 6" and lines[1] == "Frame Time: 0.04"
    values = np.array([[float(v) for v in line.split()] for line in lines[2:]])
    assert values.shape == (6, sum(channels)) and np.isfinite(values).all()


def test_rest_pose_uses_median_bone_lengths_and_stands_upright():
    poses = random_poses(9, seed=1)
    poses[4] *= 1.5  # one outlier pose must not change the medians
    offsets = rest_offsets(camera_to_bvh_world(poses))
    np.testing.assert_allclose(np.linalg.norm(offsets[1:], axis=-1),
                               bone_lengths(rest_pose()), atol=1e-6)
    assert offsets[JOINTS16_NAMES.index("RKnee")].tolist() == pytest.approx([0, -440.11, 0],
                                                                             abs=0.01)
    assert offsets[JOINTS16_NAMES.index("LHip"), 0] > 0 > offsets[JOINTS16_NAMES.index("RHip"), 0]


def test_root_trajectory_moves_the_root(tmp_path):
    poses = random_poses(3, seed=2)
    trajectory = np.array([[0.0, 0.0, 3000.0], [100.0, 0.0, 3000.0], [200.0, -50.0, 3100.0]])
    motion = poses_to_motion(poses, 30.0, units="mm", root_trajectory_mm=trajectory)
    np.testing.assert_allclose(motion.channel_values[:, :3], camera_to_bvh_world(trajectory))
    with pytest.raises(PoseDataError, match="root_trajectory_mm"):
        poses_to_motion(poses, 30.0, root_trajectory_mm=trajectory[:2])


def test_bad_input_raises_pose_data_error(tmp_path):
    with pytest.raises(PoseDataError, match="metres"):
        poses_to_motion(random_poses(2) / 1000.0, 30.0)
    with pytest.raises(PoseDataError, match="units"):
        poses_to_motion(random_poses(2), 30.0, units="inch")
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    with pytest.raises(PoseDataError, match="Cannot write"):
        write_motion_bvh(make_result(2), blocker / "motion.bvh")


BLENDER_SCRIPT = textwrap.dedent("""
    import builtins, sys
    import bpy
    _open = builtins.open
    # Debian's Blender 3.4 BVH importer opens files with mode 'rU', which Python 3.11 rejects.
    builtins.open = lambda file, mode="r", *a, **k: _open(file, mode.replace("U", ""), *a, **k)
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.ops.import_anim.bvh(filepath=sys.argv[-1], update_scene_fps=True)
    armature = [o for o in bpy.data.objects if o.type == "ARMATURE"][0]
    scene = bpy.context.scene
    scene.frame_set(2)
    wrist = armature.matrix_world @ armature.pose.bones["LWrist"].head
    last_frame = armature.animation_data.action.frame_range[1]
    print("RESULT", len(armature.data.bones), int(last_frame), scene.render.fps,
          *[round(v, 3) for v in wrist])
""")


@pytest.mark.skipif(shutil.which("blender") is None, reason="Blender is not installed")
def test_blender_imports_the_file(tmp_path):
    result = dataclasses.replace(make_result(4), fps=30.0)
    path = write_motion_bvh(result, tmp_path / "motion.bvh")
    script = tmp_path / "import_bvh.py"
    script.write_text(BLENDER_SCRIPT)
    completed = subprocess.run(
        ["blender", "-b", "--factory-startup", "--python", str(script), "--", str(path)],
        capture_output=True, text=True, timeout=120, check=False)
    line = next(x for x in completed.stdout.splitlines() if x.startswith("RESULT"))
    bones, last_frame, fps, *wrist = line.split()[1:]
    assert (int(bones), int(last_frame), int(fps)) == (16, 5, 30)
    # Blender turns Y-up into Z-up: (x, y, z)_blender = (x, -z, y)_bvh, in file units (cm).
    motion = read_bvh(path)
    ours = forward_kinematics(motion).joints[1, motion.joint_index("LWrist")]
    np.testing.assert_allclose([float(v) for v in wrist], [ours[0], -ours[2], ours[1]], atol=0.01)


@pytest.mark.skipif(shutil.which("blender") is None, reason="Blender is not installed")
def test_blender_shows_the_world_walk_crossing_the_floor(tmp_path):
    result = add_scene(dataclasses.replace(make_result(12), fps=30.0))
    path = write_motion_bvh(result, tmp_path / "motion.bvh")
    script = tmp_path / "import_bvh.py"
    script.write_text(BLENDER_SCRIPT.replace('scene.frame_set(2)', 'scene.frame_set(13)')
                      .replace('pose.bones["LWrist"]', 'pose.bones["Hip"]'))
    completed = subprocess.run(
        ["blender", "-b", "--factory-startup", "--python", str(script), "--", str(path)],
        capture_output=True, text=True, timeout=120, check=False)
    line = next(x for x in completed.stdout.splitlines() if x.startswith("RESULT"))
    hip = [float(v) for v in line.split()[4:]]
    # the last of 13 BVH frames (12 poses, frame 2 missing): add_scene moves the root 10 mm per
    # pose along world +Z (BVH -Z, Blender +Y), so 110 mm, at 90 cm above the floor
    np.testing.assert_allclose(hip, [0.0, 11.0, 90.0], atol=0.01)


def test_world_result_round_trips_with_root_motion_over_the_floor(tmp_path):
    """A result in the world frame: the BVH root walks with it, the floor stays at y = 0, and the
    world joints come back (x_bvh = -X, z_bvh = -Z) within text precision."""
    poses = random_poses(12, seed=5)
    rigid = dataclasses.replace(
        make_result(12), pose3d_mm=poses, frame_indices=np.arange(12),
        timestamps_s=np.arange(12) / 25.0, missing_frames=())
    result = add_scene(rigid)
    path = write_motion_bvh(result, tmp_path / "motion.bvh")
    motion = read_bvh(path)
    order = [motion.joint_index(name) for name in JOINTS16_NAMES]
    joints_bvh = forward_kinematics(motion).joints[:, order] * MM_PER_CM
    expected = result.world.joints_mm * np.array([-1.0, 1.0, -1.0])
    np.testing.assert_allclose(joints_bvh, expected, atol=0.01)
    # the root walked 10 mm a frame along world +Z, i.e. BVH -Z, 900 mm above the floor
    np.testing.assert_allclose(joints_bvh[:, 0, 2], -10.0 * np.arange(12), atol=0.01)
    np.testing.assert_allclose(joints_bvh[:, 0, 1], 900.0, atol=0.01)
