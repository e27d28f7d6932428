"""ClipDataset: clip counts, contents at known indices, end padding, 2D-only sequences."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from posemachines.data.clips import ClipDataset
from posemachines.errors import PoseDataError
from posemachines.skeleton import to_joints16
from tests.data.synthetic import synthetic_h36m32_world_mm


def _sequence(frames: int, with_3d: bool = True, seed: int = 0) -> dict[str, np.ndarray]:
    """pose2d whose frame f has every coordinate offset by f, so clips can be read back."""
    rng = np.random.default_rng(seed)
    pose2d = rng.uniform(0, 1000, (1, 16, 2)) + np.arange(frames)[:, None, None]
    sequence = {"pose2d": pose2d, "confidence": rng.uniform(0.1, 1, (frames, 16))}
    if with_3d:
        sequence["pose3d"] = to_joints16(synthetic_h36m32_world_mm(frames, rng), "h36m32")[0]
    return sequence


def test_lengths_without_padding() -> None:
    dataset = ClipDataset([_sequence(10), _sequence(4), _sequence(7)], clip_length=5, stride=2)
    # starts: 10 frames -> 0, 2, 4; 4 frames -> none; 7 frames -> 0, 2
    assert len(dataset) == 5
    assert [(int(x["sequence"]), int(x["start"])) for x in dataset] == [
        (0, 0), (0, 2), (0, 4), (2, 0), (2, 2)
    ]


def test_contents_at_known_index() -> None:
    sequences = [_sequence(10, seed=1), _sequence(12, seed=2)]
    dataset = ClipDataset(sequences, clip_length=4, stride=3)
    item = dataset[4]  # sequence 1 (starts 0, 3, 6 then 0, 3, 6): second clip of sequence 1
    assert int(item["sequence"]) == 1 and int(item["start"]) == 3
    assert item["pose2d"].shape == (4, 16, 2) and item["pose2d"].dtype == torch.float32
    assert item["pose3d"].shape == (4, 16, 3) and item["confidence"].shape == (4, 16)
    np.testing.assert_allclose(item["pose2d"].numpy(), sequences[1]["pose2d"][3:7], rtol=1e-6)
    np.testing.assert_allclose(item["pose3d"].numpy(), sequences[1]["pose3d"][3:7], rtol=1e-6)
    np.testing.assert_allclose(item["confidence"].numpy(), sequences[1]["confidence"][3:7],
                               rtol=1e-6)
    assert bool(item["has_3d"]) and bool(item["valid"].all())


def test_edge_padding_covers_the_end() -> None:
    sequence = _sequence(7)
    dataset = ClipDataset([sequence], clip_length=4, stride=2, pad="edge")
    assert [int(x["start"]) for x in dataset] == [0, 2, 4]
    last = dataset[2]
    assert last["valid"].tolist() == [True, True, True, False]
    np.testing.assert_allclose(last["pose2d"][:3].numpy(), sequence["pose2d"][4:7], rtol=1e-6)
    np.testing.assert_allclose(last["pose2d"][3].numpy(), sequence["pose2d"][6], rtol=1e-6)


def test_edge_padding_short_sequence_and_big_stride() -> None:
    dataset = ClipDataset([_sequence(2), _sequence(10)], clip_length=5, stride=6, pad="edge")
    # 2 frames -> one padded clip; 10 frames -> starts 0 and 6 (never past the end)
    assert [(int(x["sequence"]), int(x["start"])) for x in dataset] == [(0, 0), (1, 0), (1, 6)]
    assert dataset[0]["valid"].tolist() == [True, True, False, False, False]
    assert dataset[2]["valid"].tolist() == [True, True, True, True, False]


def test_two_d_only_sequences() -> None:
    dataset = ClipDataset([_sequence(6), _sequence(6, with_3d=False), np.ones((6, 16, 2))],
                          clip_length=6)
    assert [bool(x["has_3d"]) for x in dataset] == [True, False, False]
    assert torch.all(dataset[1]["pose3d"] == 0)
    assert torch.all(dataset[2]["confidence"] == 1)


def test_batches_through_a_dataloader() -> None:
    dataset = ClipDataset([_sequence(9), _sequence(9, with_3d=False)], clip_length=3, stride=3)
    batch = next(iter(DataLoader(dataset, batch_size=6)))
    assert batch["pose2d"].shape == (6, 3, 16, 2)
    assert batch["has_3d"].tolist() == [True, True, True, False, False, False]


def test_errors() -> None:
    with pytest.raises(PoseDataError, match="No clip of 20 frames"):
        ClipDataset([_sequence(5)], clip_length=20)
    with pytest.raises(PoseDataError, match="expected 16 joints, got 17"):
        ClipDataset([np.zeros((5, 17, 2))], clip_length=2)
    bad = _sequence(5)
    bad["pose3d"] = bad["pose3d"] / 1000.0
    with pytest.raises(PoseDataError, match="looks like metres"):
        ClipDataset([bad], clip_length=2)
    short = _sequence(5)
    short["pose3d"] = short["pose3d"][:4]
    with pytest.raises(PoseDataError, match="pose2d has 5 frames"):
        ClipDataset([short], clip_length=2)
    with pytest.raises(PoseDataError, match="confidence must be finite"):
        ClipDataset([{"pose2d": np.zeros((5, 16, 2)), "confidence": np.ones((5, 15))}], 2)
    with pytest.raises(PoseDataError, match="pad must be"):
        ClipDataset([_sequence(5)], clip_length=2, pad="zeros")  # type: ignore[arg-type]
    with pytest.raises(PoseDataError, match="must be positive"):
        ClipDataset([_sequence(5)], clip_length=0)
