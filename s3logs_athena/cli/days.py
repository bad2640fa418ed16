"""Days on the command line: one set of forms for every command that takes ``--from/--to``
(``check``, ``sync``, ``report``; ``query``'s ``-p start=/end=`` accept the same and more).

Forms: ``YYYY-MM-DD``, ``today``, ``yesterday`` and ``-Nd`` (N days before today), all UTC.
A reversed range is rejected with the text the user typed (and the day it means, when that
differs), before any margin or adjustment is applied.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from ..errors import InputError

__all__ = ["DAY_FORMS", "parse_day", "parse_day_range"]

DAY_FORMS = "YYYY-MM-DD, today, yesterday or -Nd (N days ago), UTC"
_RELATIVE = re.compile(r"-(\d{1,5})d")


def _today() -> date:
    return datetime.now(UTC).date()


def parse_day(text: str, option: str, *, today: date | None = None) -> date:
    """``2024-01-31``, ``today``, ``yesterday`` or ``-7d`` (seven days ago, UTC)."""
    today = today or _today()
    lowered = text.strip().lower()
    if lowered == "today":
        return today
    if lowered == "yesterday":
        return today - timedelta(days=1)
    relative = _RELATIVE.fullmatch(lowered)
    if relative:
        return today - timedelta(days=int(relative[1]))
    try:
        if re.fullmatch(r"\d{4}-\d\d-\d\d", lowered):
            return date.fromisoformat(lowered)
    except ValueError as exc:
        raise InputError(f"{option} {text!r} is not a valid date ({exc})") from None
    raise InputError(f"{option} {text!r} is not a date: use {DAY_FORMS}")


def _as_typed(text: str, day: date) -> str:
    typed = text.strip()
    return typed if typed == day.isoformat() else f"{typed} ({day})"


def parse_day_range(
    start: str,
    end: str,
    *,
    from_option: str = "--from",
    to_option: str = "--to",
    today: date | None = None,
) -> tuple[date, date]:
    """The inclusive range ``start``..``end``; an :class:`InputError` quoting what was typed
    when ``end`` is before ``start``."""
    today = today or _today()
    first = parse_day(start, from_option, today=today)
    last = parse_day(end, to_option, today=today)
    if last < first:
        raise InputError(
            f"{from_option} {_as_typed(start, first)} is after {to_option} "
            f"{_as_typed(end, last)}: the first day must come before the last"
        )
    return first, last
