"""Sorting S3 failures into retryable and permanent, and the backoff."""

from __future__ import annotations

import random

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ParamValidationError,
    ReadTimeoutError,
)

from s3logs_athena.errors import ConfigError
from s3logs_athena.mover.retry import ErrorKind, RetryPolicy, classify_error, describe_error


def client_error(code: str, status: int, message: str = "m") -> ClientError:
    return ClientError(
        {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": status},
        },  # type: ignore[typeddict-item]
        "CopyObject",
    )


@pytest.mark.parametrize(
    ("code", "status", "kind"),
    [
        ("NoSuchKey", 404, ErrorKind.NOT_FOUND),
        ("404", 404, ErrorKind.NOT_FOUND),
        ("PreconditionFailed", 412, ErrorKind.PRECONDITION),
        ("SlowDown", 503, ErrorKind.TRANSIENT),
        ("ServiceUnavailable", 503, ErrorKind.TRANSIENT),
        ("InternalError", 500, ErrorKind.TRANSIENT),
        ("RequestTimeout", 400, ErrorKind.TRANSIENT),
        ("ConditionalRequestConflict", 409, ErrorKind.TRANSIENT),
        ("SomethingNew", 502, ErrorKind.TRANSIENT),
        ("AccessDenied", 403, ErrorKind.PERMANENT),
        ("KMS.DisabledException", 400, ErrorKind.PERMANENT),
        ("InvalidObjectState", 403, ErrorKind.PERMANENT),
        ("NoSuchBucket", 404, ErrorKind.PERMANENT),
    ],
)
def test_client_errors(code: str, status: int, kind: ErrorKind) -> None:
    assert classify_error(client_error(code, status)) is kind


def test_network_failures_are_transient_and_bugs_permanent() -> None:
    assert classify_error(ReadTimeoutError(endpoint_url="u")) is ErrorKind.TRANSIENT
    assert classify_error(ConnectTimeoutError(endpoint_url="u")) is ErrorKind.TRANSIENT
    assert classify_error(EndpointConnectionError(endpoint_url="u")) is ErrorKind.TRANSIENT
    assert classify_error(ParamValidationError(report="bad")) is ErrorKind.PERMANENT
    assert classify_error(KeyError("x")) is ErrorKind.PERMANENT


def test_the_description_names_the_code_the_message_and_the_operation() -> None:
    text = describe_error(client_error("AccessDenied", 403, "not authorized for kms:Decrypt"))
    assert text == "AccessDenied: not authorized for kms:Decrypt (CopyObject)"


def test_backoff_grows_with_jitter_and_is_capped() -> None:
    policy = RetryPolicy(max_attempts=8, base_delay=0.1, max_delay=1.0)
    rng = random.Random(1)
    for failed in range(1, 8):
        cap = min(1.0, 0.1 * 2 ** (failed - 1))
        waits = {policy.backoff(failed, rng) for _ in range(50)}
        assert all(cap / 2 <= w <= cap for w in waits)
        assert len(waits) > 1  # jittered
    assert policy.worst_case_wait == pytest.approx(0.1 + 0.2 + 0.4 + 0.8 + 1 + 1 + 1)


def test_invalid_policies_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ConfigError, match="base_delay"):
        RetryPolicy(base_delay=2.0, max_delay=1.0)
