"""Query templates on a 1M-row, 30-day local cache: what typing once at ingest buys, and what
partition pruning saves.

Named baseline: the raw-string cache and templates as they were before the typed schema
(``_raw_baseline.py``: the raw table's strings partitioned by delivery day, every query
parsing ``requestdatetime`` and casting ``httpstatus``/``totaltime``), built and queried in this
process from the same generated files. Measured side by side:

* ingest: the former raw-string ingest against today's typed ingest (types computed once);
* five templates over 7 days, each run as ``query run`` does (a fresh engine every time, the
  two paths alternating, best of ``--repeat``): raw-string SQL over the raw cache against the
  typed SQL over the typed cache, with their answers compared, and the bytes DuckDB read;
* AWS's documented style (parse every row's time, no partition predicate) over the typed
  cache's raw-string relation, and the bytes of one day against 30 days of a template
  (expected about 2/30: the day and the one after, read for late deliveries).

    python benchmarks/query.py [--lines 1000000]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _raw_baseline import RawEngine, RawResult, raw_ingest, render_raw
from _report import Timing, header, print_table, timed
from _synthetic import write_partitioned_logs

from s3logs_athena.cache import find_log_files, ingest
from s3logs_athena.engines.api import execute_query, execute_sql
from s3logs_athena.engines.result import QueryResult

FIRST_DAY = date(2024, 3, 1)
DAYS = 30
TEMPLATES: list[tuple[str, dict[str, Any]]] = [
    ("requests-by-operation", {}),
    ("top-ips", {}),
    ("top-requesters", {"by": "bytes"}),
    ("access-denied", {}),
    ("latency-hotspots", {}),
]
AWS_DOCS_STYLE = """
SELECT operation, count(*) AS requests
FROM s3_access_logs_db.s3_access_logs
WHERE parse_datetime(requestdatetime, 'dd/MMM/yyyy:HH:mm:ss Z')
      BETWEEN TIMESTAMP '{start} 00:00:00 UTC' AND TIMESTAMP '{end} 00:00:00 UTC'
GROUP BY operation
"""


def _same(typed: pd.DataFrame, raw: pd.DataFrame) -> bool:
    try:
        pd.testing.assert_frame_equal(
            typed.reset_index(drop=True), raw.reset_index(drop=True), check_dtype=False
        )
    except AssertionError:
        return False
    return True


def compare_templates(
    cache: Path, raw_root: Path, week: dict[str, str], *, repeat: int = 7
) -> None:
    raw_total = typed_total = 0.0
    print(
        f"{'template (7 days)':24}  {'raw s':>7}  {'typed s':>7}  {'speed-up':>8}  "
        f"{'raw bytes':>12}  {'typed bytes':>12}  answers"
    )
    for name, extra in TEMPLATES:
        params = {**week, **extra}

        def run_raw(name: str = name, params: dict[str, Any] = params) -> RawResult:
            return RawEngine(raw_root).run(render_raw(name, params))

        def run_typed(name: str = name, params: dict[str, Any] = params) -> QueryResult:
            return execute_query(name, params, cache_dir=cache)

        # Alternating, best of `repeat` each: a machine whose load drifts treats both alike.
        raw_best = typed_best = float("inf")
        for _ in range(repeat):
            raw_time, raw = timed(f"{name} raw", 1, run_raw)
            typed_time, typed = timed(f"{name} typed", 1, run_typed)
            raw_best = min(raw_best, raw_time.seconds)
            typed_best = min(typed_best, typed_time.seconds)
        raw_time = Timing(raw_time.name, raw_best, 1)
        typed_time = Timing(typed_time.name, typed_best, 1)
        raw_total += raw_time.seconds
        typed_total += typed_time.seconds
        answers = "same" if _same(typed.frame, raw.frame) else "DIFFER"
        print(
            f"{name:24}  {raw_time.seconds:7.3f}  {typed_time.seconds:7.3f}  "
            f"{raw_time.seconds / typed_time.seconds:7.2f}x  {raw.bytes_scanned:12,}  "
            f"{typed.bytes_scanned or 0:12,}  {answers}"
        )
    print_table(
        Timing(
            "five templates, raw strings parsed per query (baseline)", raw_total, len(TEMPLATES)
        ),
        [Timing("five templates, typed once at ingest", typed_total, len(TEMPLATES))],
        "queries",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7, help="runs of each template, best kept")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="s3logs-bench-"))
    try:
        write_partitioned_logs(work / "logs", args.lines, days=DAYS, first_day=FIRST_DAY)
        cache, raw_root = work / "cache", work / "raw-cache"
        files = find_log_files(work / "logs")[0]
        # Two rounds, alternating, best kept: the first reads the files cold.
        raw_best = typed_best = float("inf")
        for _ in range(2):
            shutil.rmtree(raw_root, ignore_errors=True)
            shutil.rmtree(cache, ignore_errors=True)
            raw_time, raw_rows = timed("raw", args.lines, lambda: raw_ingest(files, raw_root))
            typed_time, report = timed("typed", args.lines, lambda: ingest(work / "logs", cache))
            raw_best, typed_best = (
                min(raw_best, raw_time.seconds),
                min(typed_best, typed_time.seconds),
            )
        raw_ingest_time = Timing(
            "ingest, raw strings by delivery day (baseline)", raw_best, args.lines
        )
        typed_ingest_time = Timing("ingest, typed by request day", typed_best, args.lines)
        header(f"query: {report.parse.records:,} rows, {DAYS} days, 2 buckets, local DuckDB")
        print_table(raw_ingest_time, [typed_ingest_time], "lines")
        print(f"# rows: raw cache {raw_rows:,}, typed cache {report.parse.records:,}")
        week = {
            "start": str(FIRST_DAY + timedelta(days=10)),
            "end": str(FIRST_DAY + timedelta(days=17)),
        }
        compare_templates(cache, raw_root, week, repeat=args.repeat)

        sql = AWS_DOCS_STYLE.format(**week)
        baseline, docs = timed(
            "AWS-docs style (parse every row, no pruning)",
            1,
            lambda: execute_sql(sql, cache_dir=cache),
            repeat=3,
        )
        pruned_timing, pruned = timed(
            "requests-by-operation (typed, pruned)",
            1,
            lambda: execute_query("requests-by-operation", week, cache_dir=cache),
            repeat=3,
        )
        print_table(baseline, [pruned_timing], "queries")
        assert docs.bytes_scanned and pruned.bytes_scanned is not None
        print(
            f"# bytes read, 7 days: AWS-docs style {docs.bytes_scanned:,}, "
            f"requests-by-operation {pruned.bytes_scanned:,} "
            f"({pruned.bytes_scanned / docs.bytes_scanned:.2f}x)"
        )
        day = {
            "start": str(FIRST_DAY + timedelta(days=14)),
            "end": str(FIRST_DAY + timedelta(days=15)),
        }
        month = {"start": str(FIRST_DAY), "end": str(FIRST_DAY + timedelta(days=DAYS))}
        one = execute_query("top-ips", day, cache_dir=cache)
        full = execute_query("top-ips", month, cache_dir=cache)
        assert one.bytes_scanned is not None and full.bytes_scanned
        print(
            f"# bytes read, top-ips: 1 day {one.bytes_scanned:,} vs {DAYS} days "
            f"{full.bytes_scanned:,} = {one.bytes_scanned / full.bytes_scanned:.3f} "
            f"(2/{DAYS} = {2 / DAYS:.3f})"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
