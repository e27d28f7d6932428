"""Run a pose-only lifter over encoded sequences: whole clips (streaming), windows or frames.

Whole clips match `posemachines.inference.Estimator.lift`: one forward pass over the sequence,
the LSTM state carried from frame to frame. Windows of `window` frames start each window from
a zero LSTM state (window=1: every frame alone, the LSTM reset every frame).

Two test-time augmentations average the lift with a second one: the flip test lifts the 2D
mirrored about the principal point (and mirrors the result back); time reversal lifts the clip
played backwards (and reverses the result), so that every frame is also seen with the frames
after it, which a forward LSTM never sees. Time reversal needs the whole clip: offline only.
`correct_lift` then runs a test-time correction over one lifted clip, as `infer` does.
"""

from __future__ import annotations

import numpy as np
import torch

from posemachines.correction.clips import LiftedClip
from posemachines.correction.correctors import create_corrector
from posemachines.data.lifter_input import (
    encode_lifter_input,
    mirror_detections,
    roll_back,
    roll_upright,
)
from posemachines.errors import PoseModelError
from posemachines.models.pose_machine import PoseMachine
from posemachines.skeleton import flip_horizontal

#: Frames per forward pass when many windows are batched (bounds memory, not results).
MAX_BATCH_FRAMES = 32768


def check_pose_lifter(model: object, source: str) -> PoseMachine:
    """`model` if it is a pose-only PoseMachine, else PoseModelError naming `source`."""
    if not isinstance(model, PoseMachine) or model.config.input_path != "pose":
        raise PoseModelError(f"{source} is not a pose-only lifter checkpoint (2D keypoints in).")
    return model


def encode_for(
    model: PoseMachine, xy_px: np.ndarray, confidence: np.ndarray, f_px: np.ndarray,
    c_px: np.ndarray,
) -> tuple[np.ndarray, np.ndarray | None]:
    """`encode_lifter_input`, with visibility_root None when the model does not take it."""
    keypoints, visibility_root = encode_lifter_input(xy_px, confidence, f_px, c_px)
    return keypoints, (visibility_root if model.config.visibility_root_dim else None)


@torch.no_grad()
def _forward(
    model: PoseMachine, keypoints: np.ndarray, visibility_root: np.ndarray | None,
    device: torch.device,
) -> np.ndarray:
    """(N, T, 16, 2) -> (N, T, 16, 3) mm, in slices of at most MAX_BATCH_FRAMES frames."""
    per_pass = max(1, MAX_BATCH_FRAMES // max(1, keypoints.shape[1]))
    outputs = []
    for start in range(0, keypoints.shape[0], per_pass):
        inputs = torch.from_numpy(np.ascontiguousarray(keypoints[start:start + per_pass]))
        features = None if visibility_root is None else torch.from_numpy(
            np.ascontiguousarray(visibility_root[start:start + per_pass])).to(device)
        output = model(inputs.to(device), visibility_root=features)
        outputs.append(output.pose3d_mm.float().cpu().numpy())
    return np.concatenate(outputs)


def lift_sequences(
    model: PoseMachine,
    keypoints: np.ndarray,
    visibility_root: np.ndarray | None,
    window: int | None = None,
    device: str | torch.device = "cpu",
    time_reversal: bool = False,
) -> np.ndarray:
    """Lifter output (B, T, 16, 3) mm, camera frame, for B encoded sequences of T frames.

    keypoints (B, T, 16, 2) and visibility_root (B, T, E) from `encode_for`. window None: each
    sequence is one clip (streaming state); window k: consecutive windows of k frames (the last
    may be shorter), each from a zero state. time_reversal: the mean of that and the lift of the
    sequences played backwards, reversed back (module doc).
    """
    device = torch.device(device)
    model.eval()
    forward = _lift_forward(model, keypoints, visibility_root, window, device)
    if not time_reversal:
        return forward
    backward = _lift_forward(
        model, keypoints[:, ::-1].copy(),
        None if visibility_root is None else visibility_root[:, ::-1].copy(), window, device)
    return 0.5 * (forward + backward[:, ::-1])


def _lift_forward(model: PoseMachine, keypoints: np.ndarray, visibility_root: np.ndarray | None,
                  window: int | None, device: torch.device) -> np.ndarray:
    """`lift_sequences` without time reversal."""
    batch, frames = keypoints.shape[:2]
    if window is None or window >= frames:
        return _forward(model, keypoints, visibility_root, device)
    if window < 1:
        raise PoseModelError(f"The window must be at least 1 frame, got {window}.")
    full = frames // window * window
    pieces = []
    if full:
        def windows(array: np.ndarray) -> np.ndarray:
            return array[:, :full].reshape(batch * (full // window), window, *array.shape[2:])

        lifted = _forward(model, windows(keypoints),
                          None if visibility_root is None else windows(visibility_root), device)
        pieces.append(lifted.reshape(batch, full, *lifted.shape[2:]))
    if full < frames:
        rest = None if visibility_root is None else visibility_root[:, full:]
        pieces.append(_forward(model, keypoints[:, full:], rest, device))
    return np.concatenate(pieces, axis=1)


def lift_detections(
    model: PoseMachine, xy_px: np.ndarray, confidence: np.ndarray, f_px: np.ndarray,
    c_px: np.ndarray, window: int | None = None, device: str | torch.device = "cpu",
    flip_test: bool = False, time_reversal: bool = False,
) -> np.ndarray:
    """`encode_for` then `lift_sequences` for (B, T, 16, 2) px detections, f_px and c_px (B, 2);
    flip_test: the mean of that and the lift of the mirrored detections, mirrored back
    (`posemachines.data.lifter_input.mirror_detections`); time_reversal: every lift also
    averaged with that of the clip played backwards (module doc). A lifter with
    `upright_roll` lifts each frame rolled upright and its output is rolled back
    (`posemachines.data.lifter_input`). (B, T, 16, 3) mm, camera frame."""
    xy_px, roll = roll_upright(xy_px, confidence, c_px, model.config.upright_roll)
    encoded = encode_for(model, xy_px, confidence, f_px, c_px)
    pred = lift_sequences(model, *encoded, window, device, time_reversal)
    if flip_test:
        mirrored = encode_for(model, *mirror_detections(xy_px, confidence, c_px), f_px, c_px)
        pred = 0.5 * (pred + flip_horizontal(lift_sequences(model, *mirrored, window, device,
                                                            time_reversal)))
    return roll_back(pred, roll)


def correct_lift(
    model: PoseMachine, pose3d_mm: np.ndarray, xy_px: np.ndarray, confidence: np.ndarray,
    f_px: np.ndarray, c_px: np.ndarray, image_size: tuple[int, int], fps: float, method: str,
) -> np.ndarray:
    """One clip's lift (T, 16, 3) mm, camera frame, from (T, 16, 2) px detections and their
    (T, 16) confidence, after the test-time correction `method` (`create_corrector`), given
    the focal length (2,) px and principal point (2,) px the lifter was given, the image
    (width, height) px and the clip's fps. (T, 16, 3) mm float64, root-relative."""
    keypoints, visibility_root = encode_lifter_input(xy_px, confidence, f_px, c_px)
    clip = LiftedClip(
        pose3d_mm=pose3d_mm, lifter_keypoints=keypoints, visibility_root=visibility_root,
        keypoints_px=xy_px, confidence=confidence, image_size=image_size,
        focal_px=float(np.mean(f_px)), fps=fps,
    )
    return np.asarray(create_corrector(method, model)(clip).pose3d_mm, dtype=np.float64)
