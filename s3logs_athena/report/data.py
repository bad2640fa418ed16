"""The report's data: which query templates it runs, what it derives, and how it is laid out.

``run_report(ReportOptions(start, end))`` renders a fixed set of query templates for a range
of days, runs them on one engine (DuckDB over the local cache, or Athena), and returns a
:class:`ReportData`: the results exactly as the queries returned them (``results``), the
findings derived from them with plain pandas (:mod:`s3logs_athena.report.findings`: bulk
downloads day by day, bursts of 403s, principals whose requests are mostly deletions, clients
on old TLS), and the report's sections (:mod:`s3logs_athena.report.sections`).
``write_html`` turns that into one self-contained HTML file through
:func:`s3logs_athena.report.write_report`.

Nothing here computes a figure the templates could compute: per-day counts, bytes, top lists
and incident rows come from SQL (the same SQL on both engines); the derivations only filter
and join the query results, so every number in the report can be traced to a template run.
The ``report`` command and the demo both use this module; the tests compare its results
with the generator's ground truth.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..errors import InputError
from . import findings
from .html import Section, write_report
from .options import REPORT_QUERIES, ReportOptions

if TYPE_CHECKING:
    from ..cost.estimate import Estimate
    from ..engines import Engine, QueryResult

__all__ = [
    "REPORT_QUERIES",
    "ReportData",
    "ReportOptions",
    "run_report",
]

Progress = Callable[[str, int, int], None]


@dataclass
class ReportData:
    """The query results of one report and what is derived from them."""

    options: ReportOptions
    #: Key (see :data:`REPORT_QUERIES`) -> the result exactly as the engine returned it.
    results: dict[str, QueryResult]
    seconds: float = 0.0
    _derived: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    #: Key -> the estimate made before the run (``report --max-bytes``/``--location``).
    estimates: dict[str, Estimate] = field(default_factory=dict)

    def frame(self, key: str) -> pd.DataFrame:
        return self.results[key].frame

    @property
    def bytes_scanned(self) -> int:
        return sum(r.bytes_scanned or 0 for r in self.results.values())

    @property
    def cost_usd(self) -> float:
        return sum(r.cost_usd or 0.0 for r in self.results.values())

    def _cached(self, key: str, make: Callable[[], pd.DataFrame]) -> pd.DataFrame:
        if key not in self._derived:
            self._derived[key] = make()
        return self._derived[key]

    # -- findings -------------------------------------------------------------------------

    @property
    def bulk_downloads(self) -> pd.DataFrame:
        """Bulk downloads: by default the days on which a requester and address received at
        least ``bulk_min_bytes_per_day`` and ``bulk_baseline_factor`` times its typical day
        (:func:`~s3logs_athena.report.findings.bulk_download_days`); with an explicit
        ``bulk_min_bytes``, the pairs that received that much over the whole range."""
        options = self.options
        if not options.bulk_per_day:
            return self.frame("bulk_downloads")
        return self._cached(
            "bulk",
            lambda: findings.bulk_download_days(
                self.frame("bulk_downloads"),
                options.start,
                options.end,
                min_bytes=int(options.bulk_min_bytes_per_day),
                factor=options.bulk_baseline_factor,
            ),
        )

    @property
    def access_denied_per_hour(self) -> pd.DataFrame:
        """403 responses per hour, every requester and address together."""

        def hourly() -> pd.DataFrame:
            denied = self.frame("access_denied")
            return denied.groupby("hour", as_index=False).agg(responses=("requests", "sum"))

        return self._cached("denied_hourly", hourly)

    @property
    def access_denied_bursts(self) -> pd.DataFrame:
        """Hours in which one requester from one address got ``burst_min_requests`` 403s."""
        denied = self.frame("access_denied")
        bursts = denied[denied["requests"] >= self.options.burst_min_requests]
        return bursts.sort_values(["requests", "hour"], ascending=[False, True]).reset_index(
            drop=True
        )

    @property
    def deleters(self) -> pd.DataFrame:
        """Every principal that deleted objects (S3's lifecycle left out): its deletion
        records, objects deleted, all its records, and whether deletions are at least
        ``unusual_deletion_share`` of them (a principal that mostly deletes)."""
        return self._cached(
            "deleters",
            lambda: findings.deleters(
                self.frame("deletions"),
                self.frame("requesters"),
                self.options.unusual_deletion_share,
            ),
        )

    @property
    def unusual_deleters(self) -> pd.DataFrame:
        deleters = self.deleters
        return deleters[deleters["unusual"] == "unusual"].reset_index(drop=True)

    @property
    def unusual_deletions(self) -> pd.DataFrame:
        """Every deletion by an unusual principal, as ``who-deleted`` returned it."""
        deletions = self.frame("deletions")
        wanted = set(self.unusual_deleters["requester"])
        return deletions[deletions["requester"].isin(wanted)].reset_index(drop=True)

    @property
    def insecure_transport(self) -> pd.DataFrame:
        """``insecure-transport`` rows with the ``reason`` each is there (plain HTTP, the old
        TLS version, SigV2, or both)."""
        return self._cached(
            "insecure", lambda: findings.transport_reasons(self.frame("insecure_transport"))
        )

    @property
    def legacy_tls(self) -> pd.DataFrame:
        """``insecure-transport`` rows of clients on TLS 1.0 or 1.1."""
        insecure = self.frame("insecure_transport")
        return insecure[insecure["transport"].isin(findings.LEGACY_TLS)].reset_index(drop=True)

    def findings(self) -> dict[str, int]:
        """How many of each incident the report shows."""
        legacy = self.legacy_tls
        return {
            "bulk downloads": len(self.bulk_downloads),
            "access-denied bursts": len(self.access_denied_bursts),
            "unusual deleters": len(self.unusual_deleters),
            "clients on TLS < 1.2": len(legacy.drop_duplicates(["requester", "remoteip"])),
            "server errors (5xx)": len(self.frame("server_errors")),
        }

    def summary(self) -> dict[str, Any]:
        requests = self.frame("requests")
        total = int(requests["requests"].sum()) if len(requests) else 0
        return {
            "requests": total,
            "errors (status >= 400)": int(requests["errors"].sum()) if total else 0,
            "bytes sent": int(requests["bytes_sent"].sum()) if total else 0,
            "buckets": int(requests["bucket"].nunique()),
            **self.findings(),
        }

    # -- layout ---------------------------------------------------------------------------

    def sections(self) -> dict[str, Section]:
        from .sections import report_sections

        return report_sections(self)

    def subtitle(self) -> str:
        from .sections import subtitle

        return subtitle(self)

    def notice(self) -> str | None:
        """What the reader must know first: why the report is empty, or which days of the
        range have no records (``None`` when every day has some)."""
        from .sections import coverage_notice

        return coverage_notice(self)

    def write_html(self, path: Path | str, *, title: str = "S3 access log report") -> Path:
        """Write the report as one self-contained HTML file."""
        target = Path(path)
        if target.is_dir():
            raise InputError(f"--out {target} is a directory: give a file name (report.html)")
        return write_report(
            target,
            self.sections(),
            title=title,
            subtitle=self.subtitle(),
            summary=self.summary(),
            notice=self.notice(),
        )


def run_report(
    options: ReportOptions,
    *,
    engine: Engine | None = None,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> ReportData:
    """Run the report's queries (see :meth:`ReportOptions.templates`) on ``options.engine``
    - or on ``engine`` when given (it is left open) - and return their results."""
    from ..engines import make_engine
    from ..templates.catalog import render_template

    templates = options.templates()
    rendered = {
        key: render_template(name, options.query_params(key), now=now)
        for key, name in templates.items()
    }
    runner = engine or make_engine(
        options.engine,
        cache_dir=options.cache_dir,
        workgroup=options.workgroup,
        output_location=options.output_location,
        region=options.region,
        reuse_minutes=options.reuse_minutes,
    )
    started = time.perf_counter()
    results: dict[str, QueryResult] = {}
    try:
        for done, (key, query) in enumerate(rendered.items()):
            if progress:
                progress(templates[key], done, len(rendered))
            results[key] = runner.run(query.sql)
        if progress:
            progress("done", len(rendered), len(rendered))
    finally:
        close = getattr(runner, "close", None)
        if engine is None and close is not None:
            close()
    return ReportData(options, results, seconds=time.perf_counter() - started)
