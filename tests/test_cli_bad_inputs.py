"""Careless inputs to every command (issue 11): the expected exit code, no traceback, and
one message that says what to do.

Each row runs in-process through click's runner with the environment it names; AWS is never
reached: a row either fails before any call, or has no credentials (botocore refuses to sign,
the instance metadata service is switched off), or runs on in-process moto.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from click.testing import CliRunner
from moto import mock_aws

from s3logs_athena.cli.main import cli

from .conftest import FIXTURES

CACHE = "{cache}"  # replaced by a cache with the fixture logs
TMP = "{tmp}"  # replaced by a fresh directory
A_FILE = "{file}"  # replaced by an existing regular file

NO_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": None,
    "AWS_SECRET_ACCESS_KEY": None,
    "AWS_SESSION_TOKEN": None,
    "AWS_SECURITY_TOKEN": None,
    "AWS_PROFILE": None,
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/credentials",
    "AWS_CONFIG_FILE": "/nonexistent/config",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": None,
    "AWS_CONTAINER_CREDENTIALS_FULL_URI": None,
}
NO_REGION = {
    "AWS_REGION": None,
    "AWS_DEFAULT_REGION": None,
    "AWS_CONFIG_FILE": "/nonexistent/config",
}
NO_ATHENA_SETTINGS = {
    "AWS_ATHENA_S3_STAGING_DIR": None,
    "AWS_ATHENA_WORK_GROUP": None,
    "S3LOGS_ATHENA_OUTPUT": None,
    "S3LOGS_ATHENA_WORKGROUP": None,
}
CREDENTIALS = ("no AWS credentials found", "aws configure", "--profile")
REGION = ("AWS_REGION", "--region")
QUEUE = "https://sqs.us-east-1.amazonaws.com/123456789012/mover"
DLQ = "https://sqs.us-east-1.amazonaws.com/123456789012/mover-dlq"
DAY = ["--from", "2024-03-01", "--to", "2024-03-02"]
RUN = ["query", "run", "top-ips", "--cache", CACHE, "-p", "start=2024-03-01"]


@dataclass(frozen=True)
class Case:
    args: list[str]
    code: int
    says: tuple[str, ...]
    env: dict[str, str | None] = field(default_factory=dict)
    aws: bool = False  # run inside in-process moto


CASES: dict[str, Case] = {
    # -- output paths checked before any work -------------------------------------------
    "report --out under /proc": Case(
        ["report", *DAY, "--cache", CACHE, "--out", "/proc/self/nope/r.html"], 2, ("--out",)
    ),
    "report --out under a file": Case(
        ["report", *DAY, "--cache", CACHE, "--out", f"{A_FILE}/r.html"], 2, ("is a file",)
    ),
    "report --out a directory": Case(
        ["report", *DAY, "--cache", CACHE, "--out", TMP], 2, ("is a directory",)
    ),
    "demo --out under /proc": Case(["demo", "--out", "/proc/self/nope"], 2, ("--out",)),
    "demo --out under a file": Case(["demo", "--out", f"{A_FILE}/demo"], 2, ("is a file",)),
    "demo --out a file": Case(["demo", "--out", A_FILE], 2, ("is a file",)),
    "demo --days 0": Case(["demo", "--days", "0"], 2, ("--days", "1-31")),
    "demo --buckets 13": Case(["demo", "--buckets", "13"], 2, ("--buckets", "1-12")),
    # -- no region ----------------------------------------------------------------------
    "redrive to a local endpoint, no region": Case(
        ["redrive", "--dlq", "http://127.0.0.1:1/1/dlq", "--queue", "http://127.0.0.1:1/1/q"],
        2,
        REGION,
        env=NO_REGION,
    ),
    "check --projection-from-table, no region": Case(
        ["check", "--log-bucket", "logs", *DAY, "--projection-from-table", "db.t"],
        2,
        REGION,
        env=NO_REGION,
    ),
    "query run --engine athena, no region": Case(
        ["query", "run", "top-ips", "--engine", "athena", "--output-location", "s3://r/"],
        2,
        REGION,
        env=NO_REGION,
    ),
    "ddl --apply, no region": Case(
        [
            "ddl",
            "--location",
            "s3://central-logs/PartitionedLogs/",
            "--buckets",
            "a-b",
            "--apply",
            "--output-location",
            "s3://r/",
        ],
        2,
        REGION,
        env=NO_REGION,
    ),
    # -- no credentials: one exit code, one hint, everywhere ----------------------------
    "query run --engine athena, no credentials": Case(
        ["query", "run", "top-ips", "--engine", "athena", "--output-location", "s3://r/"],
        2,
        CREDENTIALS,
        env=NO_CREDENTIALS | {"AWS_DEFAULT_REGION": "us-east-1"},
    ),
    "report --engine athena, no credentials": Case(
        [
            "report",
            *DAY,
            "--engine",
            "athena",
            "--output-location",
            "s3://r/",
            "--out",
            f"{TMP}/r.html",
        ],
        2,
        CREDENTIALS,
        env=NO_CREDENTIALS | {"AWS_DEFAULT_REGION": "us-east-1"},
    ),
    "ddl --apply, no credentials": Case(
        [
            "ddl",
            "--location",
            "s3://central-logs/PartitionedLogs/",
            "--buckets",
            "a-b",
            "--apply",
            "--output-location",
            "s3://r/",
        ],
        2,
        CREDENTIALS,
        env=NO_CREDENTIALS | {"AWS_DEFAULT_REGION": "us-east-1"},
    ),
    "sync, no credentials": Case(
        ["sync", "--log-bucket", "logs", *DAY, "--cache", TMP],
        2,
        CREDENTIALS,
        env=NO_CREDENTIALS | {"AWS_DEFAULT_REGION": "us-east-1"},
    ),
    "backfill, no credentials": Case(
        ["backfill", "--log-bucket", "logs"],
        2,
        CREDENTIALS,
        env=NO_CREDENTIALS | {"AWS_DEFAULT_REGION": "us-east-1"},
    ),
    "redrive, no credentials": Case(
        ["redrive", "--dlq", DLQ, "--queue", QUEUE],
        2,
        CREDENTIALS,
        env=NO_CREDENTIALS | {"AWS_DEFAULT_REGION": "us-east-1"},
    ),
    "check, no credentials": Case(
        ["check", "--log-bucket", "logs", *DAY],
        2,
        CREDENTIALS,
        env=NO_CREDENTIALS | {"AWS_DEFAULT_REGION": "us-east-1"},
    ),
    "unknown --profile": Case(
        ["sync", "--log-bucket", "logs", *DAY, "--cache", TMP, "--profile", "nosuch"],
        2,
        ("profile", "nosuch"),
        env={"AWS_CONFIG_FILE": "/nonexistent/config"},
    ),
    "doctor, unknown --profile": Case(
        ["doctor", "--profile", "nosuch"], 2, ("nosuch",), env={"AWS_CONFIG_FILE": "/x/config"}
    ),
    # -- Athena settings ----------------------------------------------------------------
    "ddl --apply without a result location": Case(
        ["ddl", "--location", "s3://central-logs/PartitionedLogs/", "--buckets", "a-b", "--apply"],
        2,
        ("--output-location", "--workgroup"),
        env=NO_ATHENA_SETTINGS,
    ),
    "check --athena without a result location": Case(
        ["check", "--log-bucket", "logs", *DAY, "--athena"],
        2,
        ("--athena-output",),
        env=NO_ATHENA_SETTINGS,
    ),
    "query run --output-location not s3": Case(
        ["query", "run", "top-ips", "--engine", "athena", "--output-location", "/tmp/x"],
        2,
        ("s3://",),
    ),
    # -- days: the same forms everywhere, reversed ranges as typed -----------------------
    "sync reversed range": Case(
        [
            "sync",
            "--log-bucket",
            "logs",
            "--from",
            "2024-03-10",
            "--to",
            "2024-03-08",
            "--cache",
            TMP,
        ],
        2,
        ("--from 2024-03-10 is after --to 2024-03-08",),
    ),
    "sync reversed relative range": Case(
        ["sync", "--log-bucket", "logs", "--from", "-5d", "--to", "-6d", "--cache", TMP],
        2,
        ("--from -5d (", "--to -6d ("),
    ),
    "check reversed range": Case(
        ["check", "--log-bucket", "logs", "--from", "2024-03-06", "--to", "2024-03-05"],
        2,
        ("--from 2024-03-06 is after --to 2024-03-05",),
    ),
    "report reversed range": Case(
        [
            "report",
            "--from",
            "2024-03-06",
            "--to",
            "2024-03-05",
            "--cache",
            CACHE,
            "--out",
            f"{TMP}/r.html",
        ],
        2,
        ("--from 2024-03-06 is after --to 2024-03-05",),
    ),
    "check --from not a day": Case(
        ["check", "--log-bucket", "logs", "--from", "March", "--to", "today"],
        2,
        ("--from 'March'", "YYYY-MM-DD", "-Nd"),
    ),
    "check --to not a valid date": Case(
        ["check", "--log-bucket", "logs", "--from", "2024-02-01", "--to", "2024-02-30"],
        2,
        ("--to '2024-02-30'",),
    ),
    "report --from tomorrow": Case(
        ["report", "--from", "tomorrow", "--to", "today", "--cache", CACHE],
        2,
        ("--from 'tomorrow'", "yesterday"),
    ),
    "query run reversed range": Case(
        [*RUN[:-2], "-p", "start=2024-03-05", "-p", "end=2024-03-01"], 2, ("end", "start")
    ),
    # -- local files --------------------------------------------------------------------
    "ingest a directory without log files": Case(
        ["ingest", TMP, "--cache", f"{TMP}/cache"], 1, ("no log files", "Year=YYYY")
    ),
    "ingest a path that does not exist": Case(
        ["ingest", "/nonexistent/logs"], 2, ("does not exist",)
    ),
    "ingest a file": Case(["ingest", A_FILE], 2, ("is a file",)),
    "parse a missing file": Case(["parse", "/nonexistent.log"], 2, ("no such file",)),
    "parse a directory": Case(["parse", TMP], 2, ("is a directory",)),
    "parse a binary file": Case(["parse", "{binary}"], 2, ("binary, not a log",)),
    "parse --format xml": Case(["parse", "--format", "xml", A_FILE], 2, ("jsonl", "csv")),
    # -- commands, templates, parameters -------------------------------------------------
    "mistyped command": Case(["qurey", "list"], 2, ("Did you mean 'query'",)),
    "mistyped subcommand": Case(["query", "lst"], 2, ("Did you mean 'list'",)),
    "mistyped option": Case(["check", "--formt", "json"], 2, ("--format",)),
    "mistyped template": Case(["query", "show", "top-ip"], 2, ("top-ips",)),
    "mistyped template to run": Case(
        ["query", "run", "who-deleteed", "--cache", CACHE], 2, ("who-deleted",)
    ),
    "parameter without =": Case([*RUN, "-p", "limit"], 2, ("KEY=VALUE",)),
    "unknown parameter": Case([*RUN, "-p", "limt=3"], 2, ("limit",)),
    "parameter given twice": Case([*RUN, "-p", "start=-2d"], 2, ("twice",)),
    "bad limit": Case([*RUN, "-p", "limit=many"], 2, ("limit",)),
    "bad start": Case([*RUN[:-2], "-p", "start=soon"], 2, ("start", "-7d")),
    "empty cache": Case(
        ["query", "run", "top-ips", "--cache", TMP, "-p", "start=-1d"], 2, ("sync", "ingest")
    ),
    "query render --dialect mysql": Case(
        ["query", "render", "top-ips", "--dialect", "mysql"], 2, ("athena", "duckdb")
    ),
    "reuse-minutes out of range": Case(
        [*RUN, "--engine", "athena", "--reuse-minutes", "0"], 2, ("--reuse-minutes",)
    ),
    # -- mover and checker options -------------------------------------------------------
    "backfill bad bucket name": Case(["backfill", "--log-bucket", "Bad_Bucket"], 2, ("bucket",)),
    "backfill bad --older-than": Case(
        ["backfill", "--log-bucket", "logs", "--older-than", "soon"], 2, ("30s, 15m",)
    ),
    "backfill --concurrency 0": Case(
        ["backfill", "--log-bucket", "logs", "--concurrency", "0"], 2, ("--concurrency",)
    ),
    "redrive not a URL": Case(["redrive", "--dlq", "dlq", "--queue", QUEUE], 2, ("queue URL",)),
    "redrive the same queue twice": Case(
        ["redrive", "--dlq", QUEUE, "--queue", QUEUE], 2, ("same queue",)
    ),
    "redrive --limit 0": Case(
        ["redrive", "--dlq", DLQ, "--queue", QUEUE, "--limit", "0"], 2, ("--limit",)
    ),
    "check --sample without --deep": Case(
        ["check", "--log-bucket", "logs", *DAY, "--sample", "3"], 2, ("--deep",)
    ),
    "check bad --older-than": Case(
        ["check", "--log-bucket", "logs", *DAY, "--older-than", "later"], 2, ("15m",)
    ),
    "sync bad bucket list": Case(
        ["sync", "--log-bucket", "logs", *DAY, "--buckets", "UPPER", "--cache", TMP],
        2,
        ("bucket",),
    ),
    "ddl without --location": Case(["ddl", "--buckets", "a-b"], 2, ("--location",)),
    "ddl bad --years": Case(
        [
            "ddl",
            "--location",
            "s3://central-logs/PartitionedLogs/",
            "--buckets",
            "a-b",
            "--years",
            "2020",
        ],
        2,
        ("2020,2035",),
    ),
    "report bad --bulk-min-bytes": Case(
        ["report", *DAY, "--cache", CACHE, "--bulk-min-bytes", "lots"], 2, ("--bulk-min-bytes",)
    ),
    # -- things that used to fail and now work (exit 0) ----------------------------------
    "check --from -2d --to today": Case(
        ["check", "--log-bucket", "central-logs", "--from", "-2d", "--to", "today"],
        0,
        ("Aligned",),
        aws=True,
    ),
    "redrive takes the region from the queue URL": Case(
        ["redrive", "--dlq", DLQ, "--queue", QUEUE, "--dry-run"],
        0,
        ("0 messages wait in the DLQ",),
        env=NO_REGION,
        aws=True,
    ),
}


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from s3logs_athena.cache import ingest

    directory = tmp_path_factory.mktemp("cache")
    ingest(FIXTURES / "logs" / "partitioned", directory)
    return directory


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="central-logs")
        sqs = boto3.client("sqs", region_name="us-east-1")
        sqs.create_queue(QueueName="mover")
        sqs.create_queue(QueueName="mover-dlq")
        yield


def _fill(args: list[str], cache: Path, tmp: Path) -> list[str]:
    a_file = tmp / "a-file.txt"
    a_file.write_text("not a directory\n")
    binary = tmp / "image.png"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    work = tmp / "work"
    work.mkdir(exist_ok=True)
    replacements = {CACHE: str(cache), TMP: str(work), A_FILE: str(a_file), "{binary}": str(binary)}
    filled = []
    for arg in args:
        for placeholder, value in replacements.items():
            arg = arg.replace(placeholder, value)
        filled.append(arg)
    return filled


@pytest.mark.parametrize("name", list(CASES))
def test_careless_input(name: str, cache: Path, tmp_path: Path, request: Any) -> None:
    case = CASES[name]
    if case.aws:
        request.getfixturevalue("aws")
    runner = CliRunner(env={"COLUMNS": "200", **case.env})
    result = runner.invoke(cli, _fill(case.args, cache, tmp_path))
    output = result.stdout + result.stderr
    assert result.exit_code == case.code, (name, output, result.exception)
    assert "Traceback" not in output
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), result.exception
    for words in case.says:
        assert words in " ".join(output.split()), (name, words, output)
    if case.code == 2 and result.stderr.startswith("Error: "):
        # Our own errors are one line (click's usage errors add a usage header).
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_the_table_is_large() -> None:
    assert len(CASES) >= 60
