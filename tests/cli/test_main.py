import subprocess
import sys

from posemachines.cli import build_parser, main


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
