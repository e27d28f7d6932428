"""Training configuration: one YAML file per stage -> nested dataclasses.

`load_config(path, overrides)` reads the YAML, applies `--set section.key=value` overrides and
converts every value to its field's type (so `lr: 1e-4`, which PyYAML reads as a string, and
`--set optim.steps=200` both arrive as numbers). Unknown keys and unconvertible values raise
`PoseInputError` with one sentence. The `options:` section stays a plain mapping here: this
module knows no task; each task types and checks its own options with `build_section` (see
`posemachines.training.task`).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import yaml

from posemachines.errors import PoseInputError


@dataclass
class ModelSection:
    """Which network to build: a `posemachines.models.get_config` name plus field overrides."""

    name: str = "lite"
    overrides: dict[str, Any] = field(default_factory=dict)
    #: A checkpoint (e.g. the previous stage's best.pt) whose weights start this stage.
    init_from: str | None = None


@dataclass
class DataSection:
    """Where the data lives; `train`/`val` name subjects (npz layouts) or annotation files."""

    root: str | None = None
    train: list[str] = field(default_factory=list)
    val: list[str] = field(default_factory=list)
    #: Frames per training clip (1 = single frames) and the step between clip starts.
    clip_length: int = 1
    clip_stride: int = 1
    num_workers: int = 0
    #: Cap on validation samples (0 = all of them).
    val_max_samples: int = 0


@dataclass
class OptimSection:
    """Adam(W) with a step, cosine or one-cycle decay from `lr` to `lr_final`; exactly one of
    steps/epochs > 0."""

    #: "adam" (weight_decay added to the gradient) or "adamw" (decoupled weight decay).
    optimizer: str = "adam"
    lr: float = 1e-4
    lr_final: float = 1e-5
    #: "step" (lr until decay_at * total steps, then lr_final), "cosine", "constant" or
    #: "onecycle" (torch's OneCycleLR: a cosine rise from lr / 25 to lr over the first
    #: `warmup` share of the steps, then a cosine fall to lr_final).
    schedule: str = "step"
    decay_at: float = 0.5
    warmup: float = 0.1
    weight_decay: float = 0.0
    #: Largest gradient norm (0 = no clipping).
    clip_norm: float = 5.0
    #: Samples per process and step (a DDP step sees batch_size * world_size samples).
    batch_size: int = 64
    steps: int = 0
    epochs: int = 0
    #: Mixed precision (float16 autocast + grad scaling); only takes effect on CUDA.
    amp: bool = True


@dataclass
class LossSection:
    """Weights of the loss terms in `posemachines.training.losses` (0 switches a term off)."""

    #: "mse" (squared joint distance) or "l1" (sum of absolute coordinate errors).
    pose3d_kind: str = "mse"
    #: 3D errors are divided by this many mm before the loss (1000: metres).
    scale_mm: float = 1000.0
    pose3d: float = 1.0
    intermediate3d: float = 1.0
    projection2d: float = 1.0
    bone2d: float = 0.1
    belief: float = 1.0


@dataclass
class CheckpointSection:
    """Run folder: last.pt (resume state), best.pt, log.csv, config.yaml, summary.json."""

    dir: str = "runs/default"
    every_n_steps: int = 500
    #: Validation metric that picks best.pt ("" = the task's default) and its direction.
    best_metric: str = ""
    best_mode: str = "min"
    #: Every rank also writes weights_rank{R}.pt at the end (to check DDP replicas agree).
    save_rank_weights: bool = False


@dataclass
class LogSection:
    every_n_steps: int = 10
    #: Validate every N steps (0 = at the end of every epoch) and always at the end.
    val_every_n_steps: int = 0
    progress: bool = True
    #: Also write TensorBoard events when `torch.utils.tensorboard` imports.
    tensorboard: bool = True


@dataclass
class TrainConfig:
    """Everything one `posemachines train` run needs."""

    task: str
    seed: int = 0
    #: "auto" (CUDA when available), "cpu", "cuda" or "cuda:N".
    device: str = "auto"
    #: torch CPU threads per process (0 = leave torch's default).
    num_threads: int = 0
    model: ModelSection = field(default_factory=ModelSection)
    data: DataSection = field(default_factory=DataSection)
    optim: OptimSection = field(default_factory=OptimSection)
    loss: LossSection = field(default_factory=LossSection)
    checkpoint: CheckpointSection = field(default_factory=CheckpointSection)
    log: LogSection = field(default_factory=LogSection)
    #: The task's own settings, as written; the task parses them into its `Options` dataclass.
    options: dict[str, Any] = field(default_factory=dict)


def load_config(path: str | Path, overrides: list[str] | None = None) -> TrainConfig:
    """Read a stage YAML (and the `base:` it names, if any: `read_raw_config`), apply
    `key.path=value` overrides, return a validated TrainConfig."""
    raw = read_raw_config(Path(path))
    for item in overrides or []:
        apply_override(raw, item)
    return config_from_dict(raw)


def read_raw_config(path: Path, chain: tuple[Path, ...] = ()) -> dict[str, Any]:
    """The YAML mapping of `path`; a top-level `base: other.yaml` (relative to this file) is
    read first and this file's keys are merged over it, section by section (so a later stage
    of a recipe states only what it changes)."""
    if path.resolve() in chain:
        raise PoseInputError(f"Config file {path} names itself as a base, through "
                             f"{' -> '.join(p.name for p in chain)}.")
    try:
        raw = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise PoseInputError(f"Config file {path} does not exist.") from None
    except yaml.YAMLError as error:
        raise PoseInputError(f"Config file {path} is not valid YAML ({error}).") from None
    if not isinstance(raw, dict):
        raise PoseInputError(f"Config file {path} must hold a mapping of sections.")
    base = raw.pop("base", None)
    if base is None:
        return raw
    return _merged(read_raw_config(path.parent / str(base), (*chain, path.resolve())), raw)


def _merged(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        out[key] = (_merged(out[key], value) if isinstance(value, dict)
                    and isinstance(out.get(key), dict) else value)
    return out


def config_from_dict(raw: dict[str, Any]) -> TrainConfig:
    """Build a TrainConfig from plain data (YAML or `config_to_dict` output)."""
    if "task" not in raw:
        raise PoseInputError("Config has no 'task' key; name one of the registered tasks.")
    config = build_section(TrainConfig, raw, "")
    _validate(config)
    return config


def config_to_dict(config: TrainConfig) -> dict[str, Any]:
    """Plain nested dict of a config (YAML/checkpoint friendly)."""
    return dataclasses.asdict(config)


def apply_override(raw: dict[str, Any], item: str) -> None:
    """Set `a.b.c=value` inside the raw config dict; the value is read as a YAML scalar."""
    key, sep, value = item.partition("=")
    if not sep or not key.strip():
        raise PoseInputError(f"Override '{item}' must look like section.key=value.")
    parts = key.strip().split(".")
    node = raw
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if child is None:
            child = node[part] = {}
        if not isinstance(child, dict):
            raise PoseInputError(f"Override '{item}': '{part}' is not a section.")
        node = child
    node[parts[-1]] = parse_scalar(value.strip())


def parse_scalar(text: str) -> Any:
    """YAML scalar/flow value, with '3e-4' style numbers read as floats (YAML 1.1 would not)."""
    try:
        value = yaml.safe_load(text) if text else ""
    except yaml.YAMLError:
        return text
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def build_section(cls: type, raw: Any, prefix: str) -> Any:
    """Dataclass `cls` from a mapping, each value converted to its field's type; `prefix`
    ("options.") names the section in errors. Raises PoseInputError with one sentence."""
    if not isinstance(raw, dict):
        raise PoseInputError(f"Config section '{prefix.rstrip('.') or 'root'}' must be a mapping.")
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    for key in raw:
        if key not in names:
            known = ", ".join(names) or "none"
            raise PoseInputError(f"Unknown config key '{prefix}{key}' (known here: {known}).")
    values = {key: _coerce(value, hints[key], f"{prefix}{key}") for key, value in raw.items()}
    try:
        return cls(**values)
    except TypeError as error:
        section = prefix.rstrip(".") or "root"
        raise PoseInputError(f"Config section '{section}' is incomplete ({error}).") from None


def _coerce(value: Any, tp: Any, key: str) -> Any:  # noqa: C901 - one branch per supported type
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if tp is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        empty = value is None or (isinstance(value, str) and value.lower() in {"none", "null", ""})
        if empty and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _coerce(value, inner[0], key)
    if dataclasses.is_dataclass(tp):
        return build_section(cast(type, tp), value if value is not None else {}, f"{key}.")
    if origin in (list, tuple):
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if value is None:
            value = []
        if not isinstance(value, list | tuple):
            value = [value]
        items = [_coerce(v, args[0] if args else Any, key) for v in value]
        return items if origin is list else tuple(items)
    if origin is dict:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise PoseInputError(f"Config key '{key}' expects a mapping, got {value!r}.")
        return dict(value)
    if tp is bool:
        return _to_bool(value, key)
    if tp in (int, float, str):
        return _to_plain(value, tp, key)
    return value


def _to_bool(value: Any, key: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"true", "yes", "on", "1"}:
        return True
    if text in {"false", "no", "off", "0"}:
        return False
    raise PoseInputError(f"Config key '{key}' expects true or false, got {value!r}.")


def _to_plain(value: Any, tp: type, key: str) -> Any:
    if tp is str:
        if isinstance(value, dict | list):
            raise PoseInputError(f"Config key '{key}' expects text, got {value!r}.")
        return str(value)
    if isinstance(value, bool):
        raise PoseInputError(f"Config key '{key}' expects a number, got {value!r}.")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise PoseInputError(f"Config key '{key}' expects a number, got {value!r}.") from None
    if tp is int:
        if not number.is_integer():
            raise PoseInputError(f"Config key '{key}' expects a whole number, got {value!r}.")
        return int(number)
    return number


def _validate(config: TrainConfig) -> None:
    optim = config.optim
    if (optim.steps > 0) == (optim.epochs > 0):
        raise PoseInputError("Set exactly one of optim.steps and optim.epochs to a positive value.")
    if optim.schedule not in {"step", "cosine", "constant", "onecycle"}:
        raise PoseInputError(
            f"optim.schedule must be step, cosine, constant or onecycle, got '{optim.schedule}'."
        )
    if optim.optimizer not in {"adam", "adamw"}:
        raise PoseInputError(f"optim.optimizer must be adam or adamw, got '{optim.optimizer}'.")
    if not 0.0 < optim.warmup < 1.0:
        raise PoseInputError(f"optim.warmup must lie between 0 and 1, got {optim.warmup}.")
    if optim.batch_size < 1 or optim.lr <= 0:
        raise PoseInputError("optim.batch_size and optim.lr must be positive.")
    if config.loss.pose3d_kind not in {"mse", "l1"}:
        kind = config.loss.pose3d_kind
        raise PoseInputError(f"loss.pose3d_kind must be mse or l1, got '{kind}'.")
    if config.checkpoint.best_mode not in {"min", "max"}:
        raise PoseInputError("checkpoint.best_mode must be min or max.")
    if config.checkpoint.every_n_steps < 1 or config.log.every_n_steps < 1:
        raise PoseInputError("checkpoint.every_n_steps and log.every_n_steps must be at least 1.")
