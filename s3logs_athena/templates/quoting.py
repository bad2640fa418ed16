"""The one place where values become SQL text.

Template parameters reach a query only as literals made here (or, on Athena, as execution
parameters), never by pasting text into SQL. The escaping is Trino's, the dialect the
templates are written in, and the habit of PyAthena's formatter: a string literal is
``'...'`` with every ``'`` doubled, and nothing else is special (a backslash is an ordinary
character in Trino and in DuckDB). Identifiers are not quoted from arbitrary text at all:
they must already be plain names (letters, digits, ``_``), then they are double-quoted.

:class:`Sql` marks text that is already SQL (made here, or written in a template), so the
template renderer can tell "insert as is" from "quote as a literal" without guessing.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

from ..errors import TemplateError

__all__ = ["Sql", "in_list", "quote_identifier", "sql_literal"]

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,254}")


class Sql(str):
    """Text that is already SQL: inserted into a template verbatim, never quoted again."""

    __slots__ = ()


def _string_literal(value: str) -> str:
    if "\x00" in value:
        # Neither engine keeps a NUL inside a literal; no log field holds one either.
        raise TemplateError("a string literal cannot contain a NUL character")
    return "'" + value.replace("'", "''") + "'"


def _timestamp_text(value: datetime) -> str:
    if value.tzinfo is not None and value.utcoffset():
        raise TemplateError(f"timestamp {value.isoformat()} must be in UTC")
    text = value.strftime("%Y-%m-%d %H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond:06d}"
    return text


def sql_literal(value: object) -> Sql:
    """``value`` as a Trino SQL literal (which DuckDB reads the same way after transpiling).

    str -> ``'it''s'``; int -> ``42``; Decimal -> ``0.0004`` (a DECIMAL literal, never
    exponent notation); bool -> ``TRUE``; datetime (naive = UTC) -> ``TIMESTAMP '...'``;
    date -> ``DATE '...'``; an IP address or network -> its text as a string; None ->
    ``NULL``; a list or tuple -> ``(a, b, ...)``. Anything else is a bug in the caller.
    """
    if value is None:
        return Sql("NULL")
    if isinstance(value, Sql):
        raise TemplateError("sql_literal() got text that is already SQL")
    if isinstance(value, bool):
        return Sql("TRUE" if value else "FALSE")
    if isinstance(value, int):
        return Sql(str(value))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise TemplateError(f"cannot write {value} as a SQL number")
        return Sql(format(value, "f"))
    if isinstance(value, str):
        return Sql(_string_literal(value))
    if isinstance(value, datetime):
        return Sql(f"TIMESTAMP '{_timestamp_text(value)}'")
    if isinstance(value, date):
        return Sql(f"DATE '{value.isoformat()}'")
    if isinstance(
        value,
        ipaddress.IPv4Address
        | ipaddress.IPv6Address
        | ipaddress.IPv4Network
        | ipaddress.IPv6Network,
    ):
        return Sql(_string_literal(str(value)))
    if isinstance(value, list | tuple):
        return in_list(value)
    raise TemplateError(f"no SQL literal for a {type(value).__name__} value")


def in_list(values: Iterable[object]) -> Sql:
    """``(v1, v2, ...)`` for ``IN``; at least one value (``IN ()`` is not SQL)."""
    items = [sql_literal(v) for v in values]
    if not items:
        raise TemplateError("an IN list needs at least one value")
    return Sql("(" + ", ".join(items) + ")")


def quote_identifier(name: str) -> Sql:
    """``"name"`` for a plain name (letters, digits, ``_``; not starting with a digit).

    Names are validated, not escaped: a Glue database or table name never needs more.
    """
    if not _IDENTIFIER.fullmatch(name):
        raise TemplateError(f"{name!r} is not a plain SQL identifier")
    return Sql(f'"{name}"')
