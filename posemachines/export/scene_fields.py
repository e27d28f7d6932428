"""The scene part of poses3d.json / .npz / .csv (format version 2): trajectory, camera, world.

`formats` calls these; the layout is documented in docs/poses3d_schema.md ("Scene").
Every function reads what the other one writes, so each format round-trips a `PoseResult`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from posemachines.camera import Camera
from posemachines.structures import FootContacts, PoseResult, WorldPose

WORLD_FRAME_DESCRIPTION = {
    "name": "world",
    "x": "Y x Z (the camera's left when it looks along +Z)",
    "y": "up (against gravity)",
    "z": "the camera's forward direction projected onto the floor",
    "origin": "on the floor under the root (Hip) of the first frame",
    "floor": "y = 0",
}


# ---------------------------------------------------------------------------------------------
# JSON
# ---------------------------------------------------------------------------------------------
def camera_to_json(camera: Camera) -> dict[str, Any]:
    return {
        "width": camera.width, "height": camera.height,
        "focal_px": camera.f_px.tolist(), "principal_px": camera.c_px.tolist(),
        "R_camera_from_world": camera.R.tolist(), "t_camera_mm": camera.t_mm.tolist(),
    }


def camera_from_json(document: dict[str, Any]) -> Camera:
    return Camera(
        R=np.array(document["R_camera_from_world"], float),
        t_mm=np.array(document["t_camera_mm"], float),
        f_px=np.array(document["focal_px"], float), c_px=np.array(document["principal_px"], float),
        k=np.zeros(3), p=np.zeros(2), width=int(document["width"]),
        height=int(document["height"]),
    )


def world_header_to_json(world: WorldPose) -> dict[str, Any]:
    """The clip-level part of `world` (per-frame joints and contacts go in each frame)."""
    contacts = world.contacts
    return {
        "frame": world.frame,
        "coordinate_frame": WORLD_FRAME_DESCRIPTION if world.frame == "world" else None,
        "camera_height_mm": _finite_or_none(world.camera_height_mm),
        "pitch_deg": _finite_or_none(world.pitch_deg),
        "roll_deg": _finite_or_none(world.roll_deg),
        "metric": world.metric,
        "warnings": list(world.warnings),
        "contact_joints": None if contacts is None else list(contacts.names),
        "contact_joint_indices": None if contacts is None else list(contacts.joints),
    }


def world_frame_to_json(world: WorldPose, t: int, joint_names: tuple[str, ...]
                        ) -> dict[str, Any]:
    """Frame t of `world`: joints (mm, in world.frame) and contacts."""
    joints = np.asarray(world.joints_mm[t], dtype=np.float64).tolist()
    frame: dict[str, Any] = {"joints_mm": {name: joints[j] for j, name in enumerate(joint_names)}}
    if world.contacts is not None:
        contacts = world.contacts
        frame["contacts"] = {
            name: {"in_contact": bool(contacts.in_contact[t, c]),
                   "probability": float(contacts.probability[t, c])}
            for c, name in enumerate(contacts.names)
        }
    return frame


def world_from_json(header: dict[str, Any], frames: list[dict[str, Any]],
                    joint_names: tuple[str, ...]) -> WorldPose:
    joints = np.array([[f["world"]["joints_mm"][name] for name in joint_names] for f in frames],
                      float).reshape(len(frames), len(joint_names), 3)
    contacts = None
    if header["contact_joints"] is not None:
        names = tuple(header["contact_joints"])
        records = [[f["world"]["contacts"][name] for name in names] for f in frames]
        contacts = FootContacts(
            joints=tuple(int(j) for j in header["contact_joint_indices"]), names=names,
            in_contact=np.array([[r["in_contact"] for r in row] for row in records], bool)
            .reshape(len(frames), len(names)),
            probability=np.array([[r["probability"] for r in row] for row in records], float)
            .reshape(len(frames), len(names)),
        )
    return WorldPose(
        frame=header["frame"], joints_mm=joints, contacts=contacts,
        camera_height_mm=_nan_if_none(header["camera_height_mm"]),
        pitch_deg=_nan_if_none(header["pitch_deg"]), roll_deg=_nan_if_none(header["roll_deg"]),
        metric=bool(header["metric"]), warnings=tuple(header["warnings"]),
    )


def _finite_or_none(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def _nan_if_none(value: float | None) -> float:
    return float("nan") if value is None else float(value)


# ---------------------------------------------------------------------------------------------
# NPZ
# ---------------------------------------------------------------------------------------------
def scene_to_npz(result: PoseResult) -> dict[str, np.ndarray]:
    """The scene arrays of poses3d.npz (absent parts write nothing)."""
    arrays: dict[str, np.ndarray] = {}
    if result.root_translation_mm is not None:
        arrays["root_translation_mm"] = np.asarray(result.root_translation_mm)
    if result.camera is not None:
        camera = result.camera
        arrays |= {"camera_R": camera.R, "camera_t_mm": camera.t_mm, "camera_f_px": camera.f_px,
                   "camera_c_px": camera.c_px, "camera_size": np.array([camera.width,
                                                                         camera.height])}
    world = result.world
    if world is not None:
        arrays |= {
            "world_frame": np.array(world.frame), "world_joints_mm": np.asarray(world.joints_mm),
            "world_camera_height_mm": np.array(world.camera_height_mm),
            "world_pitch_deg": np.array(world.pitch_deg),
            "world_roll_deg": np.array(world.roll_deg), "world_metric": np.array(world.metric),
            "world_warnings": np.array(world.warnings, dtype=str),
        }
        if world.contacts is not None:
            arrays |= {
                "contact_joints": np.array(world.contacts.joints, dtype=np.int64),
                "contact_names": np.array(world.contacts.names),
                "contact_in_contact": np.asarray(world.contacts.in_contact),
                "contact_probability": np.asarray(world.contacts.probability),
            }
    return arrays


def scene_from_npz(arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """`PoseResult` keyword arguments (root_translation_mm, camera, world) from npz arrays."""
    fields: dict[str, Any] = {"root_translation_mm": arrays.get("root_translation_mm")}
    if "camera_R" in arrays:
        width, height = (int(v) for v in arrays["camera_size"])
        fields["camera"] = Camera(
            R=arrays["camera_R"], t_mm=arrays["camera_t_mm"], f_px=arrays["camera_f_px"],
            c_px=arrays["camera_c_px"], k=np.zeros(3), p=np.zeros(2), width=width,
            height=height)
    if "world_frame" in arrays:
        contacts = None
        if "contact_joints" in arrays:
            contacts = FootContacts(
                joints=tuple(int(j) for j in arrays["contact_joints"]),
                names=tuple(str(n) for n in arrays["contact_names"]),
                in_contact=arrays["contact_in_contact"],
                probability=arrays["contact_probability"])
        fields["world"] = WorldPose(
            frame=str(arrays["world_frame"]), joints_mm=arrays["world_joints_mm"],
            contacts=contacts, camera_height_mm=float(arrays["world_camera_height_mm"]),
            pitch_deg=float(arrays["world_pitch_deg"]), roll_deg=float(arrays["world_roll_deg"]),
            metric=bool(arrays["world_metric"]),
            warnings=tuple(str(w) for w in arrays["world_warnings"]))
    return fields


#: The optional scene arrays `scene_from_npz` reads.
NPZ_SCENE_ARRAYS = (
    "root_translation_mm", "camera_R", "camera_t_mm", "camera_f_px", "camera_c_px",
    "camera_size", "world_frame", "world_joints_mm", "world_camera_height_mm", "world_pitch_deg",
    "world_roll_deg", "world_metric", "world_warnings", "contact_joints", "contact_names",
    "contact_in_contact", "contact_probability",
)


# ---------------------------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------------------------
def scene_csv_columns(result: PoseResult) -> tuple[list[str], np.ndarray, list[str]]:
    """Extra CSV columns (names, (T, C) values, printf formats): root_x/_y/_z (mm, camera
    frame), then <Joint>_wx/_wy/_wz (mm, world frame) and <contact>_contact / _contact_p."""
    names: list[str] = []
    blocks: list[np.ndarray] = []
    formats: list[str] = []
    count = result.num_frames
    if result.root_translation_mm is not None:
        names += ["root_x", "root_y", "root_z"]
        blocks.append(np.asarray(result.root_translation_mm, float))
        formats += ["%.3f"] * 3
    world = result.world
    if world is not None:
        names += [f"{name}_w{axis}" for name in result.joint_names for axis in "xyz"]
        blocks.append(np.asarray(world.joints_mm, float).reshape(count, -1))
        formats += ["%.3f"] * 48
        if world.contacts is not None:
            for c, name in enumerate(world.contacts.names):
                names += [f"{name}_contact", f"{name}_contact_p"]
                blocks.append(np.stack([world.contacts.in_contact[:, c],
                                        world.contacts.probability[:, c]], axis=1).astype(float))
                formats += ["%d", "%.4f"]
    values = np.concatenate(blocks, axis=1) if blocks else np.zeros((count, 0))
    return names, values, formats
