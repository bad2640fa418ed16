"""``s3logs-athena check``: output for people and for automation, exit codes, usage errors,
and a real endpoint through ``AWS_ENDPOINT_URL``."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from click.testing import CliRunner, Result

from s3logs_athena.cli.main import cli
from tests.check_support import FIXTURES, LOG_BUCKET, REPO_ROOT, dataset, s3, seed

__all__ = ["s3"]

GOLDEN = FIXTURES / "check" / "golden.json"
WINDOW = ["--log-bucket", LOG_BUCKET, "--from", "2024-01-02", "--to", "2024-01-03"]
PROJECTION = ["--years", "2020,2030", "--bucket-values", "app,api,unused"]
_AGE = re.compile(r"(at its source |, for )\d+[dhms][0-9dhms]*")


def run(*args: str) -> Result:
    return CliRunner(env={"COLUMNS": "250"}).invoke(cli, ["check", *args])


def normalized(document: dict[str, Any]) -> dict[str, Any]:
    """Ages depend on when the test ran: replace them."""
    for finding in document["findings"]:
        finding["detail"] = _AGE.sub(r"\1<age>", finding["detail"])
    return document


def test_json_output_is_stable(s3: Any) -> None:
    seed(s3, dataset("everything"))
    result = run(*WINDOW, *PROJECTION, "--older-than", "0", "--deep", "--format", "json")
    assert result.exit_code == 1, result.output
    document = normalized(json.loads(result.stdout))
    if os.environ.get("S3LOGS_UPDATE_GOLDEN") == "1":  # pragma: no cover - regenerating
        GOLDEN.write_text(json.dumps(document, indent=2) + "\n")
    assert document == json.loads(GOLDEN.read_text())
    assert list(document) == ["summary", "findings"]
    assert all(list(f) == ["kind", "key", "partition", "detail"] for f in document["findings"])


def test_the_table_for_people(s3: Any) -> None:
    seed(s3, dataset("everything"))
    result = run(*WINDOW, *PROJECTION, "--older-than", "0")
    assert result.exit_code == 1
    out = result.stdout
    assert "straggler" in out and "unknown_key" in out and "exports/report.csv" in out
    assert (
        "Misaligned: 2 straggler, 4 misplaced, 2 duplicate, 1 unprojected, 1 unknown_key. "
        "(informational: 1 unused_bucket_value)" in out
    )
    assert "Checked 5 partitions of 3 buckets" in out


def test_aligned_exits_0(s3: Any) -> None:
    seed(s3, [o for o in dataset("everything") if "0A0A0A0A" in o[0]])
    result = run(*WINDOW, "--deep")
    assert result.exit_code == 0, result.output
    assert "Aligned." in result.stdout


def test_informational_findings_do_not_fail_the_check(s3: Any) -> None:
    seed(s3, [o for o in dataset("everything") if "0A0A0A0A" in o[0]])
    result = run(
        *WINDOW, "--years", "2024,2024", "--bucket-values", "app,spare", "--format", "json"
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)["summary"]
    assert summary["aligned"] is True and summary["counts"]["unused_bucket_value"] == 1


def test_fix_then_clean(s3: Any) -> None:
    marks = ("0A0A", "5555555555555501", "D0D0")
    seed(s3, [o for o in dataset("everything") if any(m in o[0] for m in marks)])
    result = run(*WINDOW, "--older-than", "0", "--fix", "--format", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["findings"] == []
    assert document["summary"]["fix"]["outcomes"] == {"moved": 2, "removed": 1}
    assert document["summary"]["fix"]["before"]["straggler"] == 1
    again = run(*WINDOW, "--older-than", "0")
    assert again.exit_code == 0 and "Aligned." in again.stdout


def test_progress_goes_to_stderr_and_keeps_stdout_json(s3: Any) -> None:
    seed(s3, dataset("everything"))
    result = run(*WINDOW, "--deep", "--progress", "--format", "json")
    assert result.exit_code == 1
    json.loads(result.stdout)
    assert "listing objects" in result.stderr and "reading objects" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--sample", "5"], "--sample needs --deep"),
        (["--projection-from-table", "db.t", "--years", "2024"], "not both"),
        (["--older-than", "soon"], "expected a duration"),
        (["--athena"], "--athena needs --athena-output"),
        (["--years", "2030,2020"], "expected FIRST,LAST"),
        (["--buckets", ","], "--buckets is empty"),
        (["--projection-from-table", "nodot"], "expected DATABASE.TABLE"),
    ],
)
def test_usage_errors_exit_2_with_a_message(s3: Any, args: list[str], message: str) -> None:
    result = run(*WINDOW, *args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_usage_errors_from_click_and_aws_exit_2(s3: Any) -> None:
    reversed_days = run("--log-bucket", LOG_BUCKET, "--from", "2024-01-03", "--to", "2024-01-02")
    assert reversed_days.exit_code == 2 and "is after --to" in reversed_days.stderr
    bad_date = run("--log-bucket", LOG_BUCKET, "--from", "2024-13-01", "--to", "2024-01-02")
    assert bad_date.exit_code == 2 and "--from" in bad_date.stderr
    missing = run("--log-bucket", "no-such-bucket", "--from", "2024-01-02", "--to", "2024-01-02")
    assert missing.exit_code == 2 and "does not exist" in missing.stderr
    assert "Traceback" not in missing.output


def test_a_missing_glue_table_is_a_usage_error(s3: Any) -> None:
    result = run(*WINDOW, "--projection-from-table", "s3_access_logs_db.nope")
    assert result.exit_code == 2
    assert "nope" in result.stderr and "Traceback" not in result.output


@pytest.fixture
def moto_server() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def test_against_a_moto_server_through_aws_endpoint_url(moto_server: str) -> None:
    client = boto3.client("s3", region_name="us-east-1", endpoint_url=moto_server)
    client.create_bucket(Bucket=LOG_BUCKET)
    seed(client, dataset("everything"))
    environment = {**os.environ, "AWS_ENDPOINT_URL": moto_server}
    process = subprocess.run(
        [sys.executable, "-m", "s3logs_athena", "check", *WINDOW, *PROJECTION,
         "--older-than", "0", "--deep", "--format", "json"],
        env=environment, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert process.returncode == 1, process.stderr
    document = normalized(json.loads(process.stdout))
    assert document == json.loads(GOLDEN.read_text())
