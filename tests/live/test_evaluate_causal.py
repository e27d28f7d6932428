"""`evaluate --causal`: the five rows from offline to live on a tiny mocap npz, consistent with
`evaluate`'s own streaming row."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from posemachines.data.mocap import MocapClip, MocapCollection
from posemachines.errors import PoseInputError
from posemachines.evaluation.causal import OFFLINE, VARIANTS
from posemachines.evaluation.options import EvaluationOptions
from posemachines.evaluation.runner import evaluate
from posemachines.skeleton import to_joints16
from tests.data.synthetic import synthetic_h36m32_world_mm


@pytest.fixture(scope="module")
def held_out_npz(tmp_path_factory) -> Path:
    """Two Bandai Namco takes (synthetic people, world Y up): 006 is held out, 007 trains."""
    clips = []
    for number, frames in enumerate((24, 17)):
        joints = to_joints16(synthetic_h36m32_world_mm(frames, np.random.default_rng(number)),
                             "h36m32")[0]
        y_up = np.stack([joints[..., 0], joints[..., 2], -joints[..., 1]], axis=-1)
        clips.append(MocapClip(f"bandai-namco-2/walk/00{6 + number}", "bandai-namco-2",
                               y_up.astype(np.float32), 30.0, "walk", "", f"00{6 + number}"))
    path = tmp_path_factory.mktemp("mocap") / "mocap16.npz"
    MocapCollection.from_clips(clips, 30.0).save(path)
    return path



def test_causal_table_has_every_step_and_matches_the_streaming_row(held_out_npz, tiny_lifter):
    options = EvaluationOptions(causal=True, cameras_per_take=2, progress=False)
    report = evaluate(tiny_lifter, "mocap-heldout", held_out_npz, options)
    table = report.table
    assert table.rows == tuple(f"{inputs}, {variant}" for inputs in ("clean 2D", "noisy 2D")
                               for variant in VARIANTS)
    assert set(table.frame_counts.values()) == {2 * 24}  # take 006, two cameras
    for inputs in ("clean 2D", "noisy 2D"):
        assert table.values[f"{inputs}, {OFFLINE}"]["MPJPE vs offline (%)"] == 0.0
    plain = evaluate(tiny_lifter, "mocap-heldout", held_out_npz,
                     EvaluationOptions(cameras_per_take=2, progress=False)).table
    for inputs in ("clean 2D", "noisy 2D"):
        streaming = plain.values[f"{inputs}, whole take (streaming)"]
        causal = table.values[f"{inputs}, causal: streaming, no correction"]
        assert causal["MPJPE (mm)"] == pytest.approx(streaming["MPJPE (mm)"], rel=1e-6)
        assert causal["PA-MPJPE (mm)"] == pytest.approx(streaming["PA-MPJPE (mm)"], rel=1e-6)


def test_causal_needs_a_mocap_protocol(held_out_npz, tiny_lifter, tmp_path):
    with pytest.raises(PoseInputError, match="--causal runs on the mocap protocols"):
        evaluate(tiny_lifter, "h36m-1", tmp_path, EvaluationOptions(causal=True))
