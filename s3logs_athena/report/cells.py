"""Values as a person reads them, and as HTML table cells that wrap only where they may.

Formatting (:func:`format_value`): thousands separators; bytes also in decimal units (GB,
the unit system of the whole report: ``10GB`` thresholds, ``60GB`` axes); money with enough
digits to show a cost under a cent; shares as percentages; times in UTC.

Cells (:func:`table_html`): a line may break at a space or after a separator (``/ : . , - _
= & ? @ ;``), never inside a word, so an address, an operation or a header stays whole.
Short values without spaces (addresses, IDs, times) never wrap at all; a value longer than
:data:`MAX_CELL_CHARS` is shortened in the middle (``arn:aws:sts::…/bob@example.com``: both
ends are what tell ARNs, keys and user agents apart). A value shortened or given break
opportunities (``<wbr>``) carries its whole text as the hover ``title``. Every text is
escaped: log values are attacker-controlled, and stay text in cells and in ``title``.
"""

from __future__ import annotations

import html
import math
import re
from datetime import date, datetime
from typing import Any

import pandas as pd

from ..units import human_bytes  # the product's one unit system, re-exported

__all__ = [
    "MAX_CELL_CHARS",
    "format_value",
    "header_label",
    "human_bytes",
    "table_html",
]

#: Longer values are shortened in the middle (the full text is the cell's hover title).
MAX_CELL_CHARS = 96
#: Values up to this long without a space never wrap (addresses, request IDs, times).
_NOWRAP_CHARS = 24
#: Where a line may break inside a value: after a run of these.
_SEPARATORS = re.compile(r"([/:.,\-_=&?@;|\\+]+)")


def header_label(column: str) -> str:
    """``bytes_sent`` -> ``bytes sent``: headers wrap between words, never inside one."""
    return column.replace("_", " ")


def _is_bytes(column: str) -> bool:
    return "bytes" in column.lower()


def _is_money(column: str) -> bool:
    name = column.lower()
    return "usd" in name or "cost" in name


def _is_share(column: str) -> bool:
    return "share" in column.lower()


def _significant(value: float, digits: int = 3) -> str:
    """A fraction with ``digits`` significant digits in plain notation (``0.00426``)."""
    if value == 0:
        return "0"
    decimals = max(2, digits - 1 - math.floor(math.log10(abs(value))))
    text = f"{value:,.{decimals}f}"
    if "." in text:
        whole, fraction = text.split(".")
        fraction = fraction[:2] + fraction[2:].rstrip("0")
        text = f"{whole}.{fraction}"
    return text


def format_money(value: float) -> str:
    """US dollars: cents above a dollar, three significant digits below (``$0.000412``)."""
    if abs(value) >= 1:
        return f"${value:,.2f}"
    return "$" + _significant(value)


def format_share(value: float) -> str:
    """A share as a percentage: ``97%``, ``0.42%``."""
    if value != 0 and abs(value) < 0.01:
        return f"{_significant(value * 100, 2)}%"
    return f"{value:.0%}"


def format_value(value: Any, column: str) -> str:
    """One value as text (see the module docstring); ``–`` for a missing one."""
    if value is None or value is pd.NA or value is pd.NaT:
        return "–"
    if isinstance(value, float) and math.isnan(value):
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int) or (hasattr(value, "dtype") and pd.api.types.is_integer(value)):
        number = int(value)
        if _is_money(column):
            return format_money(number)
        text = f"{number:,}"
        if _is_bytes(column) and abs(number) >= 1_000_000:
            text += f" ({human_bytes(number)})"
        return text
    if isinstance(value, float) or (hasattr(value, "dtype") and pd.api.types.is_float(value)):
        fraction = float(value)
        if _is_money(column):
            return format_money(fraction)
        if _is_share(column):
            return format_share(fraction)
        if abs(fraction) >= 1e15:
            return f"{fraction:.3e}"
        return f"{fraction:,.2f}" if abs(fraction) >= 1 else _significant(fraction)
    if isinstance(value, pd.Timestamp | datetime):
        timed = value.hour or value.minute or value.second
        return value.strftime("%Y-%m-%d %H:%M:%S" if timed else "%Y-%m-%d")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _shorten(text: str) -> str:
    """``text`` cut in the middle to :data:`MAX_CELL_CHARS`, at separators where there are
    some near the cut (``arn:aws:sts::123456789012:assumed-role/…/bob@example.com``)."""
    if len(text) <= MAX_CELL_CHARS:
        return text
    head = (MAX_CELL_CHARS - 1) * 3 // 5
    tail = MAX_CELL_CHARS - 1 - head
    start, end = text[:head], text[-tail:]
    cut = max(start.rfind(c) for c in " /:,;=&?")
    if cut >= head - 16:
        start = start[: cut + 1]
    found = [i for i in (end.find(c) for c in " /:,;=&?") if 0 <= i < 16]
    if found:
        end = end[min(found) :]
    return f"{start}…{end}"


def _breakable(text: str) -> str:
    """Escaped text with a ``<wbr>`` (a line-break opportunity) after each separator run."""
    parts = _SEPARATORS.split(text)
    out = []
    for index, part in enumerate(parts):
        out.append(html.escape(part))
        if index % 2 and index < len(parts) - 1:  # a separator run, not at the end
            out.append("<wbr>")
    return "".join(out)


def _words(text: str) -> str:
    """Escaped text that wraps at its spaces; a short word (an address, a date) never
    breaks, a long one may after its separators."""
    out = []
    for piece in re.split(r"( +)", text):
        if not piece.strip():
            out.append(html.escape(piece))
        elif len(piece) <= _NOWRAP_CHARS:
            out.append(f'<span class="nw">{html.escape(piece)}</span>')
        else:
            out.append(_breakable(piece))
    return "".join(out)


def text_cell(text: str, tag: str = "td", classes: tuple[str, ...] = ()) -> str:
    """A cell showing ``text`` (escaped): a short token on one line; a longer value with
    line-break opportunities at its spaces and after its separators, shortened in the middle
    past :data:`MAX_CELL_CHARS`, and its full text as the hover title."""
    shown = _shorten(text)
    attributes = ""
    if len(shown) <= _NOWRAP_CHARS and " " not in shown:
        classes = (*classes, "nw")
        body = html.escape(shown)
    else:
        body = _words(shown)
    if shown != text or body != html.escape(shown):
        # The whole value, exactly (also what a search of the page's source finds).
        attributes = f' title="{html.escape(text, quote=True)}"'
    if classes:
        attributes = f' class="{" ".join(classes)}"' + attributes
    return f"<{tag}{attributes}>{body}</{tag}>"


def time_cell(text: str) -> str:
    """``2024-03-04 13:00:00``: may wrap between the date and the time, nowhere else."""
    day, space, clock = text.partition(" ")
    if not space:
        return f'<td class="nw">{html.escape(text)}</td>'
    return (
        f'<td><time datetime="{html.escape(text, quote=True)}"><span class="nw">'
        f'{html.escape(day)}</span> <span class="nw">{html.escape(clock)}</span></time></td>'
    )


def _column_kinds(frame: pd.DataFrame) -> list[str]:
    kinds = []
    for column in frame.columns:
        series = frame[column]
        if pd.api.types.is_bool_dtype(series):
            kinds.append("text")
        elif pd.api.types.is_numeric_dtype(series):
            kinds.append("num")
        elif pd.api.types.is_datetime64_any_dtype(series):
            kinds.append("time")
        else:
            kinds.append("text")
    return kinds


#: A text column with values this long gets room (``th.wide``): it wraps into a few lines,
#: not into a narrow column of many.
_WIDE_CHARS = 40


def _header_class(values: pd.Series, kind: str) -> str:
    if kind == "num":
        return ' class="num"'
    if kind == "text" and values.astype("string").fillna("").str.len().max() > _WIDE_CHARS:
        return ' class="wide"'
    return ""


def table_html(
    frame: pd.DataFrame,
    max_rows: int,
    empty: str = "No rows.",
    *,
    highlight: tuple[str, str] | None = None,
) -> str:
    """``frame`` (its first ``max_rows`` rows) as an HTML table; ``empty`` when it has none.
    Rows whose ``highlight[0]`` column holds ``highlight[1]`` get ``class="highlight"``."""
    if frame.empty:
        return f'<p class="empty">{html.escape(empty)}</p>'
    kinds = _column_kinds(frame)
    shown = frame.head(max_rows)
    head = "".join(
        f'<th title="{html.escape(str(c), quote=True)}"{_header_class(shown[c], kind)}>'
        f"{html.escape(header_label(str(c)))}</th>"
        for c, kind in zip(frame.columns, kinds, strict=True)
    )
    rows = []
    marked = (
        list(shown[highlight[0]] == highlight[1])
        if highlight and highlight[0] in shown
        else [False] * len(shown)
    )
    for values, mark in zip(shown.itertuples(index=False, name=None), marked, strict=True):
        cells = []
        for value, column, kind in zip(values, frame.columns, kinds, strict=True):
            text = format_value(value, str(column))
            if kind == "num":
                number, space, unit = text.partition(" ")  # 64,736,340,079 (64.7 GB)
                if space:
                    unit = f' <span class="nw">{html.escape(unit)}</span>'
                cells.append(f'<td class="num">{html.escape(number)}{unit}</td>')
            elif kind == "time":
                cells.append(time_cell(text))
            else:
                cells.append(text_cell(text))
        opening = '<tr class="highlight">' if mark is True else "<tr>"
        rows.append(f"{opening}{''.join(cells)}</tr>")
    more = len(frame) - max_rows
    foot = (
        f'<p class="more">{more:,} more {_plural(more, "row")} not shown.</p>' if more > 0 else ""
    )
    return (
        f'<div class="table"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>{foot}"
    )


def _plural(count: int, noun: str) -> str:
    return noun if count == 1 else noun + "s"


def count_label(count: int, noun: str) -> str:
    """``1 row``, ``2 rows``."""
    return f"{count:,} {_plural(count, noun)}"
