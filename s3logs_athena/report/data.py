"""The report's data: which query templates it runs, what it derives, and how it is laid out.

``run_report(ReportOptions(start, end))`` renders a fixed set of query templates for a range
of days, runs them on one engine (DuckDB over the local cache, or Athena), and returns a
:class:`ReportData`: the results exactly as the queries returned them (``results``), the
findings derived from them with plain pandas (bursts of 403s, principals whose requests are
mostly deletions, clients on old TLS), and the report's sections. ``write_html`` turns that
into one self-contained HTML file through :func:`s3logs_athena.report.write_report`.

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
from datetime import date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..errors import InputError, ParameterError
from ..layout import validate_bucket_name
from .html import Chart, Section, write_report

if TYPE_CHECKING:
    from ..cost.estimate import Estimate
    from ..engines import Engine, QueryResult

__all__ = [
    "REPORT_QUERIES",
    "ReportData",
    "ReportOptions",
    "run_report",
]

#: Key -> query template the report runs. Parameters beyond the range come from
#: :meth:`ReportOptions.query_params`.
REPORT_QUERIES: dict[str, str] = {
    "requests": "requests-by-day",
    "egress": "egress-by-day",
    "operations": "requests-by-operation",
    "requesters": "top-requesters",
    "ips": "top-ips",
    "bulk_downloads": "bulk-downloads",
    "access_denied": "access-denied",
    "deletions": "who-deleted",
    "insecure_transport": "insecure-transport",
    "server_errors": "server-errors",
    "config_changes": "bucket-config-changes",
}

#: Every requester, so each deleter's share of deletions is known (the template's maximum).
_ALL_REQUESTERS = 100_000
#: Deletions S3 makes itself (lifecycle rules): never a principal's doing.
_LIFECYCLE = ("lifecycle expiry", "lifecycle delete marker")
_LEGACY_TLS = ("TLSv1", "TLSv1.0", "TLSv1.1")

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class ReportOptions:
    """What to report on and how to judge the findings. ``start``/``end`` are UTC days,
    both included (by request time)."""

    start: date
    end: date
    buckets: tuple[str, ...] | None = None
    engine: str = "duckdb"
    cache_dir: Path | str | None = None
    workgroup: str | None = None
    output_location: str | None = None
    region: str | None = None
    reuse_minutes: int | None = None
    database: str | None = None
    table: str | None = None
    #: Rows of the top-N lists (requesters, addresses).
    top: int = 10
    #: A requester/address pair whose GETs received at least this much is a bulk download.
    bulk_min_bytes: int | str = "10GiB"
    #: At least this many 403s in one hour from one requester and address is a burst.
    burst_min_requests: int = 50
    #: A principal whose log records are at least this share deletions is unusual.
    unusual_deletion_share: float = 0.5

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise InputError(
                f"--from {self.start} is after --to {self.end}: give the earlier day first"
            )
        if (self.end - self.start).days > 3660:
            raise InputError(f"{self.start} to {self.end} is more than ten years: narrow it")
        for bucket in self.buckets or ():
            validate_bucket_name(bucket)
        if self.top < 1:
            raise InputError(f"--top {self.top}: must be at least 1")
        if self.burst_min_requests < 1:
            raise InputError(f"--burst-min {self.burst_min_requests}: must be at least 1")
        if not 0 < self.unusual_deletion_share <= 1:
            raise InputError(
                f"--deletion-share {self.unusual_deletion_share}: must be above 0 and at most 1"
            )
        object.__setattr__(self, "bulk_min_bytes", _parse_min_bytes(self.bulk_min_bytes))

    @property
    def range_params(self) -> dict[str, Any]:
        """The common template parameters: ``[start, end + 1 day)`` and the buckets."""
        params: dict[str, Any] = {
            "start": datetime.combine(self.start, dtime()),
            "end": datetime.combine(self.end + timedelta(days=1), dtime()),
        }
        if self.buckets:
            params["buckets"] = list(self.buckets)
        if self.database:
            params["database"] = self.database
        if self.table:
            params["table"] = self.table
        return params

    def query_params(self, key: str) -> dict[str, Any]:
        own: dict[str, dict[str, Any]] = {
            "requesters": {"by": "bytes", "limit": _ALL_REQUESTERS},
            "ips": {"by": "requests", "limit": self.top},
            "bulk_downloads": {"min_bytes": self.bulk_min_bytes},
        }
        return {**self.range_params, **own.get(key, {})}


def _parse_min_bytes(value: int | str) -> int:
    """``10GiB``, ``500MB`` or a plain number, parsed as the template parses ``min_bytes``."""
    from ..templates.catalog import get_template

    (param,) = (p for p in get_template("bulk-downloads").params if p.name == "min_bytes")
    try:
        parsed: int = param.parse(value)
    except ParameterError as exc:
        raise InputError(f"--bulk-min-bytes {value!r}: {str(exc).split(': ', 1)[1]}") from None
    return parsed


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

    # -- findings -------------------------------------------------------------------------

    @property
    def bulk_downloads(self) -> pd.DataFrame:
        """Requester/address pairs whose GETs received at least ``bulk_min_bytes``."""
        return self.frame("bulk_downloads")

    @property
    def access_denied_per_hour(self) -> pd.DataFrame:
        """403 responses per hour, every requester and address together."""
        if "denied_hourly" not in self._derived:
            denied = self.frame("access_denied")
            hourly = denied.groupby("hour", as_index=False).agg(responses=("requests", "sum"))
            self._derived["denied_hourly"] = hourly
        return self._derived["denied_hourly"]

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
        if "deleters" in self._derived:
            return self._derived["deleters"]
        deletions = self.frame("deletions")
        by_people = deletions[~deletions["deletion"].isin(_LIFECYCLE)]
        columns = ["requester", "deletions", "objects_deleted", "requests", "deletion_share"]
        if by_people.empty:
            frame = pd.DataFrame({c: pd.Series(dtype="object") for c in [*columns, "unusual"]})
        else:
            grouped = by_people.groupby("requester", dropna=False)
            frame = pd.DataFrame(
                {
                    "deletions": grouped.size(),
                    "objects_deleted": grouped["deletion"].agg(
                        lambda kinds: int((kinds != "multi-object delete").sum())
                    ),
                    "addresses": grouped["remoteip"].agg(lambda ips: ", ".join(sorted(set(ips)))),
                    "buckets": grouped["bucket"].agg(lambda names: ", ".join(sorted(set(names)))),
                    "first_deletion": grouped["request_time"].min(),
                    "last_deletion": grouped["request_time"].max(),
                }
            ).reset_index()
            totals = self.frame("requesters").set_index("requester")["requests"]
            frame["requests"] = frame["requester"].map(totals).astype("Int64")
            frame["deletion_share"] = (frame["deletions"] / frame["requests"]).astype("float64")
            frame["unusual"] = (
                frame["deletion_share"]
                .fillna(1.0)
                .ge(self.options.unusual_deletion_share)
                .map({True: "unusual", False: "usual"})
            )
            frame["_usual"] = frame["unusual"] == "usual"  # unusual ones first
            frame = frame.sort_values(["_usual", "deletions"], ascending=[True, False])
            frame = frame[
                [*columns, "unusual", "addresses", "buckets", "first_deletion", "last_deletion"]
            ].reset_index(drop=True)
        self._derived["deleters"] = frame
        return frame

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
    def legacy_tls(self) -> pd.DataFrame:
        """``insecure-transport`` rows of clients on TLS 1.0 or 1.1."""
        insecure = self.frame("insecure_transport")
        return insecure[insecure["transport"].isin(_LEGACY_TLS)].reset_index(drop=True)

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
        from ..cost.report import scan_section

        options = self.options
        requests = self.frame("requests")
        requesters = self.frame("requesters").head(options.top)
        bulk_note = f"At least {options.bulk_min_bytes:,} bytes received by GETs in the range."
        return {
            "requests": Section(
                "Requests per day and bucket",
                requests,
                note="By request time (UTC); a day's records are read from its own and the next "
                "day's partitions.",
                chart=Chart(x="day", y="requests", color="bucket"),
            ),
            "errors": Section(
                "Errors per day and bucket",
                requests[["day", "bucket", "errors", "access_denied", "server_errors"]],
                note="Responses with HTTP status 400 and above; access denied is 403, server "
                "errors are 5xx.",
                chart=Chart(x="day", y="errors", color="bucket"),
            ),
            "egress": Section(
                "Bytes sent (egress) per day and bucket",
                self.frame("egress"),
                note="Response bytes, the basis of S3's data-transfer-out charge.",
                chart=Chart(x="day", y="bytes_sent", color="bucket"),
            ),
            "top-requesters": Section(
                f"Top {options.top} requesters by bytes",
                requesters,
                note="'-' is anonymous.",
                chart=Chart(x="bytes_sent", y="requester"),
            ),
            "top-ips": Section(
                f"Top {options.top} source addresses by requests",
                self.frame("ips"),
                chart=Chart(x="requests", y="remoteip"),
            ),
            "operations": Section(
                "Requests and request charges by bucket and operation",
                self.frame("operations"),
                note="S3 Standard request prices in us-east-1.",
                max_rows=30,
            ),
            "bulk-downloads": Section(
                "Finding: bulk downloads",
                self.bulk_downloads,
                note=bulk_note,
                chart=Chart(x="bytes_sent", y="requester", color="remoteip"),
            ),
            "access-denied": Section(
                "Access denied (HTTP 403) per hour",
                self.access_denied_per_hour,
                chart=Chart(x="hour", y="responses"),
                max_rows=24,
            ),
            "access-denied-bursts": Section(
                "Finding: bursts of access denied",
                self.access_denied_bursts,
                note=f"At least {options.burst_min_requests:,} responses with HTTP 403 in one "
                "hour to one requester from one address: probing, or a client locked out.",
            ),
            "deleters": Section(
                "Deletions by principal",
                self.deleters,
                note="Unusual: deletions are at least "
                f"{options.unusual_deletion_share:.0%} of the principal's requests. S3's own "
                "lifecycle deletions are left out.",
                chart=Chart(x="deletions", y="requester", color="unusual"),
            ),
            "unusual-deletions": Section(
                "Finding: deletions by unusual principals",
                self.unusual_deletions,
                max_rows=100,
            ),
            "insecure-transport": Section(
                "Finding: plain HTTP, TLS older than 1.2 and Signature Version 2",
                self.frame("insecure_transport"),
                note="REST requests a TLS-1.2-only bucket policy, or the end of SigV2, would "
                "break.",
                chart=Chart(x="requests", y="requester", color="transport"),
            ),
            "server-errors": Section(
                "Server errors (5xx) with request and host IDs",
                self.frame("server_errors"),
            ),
            "config-changes": Section("Bucket configuration changes", self.frame("config_changes")),
            "data-scanned": scan_section(self),
        }

    def subtitle(self) -> str:
        options = self.options
        buckets = ", ".join(options.buckets) if options.buckets else "all buckets"
        return (
            f"{options.start} to {options.end} (UTC days, by request time) · {buckets} · "
            f"{len(self.results)} queries on {options.engine} in {self.seconds:.1f} s"
        )

    def write_html(self, path: Path | str, *, title: str = "S3 access log report") -> Path:
        """Write the report as one self-contained HTML file."""
        target = Path(path)
        if target.is_dir():
            raise InputError(f"--out {target} is a directory: give a file name (report.html)")
        return write_report(
            target, self.sections(), title=title, subtitle=self.subtitle(), summary=self.summary()
        )


def run_report(
    options: ReportOptions,
    *,
    engine: Engine | None = None,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> ReportData:
    """Run the report's queries (see :data:`REPORT_QUERIES`) on ``options.engine`` - or on
    ``engine`` when given (it is left open) - and return their results."""
    from ..engines import make_engine
    from ..templates.catalog import render_template

    rendered = {
        key: render_template(name, options.query_params(key), now=now)
        for key, name in REPORT_QUERIES.items()
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
                progress(REPORT_QUERIES[key], done, len(rendered))
            results[key] = runner.run(query.sql)
        if progress:
            progress("done", len(rendered), len(rendered))
    finally:
        close = getattr(runner, "close", None)
        if engine is None and close is not None:
            close()
    return ReportData(options, results, seconds=time.perf_counter() - started)
