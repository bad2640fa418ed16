"""CSV from ``parse`` and ``query run``: every reader gets the fields back, and a spreadsheet
runs nothing (issue 9, section 3)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from s3logs_athena.cache import ingest
from s3logs_athena.cli.csv_output import CsvWriter, neutralize
from s3logs_athena.cli.main import cli

from .hostile_support import (
    CSV_BREAKERS,
    FORMULAS,
    NOT_FORMULAS,
    USER_AGENTS,
    hostile_lines,
    write_partitioned,
)


@pytest.mark.parametrize("value", FORMULAS)
def test_formulas_get_a_leading_quote(value: str) -> None:
    assert neutralize(value) == "'" + value


@pytest.mark.parametrize("value", [*NOT_FORMULAS, "plain", "", "a=b", "'=already"])
def test_numbers_and_plain_text_are_left_alone(value: str) -> None:
    assert neutralize(value) == value


def test_a_lone_cr_is_quoted_and_rows_round_trip() -> None:
    rows = [["id", "value"], *([str(n), value] for n, value in enumerate(CSV_BREAKERS))]
    rows.append(["99", None])
    out = io.StringIO(newline="")
    writer = CsvWriter(out)
    writer.writerow(rows[0])
    writer.write_columns([list(column) for column in zip(*rows[1:], strict=True)])
    text = out.getvalue()
    assert "lone\rcarriage" not in text.replace('"lone\rcarriage return"', "")  # quoted
    back = list(csv.reader(io.StringIO(text, newline="")))
    assert back == [[cell if cell is not None else "" for cell in row] for row in rows]
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    assert frame["value"].tolist() == [*CSV_BREAKERS, ""]


def test_raw_writes_values_unchanged() -> None:
    out = io.StringIO(newline="")
    CsvWriter(out, raw=True).write_columns([list(FORMULAS)])
    assert [row[0] for row in csv.reader(io.StringIO(out.getvalue(), newline=""))] == list(FORMULAS)


def _parse_csv(tmp_path: Path, *extra: str) -> list[dict[str, str]]:
    log = tmp_path / "hostile.log"
    log.write_bytes(("\n".join(hostile_lines()) + "\n").encode())
    result = CliRunner().invoke(cli, ["parse", "--format", "csv", *extra, str(log)])
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout, newline="")))
    frame = pd.read_csv(io.StringIO(result.stdout), dtype=str, keep_default_na=False)
    assert len(rows) == len(frame) == len(hostile_lines())  # no row split by a CR
    assert frame["useragent"].tolist() == [row["useragent"] for row in rows]
    return rows


def test_parse_csv_round_trips_and_neutralizes(tmp_path: Path) -> None:
    rows = _parse_csv(tmp_path)
    agents = [row["useragent"] for row in rows]
    expected = [neutralize(ua) for ua in USER_AGENTS]
    assert agents[: len(USER_AGENTS)] == expected
    assert all(neutralize(ua) == ua for ua in agents)  # nothing left a spreadsheet would run
    # Numbers stay as they are ("-", an absent value in the log, is an empty cell).
    assert agents[-len(NOT_FORMULAS) :] == [v if v != "-" else "" for v in NOT_FORMULAS]


def test_parse_csv_raw_keeps_every_value(tmp_path: Path) -> None:
    rows = _parse_csv(tmp_path, "--csv-raw")
    assert [row["useragent"] for row in rows][: len(USER_AGENTS)] == list(USER_AGENTS)


def test_help_says_what_csv_does() -> None:
    for command in (["parse", "--help"], ["query", "run", "--help"]):
        text = " ".join(CliRunner().invoke(cli, command).stdout.split())
        assert "--csv-raw" in text and "formula" in text


@pytest.fixture(scope="module")
def hostile_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = write_partitioned(tmp_path_factory.mktemp("logs"), hostile_lines())
    cache = tmp_path_factory.mktemp("cache")
    ingest(root, cache)
    return cache


def _user_agents(cache: Path, *extra: str) -> pd.DataFrame:
    args = ["query", "run", "user-agents", "--cache", str(cache), "-p", "start=2024-03-01"]
    result = CliRunner().invoke(cli, [*args, "-p", "end=2024-03-02", "-p", "limit=100", *extra])
    assert result.exit_code == 0, result.stderr
    return pd.read_csv(io.StringIO(result.stdout), dtype=str, keep_default_na=False)


def test_query_run_csv_round_trips_and_neutralizes(hostile_cache: Path) -> None:
    frame = _user_agents(hostile_cache, "--format", "csv")
    column = next(c for c in frame.columns if "agent" in c)
    agents = set(frame[column])
    assert {neutralize(ua) for ua in USER_AGENTS} <= agents
    assert all(neutralize(value) == value for value in agents)
    raw = _user_agents(hostile_cache, "--format", "csv", "--csv-raw")
    assert set(USER_AGENTS) <= set(raw[column])
