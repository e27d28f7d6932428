"""The training loop behind `posemachines train CONFIG.yaml [--resume] [--set key=value ...]`.

A run, step by step:
1. Pick the device ("auto": CUDA if available), join the torchrun process group when launched
   by torchrun (gloo on CPU, NCCL on CUDA), seed python/numpy/torch with `seed`.
2. Build the `Task` named by `config.task` in the task registry it is given (default:
   `posemachines.training.tasks.TASKS`; `posemachines train` adds the analysis layer's), its model
   (weights from `model.init_from` if set), freeze every parameter not in
   `task.trainable_parameters(model)` (modules left without trainable parameters stay in eval
   mode, so frozen BatchNorm/dropout do not change), Adam(W) on the rest, the lr schedule, AMP grad
   scaler (CUDA only), DDP wrapper (several processes).
3. Loop over steps: the data position is a pure function of the step (`EpochBatches`), each step
   runs `task.training_step` under autocast, backward, clips the gradient norm to
   `optim.clip_norm` (0: no clipping), steps the optimiser and the schedule. Every
   `log.every_n_steps`: a log.csv row (+ TensorBoard if installed) and the progress bar's
   loss / lr / samples/s. Validation
   (`task.validate` on rank 0, RNG-neutral) every `log.val_every_n_steps` or every epoch, and
   at the end; an improved `best_metric` rewrites best.pt. Every `checkpoint.every_n_steps`
   and at the end, last.pt holds the full trainer state (`checkpointing`), written atomically.
4. `--resume` reloads last.pt (model, optimiser, schedule, scaler, every rank's RNG states, step,
   best value) and continues: a run killed with SIGKILL and resumed ends bit-identical on CPU
   to an uninterrupted one. Only rank 0 writes files.

Run folder (`checkpoint.dir`): config.yaml (effective config, the task's options with their
defaults), last.pt, best.pt (written by `task.save_model`, the task's inference format),
log.csv, tensorboard/, summary.json.

Plugging in a task (e.g. the mocap lifter): subclass `posemachines.training.task.Task` in its
own module, register it by name in `tasks.TASKS` (a training-layer task) or in the mapping the
layer above passes as `tasks` (a task of a higher layer, e.g. `analysis.action_task`), and
implement:
- `Options`: a dataclass for the YAML's `options:` section (typed; unknown keys are errors);
- `build_model() -> nn.Module` (read `self.config.model`; `tasks_pose.build_pose_machine` helps);
- `train_dataset() -> Dataset` (map-style; item i depends only on i and, if the dataset has
  `set_epoch(epoch)`, the epoch; the trainer calls set_epoch before each epoch);
- optional `collate(items)`, `trainable_parameters(model)` (stage freezing),
  `save_model(model, path, extra)`;
- `training_step(model, batch) -> {'loss': ..., other terms}` with `batch` already on the
  device; draw random numbers only from the global torch/numpy/python RNGs (checkpointed);
- `validate(model, device) -> {'mpjpe_mm': ...}` on the bare model in eval mode, under no_grad;
  `best_metric` names the key that picks best.pt.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import time
from collections.abc import Iterator, Mapping, Sized
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import torch
import yaml
from torch import nn
from torch.utils.data import DataLoader

from posemachines.errors import PoseInputError, PoseModelError
from posemachines.training.checkpointing import (
    PreservedRng,
    TrainerState,
    atomic_save,
    capture_rng_state,
    load_model_weights,
    load_trainer_state,
    restore_rng_state,
    save_trainer_state,
    seed_everything,
)
from posemachines.training.config import TrainConfig, config_to_dict
from posemachines.training.distributed import (
    EpochBatches,
    barrier,
    gather_objects,
    init_distributed,
    resolve_device,
    shutdown_distributed,
    unwrap_model,
    wrap_model,
)
from posemachines.training.optim import build_optimizer, build_scheduler
from posemachines.training.run_log import RunLog
from posemachines.training.task import Task
from posemachines.training.tasks import TASKS, build_task


@dataclass
class TrainResult:
    """How a run ended (this rank's view; the last step's loss terms are this rank's)."""

    run_dir: Path
    steps: int
    final_terms: dict[str, float]
    val_metrics: dict[str, float] = field(default_factory=dict)
    best_metric: str = ""
    best_value: float | None = None
    best_step: int = -1


def train(
    config: TrainConfig, resume: bool = False, tasks: Mapping[str, type[Task]] = TASKS
) -> TrainResult:
    """Run (or resume) the training described by `config`; `tasks` maps task names to classes."""
    trainer = Trainer(config, resume=resume, tasks=tasks)
    try:
        return trainer.fit()
    finally:
        shutdown_distributed(trainer.ctx)


class Trainer:
    """One training run; see the module docstring for what it does."""

    def __init__(
        self, config: TrainConfig, resume: bool = False, tasks: Mapping[str, type[Task]] = TASKS
    ) -> None:
        self.config = config
        if config.num_threads > 0:
            torch.set_num_threads(config.num_threads)
        self.device = resolve_device(config.device, int(os.environ.get("LOCAL_RANK", "0")))
        self.ctx = init_distributed(self.device)
        self.run_dir = Path(config.checkpoint.dir)
        seed_everything(config.seed)
        self.task: Task = build_task(config, tasks)
        #: The config as run: the task's parsed options, defaults included.
        self.config_dict = {**config_to_dict(config),
                            "options": dataclasses.asdict(self.task.options)}
        model = self.task.build_model()
        if config.model.init_from:
            _load_initial_weights(model, Path(config.model.init_from))
        model.to(self.device)
        self.trainable = self._freeze(model)
        self.optimizer = build_optimizer(self.trainable, config.optim)
        self.dataset = self.task.train_dataset()
        self.batches = EpochBatches(
            len(cast(Sized, self.dataset)), config.optim.batch_size, config.seed, self.ctx
        )
        optim = config.optim
        self.total_steps = optim.steps or optim.epochs * self.batches.per_epoch
        self.scheduler = build_scheduler(self.optimizer, self.total_steps, optim)
        self.amp = optim.amp and self.device.type == "cuda"
        self.scaler = torch.amp.GradScaler(self.device.type, enabled=self.amp)
        self.state = TrainerState()
        last = self.run_dir / "last.pt"
        if resume and last.is_file():
            self.state = load_trainer_state(
                last, model=model, optimizer=self.optimizer, scheduler=self.scheduler,
                scaler=self.scaler,
            )
            self._restore_rng()
            if self.state.batches_per_epoch != self.batches.per_epoch and self.ctx.is_main:
                print(
                    "posemachines: the dataset, batch size or process count changed since "
                    f"{last} was written; the data order will differ from the original run"
                )
        else:
            if resume and self.ctx.is_main:
                print(f"posemachines: no {last} yet; starting from step 0")
            seed_everything(config.seed + self.ctx.rank)
        self.model = wrap_model(model, self.ctx, self.device)
        self.metric_name = config.checkpoint.best_metric or self.task.best_metric
        self.val_metrics: dict[str, float] = {}

    def fit(self) -> TrainResult:
        config = self.config
        log = None
        if self.ctx.is_main:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            (self.run_dir / "config.yaml").write_text(
                yaml.safe_dump(self.config_dict, sort_keys=False)
            )
            log = RunLog(
                self.run_dir, start_step=self.state.step, total_steps=self.total_steps,
                progress=config.log.progress, tensorboard=config.log.tensorboard,
            )
        self._set_train_mode()
        step = self.state.step
        last_terms: dict[str, torch.Tensor] = {}
        window = _LogWindow(config.optim.batch_size * self.ctx.world_size)
        while step < self.total_steps:
            epoch, position = divmod(step, self.batches.per_epoch)
            for batch in self._loader(epoch, position):
                lr = self.optimizer.param_groups[0]["lr"]
                last_terms = self._train_step(batch)
                step += 1
                window.add(last_terms)
                if step % config.log.every_n_steps == 0 or step == self.total_steps:
                    steps, means, rate = window.flush()
                    if not math.isfinite(means["loss"]):
                        raise PoseModelError(
                            f"The training loss became {means['loss']} at step {step}."
                        )
                    if log is not None:
                        log.advance(steps)
                        log.train(step, epoch, means, lr, rate)
                with window.paused():
                    if self._validation_due(step):
                        self._validate(step, epoch, log)
                    if step % config.checkpoint.every_n_steps == 0 or step == self.total_steps:
                        self._save_state(step)
                if step >= self.total_steps:
                    break
        return self._finish(step, {name: float(v) for name, v in last_terms.items()}, log)

    # ----------------------------------------------------------------------------- one step
    def _train_step(self, batch: Any) -> dict[str, torch.Tensor]:
        batch = _to_device(batch, self.device)
        self.optimizer.zero_grad(set_to_none=True)
        with torch.autocast(self.device.type, dtype=torch.float16, enabled=self.amp):
            terms = self.task.training_step(self.model, batch)
        if "loss" not in terms:
            raise PoseModelError(f"Task '{self.config.task}' returned no 'loss' term.")
        self.scaler.scale(terms["loss"]).backward()
        self.scaler.unscale_(self.optimizer)
        if self.config.optim.clip_norm > 0:
            torch.nn.utils.clip_grad_norm_(self.trainable, self.config.optim.clip_norm)
        self.scaler.step(self.optimizer)
        self.scaler.update()
        self.scheduler.step()
        return {name: value.detach().float() for name, value in terms.items()}

    def _loader(self, epoch: int, position: int) -> DataLoader:
        set_epoch = getattr(self.dataset, "set_epoch", None)
        if callable(set_epoch):
            set_epoch(epoch)
        generator = torch.Generator().manual_seed((self.config.seed * 1_000_003 + epoch) % 2**62)
        return DataLoader(
            self.dataset,
            batch_sampler=self.batches.for_epoch(epoch)[position:],
            num_workers=self.config.data.num_workers,
            collate_fn=self.task.collate,
            pin_memory=self.device.type == "cuda",
            generator=generator,
        )

    # ------------------------------------------------------------------ freezing and modes
    def _freeze(self, model: nn.Module) -> list[nn.Parameter]:
        trainable = list({id(p): p for p in self.task.trainable_parameters(model)}.values())
        if not trainable:
            raise PoseInputError(f"Task '{self.config.task}' leaves no parameter to train.")
        keep = {id(p) for p in trainable}
        for param in model.parameters():
            param.requires_grad_(id(param) in keep)
        return trainable

    def _set_train_mode(self) -> None:
        self.model.train()
        for module in self.model.modules():
            params = list(module.parameters())
            if params and not any(p.requires_grad for p in params):
                module.eval()

    # ------------------------------------------------------------- validation, checkpoints
    def _validation_due(self, step: int) -> bool:
        every = self.config.log.val_every_n_steps or self.batches.per_epoch
        return step % every == 0 or step == self.total_steps

    def _validate(self, step: int, epoch: int, log: RunLog | None) -> None:
        if self.ctx.is_main:
            bare = unwrap_model(self.model)
            bare.eval()
            with PreservedRng(), torch.no_grad():
                metrics = {k: float(v) for k, v in self.task.validate(bare, self.device).items()}
            self._set_train_mode()
            self.val_metrics = metrics
            if log is not None and metrics:
                log.validation(step, epoch, metrics)
            self._update_best(step, metrics)
        barrier(self.ctx)

    def _update_best(self, step: int, metrics: dict[str, float]) -> None:
        if not metrics:
            return
        if self.metric_name not in metrics:
            raise PoseInputError(
                f"Validation returned no '{self.metric_name}' (it returned "
                f"{', '.join(metrics)}); set checkpoint.best_metric."
            )
        value = metrics[self.metric_name]
        best = self.state.best_value
        sign = 1.0 if self.config.checkpoint.best_mode == "min" else -1.0
        if best is not None and sign * value >= sign * best:
            return
        self.state.best_value, self.state.best_step = value, step
        extra = {"step": step, "metric": self.metric_name, "value": value,
                 "config": self.config_dict}
        self._atomic_model_save(self.run_dir / "best.pt", extra)

    def _atomic_model_save(self, path: Path, extra: dict[str, Any]) -> None:
        tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp{path.suffix}")
        try:
            self.task.save_model(unwrap_model(self.model), tmp, extra)
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)

    def _save_state(self, step: int) -> None:
        self.state.step = step
        self.state.batches_per_epoch = self.batches.per_epoch
        self.state.rng = gather_objects(capture_rng_state(), self.ctx)
        if self.ctx.is_main:
            save_trainer_state(
                self.run_dir / "last.pt", model=unwrap_model(self.model),
                optimizer=self.optimizer, scheduler=self.scheduler, scaler=self.scaler,
                state=self.state, config=self.config_dict,
            )

    def _restore_rng(self) -> None:
        states = self.state.rng
        if len(states) == self.ctx.world_size:
            restore_rng_state(states[self.ctx.rank])
        else:
            # A different process count cannot replay the same streams; start fresh ones.
            seed_everything(self.config.seed + self.ctx.rank + self.state.step)

    def _finish(self, step: int, last_terms: dict[str, float], log: RunLog | None) -> TrainResult:
        if self.config.checkpoint.save_rank_weights:
            atomic_save(
                unwrap_model(self.model).state_dict(),
                self.run_dir / f"weights_rank{self.ctx.rank}.pt",
            )
        result = TrainResult(
            run_dir=self.run_dir, steps=step, final_terms=last_terms,
            val_metrics=self.val_metrics, best_metric=self.metric_name,
            best_value=self.state.best_value,
            best_step=self.state.best_step,
        )
        if log is not None:
            log.close()
            summary = {
                "steps": step, "world_size": self.ctx.world_size, "final": last_terms,
                "val": self.val_metrics, "best_metric": self.metric_name,
                "best_value": self.state.best_value, "best_step": self.state.best_step,
                "tensorboard": log.writer is not None,
            }
            (self.run_dir / "summary.json").write_text(json.dumps(summary, indent=2))
        barrier(self.ctx)
        return result


class _LogWindow:
    """Loss terms summed since the last log row, and the training time they took."""

    def __init__(self, samples_per_step: int) -> None:
        self.samples_per_step = samples_per_step
        self.sums: dict[str, torch.Tensor] = {}
        self.steps = 0
        self.start = time.perf_counter()

    def add(self, terms: dict[str, torch.Tensor]) -> None:
        for name, value in terms.items():
            self.sums[name] = self.sums[name] + value if name in self.sums else value
        self.steps += 1

    def flush(self) -> tuple[int, dict[str, float], float]:
        """(steps, mean of each term, samples/s) of the window; starts a new one."""
        steps = self.steps
        means = {name: float(value) / steps for name, value in self.sums.items()}
        rate = steps * self.samples_per_step / max(time.perf_counter() - self.start, 1e-9)
        self.sums, self.steps, self.start = {}, 0, time.perf_counter()
        return steps, means, rate

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Time spent inside (validation, checkpoints) does not count against samples/s."""
        began = time.perf_counter()
        yield
        self.start += time.perf_counter() - began


def _load_initial_weights(model: nn.Module, path: Path) -> None:
    try:
        model.load_state_dict(load_model_weights(path))
    except RuntimeError as error:
        first = str(error).strip().splitlines()[0]
        raise PoseModelError(f"model.init_from {path} does not fit this model: {first}") from None


def _to_device(obj: Any, device: torch.device) -> Any:
    if isinstance(obj, torch.Tensor):
        return obj.to(device, non_blocking=True)
    if isinstance(obj, dict):
        return {key: _to_device(value, device) for key, value in obj.items()}
    if isinstance(obj, list | tuple):
        return type(obj)(_to_device(value, device) for value in obj)
    return obj
