"""``s3logs-athena backfill`` and ``redrive``: summaries, dry runs, errors, any endpoint."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from click.testing import CliRunner, Result
from moto import mock_aws
from moto.server import ThreadedMotoServer

from s3logs_athena.cli.main import cli

from .mover_support import BUCKET, log_body, log_key, target_of

OLD_ENOUGH = ["--older-than", "0s"]


def run(*args: str, env: dict[str, str | None] | None = None) -> Result:
    return CliRunner(env=env).invoke(cli, list(args))


def keys(s3: Any) -> set[str]:
    return {o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])}


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        for n in range(5):
            client.put_object(Bucket=BUCKET, Key=log_key(n), Body=log_body(n))
        client.put_object(Bucket=BUCKET, Key="notes.txt", Body=b"hello")
        yield client


def test_backfill_dry_run_lists_and_moves_nothing(s3: Any) -> None:
    before = keys(s3)
    result = run("backfill", "--log-bucket", BUCKET, "--dry-run", *OLD_ENOUGH)
    assert result.exit_code == 0, result.output
    assert keys(s3) == before
    assert f"would move {log_key(0)} -> {target_of(log_key(0))}" in result.stdout
    assert "stragglers" in result.stdout and "(dry run)" in result.stdout
    assert "notes.txt" in result.stdout  # shown as not a log object


def test_backfill_moves_and_summarises(s3: Any) -> None:
    result = run("backfill", "--log-bucket", BUCKET, *OLD_ENOUGH, "--progress")
    assert result.exit_code == 0, result.output
    assert keys(s3) == {"notes.txt", *(target_of(log_key(n)) for n in range(5))}
    assert "moved" in result.stdout
    assert "moving" in result.stderr  # the progress bar is on stderr (asked for: no terminal)
    again = run("backfill", "--log-bucket", BUCKET, *OLD_ENOUGH)
    assert again.exit_code == 0 and "moved" not in again.stdout  # idempotent: nothing left


def test_backfill_respects_older_than(s3: Any) -> None:
    result = run("backfill", "--log-bucket", BUCKET, "--older-than", "1h")
    assert result.exit_code == 0, result.output
    assert log_key(0) in keys(s3)
    assert "younger than 1h" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--log-bucket", BUCKET, "--older-than", "soon"], "invalid duration 'soon'"),
        (["--log-bucket", "Bad_Bucket"], "invalid bucket name 'Bad_Bucket'"),
        (["--log-bucket", BUCKET, "--source-pattern", "logs/"], "{bucket}"),
    ],
)
def test_backfill_mistakes_exit_2_with_one_line(s3: Any, args: list[str], message: str) -> None:
    result = run("backfill", *args)
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: ") and message in result.stderr
    assert "Traceback" not in result.output


def test_backfill_on_a_missing_bucket_is_an_aws_error(s3: Any) -> None:
    result = run("backfill", "--log-bucket", "no-such-bucket-here")
    assert result.exit_code == 1
    assert "ListObjectsV2 failed (NoSuchBucket)" in result.stderr


def test_backfill_failures_exit_1_and_are_listed(s3: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from s3logs_athena.cli import mover_cmds
    from s3logs_athena.testing.faults import FaultInjector, FaultRates

    real = mover_cmds._s3

    def stuck_client(aws: Any, concurrency: int) -> Any:
        client = real(aws, concurrency)
        FaultInjector(FaultRates(stuck=1.0)).install(client)
        return client

    monkeypatch.setattr(mover_cmds, "_s3", stuck_client)
    result = run("backfill", "--log-bucket", BUCKET, "--max-attempts", "2", *OLD_ENOUGH)
    assert result.exit_code == 1
    assert "5 of 5 objects were not moved" in result.stderr
    assert "NoSuchKey" in result.stdout
    assert log_key(0) in keys(s3)


@mock_aws
def test_redrive_moves_the_dlq_back() -> None:
    sqs = boto3.client("sqs", region_name="us-east-1")
    dlq = sqs.create_queue(QueueName="dlq")["QueueUrl"]
    queue = sqs.create_queue(QueueName="q")["QueueUrl"]
    for n in range(12):
        sqs.send_message(QueueUrl=dlq, MessageBody=str(n))
    dry = run("redrive", "--dlq", dlq, "--queue", queue, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "12 messages wait in the DLQ" in dry.stdout
    result = run("redrive", "--dlq", dlq, "--queue", queue)
    assert result.exit_code == 0, result.output
    assert "moved 12 messages" in result.stdout
    attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "12"


@pytest.mark.parametrize(
    ("dlq", "queue", "message"),
    [
        ("https://sqs.x/1/q", "https://sqs.x/1/q", "same queue"),
        ("dlq", "https://sqs.x/1/q", "expected a queue URL"),
    ],
)
def test_redrive_mistakes(dlq: str, queue: str, message: str) -> None:
    result = run("redrive", "--dlq", dlq, "--queue", queue)
    assert result.exit_code == 2 and message in result.stderr


@pytest.fixture
def moto_server() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def test_backfill_through_aws_endpoint_url_on_a_moto_server(moto_server: str) -> None:
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=moto_server)
    s3.create_bucket(Bucket="remote-logs")
    for n in range(4):
        s3.put_object(Bucket="remote-logs", Key=log_key(n), Body=log_body(n))
    result = run(
        "backfill", "--log-bucket", "remote-logs", *OLD_ENOUGH,
        env={"AWS_ENDPOINT_URL": moto_server},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    listed = {o["Key"] for o in s3.list_objects_v2(Bucket="remote-logs")["Contents"]}
    assert listed == {target_of(log_key(n)) for n in range(4)}
    for n in range(4):
        body = s3.get_object(Bucket="remote-logs", Key=target_of(log_key(n)))["Body"].read()
        assert body == log_body(n)
