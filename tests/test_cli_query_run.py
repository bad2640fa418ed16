"""``query run``: DuckDB over a cache, Athena through moto, output formats and errors."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from s3logs_athena.cache import ingest
from s3logs_athena.cli.main import cli

from .conftest import FIXTURES
from .test_engine_athena import FakeAthena, athena  # noqa: F401  (fixture)

RANGE = ["-p", "start=2024-03-01", "-p", "end=2024-03-03"]


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("cache")
    ingest(FIXTURES / "logs" / "partitioned", directory)
    return directory


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["query", "run", *args])
    return result.exit_code, result.stdout, result.stderr


def test_json_is_a_list_of_row_objects(cache: Path) -> None:
    code, out, err = _run("access-denied", "--cache", str(cache), *RANGE, "--format", "json")
    assert code == 0, err
    rows = json.loads(out)
    assert rows == [
        {"hour": "2024-03-01T10:00:00", "requester": "arn:aws:iam::444455556666:user/mallory",
         "remoteip": "192.0.2.66", "requests": 2},
        {"hour": "2024-03-02T13:00:00", "requester": "arn:aws:iam::444455556666:user/mallory",
         "remoteip": "192.0.2.66", "requests": 1},
    ]  # fmt: skip
    assert "2 rows | engine duckdb" in err and "data scanned" in err


def test_csv_and_table_formats(cache: Path) -> None:
    code, out, _ = _run(
        "top-ips", "--cache", str(cache), *RANGE, "-p", "limit=2", "--format", "csv"
    )
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["remoteip"] for r in rows] == ["198.51.100.7", "198.51.100.20"]
    code, out, _ = _run("top-ips", "--cache", str(cache), *RANGE, "-p", "limit=1")
    assert code == 0 and "remoteip" in out and "198.51.10" in out


def test_a_parameter_holding_a_quote(cache: Path) -> None:
    code, out, err = _run(
        "object-history", "--cache", str(cache), *RANGE, "-p", "key=reports/o'brien.csv",
        "--format", "json", "--show-sql",
    )  # fmt: skip
    assert code == 0, err
    assert [r["operation"] for r in json.loads(out)] == ["REST.GET.OBJECT", "BATCH.DELETE.OBJECT"]
    assert "'reports/o''brien.csv'" in err  # the SQL that ran, with the quote escaped


def test_athena_engine_prints_cost_and_reuse(athena: FakeAthena) -> None:  # noqa: F811
    athena.statistics = {"DataScannedInBytes": 52_428_800}
    athena.queue([("remoteip", "varchar"), ("requests", "bigint")], [["192.0.2.66", "3"]])
    code, out, err = _run(
        "top-ips", "--engine", "athena", "--output-location", "s3://results/", "--region",
        "us-east-1", *RANGE, "--format", "json",
    )  # fmt: skip
    assert code == 0, err
    assert json.loads(out) == [{"remoteip": "192.0.2.66", "requests": 3}]
    assert "engine athena" in err and "data scanned 52.4 MB" in err
    assert "est. cost $0.000238" in err and "not reused" in err
    (request,) = athena.requests
    assert "remoteip" in request["QueryString"] and "year" in request["QueryString"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["top-ipz"], "Did you mean 'top-ips'"),
        (["top-ips", "-p", "bogus=1"], "no such parameter"),
        (["top-ips", "-p", "start"], "KEY=VALUE"),
        (["ip-activity", "-p", "ip=10.0.0.999"], "ip"),
        (["top-ips", "--engine", "spark"], "spark"),
    ],
)
def test_user_mistakes_exit_2(cache: Path, args: list[str], message: str) -> None:
    code, _, err = _run(*args, "--cache", str(cache))
    assert code == 2
    assert message in err


def test_an_empty_cache_says_how_to_fill_it(tmp_path: Path) -> None:
    code, _, err = _run("top-ips", "--cache", str(tmp_path))
    assert code == 2 and "s3logs-athena sync" in err
