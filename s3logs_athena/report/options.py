"""What a report covers and how it judges its findings: :class:`ReportOptions`.

The options are checked when they are made (an :class:`~s3logs_athena.errors.InputError`
names the command-line option), so a mistake is reported before any query runs.

Bulk downloads are judged one UTC day at a time (``bulk_min_bytes_per_day``, against the
requester and address's own typical day, see :mod:`s3logs_athena.report.findings`): a
threshold on the range's total would mean something else for a day and for a month. An
explicit ``bulk_min_bytes`` replaces that rule with a plain total over the range, exactly as
the ``bulk-downloads`` template judges it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any

from ..errors import InputError, ParameterError
from ..layout import validate_bucket_name

__all__ = ["DEFAULT_BULK_MIN_BYTES_PER_DAY", "REPORT_QUERIES", "ReportOptions"]

#: Key -> query template the report runs (with the default, per-day bulk-download rule).
#: Parameters beyond the range come from :meth:`ReportOptions.query_params`.
REPORT_QUERIES: dict[str, str] = {
    "requests": "requests-by-day",
    "egress": "egress-by-day",
    "operations": "requests-by-operation",
    "requesters": "top-requesters",
    "ips": "top-ips",
    "bulk_downloads": "bulk-download-days",
    "access_denied": "access-denied",
    "deletions": "who-deleted",
    "insecure_transport": "insecure-transport",
    "server_errors": "server-errors",
    "config_changes": "bucket-config-changes",
}

#: The bulk-download template when ``bulk_min_bytes`` (a total over the range) is given.
RANGE_BULK_TEMPLATE = "bulk-downloads"

DEFAULT_BULK_MIN_BYTES_PER_DAY = "10GB"
DEFAULT_BULK_BASELINE_FACTOR = 4.0

#: Every requester, so each deleter's share of deletions is known (the template's maximum).
_ALL_REQUESTERS = 100_000


@dataclass(frozen=True)
class ReportOptions:
    """What to report on and how to judge the findings. ``start``/``end`` are UTC days,
    both included (by request time)."""

    start: date
    end: date
    buckets: tuple[str, ...] | None = None
    engine: str = "duckdb"
    cache_dir: Path | str | None = None
    workgroup: str | None = None
    output_location: str | None = None
    region: str | None = None
    reuse_minutes: int | None = None
    database: str | None = None
    table: str | None = None
    #: Rows of the top-N lists (requesters, addresses).
    top: int = 10
    #: A requester/address pair whose GETs received at least this much in one UTC day is a
    #: bulk download (when the day is also ``bulk_baseline_factor`` times its typical day).
    bulk_min_bytes_per_day: int | str = DEFAULT_BULK_MIN_BYTES_PER_DAY
    #: How many times its typical day (the median of its other days in the range, a day
    #: without downloads counting as 0) a pair's day must be to be a bulk download.
    bulk_baseline_factor: float = DEFAULT_BULK_BASELINE_FACTOR
    #: Explicit override: a pair whose GETs received at least this much over the whole range
    #: is a bulk download (no per-day judging). ``None``: the per-day rule above.
    bulk_min_bytes: int | str | None = None
    #: At least this many 403s in one hour from one requester and address is a burst.
    burst_min_requests: int = 50
    #: A principal whose log records are at least this share deletions is unusual.
    unusual_deletion_share: float = 0.5

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise InputError(
                f"--from {self.start} is after --to {self.end}: give the earlier day first"
            )
        if (self.end - self.start).days > 3660:
            raise InputError(f"{self.start} to {self.end} is more than ten years: narrow it")
        for bucket in self.buckets or ():
            validate_bucket_name(bucket)
        if self.top < 1:
            raise InputError(f"--top {self.top}: must be at least 1")
        if self.burst_min_requests < 1:
            raise InputError(f"--burst-min {self.burst_min_requests}: must be at least 1")
        if not 0 < self.unusual_deletion_share <= 1:
            raise InputError(
                f"--deletion-share {self.unusual_deletion_share}: must be above 0 and at most 1"
            )
        if not self.bulk_baseline_factor >= 1:  # also refuses NaN
            raise InputError(
                f"--bulk-factor {self.bulk_baseline_factor}: must be at least 1 (a day at "
                "least as large as the requester's typical day)"
            )
        object.__setattr__(
            self,
            "bulk_min_bytes_per_day",
            _parse_bytes(self.bulk_min_bytes_per_day, "--bulk-per-day"),
        )
        if self.bulk_min_bytes is not None:
            object.__setattr__(
                self, "bulk_min_bytes", _parse_bytes(self.bulk_min_bytes, "--bulk-min-bytes")
            )

    @property
    def days(self) -> int:
        """How many days the range covers (both ends included)."""
        return (self.end - self.start).days + 1

    @property
    def bulk_per_day(self) -> bool:
        """Whether bulk downloads are judged day by day (no explicit ``bulk_min_bytes``)."""
        return self.bulk_min_bytes is None

    def templates(self) -> dict[str, str]:
        """Key -> template this report runs (:data:`REPORT_QUERIES`, with the range-total
        bulk-download template when ``bulk_min_bytes`` is given)."""
        if self.bulk_per_day:
            return dict(REPORT_QUERIES)
        return {**REPORT_QUERIES, "bulk_downloads": RANGE_BULK_TEMPLATE}

    @property
    def range_params(self) -> dict[str, Any]:
        """The common template parameters: ``[start, end + 1 day)`` and the buckets."""
        params: dict[str, Any] = {
            "start": datetime.combine(self.start, dtime()),
            "end": datetime.combine(self.end + timedelta(days=1), dtime()),
        }
        if self.buckets:
            params["buckets"] = list(self.buckets)
        if self.database:
            params["database"] = self.database
        if self.table:
            params["table"] = self.table
        return params

    def query_params(self, key: str) -> dict[str, Any]:
        bulk = self.bulk_min_bytes_per_day if self.bulk_min_bytes is None else self.bulk_min_bytes
        own: dict[str, dict[str, Any]] = {
            "requesters": {"by": "bytes", "limit": _ALL_REQUESTERS},
            "ips": {"by": "requests", "limit": self.top},
            "bulk_downloads": {"min_bytes": bulk},
        }
        return {**self.range_params, **own.get(key, {})}


def _parse_bytes(value: int | str, option: str) -> int:
    """``10GB``, ``500MB`` or a plain number, parsed as the templates parse ``min_bytes``."""
    from ..templates.catalog import get_template

    (param,) = (p for p in get_template(RANGE_BULK_TEMPLATE).params if p.name == "min_bytes")
    try:
        parsed: int = param.parse(value)
    except ParameterError as exc:
        raise InputError(f"{option} {value!r}: {str(exc).split(': ', 1)[1]}") from None
    return parsed
