"""Trainer state on disk: atomic writes, RNG capture/restore, resume.

A trainer state file (`last.pt`) holds: the model weights ("model"), optimiser, scheduler and
grad-scaler states, the RNG states of every rank (python, numpy, torch, CUDA), the number of
finished steps and the data position it implies (epoch, batch within it: the batch order is a
pure function of seed, epoch and rank, see `distributed.EpochBatches`), the best
validation value so far and the run's config. Every file is written to a temporary name and
moved into place with `os.replace`, so a kill mid-write leaves the previous file intact.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from posemachines.errors import PoseModelError

STATE_FORMAT = "posemachines-trainer-state/1"


@dataclass
class TrainerState:
    """What a resumed run needs besides the module/optimiser objects themselves."""

    step: int = 0
    #: With `step` this fixes the data position: epoch = step // it, batch = step % it.
    batches_per_epoch: int = 0
    best_value: float | None = None
    best_step: int = -1
    #: One entry per rank, from `capture_rng_state`.
    rng: list[dict[str, Any]] = field(default_factory=list)


def atomic_save(obj: Any, path: str | Path) -> None:
    """torch.save to a temporary file in the same folder, fsync, then os.replace."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as handle:
            torch.save(obj, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def save_trainer_state(
    path: str | Path,
    *,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: Any,
    scaler: Any,
    state: TrainerState,
    config: dict[str, Any],
) -> None:
    """Write everything a `--resume` needs to `path` atomically."""
    atomic_save(
        {
            "format": STATE_FORMAT,
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "scaler": scaler.state_dict(),
            "step": state.step,
            "batches_per_epoch": state.batches_per_epoch,
            "epoch": state.step // max(state.batches_per_epoch, 1),
            "batch_in_epoch": state.step % max(state.batches_per_epoch, 1),
            "best_value": state.best_value,
            "best_step": state.best_step,
            "rng": state.rng,
            "config": config,
        },
        path,
    )


def load_trainer_state(
    path: str | Path,
    *,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: Any,
    scaler: Any,
) -> TrainerState:
    """Restore modules/optimiser in place from `path`; return the counters and RNG states."""
    data = _read(path)
    if data.get("format") != STATE_FORMAT:
        raise PoseModelError(f"{path} is not a posemachines trainer state (cannot resume from it).")
    try:
        model.load_state_dict(data["model"])
        optimizer.load_state_dict(data["optimizer"])
    except (RuntimeError, ValueError, KeyError) as error:
        first = str(error).strip().splitlines()[0]
        raise PoseModelError(
            f"{path} does not match this run's model or optimiser: {first}"
        ) from None
    scheduler.load_state_dict(data["scheduler"])
    scaler.load_state_dict(data["scaler"])
    return TrainerState(
        step=int(data["step"]),
        batches_per_epoch=int(data["batches_per_epoch"]),
        best_value=data["best_value"],
        best_step=int(data["best_step"]),
        rng=list(data["rng"]),
    )


def load_model_weights(path: str | Path) -> dict[str, torch.Tensor]:
    """The model state dict inside a trainer state or a `posemachines.models` checkpoint."""
    data = _read(path)
    for key in ("model", "state_dict", "model_state"):
        if isinstance(data.get(key), dict):
            return data[key]
    if data and all(isinstance(v, torch.Tensor) for v in data.values()):
        return data
    raise PoseModelError(f"{path} holds no model weights.")


def capture_rng_state() -> dict[str, Any]:
    """This process's python, numpy, torch and CUDA RNG states (tensors and plain numbers)."""
    state = np.random.get_state()  # legacy=True (the default): always the 5-tuple
    assert isinstance(state, tuple)
    kind, keys, pos, has_gauss, gauss = state
    return {
        "python": random.getstate(),
        "numpy": {
            "kind": kind,
            "keys": torch.from_numpy(keys.astype(np.int64)),
            "pos": int(pos),
            "has_gauss": int(has_gauss),
            "gauss": float(gauss),
        },
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
    }


def restore_rng_state(state: dict[str, Any]) -> None:
    """Inverse of `capture_rng_state`."""
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    np_state = state["numpy"]
    np.random.set_state(
        (
            np_state["kind"],
            np_state["keys"].numpy().astype(np.uint32),
            np_state["pos"],
            np_state["has_gauss"],
            np_state["gauss"],
        )
    )
    torch.set_rng_state(state["torch"])
    if state["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def seed_everything(seed: int) -> None:
    """Seed python, numpy and torch (all devices)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


class PreservedRng:
    """Context manager: code inside may draw random numbers without changing the outer stream."""

    def __enter__(self) -> PreservedRng:
        self._state = capture_rng_state()
        return self

    def __exit__(self, *exc: object) -> None:
        restore_rng_state(self._state)


def _read(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise PoseModelError(f"Checkpoint {path} does not exist.")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001 - torch raises many types for truncated files
        name = type(error).__name__
        raise PoseModelError(f"Checkpoint {path} cannot be read ({name}).") from None
    if not isinstance(data, dict):
        raise PoseModelError(f"Checkpoint {path} does not hold a dictionary.")
    return data
