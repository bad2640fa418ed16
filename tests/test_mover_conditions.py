"""Conditional requests on any botocore: as parameters where the model has them, as headers
through event hooks where it does not (an older botocore, as a Lambda runtime may bundle)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.exceptions import ParamValidationError
from moto import mock_aws

from s3logs_athena.layout import Layout
from s3logs_athena.mover import MoveOutcome, RetryPolicy, move_object
from s3logs_athena.mover.conditions import CONDITIONS, enable_conditions, modelled
from s3logs_athena.testing.faults import FaultInjector

BUCKET = "central-logs"
KEY = "app-assets/2024-03-01-10-11-12-0123456789ABCDEF"
TARGET = "PartitionedLogs/Year=2024/Month=03/Day=01/app-assets/2024-03-01-10-11-12-0123456789ABCDEF"
FAST = RetryPolicy(max_attempts=3, base_delay=0.001, max_delay=0.002)


@pytest.fixture(scope="module")
def old_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory with S3's service model minus the conditional members: what a
    botocore from before S3 had them looks like."""
    session = botocore.session.get_session()
    loader = session.get_component("data_loader")
    model: dict[str, Any] = loader.load_service_model("s3", "service-2")
    for (operation, member), _ in CONDITIONS.items():
        shape = model["operations"][operation]["input"]["shape"]
        del model["shapes"][shape]["members"][member]
    version = model["metadata"]["apiVersion"]
    root = tmp_path_factory.mktemp("botocore-data")
    (root / "s3" / version).mkdir(parents=True)
    (root / "s3" / version / "service-2.json").write_text(json.dumps(model))
    return root


@pytest.fixture
def moto() -> Iterator[None]:
    with mock_aws():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=BUCKET)
        yield


def old_client(models: Path) -> Any:
    session = botocore.session.get_session()
    session.get_component("data_loader").search_paths.insert(0, str(models))
    return boto3.session.Session(botocore_session=session).client("s3", region_name="us-east-1")


def wire_headers(s3: Any) -> list[tuple[str, dict[str, str]]]:
    sent: list[tuple[str, dict[str, str]]] = []

    def record(request: Any, event_name: str, **_: Any) -> None:
        headers = {
            k.lower(): v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()
        }
        sent.append((event_name.rsplit(".", 1)[-1], headers))

    s3.meta.events.register_first("before-send.s3", record)
    return sent


def test_this_botocore_models_every_condition(moto: None) -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    assert all(modelled(s3, op, member) for op, member in CONDITIONS)
    assert enable_conditions(s3) == []


def test_an_older_botocore_refuses_the_parameters(moto: None, old_models: Path) -> None:
    s3 = old_client(old_models)
    assert not modelled(s3, "CopyObject", "IfNoneMatch")
    with pytest.raises(ParamValidationError):
        s3.copy_object(
            Bucket=BUCKET, Key="t", CopySource={"Bucket": BUCKET, "Key": KEY}, IfNoneMatch="*"
        )


def test_on_an_older_botocore_the_headers_go_through_hooks(moto: None, old_models: Path) -> None:
    s3 = old_client(old_models)
    assert sorted(enable_conditions(s3)) == sorted(op for op, _ in CONDITIONS)
    assert enable_conditions(s3)  # idempotent: still reported, registered once
    etag = s3.put_object(Bucket=BUCKET, Key=KEY, Body=b"log\n")["ETag"]
    sent = wire_headers(s3)
    s3.copy_object(
        Bucket=BUCKET, Key="t", CopySource={"Bucket": BUCKET, "Key": KEY}, IfNoneMatch="*"
    )
    s3.delete_object(Bucket=BUCKET, Key=KEY, IfMatch=etag)
    assert [(op, h.get("if-none-match"), h.get("if-match")) for op, h in sent] == [
        ("CopyObject", "*", None),
        ("DeleteObject", None, etag),
    ]
    s3.put_object(Bucket=BUCKET, Key="u", Body=b"x")  # other operations are left alone
    assert "if-none-match" not in sent[-1][1] and "if-match" not in sent[-1][1]


def test_the_mover_on_an_older_botocore_never_overwrites(moto: None, old_models: Path) -> None:
    s3 = old_client(old_models)
    FaultInjector().install(s3)
    plain = boto3.client("s3", region_name="us-east-1")
    plain.put_object(Bucket=BUCKET, Key=TARGET, Body=b"another object\n")
    etag = plain.put_object(Bucket=BUCKET, Key=KEY, Body=b"log\n")["ETag"]
    result = move_object(
        s3, bucket=BUCKET, key=KEY, layout=Layout(), expected_etag=etag, expected_size=4, retry=FAST
    )
    assert result.outcome is MoveOutcome.REJECTED and result.error_code == "TargetExists"
    assert plain.get_object(Bucket=BUCKET, Key=TARGET)["Body"].read() == b"another object\n"
    assert plain.get_object(Bucket=BUCKET, Key=KEY)["Body"].read() == b"log\n"
    plain.delete_object(Bucket=BUCKET, Key=TARGET)
    moved = move_object(
        s3, bucket=BUCKET, key=KEY, layout=Layout(), expected_etag=etag, expected_size=4, retry=FAST
    )
    assert moved.outcome is MoveOutcome.MOVED
