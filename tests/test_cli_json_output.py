"""``--format json`` for the commands' summaries (everything in it: backfill's dry-run list in
full), progress bars only where someone watches, and query results people can read."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pandas as pd
import pytest
from click.testing import CliRunner, Result
from moto import mock_aws

from s3logs_athena.cache import ingest
from s3logs_athena.cli.frame_output import format_number, frame_json
from s3logs_athena.cli.main import cli

from .conftest import FIXTURES
from .mover_support import BUCKET, log_body, log_key, target_of

LOGS = FIXTURES / "logs" / "partitioned"


def run(*args: str, **env: str) -> Result:
    return CliRunner(env={"COLUMNS": "200", **env}).invoke(cli, list(args))


# -- query list / show ------------------------------------------------------------------------


def test_query_list_json() -> None:
    result = run("query", "list", "--format", "json")
    assert result.exit_code == 0
    templates = json.loads(result.stdout)
    assert len(templates) >= 20
    assert {"name": "top-ips", "category": "access"} == {
        k: v
        for k, v in next(t for t in templates if t["name"] == "top-ips").items()
        if k != "title"
    }
    only = json.loads(run("query", "list", "--category", "cost", "--format", "json").stdout)
    assert only and {t["category"] for t in only} == {"cost"}


def test_query_show_json_has_everything() -> None:
    result = run("query", "show", "object-history", "--format", "json")
    assert result.exit_code == 0
    template = json.loads(result.stdout)
    assert template["name"] == "object-history"
    assert {"description", "params", "columns", "one_of", "example", "source"} <= set(template)
    names = [p["name"] for p in template["params"]]
    assert {"start", "end", "key", "prefix"} <= set(names)
    assert "SELECT" in template["source"].upper()


# -- backfill / redrive ---------------------------------------------------------------------


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        for n in range(14):
            client.put_object(Bucket=BUCKET, Key=log_key(n), Body=log_body(n))
        yield client


def test_backfill_dry_run_json_lists_every_straggler(s3: Any) -> None:
    result = run("backfill", "--log-bucket", BUCKET, "--older-than", "0s", "--dry-run",
                 "--format", "json")  # fmt: skip
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["dry_run"] is True and document["stragglers"] == 14
    assert [s["key"] for s in document["straggler_keys"]] == sorted(log_key(n) for n in range(14))
    assert document["straggler_keys"][0]["target_key"] == target_of(
        document["straggler_keys"][0]["key"]
    )
    assert result.stderr == ""  # no progress bar off a terminal


def test_backfill_json_after_moving(s3: Any) -> None:
    result = run("backfill", "--log-bucket", BUCKET, "--older-than", "0s", "--format", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["outcomes"]["moved"] == 14 and document["failures"] == []


def test_backfill_progress_only_when_asked_or_on_a_terminal(s3: Any) -> None:
    quiet = run("backfill", "--log-bucket", BUCKET, "--older-than", "0s", "--dry-run")
    assert "listing" not in quiet.stderr
    shown = run("backfill", "--log-bucket", BUCKET, "--older-than", "0s", "--dry-run", "--progress")
    assert "listing" in shown.stderr
    off = run(
        "backfill", "--log-bucket", BUCKET, "--older-than", "0s", "--no-progress", "--dry-run"
    )
    assert off.exit_code == 0 and "listing" not in off.stderr


@pytest.fixture
def queues() -> Iterator[tuple[str, str]]:
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        dlq = sqs.create_queue(QueueName="dlq")["QueueUrl"]
        queue = sqs.create_queue(QueueName="mover")["QueueUrl"]
        for n in range(3):
            sqs.send_message(QueueUrl=dlq, MessageBody=f"message {n}")
        yield dlq, queue


def test_redrive_json(queues: tuple[str, str]) -> None:
    dlq, queue = queues
    dry = run("redrive", "--dlq", dlq, "--queue", queue, "--dry-run", "--format", "json")
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.stdout)["dlq_depth"]["visible"] == 3
    moved = run("redrive", "--dlq", dlq, "--queue", queue, "--format", "json", "--progress")
    assert moved.exit_code == 0, moved.output
    document = json.loads(moved.stdout)
    assert (document["moved"], document["failed"], document["dry_run"]) == (3, 0, False)
    assert "redriving" in moved.stderr  # asked for with --progress
    quiet = run("redrive", "--dlq", dlq, "--queue", queue, "--no-progress")
    assert quiet.exit_code == 0 and "redriving" not in quiet.stderr


# -- sync / ingest ----------------------------------------------------------------------------


def test_ingest_json(tmp_path: Path) -> None:
    result = run("ingest", str(LOGS), "--cache", str(tmp_path), "--format", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["files_ingested"] == 6 and document["records"] == 39
    assert document["unparseable_lines"] == 1 and len(document["unparseable_examples"]) == 1
    again = json.loads(
        run("ingest", str(LOGS), "--cache", str(tmp_path), "--format", "json").stdout
    )
    assert again["files_unchanged"] == 6 and again["files_ingested"] == 0


def test_sync_json(tmp_path: Path) -> None:
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="central-logs")
        for path in LOGS.rglob("*"):
            if path.is_file():
                key = path.relative_to(LOGS).as_posix()
                s3.put_object(Bucket="central-logs", Key=key, Body=path.read_bytes())
        result = run("sync", "--log-bucket", "central-logs", "--from", "2024-03-01", "--to",
                     "2024-03-01", "--cache", str(tmp_path), "--format", "json")  # fmt: skip
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert (document["from"], document["to"]) == ("2024-02-29", "2024-03-02")
    assert document["objects_downloaded"] == 5 and document["ingest"]["records"] > 0


# -- query run output -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.015370000000000002, "0.01537"),
        (1234567, "1,234,567"),
        (1234567.0, "1,234,567"),
        (12.345678, "12.3457"),
        (1234567.891, "1,234,568"),
        (0.1 + 0.2, "0.3"),
        (-2.5, "-2.5"),
        (0.000012, "1.2e-05"),
    ],
)
def test_numbers_without_float_noise(value: float, text: str) -> None:
    assert format_number(value) == text


def test_json_dates_are_dates() -> None:
    from datetime import date

    frame = pd.DataFrame(
        {
            "day": [date(2024, 3, 4)],
            "hour": pd.to_datetime(["2024-03-04 10:00:00"]),
            "n": pd.array([3], dtype="Int64"),
            "share": [0.1 + 0.2],
        }
    )
    rows = json.loads(frame_json(frame))
    assert rows == [
        {"day": "2024-03-04", "hour": "2024-03-04T10:00:00", "n": 3, "share": 0.1 + 0.2}
    ]


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("cache")
    ingest(LOGS, directory)
    return directory


def test_query_run_table_and_summary_read_well(cache: Path) -> None:
    args = ["query", "run", "requests-by-day", "--cache", str(cache), "-p", "start=2024-03-02"]
    result = run(*args, "-p", "end=2024-03-03", "-p", "buckets=app-assets")
    assert result.exit_code == 0, result.output
    assert "850,012,881" in result.stdout  # thousands separators
    assert result.stderr.startswith("1 row | engine duckdb")
    json_run = run(*args, "-p", "end=2024-03-03", "--format", "json")
    assert {row["day"] for row in json.loads(json_run.stdout)} == {"2024-03-02"}


def test_no_rows_says_what_the_cache_holds(cache: Path) -> None:
    args = ["query", "run", "top-ips", "--cache", str(cache), "-p", "start=2023-01-01"]
    result = run(*args, "-p", "end=2023-01-02")
    assert result.exit_code == 0
    assert "0 rows" in result.stderr
    assert "holds records of 2024-02-28 to 2024-03-03" in " ".join(result.stderr.split())


def test_an_empty_report_says_what_the_cache_holds(cache: Path, tmp_path: Path) -> None:
    result = run("report", "--cache", str(cache), "--from", "2023-01-01", "--to", "2023-01-02",
                 "--out", str(tmp_path / "r.html"))  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "holds records of 2024-02-28 to 2024-03-03" in " ".join(result.stderr.split())


def test_json_escapes_what_a_terminal_would_obey() -> None:
    from s3logs_athena.cli.output import dumps_json

    text = dumps_json({"useragent": "a\x9b31m\u202eb\x1bc é"})
    assert "\x9b" not in text and "\u202e" not in text and "\x1b" not in text
    assert "é" in text  # readable text stays readable
    assert json.loads(text) == {"useragent": "a\x9b31m\u202eb\x1bc é"}
