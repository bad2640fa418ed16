"""What a check is, what to check, and how a failed AWS call becomes a finding.

Every check of the doctor room yields :class:`DoctorCheck`; every AWS failure goes through
:func:`failure`, so "not found" is ``missing`` with what to do, "access denied" an ``error``
saying so, and missing credentials or region one hint wherever they show up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from ..errors import CREDENTIALS_HINT, REGION_HINT, S3LogsError
from ..layout import DEFAULT_DATABASE, DEFAULT_PARTITION_ROOT, DEFAULT_TABLE

__all__ = [
    "STATUSES",
    "ClientFor",
    "DoctorCheck",
    "DoctorConfig",
    "error_code",
    "error_message",
    "failure",
]

STATUSES = ("ok", "warn", "missing", "error", "skipped")
#: ``client_for("s3")`` -> a boto3 client (the CLI builds them from --region/--profile/...).
ClientFor = Callable[[str], Any]

_NOT_FOUND = {
    "404",
    "NoSuchBucket",
    "NotFound",
    "EntityNotFoundException",
    "AWS.SimpleQueueService.NonExistentQueue",
    "QueueDoesNotExist",
    "InvalidRequestException",
}


@dataclass(frozen=True)
class DoctorCheck:
    """One thing checked: what, how it went, and what to do about it."""

    name: str
    status: str
    detail: str
    hint: str = ""

    @property
    def failed(self) -> bool:
        return self.status in ("missing", "error")

    def to_json(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class DoctorConfig:
    """What to check. ``None`` for the log bucket or the queue skips that check."""

    region: str | None = None
    log_bucket: str | None = None
    partition_root: str = DEFAULT_PARTITION_ROOT
    queue_url: str | None = None
    dlq_url: str | None = None
    database: str = DEFAULT_DATABASE
    table: str = DEFAULT_TABLE
    workgroup: str = "primary"
    output_location: str | None = None


def error_code(exc: Exception) -> str:
    """AWS's error code of ``exc`` (``EntityNotFoundException``...), else its type's name."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", type(exc).__name__))
    return type(exc).__name__


def error_message(exc: Exception) -> str:
    """``Code: message`` of an AWS error, else the first line of ``exc``."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        error = response.get("Error", {})
        return f"{error.get('Code', '')}: {error.get('Message', '') or exc}".strip(": ")
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _is_missing_credentials(exc: Exception) -> bool:
    return type(exc).__name__ in ("NoCredentialsError", "PartialCredentialsError")


def failure(name: str, exc: Exception, missing_hint: str = "", missing: str = "") -> DoctorCheck:
    """The finding for check ``name`` whose AWS call raised ``exc``. A "not found" is
    ``missing`` (``missing``: the detail, ``missing_hint``: what to do) when a hint is given."""
    if _is_missing_credentials(exc):
        return DoctorCheck(name, "missing", "no AWS credentials", CREDENTIALS_HINT)
    if isinstance(exc, S3LogsError):  # a ConfigError from the client factory: no region
        return DoctorCheck(name, "missing", str(exc), REGION_HINT)
    code = error_code(exc)
    if code in _NOT_FOUND and missing_hint:
        return DoctorCheck(name, "missing", missing or error_message(exc), missing_hint)
    if code in ("403", "AccessDenied", "AccessDeniedException"):
        return DoctorCheck(
            name, "error", f"access denied: {error_message(exc)}", "grant this principal access"
        )
    return DoctorCheck(name, "error", error_message(exc))
