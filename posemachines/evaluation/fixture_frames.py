"""Real lab frames for the cross-dataset protocol: Human3.6M and MPI-INF-3DHP fixture samples.

The shared fixtures (`<shared>/data/fixtures`, see its README) hold a few real frames of each
lab dataset with real 2D keypoints (px) and real 3D joints (camera frame, absolute, m). Each
frame is lifted on its own (T = 1) from its annotated 2D, joints flagged invisible getting
confidence 0, and scored against its 3D: MPJPE (root-aligned), PA-MPJPE, mean absolute
bone-length error (mm) and mean relative bone-length error (%).

The lifter's input needs the camera's focal length and principal point. They are fitted to the
frame's own 2D/3D pairs (u = fx X/Z + cx, v = fy Y/Z + cy, linear least squares over the visible
joints), so the fixture npz alone suffices; on Human3.6M this agrees with the published
calibration to 1.1 % (tested), the residual being its lens distortion.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from posemachines.data.mmpose_fixture import (
    MmposeSamples,
    load_mmpose_3dhp_fixture,
    load_mmpose_h36m_fixture,
)
from posemachines.errors import PoseDataError
from posemachines.evaluation.lifting import lift_detections
from posemachines.evaluation.metrics import bone_length_error, mpjpe, pa_mpjpe
from posemachines.models.pose_machine import PoseMachine

#: Environment variable naming the shared data folder (the one holding `fixtures/`).
SHARED_DATA_ENV = "POSEMACHINES_SHARED_DATA"
#: Row label -> (loader, npz files under the fixtures folder).
FIXTURE_SETS: dict[str, tuple[Callable[[Path], MmposeSamples], tuple[str, ...]]] = {
    "real Human3.6M frames, annotated 2D": (
        load_mmpose_h36m_fixture, ("h36m/test_h36m_body3d.npz",)),
    "real MPI-INF-3DHP frames, annotated 2D": (
        load_mmpose_3dhp_fixture,
        ("mpi_inf_3dhp/test_3dhp_test.npz", "mpi_inf_3dhp/test_3dhp_train.npz")),
}
COLUMNS = ("MPJPE (mm)", "PA-MPJPE (mm)", "Bone length error (mm)", "Bone length error (%)")


def default_fixtures_dir() -> Path:
    """`$POSEMACHINES_SHARED_DATA/fixtures`, else ../shared/data/fixtures from the working
    directory (the layout of a checkout beside the shared data)."""
    root = os.environ.get(SHARED_DATA_ENV)
    return (Path(root) if root else Path("..") / "shared" / "data") / "fixtures"


def fit_pinhole(
    joints3d_mm: np.ndarray, joints2d_px: np.ndarray, visible: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Focal length and principal point (2,) px that best project (16, 3) mm camera-frame joints
    onto (16, 2) px, over the visible joints (least squares per axis)."""
    use = np.asarray(visible, bool) & (joints3d_mm[:, 2] > 0)
    if use.sum() < 3:
        raise PoseDataError("A fixture frame has fewer than 3 visible joints in front of the "
                            "camera; its intrinsics cannot be fitted.")
    ratio = joints3d_mm[use, :2] / joints3d_mm[use, 2:3]
    f_px, c_px = np.empty(2), np.empty(2)
    for axis in range(2):
        design = np.stack([ratio[:, axis], np.ones(len(ratio))], axis=-1)
        (f_px[axis], c_px[axis]), *_ = np.linalg.lstsq(design, joints2d_px[use, axis],
                                                       rcond=None)
    return f_px, c_px


@dataclass(frozen=True)
class FixtureScores:
    """One fixture set's mean scores (`COLUMNS` -> value), frame count and per-frame MPJPE
    (mm) by image name."""

    values: dict[str, float]
    frames: int
    per_frame_mpjpe: dict[str, float]


def load_fixture_set(fixtures: Path, files: tuple[str, ...],
                     loader: Callable[[Path], MmposeSamples]) -> MmposeSamples:
    """Concatenate the samples of `files` under `fixtures`."""
    parts = [loader(fixtures / name) for name in files]
    return MmposeSamples(
        np.concatenate([p.joints3d_mm for p in parts]),
        np.concatenate([p.joints2d_px for p in parts]),
        np.concatenate([p.visibility for p in parts]),
        tuple(name for p in parts for name in p.image_names),
    )


def score_samples(model: PoseMachine, samples: MmposeSamples, device: str = "cpu",
                  flip_test: bool = False) -> FixtureScores:
    """Lift every sample from its annotated 2D (T = 1) and score it (module doc); flip_test:
    average with the lift of the mirrored 2D (`lifting.lift_detections`)."""
    fits = [fit_pinhole(xyz, xy, vis) for xyz, xy, vis in
            zip(samples.joints3d_mm, samples.joints2d_px, samples.visibility, strict=True)]
    f_px = np.stack([f for f, _ in fits])
    c_px = np.stack([c for _, c in fits])
    xy = samples.joints2d_px[:, None].astype(np.float64)  # (N, 1, 16, 2): N clips of 1 frame
    confidence = samples.visibility[:, None].astype(np.float32)
    pred = lift_detections(model, xy, confidence, f_px, c_px, 1, device, flip_test)[:, 0]
    pred = pred.astype(np.float64)
    gt = samples.joints3d_mm - samples.joints3d_mm[:, :1]
    pred = pred - pred[:, :1]
    errors = np.asarray(mpjpe(pred, gt, root_align=True, reduction="none"))
    values = dict(zip(COLUMNS, (
        float(errors.mean()),
        float(np.mean(pa_mpjpe(pred, gt, reduction="none"))),
        float(np.mean(bone_length_error(pred, gt, relative=False, reduction="none"))),
        100.0 * float(np.mean(bone_length_error(pred, gt, relative=True, reduction="none"))),
    ), strict=True))
    return FixtureScores(values, len(gt), dict(zip(samples.image_names,
                                                   errors.tolist(), strict=True)))


def score_fixture_frames(model: PoseMachine, fixtures: Path, device: str = "cpu",
                         flip_test: bool = False) -> dict[str, FixtureScores]:
    """Row label -> scores for every set of `FIXTURE_SETS` under `fixtures`."""
    missing = [name for _, files in FIXTURE_SETS.values() for name in files
               if not (fixtures / name).is_file()]
    if missing:
        raise PoseDataError(f"The fixtures folder {fixtures} lacks {', '.join(missing)}.")
    return {label: score_samples(model, load_fixture_set(fixtures, files, loader), device,
                                 flip_test)
            for label, (loader, files) in FIXTURE_SETS.items()}
