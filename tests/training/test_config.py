"""Stage YAMLs -> typed dataclasses; --set overrides with type conversion; one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from posemachines.cli import main
from posemachines.errors import PoseInputError
from posemachines.training import tasks
from posemachines.training.config import (
    TrainConfig,
    apply_override,
    config_from_dict,
    config_to_dict,
    load_config,
)
from posemachines.training.tasks import build_task, task_class

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
STAGES = {
    "stage1_cpm2d": "cpm2d", "stage2_transformer": "transformer",
    "stage3_projector": "projector", "stage4_finetune": "finetune", "stage5_mask": "mask",
    "tiny_test": "synthetic",
}


@pytest.mark.parametrize("name", sorted(STAGES))
def test_every_stage_config_parses_and_builds_its_task(name):
    config = load_config(CONFIGS / f"{name}.yaml")
    assert isinstance(config, TrainConfig) and config.task == STAGES[name]
    assert config.optim.clip_norm == 5.0 and isinstance(config.optim.lr, float)
    task = build_task(config)
    assert isinstance(task.options, task_class(config.task).Options)
    assert config_from_dict(config_to_dict(config)) == config  # round trip


def test_stage_schedules_follow_the_paper():
    stage2 = load_config(CONFIGS / "stage2_transformer.yaml")
    assert (stage2.optim.lr, stage2.optim.lr_final) == (1e-4, 1e-5)
    assert load_config(CONFIGS / "stage5_mask.yaml").options.mask_probability == 0.2
    assert load_config(CONFIGS / "stage4_finetune.yaml").model.init_from.endswith("best.pt")


def test_overrides_convert_to_the_field_types():
    config = load_config(CONFIGS / "tiny_test.yaml", [
        "optim.lr=3e-4", "optim.steps=200", "log.progress=yes", "data.train=S1,S5",
        "data.val=[S9]", "model.overrides.embed_dim=64", "model.init_from=none",
        "checkpoint.dir=runs/x", "options.labelled_fraction=0.5", "seed=7",
    ])
    assert config.optim.lr == 3e-4 and config.optim.steps == 200
    assert config.log.progress is True
    assert config.data.train == ["S1", "S5"] and config.data.val == ["S9"]
    assert config.model.overrides["embed_dim"] == 64 and config.model.init_from is None
    assert config.checkpoint.dir == "runs/x" and config.seed == 7
    assert config.options.labelled_fraction == 0.5


@pytest.mark.parametrize("override, message", [
    ("optim.lrr=1", "Unknown config key 'optim.lrr'"),
    ("nonsense.key=1", "Unknown config key 'nonsense'"),
    ("options.colour=red", "Unknown config key 'options.colour'"),
    ("optim.steps=abc", "expects a number"),
    ("optim.steps=2.5", "expects a whole number"),
    ("log.progress=maybe", "expects true or false"),
    ("optim.epochs=3", "exactly one of optim.steps and optim.epochs"),
    ("optim.schedule=linear", "optim.schedule must be"),
    ("task=no_such_task", "Unknown task 'no_such_task'"),
    ("justtext", "must look like section.key=value"),
])
def test_bad_overrides_raise_one_sentence(override, message):
    with pytest.raises(PoseInputError, match=message) as error:
        load_config(CONFIGS / "tiny_test.yaml", [override])
    assert "\n" not in str(error.value)


def test_apply_override_creates_missing_sections():
    raw: dict = {"task": "synthetic"}
    apply_override(raw, "optim.batch_size=8")
    assert raw == {"task": "synthetic", "optim": {"batch_size": 8}}


def test_registry_imports_a_task_module_only_when_it_is_used(monkeypatch):
    monkeypatch.setitem(tasks.TASKS, "broken", "posemachines.training.no_such_module:Task")
    load_config(CONFIGS / "tiny_test.yaml")  # other tasks are unaffected
    with pytest.raises(PoseInputError, match="Task 'broken' cannot be loaded"):
        load_config(CONFIGS / "tiny_test.yaml", ["task=broken"])


def test_cli_turns_config_errors_into_exit_code_2(capsys):
    code = main(["train", str(CONFIGS / "tiny_test.yaml"), "--set", "optim.lrr=1"])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Unknown config key 'optim.lrr'" in err[0]
    assert main(["train", "missing.yaml"]) == 2
