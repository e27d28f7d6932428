"""Named network configurations: `paper`, `paper-pose`, `lite` and `lite-image`.

A config fixes every layer size of a `PoseMachine`. `input_path` picks the front end:
"image" runs the CPM 2D sub-network on frames and feeds its 128-channel pose-aware features to
the 2D-to-3D transformer; "pose" feeds already normalised 2D keypoints (from an external
detector) to the same transformer. The network predicts root-relative 3D in normalised units;
`output_scale_mm` turns them into millimetres.

Layer sizes of `paper` follow Wang et al. (TPAMI 2020) and the CPM Caffe prototxt
(`pose_deploy_resize.prototxt` of Wei et al.'s convolutional-pose-machines-release, as reused in
the authors' 3Dpose_ssl repository). `DECLARED_COMPLEXITY` lists each config's parameter count
and multiply-accumulates per frame; tests recount them from the built network.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from posemachines.errors import PoseModelError
from posemachines.skeleton import NUM_JOINTS

INPUT_PATHS = ("image", "pose")
#: The CPM trunk downsamples by three 2x2 max-pools.
CPM_STRIDE = 8
#: Smallest input whose features survive the transformer's two stride-2 convs and its pool.
MIN_IMAGE_SIZE = 5 * CPM_STRIDE


#: Accepted Python types for each annotation used in PoseMachineConfig (ints count as floats).
_FIELD_TYPES: dict[str, type | tuple[type, ...]] = {
    "str": str,
    "int": int,
    "float": (int, float),
    "bool": bool,
    "tuple[int, int, int, int]": tuple,
}


@dataclass(frozen=True)
class PoseMachineConfig:
    """Every size of the network; see the module docstring for the two input paths."""

    name: str
    input_path: str
    num_joints: int = NUM_JOINTS
    #: Extra per-frame features appended to the transformer's input (0: none).
    visibility_root_dim: int = 0
    #: Pose path: each frame's 2D is rolled until the torso points up the image before it goes
    #: in, and the output rolled back (`posemachines.data.lifter_input.torso_roll_rad`).
    upright_roll: bool = False
    # --- CPM 2D sub-network (image path only) ---
    image_size: int = 368
    #: Output channels of VGG-19 conv1_x, conv2_x, conv3_x and conv4_1/conv4_2.
    vgg_widths: tuple[int, int, int, int] = (64, 128, 256, 512)
    #: conv4_3_CPM ... conv4_6_CPM channels, then conv4_7_CPM (the pose-aware features).
    cpm_trunk_width: int = 256
    cpm_feature_width: int = 128
    #: conv5_1_CPM (stage 1, 1x1) and Mconv1..6 (stages 2+, 7x7 then 1x1) channels.
    cpm_stage1_width: int = 512
    cpm_stage_width: int = 128
    cpm_stages: int = 6
    #: 2D coordinates from belief maps: False = argmax cell centre, True = sub-pixel soft-argmax.
    soft_argmax: bool = False
    # --- 2D-to-3D pose transformer ---
    #: Channels of the two 5x5 stride-2 convolutions over the CPM features.
    adapter_channels: int = 128
    embed_dim: int = 1024
    lstm_hidden: int = 1024
    lstm_layers: int = 2
    #: As in the authors' released code: every second LSTM layer runs over the time-reversed
    #: clip. Needs the whole clip, so it cannot stream frame by frame.
    bidirectional: bool = False
    # --- 3D-to-2D projector ---
    refiner_hidden: int = 1024
    projector_hidden: int = 1024
    #: Psi_C predicts a correction added to its input (starts as the identity); the released
    #: code regressed the pose directly.
    refiner_residual: bool = True
    dropout: float = 0.25
    #: Normalised network output x output_scale_mm = millimetres.
    output_scale_mm: float = 1000.0

    def __post_init__(self) -> None:
        self._check_types()
        if self.input_path not in INPUT_PATHS:
            raise PoseModelError(
                f"Config '{self.name}': input_path must be one of {INPUT_PATHS}, "
                f"got '{self.input_path}'."
            )
        if self.image_size % CPM_STRIDE or self.image_size < MIN_IMAGE_SIZE:
            raise PoseModelError(
                f"Config '{self.name}': image_size must be a multiple of {CPM_STRIDE} "
                f"and at least {MIN_IMAGE_SIZE}, got {self.image_size}."
            )
        if len(self.vgg_widths) != 4:
            raise PoseModelError(f"Config '{self.name}': vgg_widths needs 4 entries.")
        positive = ("num_joints", "cpm_stages", "lstm_layers", "embed_dim", "lstm_hidden")
        for field_name in positive:
            if getattr(self, field_name) < 1:
                raise PoseModelError(f"Config '{self.name}': {field_name} must be at least 1.")
        if not 0.0 <= self.dropout < 1.0:
            raise PoseModelError(f"Config '{self.name}': dropout must be in [0, 1).")

    def _check_types(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            wanted = _FIELD_TYPES[str(field.type)]
            ok = isinstance(value, wanted) and not (wanted is not bool and isinstance(value, bool))
            if str(field.type).startswith("tuple"):
                ok = ok and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
            if not ok:
                raise PoseModelError(
                    f"Config '{self.name}': {field.name} must be {field.type}, "
                    f"got {type(value).__name__} {value!r}."
                )

    @property
    def belief_size(self) -> int:
        """Side of the belief maps and features in cells: image_size / 8 (46 for 368 px)."""
        return self.image_size // CPM_STRIDE

    @property
    def num_beliefs(self) -> int:
        """Belief maps per stage: one per joint plus the background."""
        return self.num_joints + 1

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (tuples become lists) for checkpoints and JSON."""
        values = dataclasses.asdict(self)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}


@dataclass(frozen=True)
class ModelComplexity:
    """Parameters and multiply-accumulates for one frame (batch 1, streaming)."""

    num_parameters: int
    macs_per_frame: int


_PAPER = PoseMachineConfig(name="paper", input_path="image")

CONFIGS: dict[str, PoseMachineConfig] = {
    "paper": _PAPER,
    "paper-pose": dataclasses.replace(_PAPER, name="paper-pose", input_path="pose"),
    # CPU default beside an external 2D detector: 16 visibility flags + 2 root image coordinates.
    "lite": PoseMachineConfig(
        name="lite",
        input_path="pose",
        visibility_root_dim=18,
        image_size=256,
        vgg_widths=(32, 64, 128, 256),
        cpm_trunk_width=128,
        cpm_feature_width=64,
        cpm_stage1_width=256,
        cpm_stage_width=64,
        cpm_stages=3,
        adapter_channels=64,
        embed_dim=256,
        lstm_hidden=256,
        refiner_hidden=512,
        projector_hidden=512,
    ),
}
#: The image-path variant of `lite` (narrower trunk, 256 px input); the CPM replaces the
#: external detector, so there are no detector visibility/root features.
CONFIGS["lite-image"] = dataclasses.replace(
    CONFIGS["lite"], name="lite-image", input_path="image", visibility_root_dim=0
)

#: The image-path ("full") counterpart of each config, for `export-onnx --full`.
FULL_MODEL: dict[str, str] = {
    "paper": "paper",
    "paper-pose": "paper",
    "lite": "lite-image",
    "lite-image": "lite-image",
}

#: Counted by `posemachines.models.complexity` (MACs of convolutions, matrix products and LSTM
#: gates; element-wise ops excluded) and checked by tests/models/test_configs.py.
DECLARED_COMPLEXITY: dict[str, ModelComplexity] = {
    "paper": ModelComplexity(num_parameters=54_549_158, macs_per_frame=88_790_400_000),
    "paper-pose": ModelComplexity(num_parameters=19_158_144, macs_per_frame=19_136_512),
    "lite": ModelComplexity(num_parameters=1_694_592, macs_per_frame=1_688_064),
    "lite-image": ModelComplexity(num_parameters=6_573_715, macs_per_frame=7_647_891_456),
}


def get_config(name: str, overrides: Mapping[str, Any] | None = None) -> PoseMachineConfig:
    """The named config, with `overrides` (field -> value) applied."""
    if name not in CONFIGS:
        raise PoseModelError(f"Unknown model config '{name}'; known: {', '.join(CONFIGS)}.")
    config = CONFIGS[name]
    return config_from_dict({**config.to_dict(), **dict(overrides or {})}) if overrides else config


#: Old config field name -> new one (checkpoints written before the rename store the old).
RENAMED_FIELDS = {"extra_input_dim": "visibility_root_dim"}


def config_from_dict(values: Mapping[str, Any]) -> PoseMachineConfig:
    """Rebuild a config from `to_dict` output (e.g. a checkpoint); unknown keys are an error.
    Field names of older checkpoints (`RENAMED_FIELDS`) are read under their new names."""
    values = {RENAMED_FIELDS.get(key, key): value for key, value in values.items()}
    fields = {f.name for f in dataclasses.fields(PoseMachineConfig)}
    unknown = sorted(set(values) - fields)
    if unknown:
        raise PoseModelError(f"Unknown model config field(s): {', '.join(unknown)}.")
    try:
        kwargs: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v
                                  for k, v in values.items()}
        return PoseMachineConfig(**kwargs)
    except TypeError as error:
        raise PoseModelError(f"Incomplete model config: {error}.") from None
