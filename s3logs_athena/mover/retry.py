"""How the mover tells a retryable S3 failure from a permanent one, and how long it waits.

The seed of this project swallowed ``NoSuchKey`` and lost objects. Here every AWS failure is
sorted into one of four kinds, and each kind has exactly one treatment in
:mod:`s3logs_athena.mover.move`:

* ``NOT_FOUND``: the object is not there (yet). Either it was already moved (check the
  target) or S3 has not caught up with the event: retry.
* ``PRECONDITION``: the source is no longer the object the event describes.
* ``TRANSIENT``: throttling, 5xx, timeouts, dropped connections: retry with backoff.
* ``PERMANENT``: access denied, KMS, archived objects, bad requests: retrying cannot help
  until someone changes something, so the item fails at once (SQS still redelivers it and
  finally parks it in the DLQ, from which ``s3logs-athena redrive`` brings it back).

Only the standard library and botocore are imported here (the Lambda code path).
"""

from __future__ import annotations

import enum
import random
from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError, ConnectionError, HTTPClientError

from ..errors import AwsError, ConfigError

__all__ = [
    "ErrorKind",
    "RetryPolicy",
    "aws_error",
    "classify_error",
    "describe_error",
    "error_code",
]


class ErrorKind(enum.Enum):
    NOT_FOUND = "not_found"
    PRECONDITION = "precondition"
    TRANSIENT = "transient"
    PERMANENT = "permanent"


_NOT_FOUND_CODES = frozenset({"NoSuchKey", "404", "NotFound"})
_PRECONDITION_CODES = frozenset({"PreconditionFailed", "412"})
_TRANSIENT_CODES = frozenset(
    {
        "SlowDown",
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottled",
        "RequestThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "ServiceUnavailable",
        "InternalError",
        "RequestTimeout",
        "RequestTimeoutException",
        "OperationAborted",  # a conflicting operation on the same key is in progress
        # 409: a conditional write (If-None-Match, If-Match) raced another write of the same
        # key; S3 asks for a retry, which then meets the condition's real answer.
        "ConditionalRequestConflict",
        "ExpiredToken",  # the runtime refreshes credentials; the next attempt uses new ones
        "ExpiredTokenException",
        "503",
        "500",
        "502",
        "504",
    }
)


def error_code(exc: BaseException) -> str:
    """AWS's error code (``NoSuchKey``, ``SlowDown``...) or the exception's class name."""
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code")
        if code:
            return str(code)
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if status:
            return str(status)
    return type(exc).__name__


def describe_error(exc: BaseException) -> str:
    """``Code: message`` - the cause as a log line should show it (AccessDenied and KMS
    errors carry the key ARN or the missing permission in the message)."""
    code = error_code(exc)
    if isinstance(exc, ClientError):
        message = exc.response.get("Error", {}).get("Message") or ""
        operation = exc.operation_name
        return f"{code}: {message} ({operation})" if message else f"{code} ({operation})"
    return f"{code}: {exc}"


def classify_error(exc: BaseException) -> ErrorKind:
    """Sort an exception raised by a botocore call into an :class:`ErrorKind`."""
    if isinstance(exc, ClientError):
        code = error_code(exc)
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        if code in _NOT_FOUND_CODES:
            return ErrorKind.NOT_FOUND
        if code in _PRECONDITION_CODES:
            return ErrorKind.PRECONDITION
        if code in _TRANSIENT_CODES or status >= 500 or status == 429:
            return ErrorKind.TRANSIENT
        return ErrorKind.PERMANENT
    if isinstance(exc, ConnectionError | HTTPClientError):
        # Read/connect timeouts, endpoint connection errors, closed connections.
        return ErrorKind.TRANSIENT
    if isinstance(exc, BotoCoreError):
        # Parameter validation, missing credentials, bad configuration: a bug or a setup
        # problem that retrying does not fix.
        return ErrorKind.PERMANENT
    return ErrorKind.PERMANENT


@dataclass(frozen=True)
class RetryPolicy:
    """Attempts and backoff of one move. Waits grow exponentially with jitter ("equal
    jitter": half the cap plus a random half, so a burst of moves that failed together does
    not retry together yet every wait really grows) and never run past the caller's
    deadline - the Lambda stops retrying early enough to return its batch response."""

    max_attempts: int = 6
    base_delay: float = 0.1
    max_delay: float = 4.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ConfigError("max_attempts", f"must be at least 1, got {self.max_attempts}")
        if self.base_delay < 0 or self.max_delay < self.base_delay:
            raise ConfigError(
                "base_delay",
                f"need 0 <= base_delay <= max_delay, got {self.base_delay} and {self.max_delay}",
            )

    def backoff(self, failed_attempts: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after ``failed_attempts`` (>= 1) failed attempts."""
        cap = min(self.max_delay, self.base_delay * 2.0 ** (failed_attempts - 1))
        return cap / 2 + (rng or _RNG).uniform(0, cap / 2)

    @property
    def worst_case_wait(self) -> float:
        """The longest total time spent waiting between attempts."""
        return sum(
            min(self.max_delay, self.base_delay * 2.0 ** (n - 1))
            for n in range(1, self.max_attempts)
        )


_RNG = random.Random()


def aws_error(operation: str, exc: BaseException, context: str = "") -> AwsError:
    """An :class:`AwsError` for a failed call, for commands that report and stop (backfill,
    redrive) rather than retry per object."""
    where = f" ({context})" if context else ""
    if isinstance(exc, ClientError):
        message = exc.response.get("Error", {}).get("Message") or str(exc)
        return AwsError(operation, error_code(exc), message + where)
    return AwsError(operation, type(exc).__name__, f"{exc}{where}")
