"""What the README promises about the command line holds: one way to reach AWS on every
command that calls it, shell completion, Jupyter, one golden-file variable."""

from __future__ import annotations

import re

import click
import pytest

from s3logs_athena.cli.main import cli

from .cli_reference import README
from .conftest import REPO_ROOT

#: Commands that make AWS calls (some only with an option: ddl --apply, --engine athena).
AWS_COMMANDS = [
    ["backfill"],
    ["redrive"],
    ["sync"],
    ["check"],
    ["ddl"],
    ["query", "run"],
    ["report"],
    ["doctor"],
]


def _command(path: list[str]) -> click.Command:
    command: click.Command = cli
    ctx = click.Context(cli)
    for name in path:
        assert isinstance(command, click.Group)
        found = command.get_command(ctx, name)
        assert found is not None, name
        command = found
    return command


@pytest.mark.parametrize("path", AWS_COMMANDS, ids=" ".join)
def test_every_aws_command_takes_region_profile_and_endpoint(path: list[str]) -> None:
    options = {opt for param in _command(path).params for opt in getattr(param, "opts", [])}
    assert {"--region", "--profile", "--endpoint-url"} <= options


def test_the_readme_documents_them_once_and_completion_and_jupyter() -> None:
    text = README.read_text(encoding="utf-8")
    section = text.split("\n### Reaching AWS\n", 1)[1].split("\n### ", 1)[0]
    for option in ("--region", "--profile", "--endpoint-url", "AWS_REGION", "doctor"):
        assert option in section
    assert "_S3LOGS_ATHENA_COMPLETE=bash_source" in text
    assert "pip install jupyterlab" in text


def test_one_name_for_the_golden_file_variable() -> None:
    bare = re.compile(r"(?<!S3LOGS_)UPDATE" + "_GOLDEN")  # split: this file is searched too
    files = [README, *sorted((REPO_ROOT / "tests").glob("*.py"))]
    offenders = [p.name for p in files if bare.search(p.read_text(encoding="utf-8"))]
    assert offenders == []
