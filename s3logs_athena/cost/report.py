"""What a report's queries scanned: one row per query, and the total.

On Athena each query's ``DataScannedInBytes`` (what was billed) and, when the report was
estimated before it ran (``report --max-bytes``/``--location``), the estimate next to it. On
DuckDB the estimate comes from the local cache: the sizes of the Parquet files under the
partitions each query's SQL can read (an upper bound: DuckDB, like Athena on Parquet, reads
only the columns it needs), next to what DuckDB's profiler says it read.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..errors import S3LogsError
from .estimate import Estimate, estimate_local

if TYPE_CHECKING:
    from ..report.data import ReportData, ReportOptions
    from ..report.html import Section

__all__ = ["estimate_report", "report_sql", "scan_frame", "scan_section"]


def report_sql(options: ReportOptions) -> dict[str, str]:
    """The Athena SQL of each report query (its parameters are absolute days, so this is
    the SQL :func:`~s3logs_athena.report.data.run_report` runs)."""
    from ..report.data import REPORT_QUERIES
    from ..templates.catalog import render_template

    return {
        key: render_template(name, options.query_params(key)).sql
        for key, name in REPORT_QUERIES.items()
    }


def estimate_report(options: ReportOptions, estimate: Any = None) -> dict[str, Estimate]:
    """An estimate per report query: with ``estimate(sql, key)`` (Athena: S3 listings), or
    from the local cache's Parquet files (DuckDB)."""
    sql = report_sql(options)
    if estimate is not None:
        return {key: estimate(text, key) for key, text in sql.items()}
    from ..cache import default_cache_dir
    from ..cache.schema import PARQUET_DIR

    cache = Path(options.cache_dir).expanduser() if options.cache_dir else default_cache_dir()
    root = (cache / PARQUET_DIR).as_posix()
    return {key: estimate_local(text, root) for key, text in sql.items()}


def scan_frame(data: ReportData, estimates: Mapping[str, Estimate]) -> pd.DataFrame:
    """Per query: bytes scanned (Athena) or read (DuckDB), the estimate, and the cost;
    a last row with the totals."""
    from ..report.data import REPORT_QUERIES
    from ..templates.catalog import get_template

    athena = data.options.engine == "athena"
    rows: list[dict[str, Any]] = []
    for key, result in data.results.items():
        name = REPORT_QUERIES[key]
        estimate = estimates.get(key)
        rows.append(
            {
                "query": get_template(name).title,
                "template": name,
                "bytes_scanned": result.bytes_scanned,
                "bytes_estimated": estimate.bytes if estimate else None,
                "partitions": estimate.partitions if estimate else None,
                "cost_usd": (result.cost_usd or 0.0) if athena else 0.0,
            }
        )
    frame = pd.DataFrame(rows)
    total = {
        "query": "Total",
        "template": "",
        "bytes_scanned": int(frame["bytes_scanned"].fillna(0).sum()) if rows else 0,
        "bytes_estimated": int(frame["bytes_estimated"].fillna(0).sum()) if rows else 0,
        "partitions": None,
        "cost_usd": float(frame["cost_usd"].sum()) if rows else 0.0,
    }
    frame = pd.concat([frame, pd.DataFrame([total])], ignore_index=True)
    for column in ("bytes_scanned", "bytes_estimated", "partitions"):
        frame[column] = frame[column].astype("Int64")
    return frame


def scan_section(data: ReportData) -> Section:
    """The report's "Data scanned" section."""
    from ..report.html import Section

    estimates = data.estimates
    note_engine: str
    if data.options.engine == "athena":
        note_engine = "bytes_scanned is Athena's DataScannedInBytes per query (what it billed" + (
            "); bytes_estimated, before the run, the bytes stored under the partitions "
            "each query can read"
            if estimates
            else "; run with --location or --max-bytes for an estimate next to it)"
        )
    else:
        if not estimates:
            try:
                estimates = estimate_report(data.options)
            except (S3LogsError, OSError):  # an estimate must never break a report
                estimates = {}
        note_engine = (
            "bytes_scanned is what DuckDB read from the local cache; bytes_estimated the size "
            "of the cache's Parquet files under the partitions each query can read"
        )
    return Section(
        "Data scanned",
        scan_frame(data, estimates),
        note=note_engine + ". Estimates are upper bounds: Parquet is read column by column.",
        max_rows=len(data.results) + 1,
    )
