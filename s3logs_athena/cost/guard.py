"""Refuse a query whose estimate is over the limit the user set, before Athena sees it.

The limit comes from ``--max-bytes`` or, by default, ``$S3LOGS_ATHENA_MAX_BYTES`` (``10GB``,
``500MiB``, a plain number; empty or unset: no limit). Over the limit is a
:class:`CostLimitError`, an :class:`~s3logs_athena.errors.InputError`: the CLI prints its one
line (estimate, limit, how to narrow the query) and exits 2, and nothing is sent to Athena.
The account's workgroup has its own cap (``BytesScannedCutoffPerQuery``, which cancels a
query once it has scanned that much, and bills what it scanned): this guard stops the query
before it costs anything.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from ..errors import InputError
from .estimate import Estimate
from .sizes import format_size, parse_size

__all__ = [
    "MAX_BYTES_ENV",
    "CostLimitError",
    "check_limit",
    "check_report_limit",
    "max_bytes_setting",
]

#: Environment variable holding the default ``--max-bytes``.
MAX_BYTES_ENV = "S3LOGS_ATHENA_MAX_BYTES"


class CostLimitError(InputError):
    """A query's estimate is over the allowed bytes; it was not run."""

    def __init__(self, message: str, estimate: Estimate, limit: int) -> None:
        super().__init__(message)
        self.estimate = estimate
        self.limit = limit


def max_bytes_setting(value: str | int | None) -> int | None:
    """The byte limit from ``--max-bytes`` (``value``), else ``$S3LOGS_ATHENA_MAX_BYTES``;
    ``None`` when neither is set."""
    if value is not None and value != "":
        return parse_size(value, setting="--max-bytes")
    raw = os.environ.get(MAX_BYTES_ENV, "").strip()
    return parse_size(raw, setting=MAX_BYTES_ENV) if raw else None


def _advice(estimate: Estimate) -> str:
    days = ""
    if estimate.first_day and estimate.last_day:
        count = (estimate.last_day - estimate.first_day).days + 1
        days = f" ({count} days of partitions, {estimate.first_day} to {estimate.last_day})"
    buckets = len(estimate.buckets)
    which = f" (it reads {buckets} buckets)" if buckets > 1 else ""
    return (
        f"Narrow the range with -p start=... -p end=...{days} or name fewer buckets with "
        f"-p buckets=a,b{which}, or raise --max-bytes"
    )


def check_limit(estimate: Estimate, limit: int | None) -> None:
    """Raise :class:`CostLimitError` when ``estimate`` is over ``limit`` bytes."""
    if limit is None or estimate.bytes <= limit:
        return
    name = f"{estimate.query} " if estimate.query else ""
    raise CostLimitError(
        f"refused: query {name}can scan up to {format_size(estimate.bytes)} "
        f"({estimate.bytes:,} bytes, ${estimate.usd:.4f}) in {estimate.partitions:,} partitions, "
        f"over the limit of {format_size(limit)} ({limit:,} bytes); nothing was sent to Athena. "
        + _advice(estimate),
        estimate,
        limit,
    )


def check_report_limit(estimates: Mapping[str, Estimate], limit: int | None) -> None:
    """Raise :class:`CostLimitError` when a report's queries together can scan more than
    ``limit`` bytes (the limit is for the whole report, which runs them all)."""
    total = sum(e.bytes for e in estimates.values())
    if limit is None or total <= limit or not estimates:
        return
    biggest = sorted(estimates.values(), key=lambda e: -e.bytes)[:3]
    named = ", ".join(f"{e.query} {format_size(e.bytes)}" for e in biggest)
    first = min((e.first_day for e in estimates.values() if e.first_day), default=None)
    last = max((e.last_day for e in estimates.values() if e.last_day), default=None)
    days = f" (partitions {first} to {last})" if first and last else ""
    raise CostLimitError(
        f"refused: the report's {len(estimates)} queries can scan up to {format_size(total)} "
        f"({total:,} bytes) together, over the limit of {format_size(limit)} ({limit:,} "
        f"bytes); biggest: {named}; nothing was sent to Athena. Narrow --from/--to{days} or "
        "--buckets, or raise --max-bytes",
        max(estimates.values(), key=lambda e: e.bytes),
        limit,
    )
