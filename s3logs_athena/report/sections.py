"""How a :class:`~s3logs_athena.report.data.ReportData` is laid out: its sections (title,
note, chart, table, and what an empty table means), the subtitle, and the notice that says
why a range is empty or which of its days have no records.

Every threshold a finding uses is written in its note, in the report's one unit system
(decimal: 1 GB = 10^9 bytes, as on the axes and in the tables).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

import pandas as pd

from ..cache.contents import day_runs
from . import findings
from .cells import count_label, format_money, human_bytes
from .charts import HIGHLIGHT, MUTED, Chart
from .html import Section

if TYPE_CHECKING:
    from .data import ReportData
    from .options import ReportOptions

__all__ = ["coverage_notice", "report_sections", "subtitle"]

_NOTHING_IN_RANGE = "No rows. No log records in this range (see the note at the top)."


def amount(count: int) -> str:
    """A byte threshold as people write it: ``10 GB``, ``1.5 GB``, ``500 MB``."""
    return human_bytes(count).replace(".0 ", " ")


def bulk_rule(options: ReportOptions) -> str:
    """How bulk downloads were judged, in words (the section's note)."""
    if not options.bulk_per_day:
        assert options.bulk_min_bytes is not None
        return (
            f"A requester and address whose GETs received at least "
            f"{amount(int(options.bulk_min_bytes))} in total over the range "
            f"({count_label(options.days, 'day')}), the threshold given with --bulk-min-bytes. "
            "Without it each day is judged against the pair's typical day."
        )
    per_day = amount(int(options.bulk_min_bytes_per_day))
    factor = f"{options.bulk_baseline_factor:g} times its typical day"
    rule = f"A requester and address whose GETs received at least {per_day} in one UTC day"
    if options.days == 1:
        return (
            f"{rule}. One day has no other day to compare with, so {per_day} alone decides; "
            f"over longer ranges that day must also be {factor} (--bulk-per-day, "
            "--bulk-factor)."
        )
    return (
        f"{rule}, and at least {factor} (the median of its other days in the range, a day "
        "without downloads counting as 0): one row per such day. Judged day by day, so the "
        "range's length does not matter: steady traffic such as a CDN's is no bulk download "
        "however long the range, and a one-off download is found however long the range "
        "(--bulk-per-day, --bulk-factor; --bulk-min-bytes sets a plain total over the range "
        "instead)."
    )


def report_sections(data: ReportData) -> dict[str, Section]:
    from ..cost.report import scan_section

    options = data.options
    empty = data.frame("requests").empty

    def none(message: str) -> str:
        return _NOTHING_IN_RANGE if empty else message

    requests = data.frame("requests")
    requesters = data.frame("requesters").head(options.top)
    egress = data.frame("egress").drop(columns=["gib_sent"], errors="ignore")  # GB only
    bulk_floor = amount(int(options.bulk_min_bytes or options.bulk_min_bytes_per_day))
    insecure = data.insecure_transport
    return {
        "requests": Section(
            "Requests per day and bucket",
            requests,
            note="By request time (UTC); a day's records are read from its own and the next "
            "day's partitions.",
            chart=Chart(x="day", y="requests", color="bucket"),
            empty=none("No rows in this range."),
        ),
        "errors": Section(
            "Errors per day and bucket",
            requests[["day", "bucket", "errors", "access_denied", "server_errors"]],
            note="Responses with HTTP status 400 and above; access denied is 403, server "
            "errors are 5xx.",
            chart=Chart(x="day", y="errors", color="bucket"),
            empty=none("No rows in this range."),
        ),
        "egress": Section(
            "Bytes sent (egress) per day and bucket",
            egress,
            note="Response bytes, the basis of S3's data-transfer-out charge. Sizes in this "
            "report are decimal: 1 GB is 10^9 bytes.",
            chart=Chart(x="day", y="bytes_sent", color="bucket"),
            empty=none("No rows in this range."),
        ),
        "top-requesters": Section(
            f"Top {options.top} requesters by bytes",
            requesters,
            note="'-' is anonymous.",
            chart=Chart(x="bytes_sent", y="requester"),
            empty=none("No rows in this range."),
        ),
        "top-ips": Section(
            f"Top {options.top} source addresses by requests",
            data.frame("ips"),
            chart=Chart(x="requests", y="remoteip"),
            empty=none("No rows in this range."),
        ),
        "operations": Section(
            "Requests and request charges by bucket and operation",
            data.frame("operations"),
            note="Estimated with S3 Standard request prices in us-east-1.",
            max_rows=30,
            empty=none("No rows in this range."),
        ),
        "bulk-downloads": Section(
            "Finding: bulk downloads",
            data.bulk_downloads,
            note=bulk_rule(options),
            chart=Chart(x="bytes_sent", y="requester", color="remoteip"),
            empty=none(f"None: no requester and address received {bulk_floor} that way."),
        ),
        "access-denied": Section(
            "Access denied (HTTP 403) per hour",
            data.access_denied_per_hour,
            chart=Chart(x="hour", y="responses"),
            max_rows=24,
            empty=none("None: no request was denied in this range."),
        ),
        "access-denied-bursts": Section(
            "Finding: bursts of access denied",
            data.access_denied_bursts,
            note=f"At least {options.burst_min_requests:,} responses with HTTP 403 in one "
            "hour to one requester from one address: probing, or a client locked out.",
            empty=none("None: no requester and address got that many 403s in one hour."),
        ),
        "deleters": Section(
            "Deletions by principal",
            data.deleters,
            note="Unusual (in red): deletions are at least "
            f"{options.unusual_deletion_share:.0%} of the principal's requests. S3's own "
            "lifecycle deletions are left out.",
            chart=Chart(
                x="deletions",
                y="requester",
                color="unusual",
                colors=(("unusual", HIGHLIGHT), ("usual", MUTED)),
            ),
            highlight=("unusual", "unusual"),
            empty=none("None: no principal deleted objects (lifecycle deletions left out)."),
        ),
        "unusual-deletions": Section(
            "Finding: deletions by unusual principals",
            data.unusual_deletions,
            max_rows=100,
            empty=none("None: no principal's requests are mostly deletions."),
        ),
        "insecure-transport": Section(
            "Finding: plain HTTP, TLS older than 1.2 and Signature Version 2",
            insecure,
            note="REST requests a TLS-1.2-only bucket policy, or the end of SigV2, would "
            "break; the reason says which (both, when a request has both).",
            chart=Chart(x="requests", y="requester", color="reason"),
            chart_frame=findings.requests_by_reason(insecure),
            empty=none("None: every REST request used TLS 1.2 or later and SigV4."),
        ),
        "server-errors": Section(
            "Server errors (5xx) with request and host IDs",
            data.frame("server_errors"),
            empty=none("None: no request got a 5xx response."),
        ),
        "config-changes": Section(
            "Bucket configuration changes",
            data.frame("config_changes"),
            empty=none("None: no bucket configuration was changed in this range."),
        ),
        "data-scanned": scan_section(data),
    }


def subtitle(data: ReportData) -> str:
    options = data.options
    buckets = ", ".join(options.buckets) if options.buckets else "all buckets"
    text = (
        f"{options.start} to {options.end} (UTC days, by request time) · {buckets} · "
        f"{len(data.results)} queries on {options.engine} in {data.seconds:.1f} s"
    )
    if options.engine == "athena":
        text += f", {amount(data.bytes_scanned)} scanned, est. {format_money(data.cost_usd)}"
    return text


def coverage_notice(data: ReportData) -> str | None:
    """Why the range is empty (and what the data holds, when that is known), or which of its
    days have no records; ``None`` when every day has some."""
    options = data.options
    requests = data.frame("requests")
    where = f" for {', '.join(options.buckets)}" if options.buckets else ""
    asked = [options.start + timedelta(days=n) for n in range(options.days)]
    if requests.empty:
        text = (
            f"No log records{where} from {_span(options.start, options.end)} (UTC days, by "
            f"request time; {count_label(options.days, 'day')}): no row matched, so every "
            "table below is empty."
        )
        holds = _what_the_data_holds(options)
        return f"{text} {holds}" if holds else text
    seen = set(pd.to_datetime(requests["day"]).dt.date)
    missing = [day for day in asked if day not in seen]
    if not missing:
        return None
    return (
        f"No log records{where} on {day_runs(missing)} ({len(missing)} of the "
        f"{count_label(len(asked), 'day')} asked): the figures cover the other days only."
    )


def _what_the_data_holds(options: ReportOptions) -> str:
    if options.engine != "duckdb":
        return (
            "Check the range and the bucket names, and that the logs of those days were moved "
            "into partitions (s3logs-athena check)."
        )
    from ..cache.contents import cache_contents
    from ..cache.store import default_cache_dir

    contents = cache_contents(options.cache_dir or default_cache_dir())
    if contents.empty:
        return (
            f"The cache at {contents.cache_dir} holds no log partitions: fill it with "
            "s3logs-athena sync."
        )
    text = (
        f"The cache at {contents.cache_dir} holds records of {day_runs(contents.days)} "
        "(UTC days, by request time: the typed cache files each record under its own day)"
    )
    if options.buckets and not set(options.buckets) & set(contents.buckets):
        text += f", of the buckets {', '.join(contents.buckets)}"
    return text + "."


def _span(start: date, end: date) -> str:
    return str(start) if start == end else f"{start} to {end}"
