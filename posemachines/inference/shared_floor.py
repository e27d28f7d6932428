"""Several people on one floor: every person's world pose in one coordinate system.

Each person is lifted and placed in the scene on their own (`scene.place_in_scene`), so each
finds a floor from their own footprints. The camera is one, so the floors are one: among the
floors that agree with the most others, the one resting on the most foot contacts (then the
longest track) gives the world frame (`reference_person`), and everyone else's absolute
camera-frame joints are carried into it through that one camera.
A person whose own floor could not be found (a camera-frame fallback: too few footprints, or
their own floor drifting as a small, distant walker's does) is placed on the shared floor too,
and from MIN_WORLD_POSES poses on gets their contacts, foot lock and gait there
(`world.to_world(known_floor=...)`); when nobody has a world frame (e.g. the camera moves),
nothing changes.

Each person's size, hence distance, is a prior (an average adult's scale) unless `--height-cm`
makes it metric, so a person carried into the shared frame can float above the floor or sink
into it (a man whose feet the frame cuts off stood 0.3 m up on a real clip). The floor fixes
that scale: scaling a person's camera-frame joints about the camera centre keeps every joint's
image position, so each non-metric person is scaled (within `SCALE_LIMITS`) until their lower
ankle's median height matches the reference person's.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np

from posemachines.camera import Camera
from posemachines.errors import PoseInputError
from posemachines.inference.scene import MIN_WORLD_POSES, world_pose
from posemachines.skeleton import JOINTS16_NAMES
from posemachines.structures import PoseResult, WorldPose
from posemachines.world import to_world
from posemachines.world.ground import ANKLE_HEIGHT_FRACTION

#: Ankle joints (the feet of the 16-joint skeleton).
ANKLES = (JOINTS16_NAMES.index("RFoot"), JOINTS16_NAMES.index("LFoot"))
#: A person is re-scaled onto the floor only when their feet are this far off it, mm.
MIN_FLOOR_GAP_MM = 50.0
#: The scale found is clipped into this range (a person 25 % smaller to 33 % larger).
SCALE_LIMITS = (0.75, 1.33)
#: A person placed on the shared floor gets contacts there only if on MIN_ON_FLOOR_SHARE of
#: the frames their lower ankle lies within MAX_OFF_FLOOR_LEG leg lengths of an ankle's rest
#: height on it: a plane found under one person can tilt away from people far from them (on
#: opencv_vtest.avi 10 of the 14 people without a floor of their own), and their scale is
#: clipped to SCALE_LIMITS.
MAX_OFF_FLOOR_LEG, MIN_ON_FLOOR_SHARE = 0.5, 0.8
#: Two people's own floors agree when their up directions lie within this angle (degrees).
AGREE_DEG = 8.0


def _support(result: PoseResult) -> tuple[int, int]:
    """(contact frames, poses): how well a person's floor is supported."""
    world = result.world
    contacts = 0 if world is None or world.contacts is None else int(
        world.contacts.in_contact.sum())
    return contacts, result.num_frames


def _up(result: PoseResult) -> np.ndarray:
    """(3,) world up in camera coordinates of a person's own floor."""
    assert result.camera is not None
    return np.asarray(result.camera.R, dtype=np.float64) @ np.array([0.0, 1.0, 0.0])


def reference_person(placed: Mapping[int, PoseResult]) -> int:
    """The id whose floor everyone shares: among the people with a floor of their own, those
    whose floors agree (up within AGREE_DEG) with the most others (then with the most contact
    frames among them), and of those the best supported (`_support`). One person's floor can
    be wrong where the others agree: on opencv_vtest.avi the most contacts (a 99-frame track)
    gave a camera 0.9 m high looking 2 deg down, while 8 of the 12 floors agreed within 8 deg
    (2-4.7 m high, 7-19 deg down)."""
    ups = {person_id: _up(result) for person_id, result in placed.items()}
    limit = np.cos(np.radians(AGREE_DEG))

    def agreeing(person_id: int) -> list[int]:
        return [other for other in ups if ups[person_id] @ ups[other] >= limit]

    def consensus(person_id: int) -> tuple[int, int]:
        group = agreeing(person_id)
        return len(group), sum(_support(placed[other])[0] for other in group)

    group = agreeing(max(placed, key=consensus))
    return max(group, key=lambda person_id: _support(placed[person_id]))


def _camera_joints(result: PoseResult) -> np.ndarray | None:
    """(T, 16, 3) absolute camera-frame joints of a person's world pose, or None."""
    world = result.world
    if world is None:
        return None
    if world.frame == "camera":
        return np.asarray(world.joints_mm, dtype=np.float64)
    if result.camera is None:
        return None
    return np.asarray(result.camera.world_to_camera(world.joints_mm), dtype=np.float64)


def _lower_ankle_height(world_joints_mm: np.ndarray) -> float:
    """Median over frames of the lower ankle's height above the floor (world y), mm."""
    return float(np.median(world_joints_mm[:, list(ANKLES), 1].min(axis=1)))


def floor_scale(joints_cam_mm: np.ndarray, camera: Camera, ankle_height_mm: float) -> float:
    """The factor about the camera centre that puts a person's lower ankle (median over
    frames) at `ankle_height_mm` above `camera`'s floor; 1 when already within
    MIN_FLOOR_GAP_MM, else clipped to SCALE_LIMITS.

    joints_cam_mm: (T, 16, 3) absolute camera-frame joints. A point's height is linear in the
    factor s: y(s) = s (y(1) - y(0)) + y(0), where y(0) is the camera centre's height.
    """
    lower = joints_cam_mm[np.arange(len(joints_cam_mm)),
                          np.asarray(ANKLES)[np.argmin(
                              camera.camera_to_world(joints_cam_mm)[:, list(ANKLES), 1], axis=1)]]
    centre_height = float(camera.camera_to_world(np.zeros((1, 3)))[0, 1])
    height = float(np.median(camera.camera_to_world(lower)[:, 1]))
    if abs(height - ankle_height_mm) <= MIN_FLOOR_GAP_MM or height >= centre_height:
        return 1.0
    scale = (ankle_height_mm - centre_height) / (height - centre_height)
    return float(np.clip(scale, *SCALE_LIMITS))


def _scaled(result: PoseResult, scale: float) -> PoseResult:
    """`result` with its camera-frame pose and path `scale` times larger (same image)."""
    path = result.root_translation_mm
    return dataclasses.replace(
        result, pose3d_mm=(result.pose3d_mm * scale).astype(result.pose3d_mm.dtype),
        root_translation_mm=None if path is None else path * scale)


def _placed_on(result: PoseResult, camera: Camera) -> tuple[WorldPose | None, str]:
    """`result`'s world pose on `camera`'s floor with contacts, foot lock and gait
    (`to_world` with that floor), and a note for the warning; None for fewer than
    MIN_WORLD_POSES poses, none to place, or feet that do not stay on that floor (on fewer
    than MIN_ON_FLOOR_SHARE of the frames is the lower ankle within MAX_OFF_FLOOR_LEG leg
    lengths of an ankle's rest height on it)."""
    if result.num_frames < MIN_WORLD_POSES or result.root_translation_mm is None:
        return None, ""
    rows = np.asarray(result.frame_indices) - int(result.frame_indices[0])
    try:
        motion = to_world(result.pose3d_mm, result.root_translation_mm, rows, result.fps,
                          metric=result.world is not None and result.world.metric,
                          keypoints_px=result.keypoints_px,
                          keypoint_confidence=result.confidence, focal_px=float(camera.f_px[0]),
                          known_floor=(camera.R, camera.t_mm))
    except PoseInputError:
        return None, ""
    assert motion.ground is not None
    leg = motion.ground.leg_length_mm
    off = np.min(motion.joints_unlocked_mm[rows][:, list(ANKLES), 1], axis=1) \
        - ANKLE_HEIGHT_FRACTION * leg
    if np.mean(np.abs(off) <= MAX_OFF_FLOOR_LEG * leg) < MIN_ON_FLOOR_SHARE:
        median = float(np.median(off))
        return None, (f" Their feet do not stay on it (median {abs(median) / 1000:.1f} m "
                      f"{'above' if median > 0 else 'below'}: a floor found under one person "
                      "need not hold far from them), so no contacts are found on it.")
    return world_pose(motion, rows), ""


def one_floor(people: Mapping[int, PoseResult]) -> dict[int, PoseResult]:
    """`people` (id -> result) with every world pose in the world frame and camera of
    `reference_person` (see the module docstring)."""
    placed = {person_id: result for person_id, result in people.items()
              if result.world is not None and result.world.frame == "world"
              and result.camera is not None}
    if not placed:
        return dict(people)
    reference_id = reference_person(placed)
    reference = placed[reference_id]
    camera, floor = reference.camera, reference.world
    assert camera is not None and floor is not None
    ankle_height = _lower_ankle_height(np.asarray(floor.joints_mm, dtype=np.float64))
    shared = {}
    for person_id, result in people.items():
        joints = _camera_joints(result)
        if person_id == reference_id or joints is None or result.world is None:
            shared[person_id] = result
            continue
        own = result.world
        note = f"Placed on the floor found under person {reference_id} (one floor for everyone)."
        scale = 1.0 if own.metric else floor_scale(joints, camera, ankle_height)
        if scale != 1.0:
            joints, result = joints * scale, _scaled(result, scale)
            note += f" Scaled x{scale:.2f} about the camera to stand on it."
        # a camera-frame fallback's warnings explain the fallback, which no longer holds
        kept, joints_mm, contacts = own.warnings, camera.camera_to_world(joints), own.contacts
        if own.frame == "camera":
            on_floor, off_note = _placed_on(result, camera)
            note += off_note
            kept = () if on_floor is None else on_floor.warnings
            if on_floor is not None:
                joints_mm, contacts = on_floor.joints_mm, on_floor.contacts
        world = WorldPose(
            frame="world", joints_mm=np.asarray(joints_mm, dtype=np.float32), contacts=contacts,
            camera_height_mm=floor.camera_height_mm, pitch_deg=floor.pitch_deg,
            roll_deg=floor.roll_deg, metric=own.metric, warnings=(*kept, note))
        shared[person_id] = dataclasses.replace(result, camera=camera, world=world)
    return shared
