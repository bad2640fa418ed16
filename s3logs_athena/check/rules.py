"""The rules the checker applies to one key at a time. Pure functions, no I/O.

**Placement rule.** The mover puts a file in the partition of its *partition day*: for
SimplePrefix sources the date in the file name (when S3 delivered it); for PartitionedPrefix
sources the ``YYYY/MM/DD`` directories, which S3 sets to the event day or the delivery day.
Event day and delivery day differ when S3 delivers a file after midnight, so a file named
``2024-01-03-00-20-...`` legitimately sits in ``Day=02``. Once moved, the source format is
gone; from the target key alone the checker can only tell that the partition day must be
the delivery date or up to ``max_lag_days`` (default 1) days before it. Anything else is
``misplaced``; its repair moves it to its delivery date, which the rule accepts.

**Which duplicate stays.** When one file name is in several partitions of a bucket, the copy
that obeys the placement rule and was written first (the mover's original move) is kept;
the others are the duplicates.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, timedelta

from ..errors import InputError
from ..layout import TargetKey
from .listing import ListedObject

__all__ = [
    "allowed_days",
    "format_age",
    "kept_copy",
    "parse_duration",
    "placement_problem",
]


def allowed_days(target: TargetKey, max_lag_days: int) -> tuple[date, date]:
    """The partition days a file with this name may be in (inclusive)."""
    delivered = target.delivered_at.date()
    return delivered - timedelta(days=max_lag_days), delivered


def placement_problem(target: TargetKey, max_lag_days: int) -> str | None:
    """Why ``target`` is in the wrong day, or ``None`` when it is where it belongs."""
    if target.day == target.delivered_at.date():  # the common case, checked cheaply
        return None
    first, last = allowed_days(target, max_lag_days)
    if first <= target.day <= last:
        return None
    span = last.isoformat() if first == last else f"{first.isoformat()}..{last.isoformat()}"
    return (
        f"delivered {target.delivered_at:%Y-%m-%d %H:%M:%S}Z but in Day={target.day.isoformat()};"
        f" its partition day must be {span}"
    )


def kept_copy(copies: Sequence[tuple[TargetKey, ListedObject]], max_lag_days: int) -> int:
    """Index of the copy to keep among copies of one file (see the module docstring)."""

    def preference(index: int) -> tuple[bool, object, date, int]:
        target, listed = copies[index]
        return (
            placement_problem(target, max_lag_days) is not None,
            listed.last_modified,
            target.day,
            index,
        )

    return min(range(len(copies)), key=preference)


_DURATION = re.compile(r"(?P<number>\d+)\s*(?P<unit>s|m|h|d)?")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}


def parse_duration(text: str, *, setting: str = "--older-than") -> timedelta:
    """``'15m'``, ``'2h'``, ``'1d'``, ``'90s'`` or ``'0'`` -> a ``timedelta``."""
    match = _DURATION.fullmatch(text.strip())
    if match is None:
        raise InputError(f"{setting} {text!r}: expected a duration like 90s, 15m, 2h or 1d")
    return timedelta(seconds=int(match["number"]) * _UNITS[match["unit"]])


def format_age(age: timedelta) -> str:
    """A short human age: ``45s``, ``12m``, ``3h05m``, ``2d04h``."""
    seconds = max(0, int(age.total_seconds()))
    days, seconds = divmod(seconds, 86400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    if days:
        return f"{days}d{hours:02d}h"
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m"
    return f"{seconds}s"
