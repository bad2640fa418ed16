"""The rules the checker applies to one key at a time. Pure functions, no I/O.

**Placement rule.** The mover puts a file in the partition of its *partition day*: for
SimplePrefix sources the date in the file name (when S3 delivered it); for PartitionedPrefix
sources the ``YYYY/MM/DD`` directories. AWS names PartitionedPrefix objects so that the two
agree: with ``DeliveryTime`` dates the file name is the delivery time, and with ``EventTime``
dates an object holds one day only and its file name is that day at ``00-00-00``. So the
partition day of a correctly moved file is always the date in its file name, and anything
else is ``misplaced`` (its repair moves it to that date). ``placement_lag_days`` (default 0)
relaxes this for layouts written by other tools that filed late deliveries under the
previous day.

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


def allowed_days(target: TargetKey, lag_days: int) -> tuple[date, date]:
    """The partition days a file with this name may be in (inclusive)."""
    delivered = target.delivered_at.date()
    return delivered - timedelta(days=lag_days), delivered


def placement_problem(target: TargetKey, lag_days: int) -> str | None:
    """Why ``target`` is in the wrong day, or ``None`` when it is where it belongs."""
    if target.day == target.delivered_at.date():  # the common case, checked cheaply
        return None
    first, last = allowed_days(target, lag_days)
    if first <= target.day <= last:
        return None
    span = last.isoformat() if first == last else f"{first.isoformat()}..{last.isoformat()}"
    return (
        f"delivered {target.delivered_at:%Y-%m-%d %H:%M:%S}Z but in Day={target.day.isoformat()};"
        f" its partition day must be {span}"
    )


def kept_copy(copies: Sequence[tuple[TargetKey, ListedObject]], lag_days: int) -> int:
    """Index of the copy to keep among copies of one file (see the module docstring)."""

    def preference(index: int) -> tuple[bool, object, date, int]:
        target, listed = copies[index]
        return (
            placement_problem(target, lag_days) is not None,
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
