"""`actions`: the action classifier (`actions.ActionNet`) as a task of the training layer's Trainer.

Where it lives and how it is registered: training sits below analysis (analysis may import
training, training never imports analysis), and this task needs the action network, features
and labelled mocap of this package. So it lives here and implements the contract of
`posemachines.training.task.Task`; the layer that runs training registers it by merging
`ACTION_TASKS` (below) into the training registry: `posemachines train` (posemachines/cli/train.py)
passes `TASKS | ACTION_TASKS` to the trainer, so `posemachines train configs/actions.yaml` gets
checkpoints, `--resume`, logs, validation and best.pt like every other task. From Python:
`train(load_config("configs/actions.yaml"), tasks=TASKS | ACTION_TASKS)`.

Training windows (2 s, `action_features`) come from two pools: the labelled takes of the mocap
npz (`options.mocap`; labels and split by `action_data` / `action_taxonomy`) as clean mocap 3D,
and the same takes as the lifter (`options.lifter`) predicts them from projected, noisy 2D
(`lift_segments`; rare classes filmed by more cameras, `lifted_copies`). `lifted_share` of each
batch comes from the lifted pool; within a pool a class is drawn uniformly, then a window of it;
every window is augmented (up tilted by `up_jitter`, half mirrored). `hold_arms` of the takes of
classes also performed with busy hands (walking while reading, carrying) have their arms held
still: the clean windows as they are drawn, the lifted pieces before they are filmed. A batch is
drawn at once (`__getitems__`) from an RNG seeded by (seed, epoch, its indices), so it is a pure
function of its position and `--resume` is exact; an epoch is as many windows as both pools
hold.

Validation: the held-out takes' windows every `test_stride` frames, as clean mocap 3D and as
lifted through `test_copies` cameras per take: `loss` (cross-entropy, picks best.pt),
`accuracy_clean`, `macro_f1_clean`, `accuracy_lifted`, `macro_f1_lifted`. best.pt is written in
the format `actions.load_action_model` reads; its `metrics` hold the held-out scores per window
and (`frame_scores`) per frame through the run-time path `recognize_actions`, the confusion
matrices, the step and the run's config.
"""

from __future__ import annotations

import copy
import dataclasses
import time
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, cast

import numpy as np
import torch
from torch import nn
from torch.utils.data import Dataset

from posemachines.analysis.action_augment import STILL_SUFFIX
from posemachines.analysis.action_data import (
    LabelledSegment,
    WindowPool,
    labelled_segments,
    lift_segments,
    lifted_copies,
    thin_segments,
    window_batch,
)
from posemachines.analysis.action_features import FEATURE_FPS
from posemachines.analysis.action_gestures import signing_segments
from posemachines.analysis.action_metrics import classification_scores, confusion_matrix
from posemachines.analysis.action_taxonomy import ACTION_CLASSES
from posemachines.analysis.actions import (
    ActionModel,
    ActionNet,
    recognize_actions,
    save_action_model,
)
from posemachines.data.mocap import load_mocap_npz
from posemachines.errors import PoseDataError
from posemachines.models.checkpoint import load_checkpoint
from posemachines.models.shipped import resolve_lifter_weights
from posemachines.skeleton import JOINTS16, flip_horizontal
from posemachines.training.anthropometry import AnthropometryConfig
from posemachines.training.config import TrainConfig
from posemachines.training.mocap_views import MocapViewConfig
from posemachines.training.task import Task

#: Validation conditions: metric suffix -> the name under best.pt's metrics["test"].
CONDITIONS = {"clean": "clean mocap 3D", "lifted": "lifter 3D"}
#: Windows per forward pass in validation.
EVAL_BATCH = 512


@dataclass
class ActionOptions:
    """The `options:` of an `actions` config (see the module docstring)."""

    #: npz from `posemachines data mocap` (Bandai Namco 1 and 2, LAFAN1).
    mocap: str = ""
    #: Lifter (a shipped name, 'lite', or a checkpoint) that lifts the takes' projected, noisy
    #: 2D back to 3D; the weights keep it, and at run time the result's 2D is lifted with it.
    lifter: str = ""
    #: Virtual cameras per training take (at least; rare classes get more) and per held-out take.
    lifted_copies: int = 2
    test_copies: int = 3
    #: Share of each training batch drawn from the lifted pool.
    lifted_share: float = 0.5
    #: Std of the random tilt added to the unit `up` in training (~radians): at run time up
    #: comes from `vertical.estimate_up`, which runners and bows tilt.
    up_jitter: float = 0.1
    #: Share of the training windows of `action_augment.HOLDING_CLASSES` shown with one or both
    #: arms held still (walking while reading or carrying).
    hold_arms: float = 0.4
    #: Share of the training windows of `action_augment.UPPER_BODY_CLASSES` shown with the
    #: legs held still (gesturing or signing in place; legs out of view).
    still_legs: float = 0.5
    #: Synthetic signing segments (`action_gestures`, 3 s each) added to `gesture`'s training.
    signing: int = 60
    #: Share of the lifted training pieces filmed at 15 or 10 fps (`lift_segments`).
    low_fps: float = 0.25
    #: Heights (mm, low, high) of the virtual cameras that film the lifted pools, in place of
    #: the lifter's: real video is also filmed from high up (security cameras, ~40 degrees
    #: down), where the lifter bends a standing person's knees; the classifier must see that.
    camera_height_mm: list[float] = field(default_factory=lambda: [500.0, 4000.0])
    label_smoothing: float = 0.05
    #: ActionNet's conv widths and dropout.
    widths: list[int] = field(default_factory=lambda: [64, 96, 128])
    dropout: float = 0.3
    #: Frames between validation windows.
    test_stride: int = 3
    #: Also score best.pt per frame through `recognize_actions` (adds seconds per save).
    frame_scores: bool = True
    #: Keep every n-th segment of each class, train and test (1 = all; quick runs: more).
    segment_step: int = 1


def mirror_lifter_input(keypoints: np.ndarray, visibility_root: np.ndarray
                        ) -> tuple[np.ndarray, np.ndarray]:
    """Encoded lifter input (..., T, 16, 2) and (..., T, 18) of the mirrored detections, as
    `encode_lifter_input(*mirror_detections(...))` gives it: x negated, left and right swapped,
    the root's image x negated."""
    perm = list(JOINTS16.flip_permutation)
    mirrored = keypoints[..., perm, :].copy()
    mirrored[..., 0] = -mirrored[..., 0]
    visibility = visibility_root.copy()
    visibility[..., :16] = visibility_root[..., perm]
    visibility[..., 16] = -visibility[..., 16]
    return mirrored, visibility


class CheckpointLifter:
    """A lifter checkpoint as `action_data.Lifter`: keypoints (B, T, 16, 2) and visibility_root
    (B, T, E) -> lifted (B, T, 16, 3) mm, in batches; `view_config`: the cameras, 2D noise and
    body proportions (`anthropometry`, if it trained with them: real people are not built
    like the mocap actors, and the lifter errs differently on other builds) the lifter was
    trained with (its saved options). run_time_passes: average four passes as `Estimator` does
    by default (flip_test: the mirrored input's lift mirrored back; time_reversal: each clip
    also lifted backward in time), so the classifier learns the 3D it gets at run time."""

    def __init__(self, path: str | Path, batch_size: int = 64,
                 run_time_passes: bool = True) -> None:
        self.model, extra = load_checkpoint(resolve_lifter_weights(str(path)))
        self.batch_size, self.run_time_passes = batch_size, run_time_passes
        options = (extra.get("config") or {}).get("options") or {}
        defaults = MocapViewConfig()
        body = options.get("anthropometry")
        self.view_config = MocapViewConfig(
            camera=dataclasses.replace(defaults.camera, **(options.get("camera") or {})),
            noise=dataclasses.replace(defaults.noise, **(options.get("noise") or {})),
            anthropometry=None if body is None else AnthropometryConfig(**body))

    @torch.no_grad()
    def _forward(self, keypoints: np.ndarray, visibility_root: np.ndarray) -> np.ndarray:
        out = []
        for start in range(0, len(keypoints), self.batch_size):
            stop = start + self.batch_size
            output = self.model(torch.from_numpy(keypoints[start:stop]),
                                visibility_root=torch.from_numpy(visibility_root[start:stop]))
            out.append(output.pose3d_mm.numpy())
        return np.concatenate(out)

    def __call__(self, keypoints: np.ndarray, visibility_root: np.ndarray) -> np.ndarray:
        if not self.run_time_passes:
            return self._forward(keypoints, visibility_root)
        lifts = []
        for mirrored, (points, visibility) in enumerate(
                [(keypoints, visibility_root), mirror_lifter_input(keypoints, visibility_root)]):
            backward = self._forward(points[:, ::-1].copy(), visibility[:, ::-1].copy())
            lift = 0.5 * (self._forward(points, visibility) + backward[:, ::-1])
            lifts.append(flip_horizontal(lift) if mirrored else lift)
        return 0.5 * (lifts[0] + lifts[1])


class ActionWindows(Dataset):
    """Training windows of a clean and a lifted pool; fetch batches through `__getitems__`:
    {'features': (B, FEATURE_CHANNELS, WINDOW_FRAMES) float32, 'labels': (B,) int64}."""

    def __init__(self, pools: tuple[WindowPool, WindowPool], lifted_share: float,
                 up_jitter: float, seed: int, hold_arms: float = 0.0,
                 still_legs: float = 0.0) -> None:
        self.pools, self.lifted_share, self.up_jitter = pools, lifted_share, up_jitter
        self.hold_arms, self.still_legs = hold_arms, still_legs
        self.seed, self.epoch = seed, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return sum(len(pool) for pool in self.pools)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        return self.__getitems__([index])

    def __getitems__(self, indices: list[int]) -> dict[str, torch.Tensor]:
        rng = np.random.default_rng([self.seed, self.epoch, *indices[:4], len(indices)])
        lifted = int(round(len(indices) * self.lifted_share))
        counts = (len(indices) - lifted, lifted)
        # The lifted pool's arms and legs were held before lifting.
        holds = ((self.hold_arms, self.still_legs), (0.0, 0.0))
        parts = [window_batch(pool, pool.sample_rows(rng, count), rng, self.up_jitter, *hold)
                 for pool, count, hold in zip(self.pools, counts, holds, strict=True) if count]
        return {"features": torch.from_numpy(np.concatenate([p[0] for p in parts])),
                "labels": torch.from_numpy(np.concatenate([p[1] for p in parts]))}


def frame_scores(model: ActionModel, segments: list[LabelledSegment]) -> dict[str, float]:
    """Per-frame accuracy and macro-F1 of the run-time path (`recognize_actions`: sliding
    windows, centre interpolation, short runs merged) on the segments' labelled frames."""
    truth, predicted = [], []
    for segment in segments:
        timeline = recognize_actions(segment.joints_mm,
                                     np.arange(len(segment.labels)) / FEATURE_FPS,
                                     up=segment.up, model=model)
        labelled = segment.labels >= 0
        truth.append(segment.labels[labelled])
        predicted.append(timeline.label_indices[labelled])
    matrix = confusion_matrix(np.concatenate(truth), np.concatenate(predicted),
                              len(model.classes))
    scores = classification_scores(matrix)
    return {"accuracy": cast(float, scores["accuracy"]),
            "macro_f1": cast(float, scores["macro_f1"]),
            "frames": int(matrix.sum())}


class ActionTask(Task):
    """ActionNet on labelled mocap windows, clean and lifted; cross-entropy with smoothing."""

    Options = ActionOptions
    best_metric = "loss"

    def __init__(self, config: TrainConfig) -> None:
        super().__init__(config)
        #: Seconds spent lifting and pooling the training data.
        self.data_s = 0.0
        #: The weights of the last validation and its confusion matrix per condition.
        self._validated: tuple[dict[str, torch.Tensor], dict[str, np.ndarray]] = ({}, {})

    def build_model(self) -> nn.Module:
        return ActionNet(len(ACTION_CLASSES), tuple(self.options.widths), self.options.dropout)

    @cached_property
    def segments(self) -> list[LabelledSegment]:
        """The labelled train and test segments of the mocap (`thin_segments` by segment_step)."""
        if not self.options.mocap:
            raise PoseDataError("options.mocap must name the npz from `posemachines data mocap`.")
        segments = labelled_segments(load_mocap_npz(self.options.mocap))
        return thin_segments(segments, self.options.segment_step)

    @cached_property
    def lifter(self) -> CheckpointLifter:
        if not self.options.lifter:
            raise PoseDataError("options.lifter must name a lifter: a shipped one ('lite') or "
                                "a checkpoint file.")
        return CheckpointLifter(self.options.lifter)

    @property
    def view_config(self) -> MocapViewConfig:
        """The lifter's cameras and 2D noise, the cameras' heights from options."""
        camera = self.lifter.view_config.camera
        low, high = self.options.camera_height_mm
        return dataclasses.replace(self.lifter.view_config, camera=dataclasses.replace(
            camera, height_mm=(float(low), float(high))))

    def _part(self, test: bool) -> list[LabelledSegment]:
        part = [s for s in self.segments if s.test == test]
        if not part:
            name = "held-out" if test else "training"
            raise PoseDataError(f"No labelled {name} takes in {self.options.mocap}.")
        return part

    def train_dataset(self) -> Dataset:
        started = time.perf_counter()
        clean = self._part(test=False)
        stills = [segment for segment in clean if segment.name.endswith(STILL_SUFFIX)]
        clean = clean + signing_segments(stills, self.options.signing,
                                         np.random.default_rng([self.config.seed, 1]))
        copies = lifted_copies(clean, self.options.lifted_copies)
        lifted = lift_segments(copies, self.lifter, np.random.default_rng([self.config.seed, 0]),
                               self.view_config, hold_share=self.options.hold_arms,
                               still_legs_share=self.options.still_legs,
                               low_fps_share=self.options.low_fps)
        pools = (WindowPool(clean), WindowPool(lifted))
        self.data_s = time.perf_counter() - started
        return ActionWindows(pools, self.options.lifted_share, self.options.up_jitter,
                             self.config.seed, self.options.hold_arms, self.options.still_legs)

    def collate(self, items: Any) -> dict[str, torch.Tensor]:
        return items

    @cached_property
    def test_sets(self) -> dict[str, list[LabelledSegment]]:
        """Held-out segments per condition: clean mocap 3D and lifted by test_copies cameras."""
        clean = self._part(test=True)
        rng = np.random.default_rng([self.config.seed, 2])
        lifted = lift_segments(clean * self.options.test_copies, self.lifter, rng,
                               self.view_config)
        return {"clean": clean, "lifted": lifted}

    def training_step(self, model: nn.Module, batch: Any) -> dict[str, torch.Tensor]:
        logits = model(batch["features"]).float()
        loss = nn.functional.cross_entropy(logits, batch["labels"],
                                           label_smoothing=self.options.label_smoothing)
        accuracy = (logits.argmax(dim=1) == batch["labels"]).float().mean()
        return {"loss": loss, "accuracy": accuracy}

    @torch.no_grad()
    def _score_windows(
        self, model: nn.Module, device: torch.device, segments: list[LabelledSegment]
    ) -> tuple[float, np.ndarray]:
        """Summed cross-entropy and the (K, K) confusion matrix over the segments' windows."""
        pool = WindowPool(segments, self.options.test_stride)
        loss, truth, predicted = 0.0, [], []
        for start in range(0, len(pool), EVAL_BATCH):
            features, labels = window_batch(pool, np.arange(start, min(start + EVAL_BATCH,
                                                                       len(pool))))
            logits = model(torch.from_numpy(features).to(device)).float().cpu()
            target = torch.from_numpy(labels)
            loss += float(nn.functional.cross_entropy(logits, target, reduction="sum"))
            truth.append(labels)
            predicted.append(logits.argmax(dim=1).numpy())
        matrix = confusion_matrix(np.concatenate(truth), np.concatenate(predicted),
                                  len(ACTION_CLASSES))
        return loss, matrix

    @torch.no_grad()
    def validate(self, model: nn.Module, device: torch.device) -> dict[str, float]:
        """Held-out cross-entropy over both conditions' windows, accuracy and macro-F1 of each."""
        metrics: dict[str, float] = {}
        total_loss, total_windows = 0.0, 0
        self._validated = ({k: v.detach().clone() for k, v in model.state_dict().items()}, {})
        for name, segments in self.test_sets.items():
            loss, matrix = self._score_windows(model, device, segments)
            self._validated[1][name] = matrix
            scores = classification_scores(matrix)
            total_loss, total_windows = total_loss + loss, total_windows + int(matrix.sum())
            metrics[f"accuracy_{name}"] = cast(float, scores["accuracy"])
            metrics[f"macro_f1_{name}"] = cast(float, scores["macro_f1"])
        return {"loss": total_loss / max(total_windows, 1), **metrics}

    def _validated_matrices(self, model: nn.Module) -> dict[str, np.ndarray]:
        """The last validation's confusion matrices if `model` still has its weights, else {}
        (the trainer saves best.pt right after the validation that chose it)."""
        weights, matrices = self._validated
        state = model.state_dict()
        same = state.keys() == weights.keys() and all(
            torch.equal(state[k].cpu(), weights[k].cpu()) for k in state)
        return matrices if same else {}

    def save_model(self, model: nn.Module, path: Path, extra: dict[str, Any]) -> None:
        """best.pt in the `load_action_model` format, with the held-out scores as metrics."""
        net = copy.deepcopy(model).cpu().eval()
        action_model = ActionModel(cast(ActionNet, net), ACTION_CLASSES, {},
                                   lifter=self.options.lifter)
        test, confusion = {}, {}
        validated = self._validated_matrices(net)
        for name, segments in self.test_sets.items():
            matrix = validated.get(name)
            if matrix is None:
                matrix = self._score_windows(net, torch.device("cpu"), segments)[1]
            entry = {**classification_scores(matrix), "windows": int(matrix.sum())}
            if self.options.frame_scores:
                entry["per_frame"] = frame_scores(action_model, segments)
            test[CONDITIONS[name]], confusion[CONDITIONS[name]] = entry, matrix.tolist()
        action_model.metrics = {
            "test": test, "confusion": confusion, "classes": list(ACTION_CLASSES),
            "lifter": Path(self.options.lifter).name, "data_s": round(self.data_s, 1),
            **extra,
        }
        save_action_model(path, action_model)


#: The analysis layer's training tasks, for the layer that runs training to register.
ACTION_TASKS: dict[str, type[Task]] = {"actions": ActionTask}
