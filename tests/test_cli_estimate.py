"""``query estimate``: partitions, objects, bytes and price of a template on moto, as a table
or JSON, from an S3 location or the Glue table; mistakes are one line and exit 2."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from click.testing import CliRunner
from moto import mock_aws

from s3logs_athena.cli.main import cli
from s3logs_athena.table.ddl import TableSpec
from s3logs_athena.testing.glue_catalog import create_catalog

from .test_cost_guard import LOCATION, OBJECT, REGION, _fill

RANGE = ["-p", "start=2024-05-01", "-p", "end=2024-05-02"]


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        _fill()
        yield


def _estimate(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["query", "estimate", *args, "--region", REGION])
    return result.exit_code, result.stdout, result.stderr


def test_json_has_the_figures(aws: None) -> None:
    code, out, err = _estimate("top-ips", *RANGE, "--location", LOCATION, "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["partitions"] == 4 and data["objects"] == 12 and data["bytes"] == 12 * OBJECT
    assert data["usd"] == pytest.approx(12 / 1024**2 * 5)
    assert data["upper_bound"] is True
    assert data["first_day"] == "2024-05-01" and data["last_day"] == "2024-05-02"
    assert data["buckets"] == ["app-assets", "app-uploads"]
    (scan,) = data["scans"]
    assert scan["relation"] == "s3_access_logs_db.s3_access_logs_all"  # what templates read


def test_the_table_says_it_is_an_upper_bound(aws: None) -> None:
    code, out, err = _estimate(
        "top-ips", *RANGE, "-p", "buckets=app-uploads", "--location", LOCATION,
        "--usd-per-tb", "6.75",
    )  # fmt: skip
    assert code == 0, err
    text = " ".join(out.split())
    assert "partitions 2 from 2024-05-01 to 2024-05-02, 1 bucket" in text
    assert "objects 6" in text and "bytes 6,291,456 (6.3 MB)" in text
    assert "at $6.75 per TB" in text and "at least 10 MB" in text
    assert "upper bound" in text and "only the columns a query uses from Parquet" in text


def test_from_the_glue_table(aws: None) -> None:
    glue = boto3.client("glue", region_name=REGION)
    spec = TableSpec(location=LOCATION, buckets=("app-assets",), years=(2024, 2024))
    create_catalog(glue, spec)  # as `ddl --apply` leaves it
    code, out, err = _estimate("top-ips", *RANGE, "--format", "json")
    assert code == 0, err
    assert json.loads(out)["buckets"] == ["app-assets"]
    code, out, err = _estimate(
        "top-ips", *RANGE, "--table", "s3_access_logs_db.s3_access_logs", "--format", "json"
    )
    assert code == 0 and json.loads(out)["bytes"] == 6 * OBJECT


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--location", "central-logs/PartitionedLogs/"], "not an s3://"),
        (["--table", "nodot"], "DATABASE.TABLE"),
        ([], "s3_access_logs"),  # no Glue table: says which one it looked for
        (["--location", LOCATION, "--usd-per-tb", "cheap"], "--usd-per-tb"),
        (["--location", LOCATION, "-p", "limit=0"], "limit"),
    ],
)
def test_mistakes_are_one_line(aws: None, args: list[str], message: str) -> None:
    code, _, err = _estimate("top-ips", *RANGE, *args)
    assert code == 2, err
    assert message in err and "Traceback" not in err
    assert len([line for line in err.splitlines() if line.strip()]) == 1
