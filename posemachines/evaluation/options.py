"""`EvaluationOptions`: how a protocol is run (2D source, correction, stride, cameras, aids)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class EvaluationOptions:
    """input_source: 2D source ('gt' or a data_2d_<dataset>_<source>.npz name); correction:
    one of `CORRECTION_METHODS`; stride: score every stride-th frame (None = the protocol's); the
    mocap protocols' camera_shift / cameras_per_take / seed; fixtures: the folder of real lab
    frames for cross-mocap (None = `default_fixtures_dir()`, skipped when absent); flip_test /
    time_reversal: average every lift with that of the mirrored 2D / of the clip played
    backwards (`lifting.lift_detections`); causal: on a mocap protocol, score the live (causal)
    pipeline against the offline one instead (`evaluation.causal`); weights_label for the
    report."""

    input_source: str = "gt"
    correction: str = "none"
    stride: int | None = None
    camera_shift: bool = False
    cameras_per_take: int = 4
    seed: int = 0
    fixtures: Path | None = None
    flip_test: bool = False
    time_reversal: bool = False
    causal: bool = False
    device: str = "cpu"
    progress: bool = True
    weights_label: str | None = None
