"""Save and load a `PoseMachine` with its config, joint names and extra metadata.

A checkpoint is a dict of plain types only (tensors, dicts, lists, str, numbers), read back
with `torch.load(..., weights_only=True)`:
  format, version, config (PoseMachineConfig.to_dict()), joint_names, state_dict (weights and
  buffers such as output_scale_mm), extra (caller's metadata, e.g. normalisation statistics).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from posemachines.errors import PoseModelError
from posemachines.models.checkpoint_reader import (
    CHECKPOINT_FORMAT,
    CHECKPOINT_VERSION,
    check_payload,
)
from posemachines.models.configs import config_from_dict
from posemachines.models.pose_machine import PoseMachine
from posemachines.skeleton import JOINTS16_NAMES

__all__ = ["CHECKPOINT_FORMAT", "CHECKPOINT_VERSION", "load_checkpoint", "save_checkpoint"]


def save_checkpoint(
    path: str | Path, model: PoseMachine, *, extra: dict[str, Any] | None = None
) -> Path:
    """Write `model` (weights on CPU) and `extra` to `path`; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "format": CHECKPOINT_FORMAT,
        "version": CHECKPOINT_VERSION,
        "config": model.config.to_dict(),
        "joint_names": list(JOINTS16_NAMES),
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "extra": dict(extra or {}),
    }
    torch.save(payload, path)
    return path


def load_checkpoint(
    path: str | Path, map_location: str | torch.device = "cpu"
) -> tuple[PoseMachine, dict[str, Any]]:
    """Read a checkpoint: the model (eval mode) and its `extra` dict."""
    path = Path(path)
    if not path.is_file():
        raise PoseModelError(f"Checkpoint {path} does not exist.")
    try:
        payload = torch.load(path, map_location=map_location, weights_only=True)
    except Exception:  # torch.load fails with many types (EOFError, KeyError, zip errors...)
        raise PoseModelError(f"Checkpoint {path} is truncated or not a torch file.") from None
    payload = check_payload(path, payload)
    config = config_from_dict(payload["config"])
    model = PoseMachine(config)
    try:
        model.load_state_dict(payload["state_dict"])
    except RuntimeError as error:
        first = str(error).splitlines()[1].strip() if "\n" in str(error) else str(error)
        raise PoseModelError(
            f"Checkpoint {path} does not match its config '{config.name}': {first}"
        ) from None
    return model.to(map_location).eval(), payload.get("extra", {})
