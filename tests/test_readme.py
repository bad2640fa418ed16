"""The README's promises: a two-command quick start that CI runs, and a command reference
that matches the commands."""

from __future__ import annotations

import re

from .cli_reference import README, readme_block, render
from .conftest import REPO_ROOT

FIRST_COMMAND = (
    "python3 -m venv .venv && . .venv/bin/activate && pip install . && s3logs-athena demo"
)


def quick_start_commands() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Quick start\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)
    return [
        line.strip()
        for block in blocks
        for line in block.splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]


def _normalise(command: str) -> str:
    """The same command however CI spells it (quietly, through ``python -m pip``)."""
    command = re.sub(r"\bpython3? -m pip\b", "pip", command)
    command = re.sub(r"\s(--quiet|-q)\b", "", command)
    return " ".join(command.split())


def test_the_quick_start_is_two_commands() -> None:
    commands = quick_start_commands()
    assert len(commands) == 2, commands
    assert commands[0] == FIRST_COMMAND
    assert "pytest" in commands[1]


def test_ci_runs_the_second_command() -> None:
    ci = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    lines = {_normalise(line) for line in ci.splitlines() if line.strip()}
    steps = [_normalise(step) for step in quick_start_commands()[1].split("&&")]
    assert [step for step in steps if step not in lines] == []
    # ...and the test step is the last thing it runs.
    assert _normalise(ci.strip().splitlines()[-1]) == steps[-1]


def test_the_command_reference_is_current() -> None:
    """Regenerate with ``python -m tests.cli_reference`` after changing a command."""
    assert readme_block(README.read_text(encoding="utf-8")) == render()
