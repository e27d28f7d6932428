"""The Dockerfile, checked without a Docker engine (none runs on this machine or in CI): it
parses with BuildKit's own parser, pins the torch the project pins, copies only files that
exist and are not dockerignored, and its entrypoint script runs `posemachines ARGS` or a
command of the image as it should."""

from __future__ import annotations

import fnmatch
import os
import re
import subprocess
import sys
from pathlib import Path

import dockerfile
import pytest

from posemachines.cli import COMMANDS

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def instructions() -> list[dockerfile.Command]:
    return list(dockerfile.parse_file(str(ROOT / "Dockerfile")))


def _entrypoint_script(instructions: list[dockerfile.Command]) -> tuple[str, str]:
    """(path in the image, text) of the heredoc COPY that writes the entrypoint."""
    heredoc = next(c for c in instructions if c.cmd == "COPY" and c.value[0].startswith("<<"))
    body = heredoc.original.split("\n", 1)[1]
    return heredoc.value[1], body[: body.rindex("EOF")]


def test_the_image_pins_the_cpu_torch_the_ci_installs(instructions) -> None:
    assert [c.value for c in instructions if c.cmd == "FROM"] == [("python:3.11-slim",)]
    ci_pin = re.search(r"torch==([\d.]+)", (ROOT / ".ci" / "run").read_text()).group(1)
    runs = " ".join(c.value[0] for c in instructions if c.cmd == "RUN")
    assert f"torch=={ci_pin}" in runs and "download.pytorch.org/whl/cpu" in runs
    assert "posemachines demo" in runs  # the build checks weights, detector and decoder


def test_copied_files_exist_and_are_not_dockerignored(instructions) -> None:
    ignored = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")]
    sources = [source for c in instructions if c.cmd == "COPY" and not c.value[0].startswith("<<")
               for source in c.value[:-1]]
    assert {"pyproject.toml", "README.md", "posemachines"} <= set(sources)
    for source in sources:
        assert (ROOT / source).exists(), source
        assert not any(fnmatch.fnmatch(source, pattern) for pattern in ignored), source
    assert (ROOT / "posemachines" / "weights" / "lifter_mocap.pt").is_file()


def test_the_default_command_is_a_posemachines_command(instructions) -> None:
    entrypoint, = (c.value for c in instructions if c.cmd == "ENTRYPOINT")
    path, _ = _entrypoint_script(instructions)
    assert entrypoint == (Path(path).name,) and path.startswith("/usr/local/bin/")
    command, = (c.value for c in instructions if c.cmd == "CMD")
    assert command[0] in COMMANDS


def test_entrypoint_runs_posemachines_unless_given_a_command(instructions, tmp_path) -> None:
    _, script = _entrypoint_script(instructions)
    entry = tmp_path / "posemachines-entrypoint"
    entry.write_text(script)
    entry.chmod(0o755)
    # The installed console script sits beside this interpreter, as in the image's PATH.
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(entry), *args], capture_output=True, text=True, env=env,
                              timeout=120)

    version = run("--version")
    assert version.returncode == 0 and version.stdout.startswith("posemachines ")
    assert run("infer", "--help").stdout.startswith("usage: posemachines infer")
    direct = run(Path(sys.executable).name, "-c", "print('a command of the image')")
    assert direct.stdout.strip() == "a command of the image"
    assert run("no-such-command").returncode == 2  # posemachines' own error, not sh's
