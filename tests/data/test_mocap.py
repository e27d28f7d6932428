"""Mocap clips: names, resampling, tree conversion to npz, the CLI, and error cases."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from posemachines.cli import main
from posemachines.data.mocap import (
    MANIFEST_NAME,
    MocapClip,
    clip_labels,
    convert_mocap_tree,
    find_bvh_files,
    load_mocap_clip,
    load_mocap_npz,
    parse_clip_name,
    resample,
)
from posemachines.errors import PoseDataError

BANDAI_FILES = ("mocap/bandai-namco-1/data/dataset-1_bow_active_001.bvh",
                "mocap/bandai-namco-2/data/dataset-2_walk-turn-left_normal_002.bvh")
LAFAN_FILE = "mocap/lafan1/push1_subject2.bvh"
#: CMU takes whose stems collide (01), a walk, and a take with a flipped head (skipped).
CMU_FILES = ("acrnn_dance/salsa/10.bvh", "acrnn_dance/indian/06.bvh", "02/02_01.bvh",
             "acrnn_dance/salsa/06.bvh")


@pytest.fixture()
def small_tree(shared_data: Path, tmp_path: Path) -> Path:
    """Three real BVH files copied into root/<dataset>/..."""
    root = tmp_path / "mocap"
    for relative in (*BANDAI_FILES, LAFAN_FILE):
        target = root / Path(relative).relative_to("mocap")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(shared_data / relative, target)
    return root


@pytest.mark.parametrize(
    ("stem", "skeleton", "expected"),
    [
        ("dataset-1_bow_active_001", "bandai-namco", ("bandai-namco-1", "bow", "active", "001")),
        ("dataset-1_walk-back_not-confident_002", "bandai-namco",
         ("bandai-namco-1", "walk-back", "not-confident", "002")),
        ("dataset-2_raise-up-both-hands_elderly_006", "bandai-namco",
         ("bandai-namco-2", "raise-up-both-hands", "elderly", "006")),
        ("fallAndGetUp1_subject1", "lafan1", ("lafan1", "fallAndGetUp", "", "1_subject1")),
        ("pushAndFall1_subject1", "lafan1", ("lafan1", "pushAndFall", "", "1_subject1")),
    ],
)
def test_clip_names_give_source_content_style_and_take(
    stem: str, skeleton: str, expected: tuple[str, str, str, str]
) -> None:
    assert parse_clip_name(stem, skeleton) == expected


@pytest.mark.parametrize(
    ("take", "description", "content"),
    [
        ("01/01_01", "playground - forward jumps, turn around", "playground"),
        ("02/02_03", "run/jog", "run-jog"),
        ("13/13_01", "sit on high stool, stand up", "sit-on-high-stool"),
        ("_max_skeleton/131_01", "Start Walk Stop", "start-walk-stop"),
        ("acrnn_dance/salsa/01", "acRNN salsa dance (CMU, renamed)", "salsa-dance"),
        ("indian/04", "", "indian-dance"),
        ("somewhere/02_01", "", ""),
    ],
)
def test_cmu_names_give_a_short_content_and_the_path_as_take(
    take: str, description: str, content: str
) -> None:
    assert parse_clip_name(take, "cmu", description) == ("cmu", content, "", take)


@pytest.mark.parametrize(("stem", "dataset"), [("walk_normal", "bandai-namco"),
                                               ("subject1", "lafan1"), ("01/walk", "cmu")])
def test_unexpected_clip_names_are_rejected(stem: str, dataset: str) -> None:
    with pytest.raises(PoseDataError, match="is not named"):
        parse_clip_name(stem, dataset)
    with pytest.raises(PoseDataError, match="Unknown mocap dataset"):
        parse_clip_name(stem, "h36m")


def test_cmu_labels_come_from_the_manifest_where_present(shared_data: Path, tmp_path: Path):
    cmu = shared_data / "mocap" / "cmu"
    assert clip_labels(cmu / "acrnn_dance" / "salsa" / "01.bvh", "cmu") == (
        "cmu", "salsa-dance", "", "acrnn_dance/salsa/01")
    assert clip_labels(cmu / "01" / "01_01.bvh", "cmu") == ("cmu", "playground", "", "01/01_01")
    # Elsewhere, without a manifest: named by folder and stem, content unknown.
    lone = tmp_path / "walks" / "02_01.bvh"
    lone.parent.mkdir()
    shutil.copy(cmu / "02" / "02_01.bvh", lone)
    clip = load_mocap_clip(lone)
    assert (clip.name, clip.source, clip.content, clip.take) == ("walks/02_01", "cmu", "",
                                                                 "walks/02_01")
    # The Daz rig's opening T-pose is dropped: no jump from the first frame to the next.
    assert clip.num_frames == 85
    relative = clip.joints_mm - clip.joints_mm[:, :1]
    assert np.linalg.norm(relative[1] - relative[0], axis=-1).max() < 100


def test_resample_interpolates_positions_linearly() -> None:
    positions = np.arange(7, dtype=float)[:, None, None] * np.ones((1, 2, 3))  # 0..6 at 30 fps
    at_20 = resample(positions, 30.0, 20.0)  # times 0, 1/20, ... 0.2 s = source frames 0, 1.5...
    np.testing.assert_allclose(at_20[:, 0, 0], [0.0, 1.5, 3.0, 4.5, 6.0])
    np.testing.assert_allclose(resample(positions, 30.0, 15.0)[:, 1, 2], [0, 2, 4, 6])
    assert resample(positions, 30.0003, 30.0) is positions  # same rate: frames kept as they are
    with pytest.raises(PoseDataError, match="positive"):
        resample(positions, 30.0, 0.0)


def test_load_mocap_clip_labels_units_and_rate(shared_data: Path) -> None:
    clip = load_mocap_clip(shared_data / BANDAI_FILES[0])
    assert isinstance(clip, MocapClip)
    assert (clip.name, clip.source, clip.content, clip.style, clip.take) == (
        "dataset-1_bow_active_001", "bandai-namco-1", "bow", "active", "001")
    assert clip.joints_mm.dtype == np.float32 and clip.joints_mm.shape[1:] == (16, 3)
    assert clip.fps == 30.0
    half_rate = load_mocap_clip(shared_data / BANDAI_FILES[0], fps=15.0)
    assert half_rate.num_frames == (clip.num_frames - 1) // 2 + 1
    np.testing.assert_allclose(half_rate.joints_mm[1], clip.joints_mm[2], atol=1e-3)


def test_find_bvh_files_is_recursive_and_sorted(small_tree: Path) -> None:
    found = find_bvh_files(small_tree)
    assert [p.name for p in found] == ["dataset-1_bow_active_001.bvh",
                                       "dataset-2_walk-turn-left_normal_002.bvh",
                                       "push1_subject2.bvh"]


def test_convert_mocap_tree_writes_the_documented_npz(small_tree: Path, tmp_path: Path) -> None:
    out = tmp_path / "out" / "mocap16.npz"
    summary = convert_mocap_tree(small_tree, out, fps=30.0, progress=False)

    with np.load(out) as data:
        assert {"positions", "offsets", "names", "sources", "contents", "styles", "fps"} <= set(
            data.files)
        positions, offsets = data["positions"], data["offsets"]
        assert positions.dtype == np.float32 and positions.shape == (summary.num_frames, 16, 3)
        assert offsets.dtype == np.int64 and offsets.tolist()[0] == 0
        assert offsets[-1] == len(positions) and len(offsets) == 4
        assert data["names"].tolist() == [
            "bandai-namco-1/data/dataset-1_bow_active_001",
            "bandai-namco-2/data/dataset-2_walk-turn-left_normal_002",
            "lafan1/push1_subject2",
        ]
        assert data["sources"].tolist() == ["bandai-namco-1", "bandai-namco-2", "lafan1"]
        assert data["contents"].tolist() == ["bow", "walk-turn-left", "push"]
        assert data["styles"].tolist() == ["active", "normal", ""]
        assert float(data["fps"]) == 30.0
    assert summary.num_files == 3
    assert summary.hours == pytest.approx(summary.num_frames / 30.0 / 3600.0)

    collection = load_mocap_npz(out)
    assert collection.num_frames == summary.num_frames and len(collection) == 3
    lafan = collection.clips[2]
    direct = load_mocap_clip(small_tree / "lafan1" / "push1_subject2.bvh")
    assert (lafan.source, lafan.content, lafan.take) == ("lafan1", "push", "1_subject2")
    np.testing.assert_array_equal(lafan.joints_mm, direct.joints_mm)


@pytest.fixture()
def tree_with_cmu(small_tree: Path, shared_data: Path) -> Path:
    """small_tree plus four CMU files and the CMU manifest under root/cmu/."""
    cmu = shared_data / "mocap" / "cmu"
    for relative in (*CMU_FILES, MANIFEST_NAME):
        target = small_tree / "cmu" / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(cmu / relative, target)
    return small_tree


def test_convert_labels_cmu_per_clip_and_skips_defective_takes(
    tree_with_cmu: Path, tmp_path: Path
) -> None:
    summary = convert_mocap_tree(tree_with_cmu, tmp_path / "all.npz", progress=False)
    assert list(summary.skipped) == ["cmu/acrnn_dance/salsa/06"]
    assert "head is folded" in summary.skipped["cmu/acrnn_dance/salsa/06"]
    collection = load_mocap_npz(tmp_path / "all.npz")
    cmu = [clip for clip in collection.clips if clip.source == "cmu"]
    assert [(c.name, c.content, c.take) for c in cmu] == [
        ("cmu/02/02_01", "walk", "02/02_01"),
        ("cmu/acrnn_dance/indian/06", "indian-dance", "acrnn_dance/indian/06"),
        ("cmu/acrnn_dance/salsa/10", "salsa-dance", "acrnn_dance/salsa/10"),
    ]
    # Bandai Namco and LAFAN1 clips keep their labels and joints next to the CMU ones.
    others = [clip for clip in collection.clips if clip.source != "cmu"]
    assert [c.source for c in others] == ["bandai-namco-1", "bandai-namco-2", "lafan1"]
    for clip in others:
        direct = load_mocap_clip(tree_with_cmu / f"{clip.name}.bvh")
        assert (clip.content, clip.style, clip.take) == (direct.content, direct.style,
                                                         direct.take)
        np.testing.assert_array_equal(clip.joints_mm, direct.joints_mm)


def test_cli_data_mocap_converts_and_reports(
    small_tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "cli.npz"
    assert main(["data", "mocap", str(small_tree), str(out), "--fps", "30"]) == 0
    printed = capsys.readouterr().out
    frames = load_mocap_npz(out).num_frames
    assert f"converted 3 files: {frames} frames" in printed and " h at 30 fps" in printed
    assert "skipped" not in printed


def test_cli_data_mocap_lists_skipped_takes(
    tree_with_cmu: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["data", "mocap", str(tree_with_cmu), str(tmp_path / "cli.npz")]) == 0
    printed = capsys.readouterr().out
    assert "skipped cmu/acrnn_dance/salsa/06: the head is folded" in printed
    assert "converted 6 files" in printed and "skipped 1 with capture defects" in printed


def test_cli_data_mocap_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["data", "mocap", str(tmp_path / "absent"), str(tmp_path / "x.npz")]) == 2
    assert "Mocap folder not found" in capsys.readouterr().err


def test_empty_folder_missing_root_and_truncated_file_raise(
    small_tree: Path, tmp_path: Path
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(PoseDataError, match="No .bvh files"):
        convert_mocap_tree(empty, tmp_path / "x.npz", progress=False)
    with pytest.raises(PoseDataError, match="not found"):
        convert_mocap_tree(tmp_path / "absent", tmp_path / "x.npz", progress=False)
    victim = small_tree / "lafan1" / "push1_subject2.bvh"
    data = victim.read_bytes()
    victim.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(PoseDataError, match="truncated or corrupt"):
        convert_mocap_tree(small_tree, tmp_path / "x.npz", progress=False)
    assert not (tmp_path / "x.npz").exists()


def test_load_mocap_npz_rejects_missing_and_foreign_files(tmp_path: Path) -> None:
    with pytest.raises(PoseDataError, match="not found"):
        load_mocap_npz(tmp_path / "absent.npz")
    np.savez(tmp_path / "other.npz", positions=np.zeros((2, 16, 3), np.float32))
    with pytest.raises(PoseDataError, match="lacks the mocap arrays"):
        load_mocap_npz(tmp_path / "other.npz")
