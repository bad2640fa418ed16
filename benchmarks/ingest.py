"""Ingest >= 1M log lines into the cache, against named baselines on the same files.

Baseline: AWS's documented regex (the one in their Athena DDL) applied with Python ``re``,
turning every line into a row of strings (reading and decoding the files included).
Also measured: DuckDB's ``regexp_extract`` with the same regex over the raw text; the former
ingest into a raw-string cache partitioned by delivery day (``_raw_baseline.raw_ingest``: the
cost before typing at ingest); and our ``ingest`` (read, split, validate, type, Parquet
written per request-day partition: the whole job).

Then a sample of lines is checked: our cached values, rendered back to the raw table's text
by the engine's ``s3_access_logs`` relation, equal the regex's groups (quotes stripped, as
Athena's table has them; an optional field a line lacks reads ``-`` there) on every line AWS's
regex itself reads correctly.

    python benchmarks/ingest.py [--lines 1000000]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import duckdb
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _raw_baseline import raw_ingest
from _report import header, print_table, timed
from _synthetic import write_partitioned_logs

from s3logs_athena.cache import find_log_files, ingest
from s3logs_athena.engines.duckdb import DuckDBEngine
from s3logs_athena.fields import FIELD_NAMES, LOG_FIELDS

T = TypeVar("T")

AWS_REGEX = (
    r'([^ ]*) ([^ ]*) \[(.*?)\] ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ("[^"]*"|-) (-|[0-9]*) '
    r'([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ("[^"]*"|-) ([^ ]*)(?: ([^ ]*) ([^ ]*) '
    r"([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*))?.*$"
)


def python_regex(files: list[Path]) -> list[tuple[str | None, ...]]:
    pattern = re.compile(AWS_REGEX)
    rows: list[tuple[str | None, ...]] = []
    for path in files:
        text = path.read_bytes().decode("utf-8", "replace")
        rows.extend(m.groups() for m in map(pattern.match, text.split("\n")) if m)
    return rows


def duckdb_regex(files: list[Path]) -> int:
    con = duckdb.connect()
    names = ", ".join(f"'c{i}'" for i in range(27))
    listing = ", ".join("'" + str(p).replace("'", "''") + "'" for p in files)
    escaped = AWS_REGEX.replace("'", "''")
    table = con.sql(
        f"SELECT regexp_extract(line, '{escaped}', [{names}]) AS r FROM read_csv([{listing}], "
        "columns = {'line': 'VARCHAR'}, header = false, delim = E'\\x01', quote = '', "
        "escape = '', auto_detect = false) WHERE regexp_matches(line, '" + escaped + "')"
    ).to_arrow_table()
    return int(table.num_rows)


def _unquote(text: str | None) -> str | None:
    if text is not None and len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        return text[1:-1]
    return text


def check_sample(logs: Path, cache: Path, size: int, seed: int = 1) -> tuple[int, int]:
    """Compare cached rows with AWS's regex on a sample of lines; (compared, mismatches)."""
    pattern = re.compile(AWS_REGEX)
    rng = random.Random(seed)
    files = find_log_files(logs)[0]
    sample = []
    for source in rng.sample(files, min(10, len(files))):
        lines = source.path.read_text().split("\n")
        for line in rng.sample(lines, min(size // 10, len(lines))):
            match = pattern.match(line)
            # AWS's regex misreads requesters with spaces; judge it only where it is right.
            if match and match[5] and "CloudFront" not in line:
                sample.append((source, match.groups()))
    mismatches = 0
    with DuckDBEngine(cache) as engine:
        frame = engine.run(
            f"SELECT {', '.join(FIELD_NAMES)} FROM s3_access_logs_db.s3_access_logs "
            "WHERE requestid IN (SELECT id FROM UNNEST(?) AS ids(id))",
            [[groups[5] for _, groups in sample]],
        ).frame
    by_id = {
        row[5]: tuple(None if v is None or v is pd.NA else v for v in row)
        for row in frame.astype(object).itertuples(index=False)
    }
    optional = [i for i, f in enumerate(LOG_FIELDS) if f.optional]
    for _, groups in sample:
        ours = by_id.get(groups[5])
        theirs: list[str | int | None] = [_unquote(g) for g in groups]
        for index in (11, 12):  # bytessent, objectsize: bigint, '-' is NULL
            text = groups[index]
            theirs[index] = None if text in (None, "-") else int(str(text))
        for index in optional:  # a field the line lacks reads '-' in the local raw relation
            if theirs[index] is None:
                theirs[index] = "-"
        if ours is None or list(ours[:27]) != theirs:
            mismatches += 1
    return len(sample), mismatches


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _with_cpu(work: Callable[[], T], spent: dict[str, float], name: str) -> Callable[[], T]:
    """``work``, recording the CPU seconds of all the process's threads it used."""

    def run() -> T:
        before = _cpu_seconds()
        result = work()
        spent[name] = _cpu_seconds() - before
        return result

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="s3logs-bench-"))
    try:
        logs = work / "logs"
        size = write_partitioned_logs(logs, args.lines)
        files = [s.path for s in find_log_files(logs)[0]]
        megabytes = size / 1e6
        header(f"ingest: {args.lines:,} lines, {len(files)} files, {megabytes:,.0f} MB")
        cpu: dict[str, float] = {}
        base, rows = timed(
            "AWS regex, Python re -> rows",
            megabytes,
            _with_cpu(lambda: python_regex(files), cpu, "re"),
        )
        duck, _ = timed(
            "AWS regex, DuckDB regexp_extract",
            megabytes,
            _with_cpu(lambda: duckdb_regex(files), cpu, "duckdb"),
        )
        sources = find_log_files(logs)[0]
        former, _ = timed(
            "former ingest -> raw-string Parquet",
            megabytes,
            _with_cpu(lambda: raw_ingest(sources, work / "raw-cache"), cpu, "former"),
        )
        ours, report = timed(
            "s3logs-athena ingest -> typed Parquet",
            megabytes,
            _with_cpu(lambda: ingest(logs, work / "cache"), cpu, "ingest"),
        )
        print_table(base, [duck, former, ours], "MB")
        print(
            f"# typed ingest vs the former raw-string ingest: {former.seconds / ours.seconds:.2f}x "
            f"by wall time, {cpu['former'] / cpu['ingest']:.2f}x by CPU seconds (above 1: "
            "faster; on a shared machine the CPU figure is the steadier one)"
        )
        print(
            f"# CPU seconds (all threads): re {cpu['re']:.2f}, DuckDB regex {cpu['duckdb']:.2f}, "
            f"former ingest {cpu['former']:.2f}, ingest {cpu['ingest']:.2f}; load average "
            f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
        )
        print(
            f"# regex rows: {len(rows):,}; ingest: {report.parse.records:,} records, "
            f"{report.parse.failed:,} unparseable lines reported, "
            f"{report.partitions_written} partition files"
        )
        compared, mismatches = check_sample(logs, work / "cache", 2000)
        print(f"# sample check: {compared:,} lines compared with AWS's regex, {mismatches} differ")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"# files kept in {work}")


if __name__ == "__main__":
    main()
