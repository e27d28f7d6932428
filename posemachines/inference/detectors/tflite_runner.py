"""Run one .tflite model with ai-edge-litert; outputs are looked up by shape, not by name."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from posemachines.errors import PoseModelError


@contextmanager
def _quiet_native_stderr() -> Iterator[None]:
    """Hide the runtime's C++ banner ("INFO: Created TensorFlow Lite XNNPACK delegate ...")
    written straight to file descriptor 2, so the CLI's stderr holds only our own lines."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class TfliteModel:
    """A loaded TFLite model with one float32 input."""

    def __init__(self, path: Path, num_threads: int = 2) -> None:
        from ai_edge_litert.interpreter import Interpreter

        path = Path(path)
        if not path.is_file():
            raise PoseModelError(f"Model file not found: {path}.")
        try:
            with _quiet_native_stderr():
                self._interpreter = Interpreter(model_path=str(path), num_threads=num_threads)
                self._interpreter.allocate_tensors()
        except (ValueError, RuntimeError) as error:
            raise PoseModelError(f"Model file {path} is not a valid TFLite model.") from error
        (self._input,) = self._interpreter.get_input_details()
        self.path = path
        self.input_shape: tuple[int, ...] = tuple(int(d) for d in self._input["shape"])
        self._outputs = {
            tuple(int(d) for d in detail["shape"]): detail["index"]
            for detail in self._interpreter.get_output_details()
        }
        self.output_shapes: tuple[tuple[int, ...], ...] = tuple(self._outputs)

    def output_index(self, shape: tuple[int, ...]) -> int:
        """Tensor index of the output with this shape; PoseModelError if the model lacks it."""
        if shape not in self._outputs:
            raise PoseModelError(
                f"Model {self.path.name} has no output of shape {shape} "
                f"(it has {sorted(self._outputs)})."
            )
        return self._outputs[shape]

    def run(self, batch: np.ndarray, output_indices: list[int]) -> list[np.ndarray]:
        """Run on a float32 batch of `input_shape`; returns copies of the requested outputs."""
        self._interpreter.set_tensor(self._input["index"], batch.astype(np.float32, copy=False))
        self._interpreter.invoke()
        return [self._interpreter.get_tensor(index) for index in output_indices]
