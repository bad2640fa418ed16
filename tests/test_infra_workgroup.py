"""infra/template.yaml: the analysts' Athena workgroup caps bytes per query, keeps results
encrypted in a private bucket and enforces its settings; on moto it is created as resolved."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from moto import mock_aws

from s3logs_athena.testing.template import Resolver, load_template

REGION = "us-east-1"


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template()


def _resolved(template: dict[str, Any], **parameters: Any) -> dict[str, Any]:
    resolver = Resolver(template, parameters, {"AthenaResultsBucket": "s3logs-results"})
    resolved: dict[str, Any] = resolver.resolve(template["Resources"]["AnalystWorkGroup"])
    return resolved["Properties"]


def test_the_cutoff_is_a_parameter_with_a_sane_default(template: dict[str, Any]) -> None:
    parameter = template["Parameters"]["BytesScannedCutoffPerQuery"]
    assert parameter["Type"] == "Number"
    assert parameter["MinValue"] == 10_000_000  # Athena's minimum
    assert 2**30 <= parameter["Default"] <= 100 * 2**30  # 1 to 100 GiB: $0.005 to $0.49
    config = _resolved(template)["WorkGroupConfiguration"]
    assert config["BytesScannedCutoffPerQuery"] == parameter["Default"]
    assert (
        _resolved(template, BytesScannedCutoffPerQuery=123_456_789)["WorkGroupConfiguration"][
            "BytesScannedCutoffPerQuery"
        ]
        == 123_456_789
    )


def test_settings_are_enforced_results_encrypted_and_reusable(template: dict[str, Any]) -> None:
    properties = _resolved(template)
    config = properties["WorkGroupConfiguration"]
    assert properties["Name"] == "s3logs-analysts" and properties["State"] == "ENABLED"
    assert config["EnforceWorkGroupConfiguration"] is True
    assert config["PublishCloudWatchMetricsEnabled"] is True
    # Result reuse (per query: --reuse-minutes) needs engine version 3.
    assert config["EngineVersion"] == {"SelectedEngineVersion": "Athena engine version 3"}
    results = config["ResultConfiguration"]
    assert results["OutputLocation"] == "s3://s3logs-results/results/"
    assert results["EncryptionConfiguration"] == {"EncryptionOption": "SSE_S3"}
    assert results["ExpectedBucketOwner"] == "123456789012"


def test_the_results_bucket_is_private_encrypted_and_expires(template: dict[str, Any]) -> None:
    bucket = template["Resources"]["AthenaResultsBucket"]["Properties"]
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True,
        "IgnorePublicAcls": True, "RestrictPublicBuckets": True,
    }  # fmt: skip
    sse = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert sse["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    (rule,) = bucket["LifecycleConfiguration"]["Rules"]
    assert rule["ExpirationInDays"] == {"Ref": "QueryResultsRetentionDays"}
    policy = template["Resources"]["AthenaResultsBucketPolicy"]["Properties"]["PolicyDocument"]
    (deny,) = policy["Statement"]
    assert deny["Effect"] == "Deny" and deny["Condition"]["Bool"]["aws:SecureTransport"] == "false"
    outputs = template["Outputs"]
    assert outputs["AnalystWorkGroup"]["Value"] == {"Ref": "AnalystWorkGroup"}


@mock_aws
def test_the_workgroup_is_created_as_resolved(template: dict[str, Any]) -> None:
    properties = _resolved(template)
    athena = boto3.client("athena", region_name=REGION)
    config = dict(properties["WorkGroupConfiguration"])
    athena.create_work_group(
        Name=properties["Name"], Description=properties["Description"], Configuration=config
    )
    created = athena.get_work_group(WorkGroup=properties["Name"])["WorkGroup"]
    assert created["Configuration"]["BytesScannedCutoffPerQuery"] == 10 * 2**30
    assert created["Configuration"]["ResultConfiguration"]["OutputLocation"] == (
        "s3://s3logs-results/results/"
    )
