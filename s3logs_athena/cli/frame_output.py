"""A query's rows (a pandas DataFrame) as a table for people, CSV or JSON for programs.

* table: numbers right-aligned with thousands separators and without float noise
  (``0.015370000000000002`` is ``0.01537``), every value as text (:func:`.safe_text.cell`);
* csv: :class:`.csv_output.CsvWriter` (safe quoting; formula-like cells neutralized unless
  ``raw``); dates ``2024-03-04``, times ``2024-03-04 10:00:00``;
* json: a list of row objects; dates as ``2024-03-04``, times as ISO 8601, missing as null.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import IO, TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

from .csv_output import CsvWriter
from .output import dumps_json
from .safe_text import cell

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["format_number", "frame_csv", "frame_json", "frame_table"]


def _missing(value: object) -> bool:
    import pandas as pd

    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def format_number(value: float | int) -> str:
    """``1,234,567``, ``12.3457``, ``0.01537``: thousands separators, six significant
    digits for fractions, no binary-float noise."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    if abs(value) < 1:
        return f"{value:.6g}"
    digits = len(str(int(abs(value))))
    text = f"{value:,.{max(0, 6 - digits)}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _time_text(value: Any, separator: str) -> str:
    """A timestamp without pandas' padding: ``2024-03-04T10:00:00`` (``.123456`` only if
    there are fractions)."""
    moment: datetime = value.to_pydatetime() if hasattr(value, "to_pydatetime") else value
    return moment.isoformat(sep=separator)


def _python_value(value: Any, time_separator: str) -> Any:
    """A cell as a plain Python value: ``None`` for missing, dates and times as text."""
    if _missing(value):
        return None
    if isinstance(value, datetime) or type(value).__name__ == "Timestamp":
        return _time_text(value, time_separator)
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def _columns(frame: pd.DataFrame, time_separator: str) -> list[list[Any]]:
    return [
        [_python_value(value, time_separator) for value in frame[column].tolist()]
        for column in frame.columns
    ]


def frame_json(frame: pd.DataFrame) -> str:
    """The rows as a JSON list of objects (column order kept)."""
    names = [str(column) for column in frame.columns]
    columns = _columns(frame, "T")
    rows = [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]
    return dumps_json(rows)


def frame_csv(frame: pd.DataFrame, out: IO[str], *, raw: bool = False) -> None:
    """The rows as CSV with a header (``out`` opened with ``newline=""``)."""
    writer = CsvWriter(out, raw=raw)
    writer.writerow([str(column) for column in frame.columns])
    writer.write_columns(_columns(frame, " "))


def frame_table(frame: pd.DataFrame) -> Table:
    """The rows as a rich table, numbers right-aligned and readable."""
    import pandas as pd

    table = Table(show_lines=False)
    numeric = []
    for column in frame.columns:
        series = frame[column]
        is_number = pd.api.types.is_numeric_dtype(series) and not (
            pd.api.types.is_bool_dtype(series)
        )
        numeric.append(is_number)
        table.add_column(cell(column), justify="right" if is_number else "left", overflow="fold")
    for row in zip(*_columns(frame, " "), strict=True):
        table.add_row(
            *(
                cell("") if value is None else cell(format_number(value) if is_number else value)
                for value, is_number in zip(row, numeric, strict=True)
            )
        )
    return table


def print_table(frame: pd.DataFrame, console: Console | None = None) -> None:
    """Print the table: to the terminal's width, or (piped, to a file) as wide as the rows
    need, up to 400 columns, so nothing is folded that a pager could show."""
    from rich.measure import Measurement

    console = console or Console(soft_wrap=False)
    table = frame_table(frame)
    if not console.is_terminal:
        wanted = Measurement.get(console, console.options.update(width=400), table).maximum
        console.width = max(80, min(wanted, 400))
    console.print(table)
