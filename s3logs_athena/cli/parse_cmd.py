"""``s3logs-athena parse``: log files (or stdin) to JSON Lines or CSV records on stdout.

Streams: reads a few megabytes at a time and writes each batch before reading the next, so
memory stays constant however large the input. Bad lines never vanish: each one is printed
on stderr as ``FILE:LINE: reason: excerpt``; the exit status is 1 if any line failed, unless
``--lenient`` (then 0, with a count summary on stderr).
"""

from __future__ import annotations

import functools
import io
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import click

from ..errors import InputError
from ..fields import LOG_FIELDS, TRAILING_FIELD, ValueType
from ..logfile import BinaryFileError, open_log, sniff_file
from ..parser import Columns, ParseReport, iter_line_batches, parse_columns
from .csv_output import csv_raw_option
from .record_output import FORMATS, write_csv, write_csv_header, write_jsonl
from .safe_text import visible

STDIN = "-"

_TYPE_NAMES = {ValueType.STR: "text", ValueType.INT: "int", ValueType.TIMESTAMP: "time"}


def _field_help() -> str:
    """The field list for --help, generated from the one in fields.py."""
    rows = [
        f"  {f.name:<16} {_TYPE_NAMES[f.value_type]:<5} {f.description}"
        for f in (*LOG_FIELDS, TRAILING_FIELD)
    ]
    return "\n".join(rows)


_EPILOG = f"""\b
Fields (in this order; "-" in the log becomes null / an empty CSV cell):
{_field_help()}

\b
Times are ISO 8601 UTC ("2019-02-06T00:00:38Z"); "int" fields are JSON numbers.
A line has 17 to 27 fields (older logs stop after the user agent or a later field);
fields AWS adds in future are kept in trailing_fields. Quoted fields may contain raw
quotes; CRLF line ends, non-ASCII and invalid UTF-8 (read as U+FFFD) are fine. Blank
lines are skipped. Gzipped files are read as they are; other binary files are refused.

\b
CSV is quoted so that any CSV reader gets the same fields back (a CR or LF inside a
value included). A cell a spreadsheet would run as a formula (starting with = + - @,
TAB or CR, other than a plain number or "-") is written with a leading ' (shown as
text); --csv-raw writes values unchanged.

\b
Examples:
  s3logs-athena parse 2024-01-02-03-04-05-ABCDEF0123456789
  s3logs-athena parse --format csv logs/*.log > records.csv
  aws s3 cp s3://central-logs/PartitionedLogs/Year=2024/Month=01/Day=02/app/f - \\
    | s3logs-athena parse --lenient | jq -r 'select(.httpstatus >= 500) | .key'
"""


@click.command(epilog=_EPILOG)
@click.argument("files", nargs=-1, metavar="[FILE...|-]")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(FORMATS),
    default="jsonl",
    show_default=True,
    help="jsonl: one JSON object per line; csv: a header row, then one row per record.",
)
@click.option(
    "--lenient",
    is_flag=True,
    help="Skip bad lines (still listed on stderr, with a count) and exit 0.",
)
@csv_raw_option
def parse(files: tuple[str, ...], output_format: str, lenient: bool, csv_raw: bool) -> None:
    """Parse S3 server access log lines into records with AWS's field names.

    Reads each FILE in turn, or standard input when FILE is "-" or absent, and writes
    one record per log line to standard output. A line that is not a log record is
    reported on stderr as FILE:LINE: reason: excerpt and makes the exit status 1.
    """
    sources = list(files) or [STDIN]
    _check_readable(sources)
    total = ParseReport()
    with _stdout_text() as out:
        if output_format == "csv":
            write_csv_header(out)
        for source in sources:
            with _open(source) as stream:
                total.merge(_parse_one(stream, _display_name(source), out, output_format, csv_raw))
    _summarize(total, lenient)


def _check_readable(sources: list[str]) -> None:
    """All files exist and are readable before anything is written (a usage error)."""
    for source in sources:
        if source == STDIN:
            continue
        path = Path(source)
        if not path.exists():
            raise InputError(f"{source}: no such file")
        if path.is_dir():
            raise InputError(f"{source}: is a directory; pass the log files in it")
        if not os.access(path, os.R_OK):
            raise InputError(f"{source}: permission denied")
        if sniff_file(path) == "binary":
            raise BinaryFileError(source)


def _display_name(source: str) -> str:
    return "<stdin>" if source == STDIN else source


@contextmanager
def _open(source: str) -> Iterator[IO[bytes]]:
    """The file's log text: gunzipped if gzip, refused if other binary data."""
    if source == STDIN:
        yield open_log(sys.stdin.buffer, _display_name(source))
        return
    try:
        stream = Path(source).open("rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise InputError(f"{source}: {exc.strerror}") from None
    with stream:
        yield open_log(stream, source)


@contextmanager
def _stdout_text() -> Iterator[IO[str]]:
    """UTF-8 text on stdout whatever the locale; a closed pipe (``| head``) ends quietly."""
    out = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="")
    try:
        yield out
        out.flush()
    except BrokenPipeError:
        # The reader went away: stop, and keep Python from complaining at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        click.get_current_context().exit(0)
    finally:
        out.detach()


def _parse_one(
    stream: IO[bytes], name: str, out: IO[str], output_format: str, csv_raw: bool
) -> ParseReport:
    report = ParseReport(source=name)
    write: Callable[[Columns, IO[str]], None] = (
        functools.partial(write_csv, raw=csv_raw) if output_format == "csv" else write_jsonl
    )
    number = 1
    for batch in iter_line_batches(stream):
        # Lenient here so that a batch goes on past a bad line (the exit status says whether
        # any failed), keeping every failure of the batch to list it.
        batch_report = ParseReport(source=name, max_examples=len(batch))
        columns = parse_columns(
            batch, first_line_number=number, source=name, lenient=True, report=batch_report
        )
        number += len(batch)
        for error in batch_report.examples:
            click.echo(visible(error), err=True)
        write(columns, out)
        report.merge(batch_report)
    return report


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _summarize(report: ParseReport, lenient: bool) -> None:
    if not report.failed:
        return
    counts = (
        f"{_count(report.failed, 'bad line')} of {report.lines} "
        f"({_count(report.records, 'record')} written, {_count(report.blank, 'blank line')})"
    )
    if lenient:
        click.echo(f"Skipped {counts}.", err=True)
        return
    click.echo(f"Error: {counts}; use --lenient to skip bad lines and exit 0.", err=True)
    click.get_current_context().exit(1)
