"""The Lambda's environment settings: defaults, validation naming the variable."""

from __future__ import annotations

import pytest

from s3logs_athena.errors import ConfigError
from s3logs_athena.layout import Layout
from s3logs_athena.mover.settings import SETTINGS, load_settings


def test_no_variables_means_the_default_layout_and_the_event_bucket() -> None:
    settings = load_settings({"PATH": "/usr/bin", "AWS_REGION": "us-east-1"})
    assert settings.layout == Layout()
    assert settings.target_bucket is None
    assert settings.concurrency == 32
    assert settings.retry.max_attempts == 6
    assert (settings.retry.base_delay, settings.retry.max_delay) == (0.1, 4.0)
    assert settings.time_reserve == 5.0


def test_every_variable_is_read() -> None:
    settings = load_settings(
        {
            "MOVER_PARTITION_ROOT": "logs/partitioned/",
            "MOVER_SOURCE_PATTERN": "incoming/{bucket}/",
            "MOVER_COMPACTED_ROOT": "logs/compacted/",
            "MOVER_TARGET_BUCKET": "other-bucket",
            "MOVER_CONCURRENCY": "8",
            "MOVER_MAX_ATTEMPTS": "3",
            "MOVER_RETRY_BASE_MS": "50",
            "MOVER_RETRY_MAX_MS": "500",
            "MOVER_TIME_RESERVE_MS": "2500",
            "MOVER_METRICS_NAMESPACE": "Logs/Mover",
        }
    )
    assert settings.layout == Layout("logs/partitioned/", "incoming/{bucket}/", "logs/compacted/")
    assert settings.target_bucket == "other-bucket"
    assert settings.concurrency == 8
    assert settings.retry.max_attempts == 3
    assert (settings.retry.base_delay, settings.retry.max_delay) == (0.05, 0.5)
    assert settings.time_reserve == 2.5
    assert settings.metrics_namespace == "Logs/Mover"
    assert {s.name for s in SETTINGS} == {
        "MOVER_PARTITION_ROOT",
        "MOVER_SOURCE_PATTERN",
        "MOVER_COMPACTED_ROOT",
        "MOVER_TARGET_BUCKET",
        "MOVER_CONCURRENCY",
        "MOVER_MAX_ATTEMPTS",
        "MOVER_RETRY_BASE_MS",
        "MOVER_RETRY_MAX_MS",
        "MOVER_TIME_RESERVE_MS",
        "MOVER_METRICS_NAMESPACE",
    }


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("MOVER_PARTITION_ROOT", "/PartitionedLogs", "key prefix"),
        ("MOVER_SOURCE_PATTERN", "logs/", "{bucket}"),
        ("MOVER_COMPACTED_ROOT", "PartitionedLogs/x/", "must not contain one another"),
        ("MOVER_TARGET_BUCKET", "Not_A_Bucket", "invalid bucket name"),
        ("MOVER_CONCURRENCY", "many", "whole number"),
        ("MOVER_CONCURRENCY", "0", "between 1 and 256"),
        ("MOVER_MAX_ATTEMPTS", "51", "between 1 and 50"),
        ("MOVER_RETRY_BASE_MS", "-1", "between"),
        ("MOVER_RETRY_MAX_MS", "10", "at least MOVER_RETRY_BASE_MS"),
        ("MOVER_METRICS_NAMESPACE", "AWS/S3", "AWS/"),
        ("MOVER_CONCURENCY", "8", "unknown setting"),
    ],
)
def test_a_bad_value_names_the_variable(name: str, value: str, says: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings({name: value})
    assert raised.value.setting == name
    assert str(raised.value).startswith(f"{name}: ")
    assert says in str(raised.value)
