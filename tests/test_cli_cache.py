"""The sync and ingest commands, end to end (sync against a moto server via AWS_ENDPOINT_URL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from click.testing import CliRunner
from moto.server import ThreadedMotoServer

from s3logs_athena.cli.main import cli

from .conftest import FIXTURES

PARTITIONED = FIXTURES / "logs" / "partitioned"


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    try:
        yield url
    finally:
        server.stop()


def test_ingest_command_reports_counts_and_bad_lines(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["ingest", str(PARTITIONED), "--cache", str(tmp_path / "c")])
    assert result.exit_code == 0, result.output
    assert "log files ingested" in result.stderr and "39" in result.stderr
    assert "1 lines are not S3 server access log records" in result.stderr
    assert "this line is not an access log record" in result.stderr
    assert list((tmp_path / "c" / "parquet").rglob("*.parquet"))


def test_ingest_uses_the_cache_environment_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("S3LOGS_ATHENA_CACHE", str(tmp_path / "env-cache"))
    result = CliRunner().invoke(cli, ["ingest", str(PARTITIONED)])
    assert result.exit_code == 0, result.output
    assert list((tmp_path / "env-cache" / "parquet").rglob("*.parquet"))


def test_sync_command_against_a_moto_server(endpoint: str, tmp_path: Path) -> None:
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=endpoint)
    s3.create_bucket(Bucket="central-logs")
    for path in PARTITIONED.rglob("*"):
        if path.is_file():
            key = path.relative_to(PARTITIONED).as_posix()
            s3.put_object(Bucket="central-logs", Key=key, Body=path.read_bytes())
    args = ["sync", "--log-bucket", "central-logs", "--from", "2024-03-01", "--to", "2024-03-01"]
    args += ["--cache", str(tmp_path / "c")]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    # --margin-days 1 (the default) also fetches Feb 29 and Mar 2.
    assert "5 objects in 3 days (2024-02-29 to 2024-03-02)" in result.stderr
    assert "downloaded 5" in result.stderr
    again = CliRunner().invoke(cli, [*args, "--buckets", "app-uploads", "--margin-days", "1"])
    assert again.exit_code == 0, again.output
    assert "downloaded 0" in again.stderr and "1 unchanged" in again.stderr


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--from", "March", "--to", "2024-03-01"], "--from 'March' is not a date"),
        (["--from", "2024-03-02", "--to", "2024-03-01"], "before"),
        (["--from", "-2d", "--to", "today", "--buckets", "UPPER"], "invalid bucket name"),
    ],
)
def test_sync_rejects_bad_input_with_exit_2(tmp_path: Path, extra: list[str], message: str) -> None:
    args = ["sync", "--log-bucket", "b", "--cache", str(tmp_path), "--margin-days", "0", *extra]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert message in result.stderr
