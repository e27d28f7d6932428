"""`evaluate --causal`: the live (causal) pipeline against the offline one on a mocap protocol.

Every test take is seen as `evaluate_mocap` sees it (the same virtual cameras, the same clean
and detector-like noisy 2D, the same seeds) and lifted five ways, each row one step between
the offline pipeline `infer` runs and the causal one `live` runs, so that the table tells what
each causal choice costs:
- offline: time reversal + whole-take geometric correction (infer's default);
- offline: time reversal, no correction;
- offline: whole-take geometric correction, no time reversal;
- causal: streaming lifter (state carried frame to frame), no correction;
- causal: streaming lifter + causal geometric correction (`correction.causal`; live's default).
The flip test (same frame, so causal) follows `--flip-test` in every row. The corrections are
given the camera's true focal length and the take's frame rate, as `evaluate` gives them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from tqdm import tqdm

from posemachines.correction.causal import CausalGeometricCorrector
from posemachines.correction.geometric import correct_geometric
from posemachines.data.mocap import MocapClip, load_mocap_npz
from posemachines.data.virtual_cameras import VirtualCameraConfig
from posemachines.errors import PoseDataError, PoseInputError
from posemachines.evaluation.lifting import lift_detections
from posemachines.evaluation.metrics import bone_length_error, mpjpe, pa_mpjpe
from posemachines.evaluation.mocap_protocols import CAMERA_SHIFT, select_takes, take_inputs
from posemachines.evaluation.options import EvaluationOptions
from posemachines.evaluation.protocols import MocapProtocol
from posemachines.evaluation.summary import EvaluationReport, MetricTable
from posemachines.models.pose_machine import PoseMachine

OFFLINE = "offline: time reversal + geometric (infer)"
VARIANTS = (OFFLINE, "offline: time reversal, no correction",
            "offline: geometric, no time reversal", "causal: streaming, no correction",
            "causal: streaming + causal geometric (live)")
COLUMNS = ("MPJPE (mm)", "PA-MPJPE (mm)", "Bone length error (%)", "MPJPE vs offline (%)")


def _causal_correction(pose: np.ndarray, xy: np.ndarray, confidence: np.ndarray,
                       image_size: tuple[int, int], focal_px: float, fps: float) -> np.ndarray:
    """(T, 16, 3) mm: `CausalGeometricCorrector` fed the take frame by frame."""
    corrector = CausalGeometricCorrector(image_size, focal_px=focal_px, fps=fps)
    return np.stack([corrector.update(p, k, c, index / fps).pose3d_mm
                     for index, (p, k, c) in enumerate(zip(pose, xy, confidence, strict=True))])


def variant_poses(model: PoseMachine, xy: np.ndarray, confidence: np.ndarray, f_px: np.ndarray,
                  c_px: np.ndarray, fps: float, options: EvaluationOptions
                  ) -> dict[str, np.ndarray]:
    """Each variant's poses (n, T, 16, 3) mm for n views: xy (n, T, 16, 2) px, confidence
    (n, T, 16), f_px and c_px (n, 2) px."""
    def lift(time_reversal: bool) -> np.ndarray:
        return lift_detections(model, xy, confidence, f_px, c_px, None, options.device,
                               options.flip_test, time_reversal).astype(np.float64)

    def corrected(poses: np.ndarray, causal: bool) -> np.ndarray:
        out = []
        for view, pose in enumerate(poses):
            size = (int(round(2 * c_px[view, 0])), int(round(2 * c_px[view, 1])))
            focal = float(np.mean(f_px[view]))
            if causal:
                out.append(_causal_correction(pose, xy[view], confidence[view], size, focal, fps))
            else:
                out.append(correct_geometric(pose, xy[view], confidence[view], image_size=size,
                                             focal_px=focal, fps=fps).pose3d_mm)
        return np.stack(out).astype(np.float64)

    reversed_lift, forward_lift = lift(True), lift(False)
    return dict(zip(VARIANTS, (corrected(reversed_lift, False), reversed_lift,
                               corrected(forward_lift, False), forward_lift,
                               corrected(forward_lift, True)), strict=True))


def evaluate_causal(model: PoseMachine, protocol: MocapProtocol, data: Path,
                    options: EvaluationOptions) -> EvaluationReport:
    """The table of the module doc on the npz of `posemachines data mocap`."""
    if data.is_dir() or options.input_source != "gt" or options.correction != "none":
        raise PoseInputError(f"--causal on {protocol.name} reads the mocap npz and makes its "
                             "own 2D and corrections: give the npz, leave --input and "
                             "--correction at their defaults.")
    if options.cameras_per_take < 1:
        raise PoseInputError("--cameras-per-take must be at least 1.")
    takes = select_takes(load_mocap_npz(data).clips, protocol)
    if not takes:
        raise PoseDataError(f"{data} holds no test takes of protocol {protocol.name}.")
    config = CAMERA_SHIFT if options.camera_shift else VirtualCameraConfig()
    sums: dict[str, np.ndarray] = {}
    frames: dict[str, int] = {}
    for number, take in enumerate(tqdm(takes, desc=f"{protocol.name} causal", unit="take",
                                       disable=not options.progress)):
        for row, (pred, gt) in _take_rows(model, take, number, config, options).items():
            errors = np.array([
                float(np.sum(mpjpe(pred, gt, root_align=True, reduction="none"))),
                float(np.sum(pa_mpjpe(pred, gt, reduction="none"))),
                100.0 * float(np.sum(np.mean(np.asarray(bone_length_error(
                    pred, gt, relative=True, reduction="none")), axis=-1)))])
            sums[row] = sums.get(row, 0.0) + errors
            frames[row] = frames.get(row, 0) + int(np.prod(pred.shape[:2]))
    values: dict[str, dict[str, float]] = {}
    for row in sums:
        mean = sums[row] / frames[row]
        offline = sums[f"{row.split(', ')[0]}, {OFFLINE}"][0] / frames[row]
        values[row] = dict(zip(COLUMNS, [*mean.tolist(), 100.0 * (mean[0] / offline - 1.0)],
                               strict=True))
    table = MetricTable(tuple(sums), COLUMNS, values, frames)
    total = sum(take.num_frames for take in takes)
    return EvaluationReport(protocol.name, f"{protocol.title}: causal (live) against offline", (
        f"{len(takes)} takes, {total} frames, each seen by {options.cameras_per_take} "
        f"virtual cameras (seed {options.seed}), as `evaluate --protocol {protocol.name}`.",
        "Offline rows see the whole take; causal rows see each frame's past only (the "
        "streaming LSTM, the correction on a sliding window with the skeleton refitted as "
        "frames arrive). Flip test: " + ("on." if options.flip_test else "off."),
        "MPJPE root-aligned, PA-MPJPE after Procrustes with scale, bone-length error over 15 "
        "bones; 'vs offline': MPJPE against the first row of the same 2D input.",
    ), table)


def _take_rows(model: PoseMachine, take: MocapClip, number: int, config: VirtualCameraConfig,
               options: EvaluationOptions) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """row -> (prediction, ground truth) (n, F, 16, 3) mm over the scored frames of a take."""
    views, chosen, inputs = take_inputs(take, number, config, options)
    gt = views.pose3d_mm[:, chosen]
    rows = {}
    for input_label, (xy, confidence) in inputs.items():
        poses = variant_poses(model, xy, confidence, views.f_px, views.c_px, take.fps, options)
        for variant, pose in poses.items():
            rows[f"{input_label}, {variant}"] = (pose[:, chosen], gt)
    return rows
