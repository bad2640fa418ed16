"""What the demo prints: its DDL copies as valid SQL at any width, and it ends with the next
commands to run, on its own cache and dates (issue 11)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import sqlglot
from click.testing import CliRunner
from sqlglot import exp

from s3logs_athena.cli.main import cli

ARGS = ["demo", "--buckets", "1", "--days", "2", "--objects-per-day", "8", "--seed", "5"]


@pytest.fixture(scope="module")
def narrow_demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    out = tmp_path_factory.mktemp("demo") / "out"
    # A narrow stdout that is not a terminal: what a copy from a small window or a pipe gets.
    result = CliRunner(env={"COLUMNS": "40"}).invoke(cli, [*ARGS, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return result.stdout, out


def test_the_printed_ddl_is_valid_sql_at_40_columns(narrow_demo: tuple[str, Path]) -> None:
    stdout, out = narrow_demo
    start = stdout.index("CREATE DATABASE")
    end = stdout.index("\nsync: ", start)
    printed = stdout[start:end].strip()
    statements = sqlglot.parse(printed, read="athena")
    kinds = [type(statement) for statement in statements if statement is not None]
    assert kinds and all(kind is exp.Create for kind in kinds), kinds
    assert printed == (out / "table.sql").read_text().strip()  # the very file the demo wrote


def test_the_demo_ends_with_commands_on_its_own_cache(narrow_demo: tuple[str, Path]) -> None:
    stdout, out = narrow_demo
    tail = stdout[stdout.index("Next, on the demo's cache") :]
    commands = [line.strip() for line in tail.splitlines() if line.strip().startswith("s3logs")]
    query = next(c for c in commands if c.startswith("s3logs-athena query run top-ips"))
    assert f"--cache {out / 'cache'}" in query
    assert re.search(r"-p start=\d{4}-\d\d-\d\d -p end=\d{4}-\d\d-\d\d", query)
    result = CliRunner().invoke(cli, shlex.split(query)[1:])
    assert result.exit_code == 0, result.output
    assert "No rows" not in result.stderr and "rows | engine duckdb" in result.stderr
    report = next(c for c in commands if c.startswith("s3logs-athena report"))
    again = CliRunner().invoke(cli, shlex.split(report)[1:])
    assert again.exit_code == 0, again.output
