"""The Lambda entry point: cold start from the environment, then batches."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from s3logs_athena.errors import ConfigError
from s3logs_athena.mover import handler, runtime
from s3logs_athena.testing.sqs_harness import FakeLambdaContext

from .conftest import FIXTURES
from .mover_support import BUCKET, bucket_contents

EVENTS = FIXTURES / "events"
KEY = "app-assets/2024-03-01-10-11-12-0123456789ABCDEF"
TARGET = "PartitionedLogs/Year=2024/Month=03/Day=01/app-assets/2024-03-01-10-11-12-0123456789ABCDEF"


@pytest.fixture
def fresh_container(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in list(__import__("os").environ):
        if name.startswith("MOVER_"):
            monkeypatch.delenv(name)
    runtime._reset()
    yield
    runtime._reset()


def test_the_handler_works_with_no_settings_at_all(fresh_container: None) -> None:
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        s3.put_object(Bucket=BUCKET, Key=KEY, Body=b"hello\n")  # the fixture's ETag and size
        event = json.loads((EVENTS / "lambda-sqs-batch.json").read_text())
        response = handler(event, FakeLambdaContext())
        assert response == {"batchItemFailures": []}
        assert bucket_contents() == {TARGET: b"hello\n"}


def test_the_container_state_is_made_once(fresh_container: None) -> None:
    event = {"Records": []}
    handler(event, None)
    first = runtime._runtime
    handler(event, None)
    assert runtime._runtime is first is not None
    assert first.settings.concurrency == 32


def test_a_bad_setting_fails_the_cold_start_naming_the_variable(
    fresh_container: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOVER_CONCURRENCY", "lots")
    with pytest.raises(ConfigError, match=r"^MOVER_CONCURRENCY: must be a whole number"):
        handler({"Records": []}, None)


def test_settings_reach_the_moves(fresh_container: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOVER_PARTITION_ROOT", "by-day/")
    monkeypatch.setenv("MOVER_TARGET_BUCKET", "partitioned")
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        s3.create_bucket(Bucket="partitioned")
        s3.put_object(Bucket=BUCKET, Key=KEY, Body=b"hello\n")
        event = json.loads((EVENTS / "lambda-sqs-batch.json").read_text())
        assert handler(event, FakeLambdaContext()) == {"batchItemFailures": []}
        assert bucket_contents() == {}
        assert bucket_contents("partitioned") == {
            TARGET.replace("PartitionedLogs/", "by-day/"): b"hello\n"
        }


def test_the_client_does_not_retry_on_its_own(fresh_container: None) -> None:
    client: Any = runtime.make_s3_client(16)
    assert client.meta.config.retries["total_max_attempts"] == 1
    assert client.meta.config.max_pool_connections >= 16


def test_an_installed_runtime_serves_the_handler_and_is_then_removed(
    fresh_container: None,
) -> None:
    """What the demo does: the real entry point, with a client of the caller's choosing."""
    import io

    from s3logs_athena.mover import MoverRuntime, MoverSettings

    handler({"Records": []}, None)
    container = runtime._runtime
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        s3.put_object(Bucket=BUCKET, Key=KEY, Body=b"hello\n")
        sent: list[str] = []
        s3.meta.events.register("before-send.s3", lambda **kw: sent.append(kw["event_name"]))
        log = io.StringIO()
        local = MoverRuntime(MoverSettings(), s3, stream=log)
        event = json.loads((EVENTS / "lambda-sqs-batch.json").read_text())
        with runtime.installed(local) as active:
            assert active is local and runtime._runtime is local
            assert handler(event, FakeLambdaContext()) == {"batchItemFailures": []}
        assert sent and '"outcome": "moved"' in log.getvalue()
        assert bucket_contents() == {TARGET: b"hello\n"}
    assert runtime._runtime is container  # the container's own runtime is back
    local.close()
