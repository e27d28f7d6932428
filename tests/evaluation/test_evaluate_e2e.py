"""`posemachines evaluate` end to end: train on a synthetic Human3.6M folder, score it, mocap
protocols on a tiny mocap npz, exact numbers with a constant lifter, and bad input."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch

from posemachines.camera import h36m_camera
from posemachines.cli import main
from posemachines.data.mocap import MocapClip, MocapCollection
from posemachines.data.videopose3d import write_videopose3d_2d, write_videopose3d_3d
from posemachines.errors import PoseDataError, PoseInputError
from posemachines.evaluation import lifting, runner
from posemachines.evaluation.metrics import pa_mpjpe
from posemachines.evaluation.options import EvaluationOptions
from posemachines.evaluation.runner import evaluate
from posemachines.models import PoseMachine, get_config
from posemachines.models.checkpoint import save_checkpoint
from posemachines.skeleton import to_joints16
from tests.data.synthetic import synthetic_h36m32_world_mm, write_synthetic_videopose3d

CONFIG = Path(__file__).resolve().parents[2] / "configs" / "h36m_lifter.yaml"
FRAMES = 24
#: Train on S1 only (the synthetic folder has no S5-S8), a tiny network, 3 steps.
TINY_TRAINING = [
    "data.train=[S1]", "model.overrides.embed_dim=16", "model.overrides.lstm_hidden=16",
    "model.overrides.lstm_layers=1", "model.overrides.refiner_hidden=16",
    "model.overrides.projector_hidden=16", "optim.steps=3", "optim.batch_size=4",
    "data.clip_length=4", "data.clip_stride=4", "data.val_max_samples=8", "device=cpu",
    "num_threads=1", "log.progress=false", "log.tensorboard=false", "log.val_every_n_steps=3",
]
#: The constant pose a stub lifter returns, mm, root at the origin.
CONSTANT_POSE = np.random.default_rng(3).normal(0.0, 200.0, (16, 3))
CONSTANT_POSE[0] = 0.0


@pytest.fixture(scope="module")
def h36m(tmp_path_factory):
    folder = tmp_path_factory.mktemp("h36m")
    data = write_synthetic_videopose3d(folder, subjects=("S1", "S9", "S11"),
                                       actions=("Eating", "Walking", "Walking 1"),
                                       frames=FRAMES, rng=np.random.default_rng(0))
    return folder, data


@pytest.fixture(scope="module")
def lite_weights(tmp_path_factory) -> Path:
    torch.manual_seed(0)
    return save_checkpoint(tmp_path_factory.mktemp("weights") / "lite.pt",
                           PoseMachine(get_config("lite")))


def y_up_take(frames: int, seed: int) -> np.ndarray:
    """A synthetic person (T, 16, 3) mm, world Y up, as the mocap npz stores takes."""
    joints = to_joints16(synthetic_h36m32_world_mm(frames, np.random.default_rng(seed)),
                         "h36m32")[0]
    return np.stack([joints[..., 0], joints[..., 2], -joints[..., 1]], axis=-1)


@pytest.fixture(scope="module")
def mocap_npz(tmp_path_factory) -> Path:
    def clip(source, content, style, take, frames, seed):
        return MocapClip(f"{content}_{take}", source, y_up_take(frames, seed).astype(np.float32),
                         30.0, content, style, take)

    clips = [
        clip("bandai-namco-2", "walk", "normal", "006", 30, 1),   # held out
        clip("bandai-namco-2", "run", "normal", "001", 25, 2),    # training take
        clip("bandai-namco-1", "bow", "active", "001", 17, 3),    # held out
        clip("lafan1", "walk", "", "1_subject1", 40, 4),
    ]
    path = tmp_path_factory.mktemp("mocap") / "mocap16.npz"
    MocapCollection.from_clips(clips, 30.0).save(path)
    return path


def constant_lifter(model, keypoints, visibility_root, window=None, device="cpu",
                    time_reversal=False):
    return np.broadcast_to(CONSTANT_POSE, (*keypoints.shape[:2], 16, 3)).copy()


def camera_frame(subject: str, index: int, world: np.ndarray) -> np.ndarray:
    """Root-relative poses in camera `index`'s frame: R (X - X_root)."""
    return (world - world[:, :1]) @ h36m_camera(subject, index).R.T


def expected_constant_mpjpe(poses_world, action_takes) -> float:
    errors = [np.linalg.norm(camera_frame(s, i, poses_world[s][a]) - CONSTANT_POSE, axis=-1)
              for s in ("S9", "S11") for a in action_takes for i in range(4)]
    return float(np.mean(errors))


def read_csv(path: Path) -> list[list[str]]:
    with path.open(newline="") as handle:
        return list(csv.reader(handle))


def test_train_on_s1_then_protocol_1_writes_the_per_action_table(h36m, tmp_path, capsys):
    folder, _ = h36m
    run = tmp_path / "run"
    assert main(["train", str(CONFIG), "--set", f"data.root={folder}",
                 "--set", f"checkpoint.dir={run}", *sum((["--set", s] for s in TINY_TRAINING),
                                                         [])]) == 0
    out = tmp_path / "report.md"
    assert main(["evaluate", "--protocol", "h36m-1", "--data", str(folder), "--weights",
                 str(run / "best.pt"), "--out", str(out), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "| Metric | Eat | Walk | Avg | Avg (frames) |" in printed
    assert "| Wang et al. 2020 (TPAMI), protocol #1 MPJPE | 63.7 |" in printed
    rows = read_csv(out.with_suffix(".csv"))
    assert rows[0] == ["Action", "Frames", "MPJPE (mm)"]
    assert [r[0] for r in rows[1:]] == ["Eating", "Walking", "Average",
                                        "Average (frame-weighted)"]
    assert [int(r[1]) for r in rows[1:3]] == [2 * 4 * FRAMES, 2 * 2 * 4 * FRAMES]
    document = json.loads(out.with_suffix(".json").read_text())
    assert document["protocol"] == "h36m-1"
    table = document["table"]
    per_action = [row["values"]["MPJPE (mm)"] for row in table["actions"]]
    assert all(np.isfinite(per_action)) and min(per_action) > 0
    assert table["average"]["MPJPE (mm)"] == pytest.approx(np.mean(per_action))
    assert out.read_text().startswith("# Human3.6M protocol #1: MPJPE (mm)")


def test_protocol_1_compares_against_the_ground_truth_in_each_camera_frame(
    h36m, lite_weights, monkeypatch
):
    folder, data = h36m
    monkeypatch.setattr(lifting, "lift_sequences", constant_lifter)
    model = runner.load_lifter(lite_weights)
    table = evaluate(model, "h36m-1", folder, EvaluationOptions(progress=False)).table
    assert table.values["Eating"]["MPJPE (mm)"] == pytest.approx(
        expected_constant_mpjpe(data.poses_world_mm, ["Eating"]), rel=1e-6)
    assert table.values["Walking"]["MPJPE (mm)"] == pytest.approx(
        expected_constant_mpjpe(data.poses_world_mm, ["Walking", "Walking 1"]), rel=1e-6)


def test_protocol_3_scores_every_5th_frame_of_the_first_take_in_the_frontal_camera(
    h36m, lite_weights, monkeypatch
):
    folder, data = h36m
    monkeypatch.setattr(lifting, "lift_sequences", constant_lifter)
    model = runner.load_lifter(lite_weights)
    table = evaluate(model, "h36m-3", folder, EvaluationOptions(progress=False)).table
    gt = np.concatenate([camera_frame(s, 3, data.poses_world_mm[s]["Walking"])[::5]
                         for s in ("S9", "S11")])
    expected = pa_mpjpe(np.broadcast_to(CONSTANT_POSE, gt.shape), gt)
    assert table.values["Walking"]["PA-MPJPE (mm)"] == pytest.approx(expected, rel=1e-5)
    assert table.frame_counts == {"Eating": 2 * 5, "Walking": 2 * 5}


def test_a_3d_pose_baseline_tree_is_read_like_the_videopose3d_layout(
    tmp_path, lite_weights, monkeypatch
):
    worlds = {}
    for subject in ("S9", "S11"):
        worlds[subject] = synthetic_h36m32_world_mm(FRAMES, np.random.default_rng(7))
        folder = tmp_path / subject / "MyPoses" / "3D_positions"
        folder.mkdir(parents=True)
        with h5py.File(folder / "WalkingDog.h5", "w") as h5:
            h5["3D_positions"] = worlds[subject].reshape(FRAMES, 96).T
    monkeypatch.setattr(lifting, "lift_sequences", constant_lifter)
    model = runner.load_lifter(lite_weights)
    table = evaluate(model, "h36m-1", tmp_path, EvaluationOptions(progress=False)).table
    poses = {s: {"WalkDog": to_joints16(w, "h36m32")[0]} for s, w in worlds.items()}
    assert table.values["WalkDog"]["MPJPE (mm)"] == pytest.approx(
        expected_constant_mpjpe(poses, ["WalkDog"]), rel=1e-6)


MOCAP_ROWS = [f"{inputs}, {mode}" for inputs in ("clean 2D", "noisy 2D") for mode in (
    "single frame (T=1)", "clips of 5 frames", "whole take (streaming)",
    "whole take, scaled to the true height")]
FIXTURE_ROWS = ["real Human3.6M frames, annotated 2D", "real MPI-INF-3DHP frames, annotated 2D"]


def test_mocap_heldout_scores_the_held_out_takes_in_eight_conditions(
    mocap_npz, lite_weights, tmp_path, capsys
):
    out = tmp_path / "mocap.md"
    assert main(["evaluate", "--protocol", "mocap-heldout", "--data", str(mocap_npz),
                 "--weights", str(lite_weights), "--cameras-per-take", "2", "--out", str(out),
                 "--no-progress"]) == 0
    assert ("| Condition | Frames | MPJPE (mm) | PA-MPJPE (mm) | Bone length error (mm) | "
            "Bone length error (%) |") in capsys.readouterr().out
    rows = read_csv(out.with_suffix(".csv"))
    assert [r[0] for r in rows[1:]] == MOCAP_ROWS
    assert all(int(r[1]) == 2 * (30 + 17) for r in rows[1:])  # the two held-out takes
    values = np.array([[float(v) for v in r[2:]] for r in rows[1:]])
    assert np.isfinite(values).all() and (values > 0).all()
    document = json.loads(out.with_suffix(".json").read_text())
    bones = document["table"]["rows"][0]["bone_length_error_mm"]
    assert len(bones) == 15 and "LElbow-LWrist" in bones
    assert np.mean(list(bones.values())) == pytest.approx(values[0, 2])
    streamed, scaled = values[2], values[3]
    assert scaled[1] == pytest.approx(streamed[1])  # PA-MPJPE ignores scale


def test_cross_mocap_adds_the_real_lab_frames_or_says_they_were_skipped(
    mocap_npz, lite_weights, shared_data, tmp_path, monkeypatch
):
    model = runner.load_lifter(lite_weights)
    report = evaluate(model, "cross-mocap", mocap_npz, EvaluationOptions(
        cameras_per_take=1, progress=False, fixtures=shared_data / "fixtures"))
    assert list(report.table.rows) == MOCAP_ROWS + FIXTURE_ROWS
    assert all(report.table.frame_counts[row] == 4 for row in FIXTURE_ROWS)
    assert any("Real lab frames" in line for line in report.description)
    monkeypatch.setenv("POSEMACHINES_SHARED_DATA", str(tmp_path / "elsewhere"))
    skipped = evaluate(model, "cross-mocap", mocap_npz, EvaluationOptions(
        cameras_per_take=1, progress=False))
    assert list(skipped.table.rows) == MOCAP_ROWS
    assert any("skipped" in line for line in skipped.description)
    with pytest.raises(PoseInputError, match="is not a folder"):
        evaluate(model, "cross-mocap", mocap_npz, EvaluationOptions(
            cameras_per_take=1, progress=False, fixtures=tmp_path / "none"))


def test_cross_mocap_tests_on_lafan1_and_camera_shift_changes_the_views(
    mocap_npz, lite_weights
):
    model = runner.load_lifter(lite_weights)
    options = EvaluationOptions(cameras_per_take=2, progress=False)
    plain = evaluate(model, "cross-mocap", mocap_npz, options).table
    shifted = evaluate(model, "cross-mocap", mocap_npz,
                       EvaluationOptions(cameras_per_take=2, progress=False,
                                         camera_shift=True)).table
    assert list(plain.rows[:len(MOCAP_ROWS)]) == MOCAP_ROWS
    assert plain.frame_counts[MOCAP_ROWS[0]] == 2 * 40
    again = evaluate(model, "cross-mocap", mocap_npz, options).table
    assert again.values == plain.values  # fixed seed
    assert shifted.values[MOCAP_ROWS[0]] != plain.values[MOCAP_ROWS[0]]


@pytest.mark.parametrize("arguments, message", [
    (["--protocol", "h36m-1"], "--data is required"),
    (["--protocol", "h36m-1", "--data", "{npz}"], "must be a folder"),
    (["--protocol", "mocap-heldout", "--data", "{h36m}"], "must be the mocap npz"),
    (["--protocol", "humaneva", "--data", "{h36m}"], "holds no data_3d_humaneva15.npz"),
    (["--protocol", "h36m-1", "--data", "{h36m}", "--input", "cpn"],
     "holds no data_2d_h36m_cpn.npz"),
    (["--protocol", "h36m-1", "--data", "{missing}"], "does not exist"),
])
def test_bad_input_exits_2_with_one_line(
    arguments, message, h36m, mocap_npz, lite_weights, tmp_path, capsys
):
    paths = {"npz": mocap_npz, "h36m": h36m[0], "missing": tmp_path / "nowhere"}
    argv = ["evaluate", *[a.format(**paths) for a in arguments], "--weights",
            str(lite_weights), "--out", str(tmp_path / "r.md"), "--no-progress"]
    assert main(argv) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("posemachines: error:")
    assert message in lines[0]
    assert not (tmp_path / "r.md").exists()


def test_a_folder_without_test_subjects_exits_2(tmp_path, lite_weights, capsys):
    write_synthetic_videopose3d(tmp_path, subjects=("S1",), actions=("Walking",), frames=8)
    assert main(["evaluate", "--protocol", "h36m-1", "--data", str(tmp_path), "--weights",
                 str(lite_weights), "--out", str(tmp_path / "r.md"), "--no-progress"]) == 2
    assert "holds no test sequences of protocol h36m-1" in capsys.readouterr().err


def test_flip_test_changes_every_mocap_row_and_says_so(mocap_npz, lite_weights, tmp_path, capsys):
    out = tmp_path / "flip.md"
    arguments = ["evaluate", "--protocol", "mocap-heldout", "--data", str(mocap_npz),
                 "--weights", str(lite_weights), "--cameras-per-take", "1", "--no-progress"]
    assert main([*arguments, "--out", str(out)]) == 0
    assert "Flip test" not in capsys.readouterr().out
    assert main([*arguments, "--flip-test", "--out", str(tmp_path / "flip2.md")]) == 0
    assert "Flip test: every lift averaged" in capsys.readouterr().out
    once = [[float(v) for v in r[2:]] for r in read_csv(out.with_suffix(".csv"))[1:]]
    flipped = [[float(v) for v in r[2:]] for r in read_csv(tmp_path / "flip2.csv")[1:]]
    assert len(once) == len(flipped) == len(MOCAP_ROWS)
    assert all(a[0] != b[0] for a, b in zip(once, flipped, strict=True))


def test_geometric_correction_adds_a_corrected_streaming_row_per_input(
    mocap_npz, lite_weights, tmp_path, capsys
):
    arguments = ["evaluate", "--protocol", "mocap-heldout", "--data", str(mocap_npz),
                 "--weights", str(lite_weights), "--cameras-per-take", "1", "--no-progress"]
    assert main([*arguments, "--out", str(tmp_path / "plain.md")]) == 0
    assert main([*arguments, "--correction", "geometric", "--out", str(tmp_path / "geo.md")]) == 0
    assert "The geometric correction runs over each streamed take" in capsys.readouterr().out
    plain = {r[0]: r[2:] for r in read_csv(tmp_path / "plain.csv")[1:]}
    corrected = {r[0]: r[2:] for r in read_csv(tmp_path / "geo.csv")[1:]}
    extra = [f"{inputs}, whole take + geometric correction" for inputs in ("clean 2D", "noisy 2D")]
    assert list(corrected) == [*MOCAP_ROWS[:4], extra[0], *MOCAP_ROWS[4:], extra[1]]
    assert all(corrected[row] == plain[row] for row in MOCAP_ROWS)  # the lifter's rows as before
    streamed = "clean 2D, whole take (streaming)"
    assert corrected[extra[0]][0] != corrected[streamed][0]
    assert main([*arguments, "--correction", "paper", "--out", str(tmp_path / "paper.md")]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "--correction geometric only" in lines[0]


def test_time_reversal_changes_the_clip_rows_but_not_single_frames(
    mocap_npz, lite_weights, tmp_path, capsys
):
    arguments = ["evaluate", "--protocol", "mocap-heldout", "--data", str(mocap_npz),
                 "--weights", str(lite_weights), "--cameras-per-take", "1", "--no-progress"]
    assert main([*arguments, "--out", str(tmp_path / "once.md")]) == 0
    assert "Time reversal" not in capsys.readouterr().out
    assert main([*arguments, "--time-reversal", "--out", str(tmp_path / "both.md")]) == 0
    assert "Time reversal: every lift averaged" in capsys.readouterr().out
    once = {r[0]: float(r[2]) for r in read_csv(tmp_path / "once.csv")[1:]}
    both = {r[0]: float(r[2]) for r in read_csv(tmp_path / "both.csv")[1:]}
    assert list(once) == list(both) == MOCAP_ROWS
    for row in MOCAP_ROWS:
        # A one-frame window played backwards is the same window: only clips change.
        assert (once[row] == both[row]) == row.endswith("single frame (T=1)"), row


def write_humaneva_folder(folder: Path, takes: dict[str, tuple[str, ...]]) -> None:
    """data_3d_humaneva15.npz and data_2d_humaneva15_gt.npz as VideoPose3D names them: takes
    'Walking 1 chunk0', 'Jog 1 chunk0', 'Box 1 chunk0' per subject, 3 cameras each."""
    rng = np.random.default_rng(5)
    world, pixels = {}, {}
    for subject, actions in takes.items():
        world[subject], pixels[subject] = {}, {}
        for action in actions:
            joints = rng.normal(0.0, 300.0, (12, 15, 3))
            world[subject][action] = joints
            depth = joints[..., 2:] + 4000.0
            pixels[subject][action] = [1000.0 * joints[..., :2] / depth + 320.0] * 3
    write_videopose3d_3d(folder / "data_3d_humaneva15.npz", world)
    write_videopose3d_2d(folder / "data_2d_humaneva15_gt.npz", pixels, {"num_joints": 15})


def test_humaneva_in_videopose3d_names_scores_walk_jog_and_box(tmp_path, lite_weights):
    actions = ("Walking 1 chunk0", "Walking 1 chunk1", "Jog 1 chunk0", "Box 1 chunk0")
    write_humaneva_folder(tmp_path, {"Train/S1": actions[:1], "Validate/S1": actions,
                                     "Validate/S2": actions, "Validate/S3": actions})
    model = runner.load_lifter(lite_weights)
    report = evaluate(model, "humaneva", tmp_path, EvaluationOptions(progress=False))
    assert list(report.table.values) == ["Walk S1", "Walk S2", "Walk S3", "Jog S1", "Jog S2",
                                       "Jog S3", "Box S1", "Box S2", "Box S3"]
    assert report.table.frame_counts["Walk S1"] == 2 * 3 * 12  # two chunks, three cameras
    takes = next(line for line in report.description if line.startswith("Takes scored"))
    assert "Validate/S2: Box 1 chunk0, Jog 1 chunk0, Walking 1 chunk0, Walking 1 chunk1" in takes


def test_a_protocol_fails_loudly_when_an_action_it_names_has_no_take(tmp_path, lite_weights):
    actions = ("Walking 1 chunk0", "Jog 1 chunk0")
    write_humaneva_folder(tmp_path, {s: actions for s in ("Validate/S1", "Validate/S2")})
    model = runner.load_lifter(lite_weights)
    with pytest.raises(PoseDataError, match="no take of Box was found .*takes there: "
                                            "Jog 1 chunk0, Walking 1 chunk0"):
        evaluate(model, "humaneva", tmp_path, EvaluationOptions(progress=False))
