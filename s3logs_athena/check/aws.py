"""The checker's boto3 boundary: turn botocore failures into this package's errors.

A missing bucket or table is the caller's mistake (:class:`InputError`, CLI exit 2); anything
else AWS refuses is an :class:`AwsError` naming the operation and AWS's error code.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from ..errors import CREDENTIALS_HINT, AwsError, InputError

__all__ = ["aws_errors", "error_code"]

_MISSING_BUCKET = {"NoSuchBucket"}
_MISSING_TABLE = {"EntityNotFoundException"}


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", "Unknown"))


@contextmanager
def aws_errors(operation: str, *, bucket: str | None = None) -> Iterator[None]:
    """Run one AWS call (or a paginated series) and translate what botocore raises."""
    try:
        yield
    except ClientError as exc:
        code = error_code(exc)
        message = str(exc.response.get("Error", {}).get("Message", exc))
        if code in _MISSING_BUCKET or (code == "404" and operation == "HeadBucket"):
            raise InputError(
                f"bucket {bucket!r} does not exist or is not visible with these credentials "
                "(check --log-bucket and AWS_ENDPOINT_URL / the profile)"
            ) from None
        if code in _MISSING_TABLE:
            raise InputError(f"{operation}: {message}") from None
        raise AwsError(operation, code, message) from None
    except NoCredentialsError:
        raise InputError(f"no AWS credentials found: {CREDENTIALS_HINT}") from None
    except BotoCoreError as exc:
        raise AwsError(operation, type(exc).__name__, str(exc)) from None
