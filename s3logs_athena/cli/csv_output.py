"""CSV that survives hostile values: every reader splits it back into the same fields, and a
spreadsheet opening it evaluates nothing.

Two holes a plain :class:`csv.writer` leaves (Python 3.11):

* it quotes a field only for the delimiter, the quote and the characters of its line
  terminator, so with ``"\\n"`` line ends a field holding a lone CR is written bare and readers
  (Python's csv, pandas, spreadsheets) split the row there. Here any field holding a comma,
  quote, CR or LF is quoted (RFC 4180), whatever the line terminator.
* a cell starting with ``=``, ``+``, ``-``, ``@``, TAB or CR is a formula to Excel, LibreOffice
  and Google Sheets (``=HYPERLINK(...)``, ``+cmd|' /C calc'!A0``, ``@SUM(...)``): anyone can put
  one into a User-Agent or a key. By default such a cell is written with a leading ``'``
  (OWASP's "CSV injection" rule), which spreadsheets show as text; plain numbers (``-12``,
  ``+1.5``, ``1e5``) and the bare ``-`` are left alone. ``raw=True`` (``--csv-raw``) writes
  values exactly as they are, for programs rather than spreadsheets.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from typing import IO, Any

__all__ = ["FORMULA_START", "CsvWriter", "csv_raw_option", "neutralize"]

#: First characters that make a spreadsheet read a cell as a formula (OWASP).
FORMULA_START = frozenset("=+-@\t\r")
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_NEEDS_QUOTES = re.compile(r'[",\r\n]')

CSV_RAW_HELP = (
    "CSV: write cells exactly as they are. By default a cell that a spreadsheet would run as "
    "a formula (starting with = + - @, TAB or CR, other than a plain number or '-') gets a "
    "leading ' so it shows as text."
)


def neutralize(value: str) -> str:
    """``value``, with a leading ``'`` if a spreadsheet would evaluate it as a formula."""
    if value and value[0] in FORMULA_START and value != "-" and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def _quoted(value: object) -> str:
    """One field as :class:`csv.writer` writes it, but quoted also for a lone CR."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if _NEEDS_QUOTES.search(text):
        return '"' + text.replace('"', '""') + '"'
    return text


class CsvWriter:
    """Rows or columns to CSV on ``out`` (opened with ``newline=""``), LF line ends.

    ``None`` is an empty cell; numbers are written as :class:`csv.writer` writes them.
    """

    def __init__(self, out: IO[str], *, raw: bool = False) -> None:
        self._out = out
        self._writer = csv.writer(out, lineterminator="\n")
        self.raw = raw

    def _cells(self, column: Sequence[Any]) -> tuple[list[Any], bool]:
        """A column's cells (neutralized unless raw) and whether any holds a CR."""
        cells = list(column)
        has_cr = False
        for index, value in enumerate(cells):
            if isinstance(value, str) and value:
                if "\r" in value:
                    has_cr = True
                if not self.raw and value[0] in FORMULA_START:
                    cells[index] = neutralize(value)
        return cells, has_cr

    def writerow(self, row: Iterable[Any]) -> None:
        self.write_columns([[value] for value in row])

    def write_columns(self, columns: Sequence[Sequence[Any]]) -> None:
        """Write the rows that ``columns`` (all of one length) make, in order."""
        if not columns:
            return
        prepared = [self._cells(column) for column in columns]
        cells = [column for column, _ in prepared]
        rows = zip(*cells, strict=True)
        if not any(has_cr for _, has_cr in prepared):
            self._writer.writerows(rows)  # C speed: no field needs the quoting csv lacks
            return
        pending: list[tuple[Any, ...]] = []
        for row in rows:
            if any(isinstance(value, str) and "\r" in value for value in row):
                self._writer.writerows(pending)
                pending = []
                self._out.write(",".join(_quoted(value) for value in row) + "\n")
            else:
                pending.append(row)
        self._writer.writerows(pending)


def csv_raw_option(function: Any) -> Any:
    """Add ``--csv-raw`` (the command receives ``csv_raw: bool``)."""
    import click

    return click.option("--csv-raw", is_flag=True, help=CSV_RAW_HELP)(function)
