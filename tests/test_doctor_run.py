"""``s3logs-athena doctor`` (:mod:`s3logs_athena.doctor.run`): what is reachable, what is
missing and what to do, changing nothing (in-process moto for the library, a moto server for
the command). The catalog checks in detail: ``test_doctor_catalog.py``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.server import ThreadedMotoServer

from s3logs_athena.doctor import DoctorCheck, DoctorConfig, run_doctor
from s3logs_athena.table.apply import apply_statements
from s3logs_athena.table.compacted import compacted_create_statement
from s3logs_athena.table.ddl import TableSpec, create_statements
from s3logs_athena.table.views import Coverage, all_view_statement
from s3logs_athena.testing.athena_ddl import GlueDdlConnection
from s3logs_athena.testing.glue_catalog import create_catalog

from .conftest import REPO_ROOT

REGION = "us-east-1"


def _clients(**kwargs: Any) -> Any:
    cache: dict[str, Any] = {}

    def client_for(service: str) -> Any:
        if service not in cache:
            cache[service] = boto3.client(service, region_name=REGION, **kwargs)
        return cache[service]

    return client_for


def create_everything(endpoint: str | None = None) -> tuple[str, str]:
    kwargs: dict[str, Any] = {"region_name": REGION}
    if endpoint:
        kwargs["endpoint_url"] = endpoint
    s3 = boto3.client("s3", **kwargs)
    s3.create_bucket(Bucket="central-logs")
    s3.create_bucket(Bucket="athena-results")
    s3.put_object(Bucket="central-logs", Key="PartitionedLogs/Year=2024/x", Body=b"x")
    sqs = boto3.client("sqs", **kwargs)
    dlq = sqs.create_queue(QueueName="mover-dlq")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    policy = json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": "5"})
    queue = sqs.create_queue(QueueName="mover", Attributes={"RedrivePolicy": policy})["QueueUrl"]
    glue = boto3.client("glue", **kwargs)
    # The raw table, its typed view, the compacted table and <table>_all, as Athena keeps them.
    spec = TableSpec("s3://central-logs/PartitionedLogs/", bucket_projection="injected")
    create_catalog(glue, spec)
    boto3.client("athena", **kwargs).create_work_group(
        Name="analysts",
        Configuration={"ResultConfiguration": {"OutputLocation": "s3://athena-results/q/"}},
    )
    return queue, dlq


def by_name(checks: list[DoctorCheck]) -> dict[str, DoctorCheck]:
    return {check.name: check for check in checks}


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


def test_everything_reachable(aws: None) -> None:
    queue, dlq = create_everything()
    config = DoctorConfig(
        region=REGION, log_bucket="central-logs", queue_url=queue, workgroup="analysts"
    )
    checks = by_name(run_doctor(_clients(), config))
    assert {name: check.status for name, check in checks.items()} == {
        "credentials": "ok",
        "region": "ok",
        "log bucket": "ok",
        "partitions": "ok",
        "queue": "ok",
        "dlq": "ok",  # found through the queue's redrive policy
        "glue table": "ok",
        "typed view": "ok",
        "compacted table": "ok",
        "all view": "ok",
        "athena workgroup": "ok",
        "athena output location": "ok",
    }
    assert dlq in checks["dlq"].detail
    assert checks["athena output location"].detail == "s3://athena-results/q/"


def test_what_is_missing_is_named_with_what_to_do(aws: None) -> None:
    config = DoctorConfig(
        region=REGION,
        log_bucket="central-logs",
        queue_url="https://sqs.us-east-1.amazonaws.com/123456789012/nope",
    )
    checks = by_name(run_doctor(_clients(), config))
    assert checks["credentials"].status == "ok"
    assert checks["log bucket"].status == "missing"
    assert "s3://central-logs/ does not exist" in checks["log bucket"].detail
    assert checks["queue"].status == "missing"
    assert checks["glue table"].status == "missing" and "ddl" in checks["glue table"].hint
    for name in ("compacted table", "all view"):
        assert checks[name].status == "missing" and "--apply" in checks[name].hint
    assert checks["athena workgroup"].status == "ok"  # primary always exists
    location = checks["athena output location"]
    assert location.status == "missing" and "--output-location" in location.hint


def test_a_dlq_with_messages_is_a_warning(aws: None) -> None:
    queue, dlq = create_everything()
    boto3.client("sqs", region_name=REGION).send_message(QueueUrl=dlq, MessageBody="x")
    checks = by_name(run_doctor(_clients(), DoctorConfig(region=REGION, queue_url=queue)))
    assert checks["dlq"].status == "warn" and "redrive" in checks["dlq"].hint
    assert checks["log bucket"].status == "skipped"


def test_without_a_region_only_global_checks_run(aws: None) -> None:
    checks = by_name(run_doctor(_clients(), DoctorConfig(region=None)))
    assert checks["region"].status == "missing" and "AWS_REGION" in checks["region"].hint
    assert checks["glue table"].status == "skipped"
    assert checks["athena workgroup"].status == "skipped"


def test_without_credentials_nothing_else_is_tried() -> None:
    from botocore.exceptions import NoCredentialsError

    def no_credentials(service: str) -> Any:
        class Client:
            def __getattr__(self, name: str) -> Any:
                def call(**_: Any) -> Any:
                    raise NoCredentialsError

                return call

        return Client()

    checks = by_name(run_doctor(no_credentials, DoctorConfig(region=REGION, log_bucket="x")))
    assert checks["credentials"].status == "missing"
    assert "aws configure" in checks["credentials"].hint
    assert {checks[n].status for n in ("log bucket", "glue table", "athena workgroup")} == {
        "skipped"
    }


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def _doctor(endpoint: str, *args: str, env: dict[str, str] | None = None) -> Any:
    environment = {
        **os.environ,
        "PYTHONPATH": str(REPO_ROOT),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_EC2_METADATA_DISABLED": "true",
        **(env or {}),
    }
    return subprocess.run(
        [sys.executable, "-m", "s3logs_athena", "doctor", "--endpoint-url", endpoint, *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
    )


def test_the_command_on_a_moto_server(server: str) -> None:
    missing = _doctor(server, "--log-bucket", "doctor-logs", "--format", "json")
    assert missing.returncode == 1, missing.stderr
    document = json.loads(missing.stdout)
    assert document["ok"] is False
    statuses = {check["name"]: check["status"] for check in document["checks"]}
    assert statuses["log bucket"] == "missing" and statuses["credentials"] == "ok"
    assert "not ready: log bucket" in missing.stderr and "Traceback" not in missing.stderr

    s3 = boto3.client("s3", region_name=REGION, endpoint_url=server)
    s3.create_bucket(Bucket="doctor-logs")
    s3.create_bucket(Bucket="doctor-results")
    glue = boto3.client("glue", region_name=REGION, endpoint_url=server)
    spec = TableSpec(
        "s3://doctor-logs/PartitionedLogs/",
        database="logs_db",
        table="logs",
        bucket_projection="injected",
    )
    _apply(glue, create_statements(spec))  # as `ddl --no-compacted --apply` leaves it
    arguments = (
        "--log-bucket", "doctor-logs", "--database", "logs_db", "--table", "logs",
        "--output-location", "s3://doctor-results/athena/", "--format", "json",
    )  # fmt: skip
    raw_only = _doctor(server, *arguments)
    assert raw_only.returncode == 1, raw_only.stdout + raw_only.stderr
    checks = {c["name"]: c for c in json.loads(raw_only.stdout)["checks"]}
    assert checks["glue table"]["status"] == "ok"
    # What the query templates read on Athena is not there yet: say how to create it.
    assert checks["all view"]["status"] == "missing"
    assert "logs_db.logs_all does not exist" in checks["all view"]["detail"]
    assert "--database logs_db --table logs --apply" in checks["all view"]["hint"]
    assert checks["compacted table"]["status"] == "missing"
    assert "not ready: compacted table, all view" in raw_only.stderr

    # What the default `ddl --apply` adds.
    _apply(glue, [compacted_create_statement(spec), all_view_statement(spec, Coverage())])
    ready = _doctor(server, *arguments)
    assert ready.returncode == 0, ready.stdout + ready.stderr
    statuses = {c["name"]: c["status"] for c in json.loads(ready.stdout)["checks"]}
    assert statuses["athena output location"] == "ok" and statuses["glue table"] == "ok"
    assert statuses["compacted table"] == "ok" and statuses["all view"] == "ok"
    assert statuses["typed view"] == "warn" and statuses["partitions"] == "warn"  # still empty


def _apply(glue: Any, statements: list[str]) -> None:
    """Statements as Athena would apply them to the catalog."""
    apply_statements(statements, GlueDdlConnection(glue))


def test_the_command_without_credentials(server: str, tmp_path: Any) -> None:
    result = _doctor(
        server,
        env={
            "AWS_ACCESS_KEY_ID": "",
            "AWS_SECRET_ACCESS_KEY": "",
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
            "AWS_CONFIG_FILE": str(tmp_path / "none"),
        },
    )
    assert result.returncode == 1
    assert "credentials" in result.stdout and "aws configure" in " ".join(result.stdout.split())
    assert "Traceback" not in result.stderr
