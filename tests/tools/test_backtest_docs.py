"""Every command docs/backtest.md shows works as written: each fenced sh block runs from the repository root and
exits 0, and an output block right after it shows lines the command prints.

Only what the doc leaves to the reader is substituted: their log file (`access.log`), their vault password file
(`vault-pass.txt`) and their settings file (`monitor.yml`, written from the doc's own example); the worked example's
scratch file `/tmp/access.log` moves into the test's directory so parallel runs do not share it."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
DOC = REPO_ROOT / "docs" / "backtest.md"
_FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
_READER_LOG = re.compile(r"(?<![\w/.-])access\.log\b")


@dataclass(frozen=True)
class Example:
    """One sh block of the doc and the output block that follows it (empty when none does)."""

    index: int
    command: str
    output: str


def blocks() -> list[tuple[str, str]]:
    return [(language, body) for language, body in _FENCE.findall(DOC.read_text(encoding="utf-8"))]


def examples() -> list[Example]:
    found = blocks()
    return [
        Example(index, body, found[index + 1][1] if index + 1 < len(found) and found[index + 1][0] == "" else "")
        for index, (language, body) in enumerate(found)
        if language == "sh"
    ]


def settings_example() -> str:
    """The doc's example settings file for the generic backtest (the yaml block holding a query)."""
    for language, body in blocks():
        if language == "yaml" and "query" in (yaml.safe_load(body) or {}):
            return body
    raise AssertionError(f"{DOC} shows no settings file with a query")


def test_the_doc_shows_the_commands_this_test_runs() -> None:
    commands = [example.command for example in examples()]
    assert len(commands) >= 5
    assert sum("tools.backtest_inventory" in command for command in commands) >= 4
    assert any("-m tools.backtest " in command for command in commands)


@pytest.fixture(scope="module")
def reader_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The files the doc asks the reader to provide."""
    directory = tmp_path_factory.mktemp("reader")
    log = directory / "reader-access.log"
    capture = subprocess.run(
        [str(REPO_ROOT / ".venv/bin/python"), "-m", "tools.access_log", "--minutes", "30", "--slow", "12:6"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    log.write_text(capture.stdout)
    (directory / "vault-pass.txt").write_text("a-password-nothing-is-encrypted-with\n")
    (directory / "monitor.yml").write_text(settings_example())
    files = {"log": log, "vault": directory / "vault-pass.txt", "settings": directory / "monitor.yml", "dir": directory}
    # The worked example's log, written here as its block writes it, for the later blocks that read it: under
    # pytest-xdist the block that writes it may run on another worker.
    for command in scratch_log_commands():
        subprocess.run(["bash", "-euo", "pipefail", "-c", runnable(command, files)], cwd=REPO_ROOT, check=True)
    return files


def scratch_log_commands() -> list[str]:
    """The doc's commands that write the worked example's /tmp/access.log (continuation lines joined)."""
    joined = [line for example in examples() for line in example.command.replace("\\\n", " ").splitlines()]
    return [line for line in joined if "> /tmp/access.log" in line]


def runnable(command: str, files: dict[str, Path]) -> str:
    command = command.replace("/tmp/access.log", str(files["dir"] / "scratch-access.log"))
    command = _READER_LOG.sub(str(files["log"]), command)
    command = re.sub(r"(?<![\w/.-])vault-pass\.txt\b", str(files["vault"]), command)
    return re.sub(r"(?<![\w/.-])monitor\.yml\b", str(files["settings"]), command)


@pytest.mark.parametrize("example", examples(), ids=lambda example: f"block{example.index}")
def test_each_documented_command_works_as_written(example: Example, reader_files: dict[str, Path]) -> None:
    completed = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", runnable(example.command, reader_files)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert completed.returncode == 0, f"{example.command}\n{completed.stdout}\n{completed.stderr}"
    assert "Traceback" not in completed.stderr
    printed = completed.stdout.splitlines()
    position = 0
    for line in (line for line in example.output.splitlines() if line.strip()):
        assert line in printed[position:], f"documented line not printed (in order): {line!r}\n{completed.stdout}"
        position = printed.index(line, position) + 1
