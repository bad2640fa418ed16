"""Query templates on a 1M-row, 30-day local cache, and what partition pruning saves.

Baseline: the query AWS's documentation suggests - parse every row's request time and filter
on it, with no partition predicate - over the same cache. Then five templates, each run
through the notebook API exactly as ``query run`` does (a fresh engine every time; the best of
three runs is kept; target < 1 s each). Last, the bytes DuckDB reads for one day of a template
against the same template over all 30 days (expected about 2/30: the day and the one after,
where late records land).

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

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import header, print_table, timed
from _synthetic import write_partitioned_logs

from s3logs_athena.cache import ingest
from s3logs_athena.engines.api import execute_query, execute_sql

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=1_000_000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="s3logs-bench-"))
    try:
        write_partitioned_logs(work / "logs", args.lines, days=DAYS, first_day=FIRST_DAY)
        report = ingest(work / "logs", work / "cache")
        cache = work / "cache"
        header(f"query: {report.parse.records:,} rows, {DAYS} days, 2 buckets, local DuckDB")
        week = {
            "start": str(FIRST_DAY + timedelta(days=10)),
            "end": str(FIRST_DAY + timedelta(days=17)),
        }
        sql = AWS_DOCS_STYLE.format(**week)
        baseline, docs = timed(
            "AWS-docs style (parse every row, no pruning)",
            1,
            lambda: execute_sql(sql, cache_dir=cache),
            repeat=3,
        )
        others = []
        for name, extra in TEMPLATES:
            timing, result = timed(
                f"{name} (7 days)",
                1,
                lambda name=name, extra=extra: execute_query(
                    name, {**week, **extra}, cache_dir=cache
                ),  # type: ignore[misc]
                repeat=3,
            )
            others.append(timing)
            print(
                f"# {name}: {len(result.frame)} rows, {timing.seconds:.3f} s, "
                f"{'under' if timing.seconds < 1 else 'OVER'} 1 s"
            )
        print_table(baseline, others, "queries")
        pruned = execute_query("requests-by-operation", week, cache_dir=cache)
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
