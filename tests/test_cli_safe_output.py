"""Every command that prints a value from a log, a key or AWS prints it as text: no rich
markup, no terminal escapes (issue 9, section 2). The values are the ones an attacker can
plant (``tests/hostile_support.py``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from click.testing import CliRunner, Result
from moto import mock_aws

from s3logs_athena.cache import ingest
from s3logs_athena.cli.main import cli

from .hostile_support import ESCAPES, HYPERLINK, MARKUP_CLOSE, hostile_lines, write_partitioned

LOG_BUCKET = "central-logs"
#: Keys S3 accepts (any UTF-8, control characters included) that are no log objects.
HOSTILE_KEYS = (
    f"PartitionedLogs/Year=2024/Month=03/Day=01/app/{HYPERLINK}",
    f"PartitionedLogs/Year=2024/Month=03/Day=01/app/{ESCAPES}",
    f"PartitionedLogs/Year=2024/Month=03/Day=01/app/{MARKUP_CLOSE}",
)


def run(*args: str) -> Result:
    return CliRunner(env={"COLUMNS": "300"}).invoke(cli, list(args))


def assert_shown_as_text(result: Result, *, expect: tuple[str, ...] = (HYPERLINK,)) -> None:
    """No traceback or MarkupError; markup printed literally; no ESC reached the output."""
    output = result.stdout + result.stderr
    assert "Traceback" not in output and "MarkupError" not in output, output
    assert "\x1b" not in output and "\x07" not in output  # spelled out instead
    for text in expect:
        assert text in output, (text, output)


@pytest.fixture(scope="module")
def hostile_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = write_partitioned(tmp_path_factory.mktemp("logs"), hostile_lines())
    cache = tmp_path_factory.mktemp("cache")
    ingest(root, cache)
    return cache


def test_query_run_table_prints_markup_and_escapes_as_text(hostile_cache: Path) -> None:
    result = run(
        "query", "run", "user-agents", "--cache", str(hostile_cache),
        "-p", "start=2024-03-01", "-p", "end=2024-03-02", "-p", "limit=100",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert_shown_as_text(result, expect=(HYPERLINK, MARKUP_CLOSE, "\\x1b[31mred"))


def test_query_run_json_keeps_values_exact(hostile_cache: Path) -> None:
    result = run(
        "query", "run", "user-agents", "--cache", str(hostile_cache), "--format", "json",
        "-p", "start=2024-03-01", "-p", "end=2024-03-02", "-p", "limit=100",
    )  # fmt: skip
    assert result.exit_code == 0
    assert ESCAPES in {row["useragent"] for row in json.loads(result.stdout)}  # JSON escapes it
    assert "\x1b" not in result.stdout  # as \u001b


def test_parse_errors_show_control_characters(tmp_path: Path) -> None:
    bad = tmp_path / f"bad{ESCAPES}.log"
    bad.write_text(f"not a log line {HYPERLINK} {ESCAPES}\n")
    result = run("parse", str(bad))
    assert result.exit_code == 1
    assert_shown_as_text(result, expect=(HYPERLINK, "\\x1b"))


def test_ingest_lists_hostile_file_names_as_text(tmp_path: Path) -> None:
    root = write_partitioned(tmp_path / "logs", hostile_lines())
    day = root / "PartitionedLogs" / "Year=2024" / "Month=03" / "Day=01" / "app-assets"
    (day / f"notes{ESCAPES}.txt").write_text("x")
    (day / HYPERLINK.replace("/", "_")).write_text("x")
    result = run("ingest", str(root), "--cache", str(tmp_path / "cache"))
    assert result.exit_code == 0, result.output
    assert_shown_as_text(result, expect=("\\x1b[31mred", "[link=https:__evil.example_]"))


@pytest.fixture
def log_bucket() -> Iterator[Any]:
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=LOG_BUCKET)
        for key in HOSTILE_KEYS:
            s3.put_object(Bucket=LOG_BUCKET, Key=key, Body=b"x")
        # A SimplePrefix log object whose source bucket folder is hostile (a straggler).
        s3.put_object(
            Bucket=LOG_BUCKET, Key=f"{MARKUP_CLOSE}/2024-03-01-10-00-00-0123456789ABCDEF", Body=b"x"
        )
        yield s3


def test_check_table_prints_keys_as_text(log_bucket: Any) -> None:
    result = run(
        "check", "--log-bucket", LOG_BUCKET, "--from", "2024-03-01", "--to", "2024-03-01",
        "--years", "2020,2030", "--bucket-values", "app",
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    assert "unknown_key" in result.stdout
    assert_shown_as_text(result, expect=(HYPERLINK, MARKUP_CLOSE, "\\x1b[31mred"))


def test_sync_prints_skipped_keys_as_text(log_bucket: Any, tmp_path: Path) -> None:
    log_bucket.delete_object(Bucket=LOG_BUCKET, Key=HOSTILE_KEYS[0])
    log_bucket.delete_object(Bucket=LOG_BUCKET, Key=HOSTILE_KEYS[1])
    result = run(
        "sync", "--log-bucket", LOG_BUCKET, "--from", "2024-03-01", "--to", "2024-03-01",
        "--margin-days", "0", "--cache", str(tmp_path),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert_shown_as_text(result, expect=(MARKUP_CLOSE,))


def test_backfill_prints_keys_as_text(log_bucket: Any) -> None:
    log_bucket.put_object(Bucket=LOG_BUCKET, Key=f"app/{ESCAPES}", Body=b"x")
    result = run("backfill", "--log-bucket", LOG_BUCKET, "--older-than", "0s", "--dry-run")
    assert result.exit_code == 0, result.output
    assert_shown_as_text(result, expect=(f"{MARKUP_CLOSE}/2024-03-01", "app/\\x1b[31mred"))


def test_redrive_prints_queue_names_as_text() -> None:
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        dlq = sqs.create_queue(QueueName="dlq")["QueueUrl"]
        queue = sqs.create_queue(QueueName="mover")["QueueUrl"]
        result = run("redrive", "--dlq", dlq, "--queue", f"{queue}?[link=https://evil.example/]x")
    assert "Traceback" not in result.output + result.stderr
    assert "\x1b" not in result.output


def test_report_summary_is_text(hostile_cache: Path, tmp_path: Path) -> None:
    result = run(
        "report", "--cache", str(hostile_cache), "--from", "2024-03-01", "--to", "2024-03-01",
        "--out", str(tmp_path / "r.html"),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert_shown_as_text(result, expect=("Report summary",))
