"""Each stage config runs for 2 steps on real fixtures (stage 1) or a synthetic Human3.6M folder."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from posemachines.errors import PoseInputError
from posemachines.training.config import load_config
from posemachines.training.tasks import build_task
from posemachines.training.tasks_pose import VideoPose3DClips, mask_joints
from posemachines.training.trainer import train
from tests.data.synthetic import write_synthetic_videopose3d

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
#: A very small network (every width shrunk) so a step takes milliseconds.
TINY_MODEL = [
    "model.overrides.embed_dim=16", "model.overrides.lstm_hidden=16",
    "model.overrides.lstm_layers=1", "model.overrides.refiner_hidden=16",
    "model.overrides.projector_hidden=16", "model.overrides.adapter_channels=8",
]
TINY_CPM = [
    "model.overrides.image_size=64", "model.overrides.vgg_widths=[8,8,16,16]",
    "model.overrides.cpm_trunk_width=16", "model.overrides.cpm_feature_width=8",
    "model.overrides.cpm_stage1_width=16", "model.overrides.cpm_stage_width=8",
    "model.overrides.cpm_stages=2",
]
STEPS = ["optim.epochs=0", "optim.steps=2", "optim.batch_size=4", "device=cpu",
         "log.progress=false", "data.num_workers=0"]


@pytest.fixture(scope="module")
def h36m_folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("h36m")
    write_synthetic_videopose3d(folder, subjects=("S1", "S9"), actions=("Walking", "Eating"),
                                frames=24, rng=np.random.default_rng(0))
    return folder


def test_stage1_cpm_trains_two_steps_on_coco_and_mpii_fixtures(shared_data, tmp_path):
    fixtures = shared_data / "fixtures"
    config = load_config(CONFIGS / "stage1_cpm2d.yaml", [
        f"data.root={fixtures}", "data.train=coco/test_coco.json,mpii/test_mpii.json",
        "data.val=mpii/test_mpii.json", "options.train_images=coco,mpii",
        "options.val_images=mpii", f"checkpoint.dir={tmp_path}", *TINY_CPM, *TINY_MODEL, *STEPS,
    ])
    task = build_task(config)
    dataset = task.train_dataset()
    assert len(dataset) >= 10  # persons with 6+ labelled joints from both files
    item = dataset[0]
    assert item["image"].shape == (3, 64, 64)
    assert 0 <= item["image"].min() <= item["image"].max() <= 1
    inside = item["visibility"] > 0
    assert inside.any() and (item["keypoints_px"][inside] >= 0).all()
    result = train(config)
    assert result.steps == 2 and np.isfinite(result.final_terms["belief"])
    assert set(result.val_metrics) == {"mean_error_px", "pck_10"}
    model_state = torch.load(tmp_path / "last.pt", weights_only=True)["model"]
    assert any(key.startswith("cpm.") for key in model_state)


def test_crop_augmentation_mirrors_joints_consistently(shared_data, tmp_path):
    fixtures = shared_data / "fixtures"
    config = load_config(CONFIGS / "stage1_cpm2d.yaml", [
        f"data.root={fixtures}", "data.train=mpii/test_mpii.json", "options.train_images=mpii",
        "options.rotation_deg=0", "options.scale_jitter=0", *TINY_CPM, *STEPS,
    ])
    plain = build_task(config).train_dataset()
    plain.augment = None
    mirrored = build_task(config).train_dataset()
    for epoch in range(8):  # find an epoch whose draw mirrors item 0
        mirrored.set_epoch(epoch)
        flipped = mirrored[0]
        if not torch.equal(flipped["image"], plain[0]["image"]):
            break
    original = plain[0]
    assert torch.allclose(flipped["image"], original["image"].flip(-1), atol=2 / 255)
    # Left and right swap names, and x mirrors: LWrist of the flip = 63 - x of RWrist.
    lwrist, rwrist = 12, 15
    assert float(flipped["keypoints_px"][lwrist, 0]) == pytest.approx(
        63 - float(original["keypoints_px"][rwrist, 0]), abs=1e-3
    )


@pytest.mark.parametrize("stage", ["stage2_transformer", "stage3_projector", "stage4_finetune",
                                   "stage5_mask"])
def test_pose_stages_train_two_steps_on_a_synthetic_videopose3d_folder(
    stage, h36m_folder, tmp_path
):
    config = load_config(CONFIGS / f"{stage}.yaml", [
        f"data.root={h36m_folder}", "data.train=S1", "data.val=S9", "model.init_from=null",
        f"checkpoint.dir={tmp_path}", *TINY_MODEL, *STEPS,
    ])
    result = train(config)
    assert result.steps == 2
    assert np.isfinite(result.final_terms["loss"])
    assert result.val_metrics["mpjpe_mm"] > 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["best_metric"] == (config.checkpoint.best_metric or "mpjpe_mm")


def test_videopose3d_clips_put_3d_in_the_camera_frame(h36m_folder):
    clips = VideoPose3DClips(h36m_folder, ["S1"], clip_length=4, stride=4,
                             with_visibility_root=True)
    assert len(clips) == 2 * 4 * (24 // 4)  # actions x cameras x clips
    item = clips[0]
    assert item["pose2d"].shape == (4, 16, 2) and item["visibility_root"].shape == (4, 18)
    assert torch.all(item["pose3d"][:, 0] == 0)  # root-relative
    bones = (item["pose3d"][:, 2] - item["pose3d"][:, 1]).norm(dim=-1)  # RHip->RKnee
    assert torch.allclose(bones, torch.full_like(bones, 420.0), atol=60)
    assert bool(item["has_3d"])
    unlabelled = VideoPose3DClips(h36m_folder, [], 4, 4, False, unlabelled=("S9",))
    assert not bool(unlabelled[0]["has_3d"]) and "visibility_root" not in unlabelled[0]


def test_mask_joints_drops_joints_and_their_visibility():
    torch.manual_seed(0)
    pose2d = torch.ones(64, 4, 16, 2)
    visibility_root = torch.ones(64, 4, 18)
    masked, masked_visibility_root = mask_joints(pose2d, visibility_root, 0.25)
    dropped = masked[..., 0] == 0
    assert 0.2 < dropped.float().mean() < 0.3
    assert torch.equal(masked_visibility_root[..., :16] == 0, dropped)
    assert torch.all(masked_visibility_root[..., 16:] == 1)


def test_upright_roll_is_refused_on_videopose3d_stages(h36m_folder, tmp_path):
    # Those clips come with their own 2D; only mocap views are rolled with their targets.
    config = load_config(CONFIGS / "stage2_transformer.yaml", [
        f"data.root={h36m_folder}", "data.train=S1", "data.val=S9", "model.init_from=null",
        f"checkpoint.dir={tmp_path}", *TINY_MODEL, *STEPS, "model.overrides.upright_roll=true",
    ])
    with pytest.raises(PoseInputError, match="upright_roll is trained on mocap views only"):
        train(config)
