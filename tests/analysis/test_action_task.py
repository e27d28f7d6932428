"""The action classifier through the Trainer: `posemachines train configs/actions.yaml` on a
tiny synthetic mocap npz and an untrained tiny lifter (seconds on one core)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from posemachines.analysis.action_task import (
    ACTION_TASKS,
    ActionTask,
    ActionWindows,
    CheckpointLifter,
    mirror_lifter_input,
)
from posemachines.analysis.action_taxonomy import ACTION_CLASSES
from posemachines.analysis.actions import load_action_model
from posemachines.cli import main
from posemachines.data.lifter_input import encode_lifter_input, mirror_detections
from posemachines.data.mocap import MocapClip, MocapCollection
from posemachines.errors import PoseDataError, PoseInputError
from posemachines.models import PoseMachine, get_config
from posemachines.models.checkpoint import save_checkpoint
from posemachines.skeleton import flip_horizontal
from posemachines.training.config import load_config
from posemachines.training.tasks import TASKS, build_task
from tests.analysis.synthetic import standing_pose_mm

CONFIG = Path(__file__).resolve().parents[2] / "configs" / "actions.yaml"
FPS = 30.0
TINY_LIFTER = {"embed_dim": 16, "lstm_hidden": 16, "lstm_layers": 1, "refiner_hidden": 16,
               "projector_hidden": 16}
#: Joints of JOINTS16: knees, feet, elbows and wrists.
R_KNEE, R_FOOT, L_KNEE, L_FOOT = 2, 3, 5, 6
L_ELBOW, L_WRIST, R_ELBOW, R_WRIST = 11, 12, 14, 15


def _take(content: str, take: str, seed: int) -> MocapClip:
    """1.5 s still, 4 s of `content` (walk: legs and arms swing; wave-both-hands: hands up,
    waving), 1.5 s still; world mm, Y up, with per-take tempo and size."""
    rng = np.random.default_rng(seed)
    still, active = 45, 120
    poses = np.repeat(standing_pose_mm()[None], still + active + still, axis=0)
    poses *= rng.uniform(0.9, 1.1)
    phase = 2 * np.pi * rng.uniform(1.5, 2.2) * np.arange(active) / FPS
    moving = poses[still: still + active]
    if content == "walk":
        swing = 250 * np.sin(phase)[:, None]
        moving[:, [R_KNEE, R_FOOT], 2] += swing
        moving[:, [L_KNEE, L_FOOT], 2] -= swing
        moving[:, [L_ELBOW, L_WRIST], 2] += 0.5 * swing
        moving[:, [R_ELBOW, R_WRIST], 2] -= 0.5 * swing
    else:
        moving[:, [L_ELBOW, R_ELBOW], 1] += 450
        moving[:, [L_WRIST, R_WRIST], 1] += 900
        moving[:, [L_WRIST, R_WRIST], 0] += 200 * np.sin(phase)[:, None]
    return MocapClip(f"{content}_{take}", "bandai-namco-2", poses.astype(np.float32), FPS,
                     content, "normal", take)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> tuple[Path, Path]:
    """A mocap npz (bandai-namco-2: takes 001-003 train, 006 is held out) and a lifter."""
    folder = tmp_path_factory.mktemp("actions")
    clips = [_take(content, take, seed) for seed, (content, take) in enumerate(
        (c, t) for c in ("walk", "wave-both-hands") for t in ("001", "002", "003", "006"))]
    mocap = folder / "mocap.npz"
    MocapCollection.from_clips(clips, FPS).save(mocap)
    torch.manual_seed(0)
    lifter = save_checkpoint(folder / "lifter.pt", PoseMachine(get_config("lite", TINY_LIFTER)))
    return mocap, lifter


def _overrides(inputs: tuple[Path, Path], run: Path) -> list[str]:
    mocap, lifter = inputs
    return [f"options.mocap={mocap}", f"options.lifter={lifter}", "options.widths=[16,16,16]",
            "options.lifted_copies=1", "options.test_copies=1", "optim.steps=30",
            "optim.batch_size=32", "optim.lr=1e-2", "log.every_n_steps=5",
            "log.val_every_n_steps=10", "checkpoint.every_n_steps=10", "log.progress=false",
            f"checkpoint.dir={run}"]


def test_cli_trains_the_action_task_and_best_pt_loads_as_an_action_model(inputs, tmp_path):
    run = tmp_path / "run"
    arguments = ["train", str(CONFIG)]
    for item in _overrides(inputs, run):
        arguments += ["--set", item]
    assert main(arguments) == 0
    with open(run / "log.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    val_loss = [float(r["val_loss"]) for r in rows if r["val_loss"]]
    assert len(val_loss) == 3 and val_loss[-1] < val_loss[0] and min(val_loss) < 0.6 * val_loss[0]
    train_loss = [float(r["loss"]) for r in rows if r["loss"]]
    assert len(train_loss) == 6 and train_loss[-1] < 0.6 * train_loss[0]
    summary = json.loads((run / "summary.json").read_text())
    assert summary["best_metric"] == "loss"
    assert summary["best_value"] == pytest.approx(min(val_loss), rel=1e-5)
    model = load_action_model(run / "best.pt")
    assert model.classes == ACTION_CLASSES and not model.net.training
    assert model.metrics["step"] == summary["best_step"]
    assert model.metrics["config"]["options"]["widths"] == [16, 16, 16]
    for condition in ("clean mocap 3D", "lifter 3D"):
        scores = model.metrics["test"][condition]
        assert scores["windows"] > 0 and 0 <= scores["per_frame"]["accuracy"] <= 1
    clean = model.metrics["test"]["clean mocap 3D"]
    assert clean["accuracy"] > 0.9
    assert len(model.metrics["confusion"]["lifter 3D"]) == len(ACTION_CLASSES)
    state = torch.load(run / "last.pt", weights_only=True)
    assert state["step"] == 30 and state["config"]["task"] == "actions"


def test_batches_mix_the_pools_and_depend_only_on_their_position(inputs, tmp_path):
    config = load_config(CONFIG, _overrides(inputs, tmp_path) + ["options.lifted_share=0.25"])
    task = build_task(config, TASKS | ACTION_TASKS)
    assert isinstance(task, ActionTask)
    dataset = task.train_dataset()
    assert isinstance(dataset, ActionWindows) and len(dataset) == sum(map(len, dataset.pools))
    batch = dataset.__getitems__(list(range(8)))
    assert batch["features"].shape == (8, 90, 60) and batch["labels"].dtype == torch.int64
    assert torch.equal(dataset.__getitems__(list(range(8)))["features"], batch["features"])
    dataset.set_epoch(1)
    assert not torch.equal(dataset.__getitems__(list(range(8)))["features"], batch["features"])
    names = {ACTION_CLASSES[k] for k in batch["labels"].tolist()}
    assert names <= {"stand", "walk", "wave", "gesture"}  # gesture: signing made from stills


def test_the_lifted_pools_are_filmed_from_the_configured_heights(inputs, tmp_path):
    config = load_config(CONFIG, _overrides(inputs, tmp_path)
                         + ["options.camera_height_mm=[3000,4500]"])
    task = build_task(config, TASKS | ACTION_TASKS)
    assert isinstance(task, ActionTask)
    lifters = task.lifter.view_config
    assert task.view_config.camera.height_mm == (3000.0, 4500.0)
    assert task.view_config.camera.distance_mm == lifters.camera.distance_mm
    assert task.view_config.noise == lifters.noise


def test_mirrored_lifter_input_is_the_encoding_of_the_mirrored_detections():
    rng = np.random.default_rng(0)
    xy = rng.uniform(100.0, 600.0, size=(2, 5, 16, 2))
    confidence = (rng.random((2, 5, 16)) > 0.2).astype(np.float32)
    confidence[..., 0] = 1.0  # the root is seen
    f_px, c_px = np.array([[800.0, 800.0]] * 2), np.array([[320.0, 240.0]] * 2)
    mirrored = mirror_lifter_input(*encode_lifter_input(xy, confidence, f_px, c_px))
    expected = encode_lifter_input(*mirror_detections(xy, confidence, c_px), f_px, c_px)
    np.testing.assert_allclose(mirrored[0], expected[0], atol=1e-6)
    np.testing.assert_allclose(mirrored[1], expected[1], atol=1e-6)


def test_the_lifter_averages_the_run_time_passes(inputs):
    rng = np.random.default_rng(1)
    keypoints = rng.normal(size=(3, 8, 16, 2)).astype(np.float32)
    visibility = np.concatenate([np.ones((3, 8, 16)), rng.normal(size=(3, 8, 2)) * 0.1],
                                axis=-1).astype(np.float32)
    single = CheckpointLifter(inputs[1], run_time_passes=False)
    averaged = CheckpointLifter(inputs[1])
    forward = single(keypoints, visibility)
    backward = single(keypoints[:, ::-1].copy(), visibility[:, ::-1].copy())[:, ::-1]
    mirrored = [single(*mirror_lifter_input(k, v)) for k, v in
                ((keypoints, visibility),
                 (keypoints[:, ::-1].copy(), visibility[:, ::-1].copy()))]
    expected = 0.25 * (forward + backward + flip_horizontal(mirrored[0])
                       + flip_horizontal(mirrored[1][:, ::-1]))
    np.testing.assert_allclose(averaged(keypoints, visibility), expected, atol=1e-4)


def test_the_config_holds_the_shipped_recipe():
    config = load_config(CONFIG)
    options = build_task(config, TASKS | ACTION_TASKS).options
    assert (options.mocap, options.lifter) == ("runs/mocap16.npz", "lite")
    assert (options.lifted_copies, options.test_copies, options.lifted_share) == (2, 3, 0.5)
    assert (options.hold_arms, options.still_legs, options.low_fps) == (0.4, 0.5, 0.25)
    assert (options.signing, options.camera_height_mm) == (60, [500.0, 4000.0])
    optim = config.optim
    assert (optim.optimizer, optim.schedule, optim.lr, optim.steps, optim.batch_size) == (
        "adamw", "onecycle", 2e-3, 3000, 128)
    assert (config.seed, config.num_threads, config.checkpoint.dir) == (0, 1, "runs/actions")


def test_the_task_refuses_missing_inputs_and_unknown_options(inputs, tmp_path):
    with pytest.raises(PoseInputError, match="Unknown task 'actions'"):
        build_task(load_config(CONFIG))  # the training layer alone does not know it
    missing = load_config(CONFIG, _overrides(inputs, tmp_path) + ["options.mocap="])
    with pytest.raises(PoseDataError, match="options.mocap must name"):
        build_task(missing, TASKS | ACTION_TASKS).train_dataset()
    with pytest.raises(PoseInputError, match="Unknown config key 'options.colour'"):
        build_task(load_config(CONFIG, ["options.colour=red"]), TASKS | ACTION_TASKS)
