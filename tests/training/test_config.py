"""Stage YAMLs -> typed dataclasses; --set overrides with type conversion; one-line errors;
the config module knows no task, and the training layer imports no analysis."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from posemachines.cli import main
from posemachines.errors import PoseInputError
from posemachines.training.config import (
    TrainConfig,
    apply_override,
    config_from_dict,
    config_to_dict,
    load_config,
)
from posemachines.training.task import Task
from posemachines.training.tasks import TASKS, build_task, task_class

REPO_ROOT = Path(__file__).resolve().parents[2]
CONFIGS = REPO_ROOT / "configs"
STAGES = {
    "stage1_cpm2d": "cpm2d", "stage2_transformer": "transformer",
    "stage3_projector": "projector", "stage4_finetune": "finetune", "stage5_mask": "mask",
    "tiny_test": "synthetic", "h36m_lifter": "finetune", "lifter_default": "lifter_mocap",
    "lifter_lite": "lifter_mocap", "lifter_default_finetune": "lifter_mocap",
    "lifter_default_finetune2": "lifter_mocap",
    "lifter_first_default": "lifter_mocap", "lifter_cmu": "lifter_mocap",
    "lifter_cross_cmu": "lifter_mocap",
}
#: Configs of tasks above the training layer (tests/analysis/test_action_task.py).
OTHER_LAYERS = {"actions"}


def test_every_config_is_checked_here_or_with_its_layer():
    assert {path.stem for path in CONFIGS.glob("*.yaml")} == set(STAGES) | OTHER_LAYERS


def test_the_cross_dataset_config_never_sees_lafan1_and_rolls_every_frame_upright():
    # Protocol cross-mocap-cmu scores every LAFAN1 take: its lifter must not train on one.
    config = load_config(CONFIGS / "lifter_cross_cmu.yaml")
    task = build_task(config)
    assert task.options.sources == ("bandai-namco-1", "bandai-namco-2", "cmu")
    assert config.model.overrides["upright_roll"] is True


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
    assert build_task(load_config(CONFIGS / "stage5_mask.yaml")).options.mask_probability == 0.2
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
    assert config.options == {"labelled_fraction": 0.5, "num_train": 256, "num_val": 32}
    assert build_task(config).options.labelled_fraction == 0.5


@pytest.mark.parametrize("override, message", [
    ("optim.lrr=1", "Unknown config key 'optim.lrr'"),
    ("nonsense.key=1", "Unknown config key 'nonsense'"),
    ("optim.steps=abc", "expects a number"),
    ("optim.steps=2.5", "expects a whole number"),
    ("log.progress=maybe", "expects true or false"),
    ("optim.epochs=3", "exactly one of optim.steps and optim.epochs"),
    ("optim.schedule=linear", "optim.schedule must be"),
    ("optim.optimizer=sgd", "optim.optimizer must be adam or adamw"),
    ("justtext", "must look like section.key=value"),
])
def test_bad_overrides_raise_one_sentence(override, message):
    with pytest.raises(PoseInputError, match=message) as error:
        load_config(CONFIGS / "tiny_test.yaml", [override])
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("override, message", [
    ("options.colour=red", "Unknown config key 'options.colour'"),
    ("options.num_train=many", "Config key 'options.num_train' expects a number"),
    ("task=no_such_task", "Unknown task 'no_such_task'; known tasks: cpm2d, "),
])
def test_the_task_checks_its_name_and_options_in_one_sentence(override, message):
    config = load_config(CONFIGS / "tiny_test.yaml", [override])  # the config knows no task
    with pytest.raises(PoseInputError, match=message) as error:
        build_task(config)
    assert "\n" not in str(error.value)


def test_apply_override_creates_missing_sections():
    raw: dict = {"task": "synthetic"}
    apply_override(raw, "optim.batch_size=8")
    assert raw == {"task": "synthetic", "optim": {"batch_size": 8}}


def test_a_base_config_is_read_first_and_merged_section_by_section(tmp_path):
    (tmp_path / "stage1.yaml").write_text(
        "task: synthetic\nseed: 0\noptim:\n  lr: 1.0e-3\n  steps: 100\n  clip_norm: 5.0\n"
        "checkpoint:\n  dir: runs/one\n")
    (tmp_path / "stage2.yaml").write_text(
        "base: stage1.yaml\nseed: 1\noptim:\n  lr: 2.0e-4\ncheckpoint:\n  dir: runs/two\n")
    config = load_config(tmp_path / "stage2.yaml", ["optim.steps=50"])
    assert (config.seed, config.optim.lr, config.optim.steps) == (1, 2.0e-4, 50)
    assert config.optim.clip_norm == 5.0 and config.checkpoint.dir == "runs/two"
    assert load_config(tmp_path / "stage1.yaml").optim.lr == 1.0e-3  # the base is untouched
    (tmp_path / "stage1.yaml").write_text("base: stage2.yaml\ntask: synthetic\n")
    with pytest.raises(PoseInputError, match="names itself as a base"):
        load_config(tmp_path / "stage2.yaml")


def test_the_shipped_stages_differ_only_where_they_say():
    stages = [config_to_dict(load_config(CONFIGS / f"{name}.yaml")) for name in
              ("lifter_default", "lifter_default_finetune", "lifter_default_finetune2")]
    for stage in stages:
        stage.pop("seed"), stage["optim"].pop("lr"), stage["optim"].pop("steps")
        stage["model"].pop("init_from"), stage["checkpoint"].pop("dir")
    assert stages[0] == stages[1] == stages[2]


def test_a_task_is_found_in_the_given_registry_or_by_its_module_path():
    class Custom(Task):
        pass

    assert task_class("custom", {**TASKS, "custom": Custom}) is Custom
    with pytest.raises(PoseInputError, match="Unknown task 'custom'"):
        task_class("custom")
    path = "posemachines.training.tasks_synthetic:SyntheticLifterTask"
    assert task_class(path) is TASKS["synthetic"]
    with pytest.raises(PoseInputError, match="Task 'posemachines.no_such_module:T' cannot be"):
        task_class("posemachines.no_such_module:T")
    with pytest.raises(PoseInputError, match="is not a posemachines Task class"):
        task_class("posemachines.training.tasks:build_task")


def _imported_modules(path: Path) -> set[str]:
    """Every module an `import` / `from ... import` in the file names (at any depth)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_config_knows_no_task_and_training_imports_no_analysis():
    training = REPO_ROOT / "posemachines" / "training"
    config_imports = _imported_modules(training / "config.py")
    assert {m for m in config_imports if m.startswith("posemachines")} == {"posemachines.errors"}
    for path in training.glob("*.py"):
        assert not any(m.startswith("posemachines.analysis") for m in _imported_modules(path)), (
            path.name)


def test_cli_turns_config_errors_into_exit_code_2(capsys):
    code = main(["train", str(CONFIGS / "tiny_test.yaml"), "--set", "optim.lrr=1"])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Unknown config key 'optim.lrr'" in err[0]
    assert main(["train", "missing.yaml"]) == 2
