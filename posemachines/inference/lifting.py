"""2D detections to the lifter's 3D with the test-time passes, several clips in one batch.

Every clip, its mirror image (flip test) and both played backwards (time reversal) go through
the lifter as one batch padded at the end to the longest: the LSTM is causal, so padding after
a clip leaves its output as it would be alone (to float rounding, ~1e-3 mm), and one batched
pass costs far less than four per clip (the LSTM steps through time once). A bidirectional
lifter sees the whole padded clip, so it is run clip by clip. What each pass costs and gains:
docs/generalisation.md.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from posemachines.correction.clips import LiftedClip
from posemachines.correction.focal import estimate_focal_px
from posemachines.data.lifter_input import (
    encode_lifter_input,
    mirror_detections,
    roll_back,
    roll_upright,
)
from posemachines.models.lifters import Lifter
from posemachines.skeleton import flip_horizontal

#: One lifter input: normalised keypoints (T, 16, 2) and visibility_root features (T, E).
LifterPass = tuple[np.ndarray, np.ndarray]
#: One lifter output: final and intermediate 3D, (T, 16, 3) mm each.
LifterPoses = tuple[np.ndarray, np.ndarray]


def lift_clips(
    lifter: Lifter, clips: Sequence[tuple[np.ndarray, np.ndarray]],
    image_size: tuple[int, int], focal_px: float | None = None, fps: float | None = None, *,
    flip_test: bool = True, time_reversal: bool = True,
) -> list[LiftedClip]:
    """Uncorrected lifts of `clips`, each detections xy_px (T_i, 16, 2) px with confidence
    (T_i, 16), seen by one camera: image_size (width, height) px; focal_px the camera's focal
    length if known (else the default guess from the image size); fps passed on to the
    correction. flip_test: average with the lift of the mirrored detections; time_reversal:
    with the lift of the clip played backwards (offline only). A lifter with `upright_roll`
    lifts each frame rolled upright; its outputs are rolled back (`data.lifter_input`)."""
    focal = estimate_focal_px(image_size, focal_px=focal_px)
    centre = np.array([image_size[0] / 2.0, image_size[1] / 2.0])
    f_px = np.array([focal, focal])
    rolled = lifter.config.upright_roll
    upright = [roll_upright(xy, conf, centre, rolled) for xy, conf in clips]
    seen = [(xy, conf) for (xy, _), (_, conf) in zip(upright, clips, strict=True)]
    passes = [encode_lifter_input(xy, conf, f_px, centre) for xy, conf in seen]
    # What a correction that projects the (rolled back) lift compares it with.
    inputs = ([encode_lifter_input(xy, conf, f_px, centre) for xy, conf in clips] if rolled
              else passes[:len(clips)])
    if flip_test:
        passes += [encode_lifter_input(*mirror_detections(xy, conf, centre), f_px, centre)
                   for xy, conf in seen]
    if time_reversal:
        # copy(), not ascontiguousarray: a one-frame view keeps its negative stride there.
        passes += [(keypoints[::-1].copy(), visibility[::-1].copy())
                   for keypoints, visibility in passes]
    outputs = forward_padded(lifter, passes)
    if time_reversal:
        half = len(outputs) // 2
        outputs = [(0.5 * (ahead[0] + back[0][::-1]), 0.5 * (ahead[1] + back[1][::-1]))
                   for ahead, back in zip(outputs[:half], outputs[half:], strict=True)]
    if flip_test:
        count = len(clips)
        outputs = [(0.5 * (plain[0] + flip_horizontal(mirrored[0])),
                    0.5 * (plain[1] + flip_horizontal(mirrored[1])))
                   for plain, mirrored in zip(outputs[:count], outputs[count:], strict=True)]
    return [LiftedClip(pose3d_mm=roll_back(pose3d, roll),
                       intermediate3d_mm=roll_back(intermediate3d, roll),
                       lifter_keypoints=keypoints, visibility_root=visibility,
                       keypoints_px=xy, confidence=conf, image_size=image_size,
                       focal_px=focal_px, fps=fps)
            for (xy, conf), (_, roll), (pose3d, intermediate3d), (keypoints, visibility)
            in zip(clips, upright, outputs, inputs, strict=True)]


def forward_padded(lifter: Lifter, passes: Sequence[LifterPass]) -> list[LifterPoses]:
    """Lifter inputs (T_i, 16, 2) + (T_i, E) -> final and intermediate 3D (T_i, 16, 3) mm
    each, in one batch padded at the end (pass by pass for a bidirectional lifter)."""
    groups = [[one] for one in passes] if lifter.config.bidirectional else [list(passes)]
    outputs: list[LifterPoses] = []
    for group in groups:
        longest = max(len(keypoints) for keypoints, _ in group)
        keypoints = np.zeros((len(group), longest, 16, 2), dtype=np.float32)
        visibility = np.zeros((len(group), longest, group[0][1].shape[-1]), dtype=np.float32)
        for row, (points, seen) in enumerate(group):
            keypoints[row, :len(points)], visibility[row, :len(seen)] = points, seen
        output = lifter(keypoints, visibility_root=visibility
                        if lifter.config.visibility_root_dim else None)
        outputs += [(output.pose3d_mm[row, :len(points)],
                     output.intermediate3d_mm[row, :len(points)])
                    for row, (points, _) in enumerate(group)]
    return outputs
