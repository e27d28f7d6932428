import argparse
import importlib
import json
import pkgutil
import signal
import subprocess
import sys
from importlib import resources

import pytest

import posemachines.cli
from posemachines.cli import (
    COMMANDS,
    TORCH_MISSING,
    Terminated,
    build_parser,
    command_of,
    main,
)

#: What `posemachines --help` must not load: seconds of start-up (issue 21).
HEAVY_MODULES = ("torch", "scipy", "cv2", "matplotlib", "ai_edge_litert", "posemachines.cli.infer")


def test_help_lists_every_subcommand(capsys):
    assert main([]) == 0
    text = capsys.readouterr().out
    for command in ("data", "train", "evaluate", "infer", "demo", "analyze", "export-onnx"):
        assert command in text


def test_unknown_command_exits_with_argparse_error():
    parser = build_parser()
    try:
        parser.parse_args(["nope"])
    except SystemExit as exit_:
        assert exit_.code == 2


def test_module_entry_point_turns_errors_into_one_line():
    run = subprocess.run(
        [sys.executable, "-m", "posemachines", "infer", "does/not/exist.mp4", "--format", "json"],
        capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 2
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("posemachines: error:")
    assert "Traceback" not in run.stderr


def test_no_person_error_is_the_only_stderr_line(random_lite_weights, tmp_path):
    import cv2
    import numpy as np

    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((240, 320, 3), 127, dtype=np.uint8))
    run = subprocess.run(
        [sys.executable, "-m", "posemachines", "infer", str(blank), "--weights",
         str(random_lite_weights), "--out", str(tmp_path / "o")],
        capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 2
    lines = [line for line in run.stderr.splitlines() if line.strip() and "frame" not in line]
    assert lines == [f"posemachines: error: No person was found in {blank}."]


def test_a_corrupt_video_is_one_error_line_without_ffmpeg_s_own(tmp_path):
    video = tmp_path / "bad.mp4"
    video.write_bytes(b"hello")  # FFmpeg logs "moov atom not found" unless it is silenced
    run = subprocess.run(
        [sys.executable, "-m", "posemachines", "infer", str(video), "--out", str(tmp_path / "o")],
        capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 2
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert lines == [f"posemachines: error: Video {video} is corrupt or has no decodable frames."]


@pytest.mark.parametrize(("stop", "code", "line"), [
    (KeyboardInterrupt, 130, "posemachines: interrupted"),
    (Terminated, 143, "posemachines: terminated"),
])
def test_a_stop_is_one_line_and_its_exit_code(monkeypatch, capsys, stop, code, line):
    def stopped(args):
        raise stop  # Ctrl-C, or SIGTERM as main's handler raises it, mid-command

    class Parser:
        def parse_args(self, arguments):
            return argparse.Namespace(command="demo", func=stopped)

    monkeypatch.setattr("posemachines.cli.build_parser", lambda command=None: Parser())
    assert main(["demo"]) == code
    assert capsys.readouterr().err.strip().splitlines() == [line]


def test_sigterm_mid_video_is_one_line_and_leaves_no_partial_file(shared_data, tmp_path):
    stop, code, line = signal.SIGTERM, 143, "posemachines: terminated"
    out = tmp_path / "out"
    run = subprocess.Popen(
        [sys.executable, "-m", "posemachines", "infer",
         str(shared_data / "media" / "opencv_vtest.avi"), "--out", str(out)],
        stderr=subprocess.PIPE, text=True,
    )
    assert run.stderr is not None
    seen = ""
    while "frame/s" not in seen:  # the progress bar: detection is under way
        character = run.stderr.read(1)
        assert character, f"infer ended before its progress bar: {seen}"
        seen += character
    run.send_signal(stop)
    rest = run.communicate(timeout=60)[1]
    assert run.returncode == code
    lines = [text for text in (seen + rest).replace("\r", "\n").splitlines()
             if text.strip() and "frame" not in text]
    assert lines == [line]
    assert not out.exists() or not any(out.iterdir())  # stopped before any output was made


def test_help_in_a_fresh_process_imports_no_command_stack():
    code = ("import sys\nfrom posemachines.cli import main\ntry:\n    main(['--help'])\n"
            "except SystemExit:\n    pass\n"
            f"print([m for m in sys.modules if m.startswith({HEAVY_MODULES!r})])")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    assert "infer" in run.stdout and "export-onnx" in run.stdout
    assert run.stdout.strip().splitlines()[-1] == "[]"


def test_the_command_table_matches_the_modules_parsers():
    """Every module with `register` is in COMMANDS, with the commands and help it registers."""
    registered: dict[str, tuple[str, str]] = {}
    for info in pkgutil.iter_modules(posemachines.cli.__path__):
        module = importlib.import_module(f"posemachines.cli.{info.name}")
        if not hasattr(module, "register"):
            continue
        subparsers = argparse.ArgumentParser().add_subparsers()
        module.register(subparsers)
        for action in subparsers._choices_actions:
            registered[action.dest] = (info.name, action.help or "")
    assert registered == COMMANDS


@pytest.mark.parametrize(("argv", "command"), [
    ([], None), (["--version"], None), (["infer", "clip.mp4", "--out", "x"], "infer"),
    (["-h", "demo"], "demo"), (["data", "mocap", "--help"], "data"),
])
def test_the_command_is_the_first_argument_that_is_not_an_option(argv, command):
    assert command_of(argv) == command


def test_a_command_s_own_help_comes_from_its_module(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["demo", "--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    assert "usage: posemachines demo" in text and "--format FORMAT" in text
    assert "--correction {geometric,paper,none}" in text


def test_a_wrong_weights_name_from_the_loading_thread_is_one_error_line(tmp_path):
    """infer loads the lifter in a worker thread while the detector runs: its errors still end
    the run as one line, before any other (here: before 'No person was found')."""
    import cv2
    import numpy as np

    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((240, 320, 3), 127, dtype=np.uint8))
    run = subprocess.run(
        [sys.executable, "-m", "posemachines", "infer", str(blank), "--weights", "cmu2",
         "--out", str(tmp_path / "o"), "--format", "json"],
        capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 2
    lines = [line for line in run.stderr.splitlines() if line.strip() and "frame" not in line]
    assert lines == ["posemachines: error: Weights 'cmu2' are neither a shipped lifter (mocap, "
                     "lite, cmu) nor an existing file."]
    assert not (tmp_path / "o").exists()


def test_infer_with_every_output_in_a_fresh_process_never_imports_torch(tmp_path):
    """The CPU inference path is numpy (lifter, correction): torch's ~2 s import is not paid."""
    clip = resources.files("posemachines") / "assets" / "sample" / "squat_front_gmdcsa.mp4"
    code = ("import sys\nfrom posemachines.cli import main\n"
            f"code = main(['infer', {str(clip)!r}, '--out', {str(tmp_path / 'out')!r}])\n"
            "print(code, [m for m in sys.modules if m == 'torch' or m.startswith('torch.')])")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip().splitlines()[-1] == "0 []"
    assert {path.name for path in (tmp_path / "out").iterdir()} >= {
        "poses3d.json", "overlay.mp4", "skeleton3d.mp4", "motion.bvh", "viewer.html"}


ACTIONS_NEED_TORCH = ("Action recognition needs the optional package 'torch': "
                      "pip install 'posemachines[torch]'.")
#: Run the CLI in a fresh process where `import torch` fails, as on a machine without it.
WITHOUT_TORCH = """import importlib.abc, sys
class NoTorch(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] == "torch":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, NoTorch())
from posemachines.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_without_torch_poses_run_and_torch_commands_say_what_to_install(tmp_path):
    clip = resources.files("posemachines") / "assets" / "sample" / "squat_front_gmdcsa.mp4"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", WITHOUT_TORCH, *args], capture_output=True,
                              text=True, timeout=300)

    poses = run("infer", str(clip), "--out", str(tmp_path / "out"), "--format", "json,bvh")
    assert poses.returncode == 0, poses.stderr
    assert (tmp_path / "out" / "poses3d.json").is_file()
    angles = run("analyze", str(tmp_path / "out" / "poses3d.json"), "--out", str(tmp_path / "a"))
    assert angles.returncode == 0, angles.stderr
    # --analyze: angles and falls, the actions skipped with the reason.
    analysed = run("infer", str(clip), "--out", str(tmp_path / "b"), "--format", "json",
                   "--analyze")
    assert analysed.returncode == 0, analysed.stderr
    report = json.loads((tmp_path / "b" / "analysis.json").read_text())
    assert report["actions"] == {"skipped": ACTIONS_NEED_TORCH} and report["angles"]["series"]
    for command, message in (
            (["train", "configs/tiny_test.yaml"], TORCH_MISSING),
            (["analyze", str(tmp_path / "out" / "poses3d.json"), "--actions"],
             ACTIONS_NEED_TORCH)):
        refused = run(*command)
        assert refused.returncode == 2
        lines = [line for line in refused.stderr.splitlines() if line.strip()]
        assert lines == [f"posemachines: error: {message}"]
