"""Every query template, run on DuckDB over the fixture logs, against answers computed here in
Python from the parsed records (never with the templates' SQL).

The fixture (tests/fixtures/logs/partitioned) spans partitions 2024-02-29 .. 2024-03-03 and
holds a request at 2024-03-01 23:59:59 delivered in the 2024-03-02 file (it belongs to the
range), one at 2024-03-02 23:59:59 delivered on 2024-03-03 (outside a range ending on the 3rd,
though its partition is read), a CloudFront requester with spaces, IPv6 addresses, a key
holding a quote, a blank and an unparseable line. Each test states what it expects in terms
of the records; the range is [2024-03-01, 2024-03-03) unless said otherwise.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import pandas as pd
import pytest

from s3logs_athena.cache import find_log_files, ingest
from s3logs_athena.engines.duckdb import DuckDBEngine
from s3logs_athena.fields import FIELD_NAMES
from s3logs_athena.parser import parse_request_time, split_line
from s3logs_athena.templates import get_template, list_templates, render_template

from .conftest import FIXTURES

PARTITIONED = FIXTURES / "logs" / "partitioned"
START, END = datetime(2024, 3, 1), datetime(2024, 3, 3)
RANGE = {"start": "2024-03-01", "end": "2024-03-03"}
LIST_OPERATIONS = {
    "REST.GET.BUCKET",
    "REST.GET.BUCKETVERSIONS",
    "REST.GET.UPLOADS",
    "REST.GET.UPLOAD",
}
GETS = {"REST.GET.OBJECT", "WEBSITE.GET.OBJECT"}
OAI = "arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2QWRUHAPOMQZL"

Row = dict[str, Any]


def _records() -> list[Row]:
    rows = []
    for source in find_log_files(PARTITIONED)[0]:
        for line in source.path.read_text().splitlines():
            try:
                raw = split_line(line)
            except ValueError:
                continue
            row: Row = dict(zip(FIELD_NAMES, raw, strict=True))
            for name in ("bytessent", "objectsize"):
                row[name] = None if row[name] in (None, "-") else int(row[name])
            row["time"] = parse_request_time(row["requestdatetime"]).replace(tzinfo=None)
            row["bucket"] = source.bucket
            rows.append(row)
    return rows


RECORDS = _records()


def in_range(
    start: datetime = START, end: datetime = END, buckets: Iterable[str] | None = None
) -> list[Row]:
    wanted = set(buckets) if buckets else None
    return [
        r for r in RECORDS if start <= r["time"] < end and (wanted is None or r["bucket"] in wanted)
    ]


def status(row: Row) -> int | None:
    text = row["httpstatus"]
    return int(text) if text and text.isdigit() else None


def decoded(row: Row) -> str:
    return unquote_plus(row["key"])


def bytes_sum(rows: Iterable[Row]) -> int:
    return sum(r["bytessent"] or 0 for r in rows)


def group(rows: Iterable[Row], key: Callable[[Row], Any]) -> dict[Any, list[Row]]:
    groups: dict[Any, list[Row]] = defaultdict(list)
    for row in rows:
        groups[key(row)].append(row)
    return groups


def percentile(values: list[int], q: float) -> int | None:
    """The discrete percentile: the smallest value whose cumulative share is >= q."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(q * len(ordered)) - 1, 0)]


def times(rows: list[Row]) -> dict[str, datetime]:
    return {"first_seen": min(r["time"] for r in rows), "last_seen": max(r["time"] for r in rows)}


def _python(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if hasattr(value, "item"):
        return value.item()
    return value


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DuckDBEngine]:
    cache = tmp_path_factory.mktemp("cache")
    ingest(PARTITIONED, cache)
    with DuckDBEngine(cache) as engine:
        yield engine


def run(engine: DuckDBEngine, name: str, **params: Any) -> list[Row]:
    rendered = render_template(name, {**RANGE, **params})
    frame = engine.run(rendered.sql).frame
    assert list(frame.columns) == list(get_template(name).columns)
    return [{k: _python(v) for k, v in row.items()} for row in frame.to_dict("records")]


def approx(rows: list[Row]) -> list[Row]:
    return [
        {k: pytest.approx(v) if isinstance(v, float) else v for k, v in r.items()} for r in rows
    ]


# -- the fixture itself -------------------------------------------------------------------


def test_the_fixture_has_the_cases_the_tests_rely_on() -> None:
    late = [r for r in RECORDS if r["time"] == datetime(2024, 3, 1, 23, 59, 59)]
    assert late and all(r["requestid"] for r in late)
    assert any(r["time"] == datetime(2024, 3, 2, 23, 59, 59) for r in RECORDS)
    assert any("'" in r["key"] for r in RECORDS)
    assert any(r["requester"] == OAI for r in RECORDS)
    assert len(in_range()) < len(RECORDS)


def test_every_template_runs_with_its_example_parameters(engine: DuckDBEngine) -> None:
    names = [t.name for t in list_templates()]
    assert len(names) >= 21
    for template in list_templates():
        rendered = render_template(template.name, dict(template.example))
        frame = engine.run(rendered.sql).frame  # the example range holds no fixture data
        assert list(frame.columns) == list(template.columns), template.name
        assert frame.empty, template.name


# -- cost ---------------------------------------------------------------------------------


def _tier(operation: str) -> str:
    if (
        operation.startswith(("REST.DELETE.", "BATCH.DELETE."))
        or operation == "REST.POST.MULTI_OBJECT_DELETE"
    ):
        return "free"
    if (
        operation.startswith(("REST.PUT.", "REST.POST."))
        or operation in ("REST.COPY.OBJECT", "REST.COPY.PART")
        or operation in LIST_OPERATIONS
    ):
        return "put"
    if operation.startswith(("REST.", "WEBSITE.")):
        return "get"
    return "free"


def test_requests_by_operation(engine: DuckDBEngine) -> None:
    put, get = 0.005, 0.0004
    expected = []
    for (bucket, operation), rows in group(
        in_range(), lambda r: (r["bucket"], r["operation"])
    ).items():
        tiers = [_tier(r["operation"]) for r in rows]
        cost = (tiers.count("put") * put + tiers.count("get") * get) / 1000
        expected.append(
            {
                "bucket": bucket,
                "operation": operation,
                "requests": len(rows),
                "bytes_sent": bytes_sum(rows),
                "est_request_cost_usd": cost,
            }
        )
    expected.sort(
        key=lambda e: (-e["est_request_cost_usd"], -e["requests"], e["bucket"], e["operation"])
    )
    assert run(engine, "requests-by-operation") == approx(expected)
    assert any(
        e["operation"] == "S3.EXPIRE.OBJECT" and e["est_request_cost_usd"] == 0 for e in expected
    )


def test_requests_by_operation_with_prices_and_buckets(engine: DuckDBEngine) -> None:
    rows = in_range(buckets=["app-uploads"])
    got = run(
        engine,
        "requests-by-operation",
        buckets="app-uploads",
        put_price_per_1000="1",
        get_price_per_1000="0.5",
    )
    assert {r["bucket"] for r in got} == {"app-uploads"}
    total = sum(r["est_request_cost_usd"] for r in got)
    tiers = [_tier(r["operation"]) for r in rows]
    assert total == pytest.approx((tiers.count("put") * 1 + tiers.count("get") * 0.5) / 1000)


def test_egress_by_day(engine: DuckDBEngine) -> None:
    expected = [
        {
            "day": day,
            "bucket": bucket,
            "requests": len(rows),
            "bytes_sent": bytes_sum(rows),
            "gib_sent": bytes_sum(rows) / 1024**3,
        }
        for (day, bucket), rows in sorted(
            group(in_range(), lambda r: (r["time"].date(), r["bucket"])).items()
        )
    ]
    got = run(engine, "egress-by-day")
    assert [{**r, "day": pd.Timestamp(r["day"]).date()} for r in got] == approx(expected)
    # The request at 23:59:59 delivered on the 2nd counts on the 1st.
    assert expected[0]["day"] == date(2024, 3, 1)


def test_top_requesters_by_bytes(engine: DuckDBEngine) -> None:
    expected = [
        {
            "requester": requester,
            "requests": len(rows),
            "bytes_sent": bytes_sum(rows),
            "distinct_ips": len({r["remoteip"] for r in rows}),
            "buckets": len({r["bucket"] for r in rows}),
            **times(rows),
        }
        for requester, rows in group(in_range(), lambda r: r["requester"]).items()
    ]
    expected.sort(key=lambda e: (-e["bytes_sent"], -e["requests"], e["requester"]))
    assert run(engine, "top-requesters", by="bytes", limit=3) == expected[:3]


def test_hot_objects(engine: DuckDBEngine) -> None:
    gets = [r for r in in_range() if r["operation"] in GETS]
    expected = [
        {
            "bucket": bucket,
            "key": key,
            "requests": len(rows),
            "bytes_sent": bytes_sum(rows),
            "distinct_requesters": len({r["requester"] for r in rows}),
            "distinct_ips": len({r["remoteip"] for r in rows}),
        }
        for (bucket, key), rows in group(gets, lambda r: (r["bucket"], decoded(r))).items()
    ]
    expected.sort(key=lambda e: (-e["requests"], -e["bytes_sent"], e["bucket"], e["key"]))
    assert run(engine, "hot-objects") == expected


def test_list_heavy_callers(engine: DuckDBEngine) -> None:
    expected = []
    for requester, rows in group(in_range(), lambda r: r["requester"]).items():
        lists = sum(r["operation"] in LIST_OPERATIONS for r in rows)
        if lists:
            expected.append(
                {
                    "requester": requester,
                    "list_requests": lists,
                    "other_requests": len(rows) - lists,
                    "distinct_ips": len({r["remoteip"] for r in rows}),
                    "est_list_cost_usd": lists * 0.005 / 1000,
                    "example_user_agent": min(r["useragent"] for r in rows),
                }
            )
    expected.sort(key=lambda e: (-e["list_requests"], e["requester"]))
    assert run(engine, "list-heavy-callers") == approx(expected)


# -- access -------------------------------------------------------------------------------


def test_top_ips(engine: DuckDBEngine) -> None:
    expected = [
        {
            "remoteip": ip,
            "requests": len(rows),
            "bytes_sent": bytes_sum(rows),
            "errors": sum((status(r) or 0) >= 400 for r in rows),
            "distinct_requesters": len({r["requester"] for r in rows}),
            **times(rows),
        }
        for ip, rows in group(in_range(), lambda r: r["remoteip"]).items()
    ]
    expected.sort(key=lambda e: (-e["requests"], -e["bytes_sent"], e["remoteip"]))
    assert run(engine, "top-ips") == expected


def test_requests_by_day(engine: DuckDBEngine) -> None:
    expected = [
        {
            "day": day,
            "bucket": bucket,
            "requests": len(rows),
            "errors": sum((status(r) or 0) >= 400 for r in rows),
            "access_denied": sum(status(r) == 403 for r in rows),
            "server_errors": sum((status(r) or 0) >= 500 for r in rows),
            "bytes_sent": bytes_sum(rows),
        }
        for (day, bucket), rows in sorted(
            group(in_range(), lambda r: (r["time"].date(), r["bucket"])).items()
        )
    ]
    got = run(engine, "requests-by-day")
    assert [{**r, "day": pd.Timestamp(r["day"]).date()} for r in got] == expected
    assert sum(e["errors"] for e in expected) > sum(e["access_denied"] for e in expected) > 0
    assert any(e["server_errors"] for e in expected)


def test_object_history_for_a_key_holding_a_quote(engine: DuckDBEngine) -> None:
    key = "reports/o'brien.csv"
    rows = sorted(
        (r for r in in_range() if decoded(r) == key or r["key"] == key),
        key=lambda r: (r["time"], r["requestid"]),
    )
    expected = [
        {
            "request_time": r["time"],
            "bucket": r["bucket"],
            "key": decoded(r),
            **{
                c: r[c]
                for c in (
                    "operation",
                    "requester",
                    "remoteip",
                    "httpstatus",
                    "errorcode",
                    "bytessent",
                    "versionid",
                    "requestid",
                    "useragent",
                )
            },
        }
        for r in rows
    ]
    assert len(expected) == 2
    assert run(engine, "object-history", key=key) == expected


def test_object_history_by_prefix(engine: DuckDBEngine) -> None:
    got = run(engine, "object-history", prefix="photos/")
    expected = sorted(
        (r for r in in_range() if decoded(r).startswith("photos/")),
        key=lambda r: (r["time"], r["requestid"]),
    )
    assert [g["requestid"] for g in got] == [r["requestid"] for r in expected]


def test_anonymous_access(engine: DuckDBEngine) -> None:
    anonymous = [r for r in in_range() if r["requester"] == "-"]
    expected = [
        {
            "bucket": bucket,
            "operation": operation,
            "key": key,
            "requests": len(rows),
            "succeeded": sum(status(r) is not None and status(r) < 400 for r in rows),  # type: ignore[operator]
            "distinct_ips": len({r["remoteip"] for r in rows}),
            "bytes_sent": bytes_sum(rows),
            **times(rows),
        }
        for (bucket, operation, key), rows in group(
            anonymous, lambda r: (r["bucket"], r["operation"], decoded(r))
        ).items()
    ]
    expected.sort(
        key=lambda e: (-e["succeeded"], -e["requests"], e["bucket"], e["operation"], e["key"])
    )
    assert run(engine, "anonymous-access") == expected


def test_insecure_transport(engine: DuckDBEngine) -> None:
    def insecure(r: Row) -> bool:
        tls = r["tlsversion"]
        return (
            r["operation"].startswith("REST.")
            and tls is not None
            and (
                tls == "-" or tls.lower() in ("tlsv1", "tlsv1.0", "tlsv1.1") or r["sigv"] == "SigV2"
            )
        )

    def transport(r: Row) -> str:
        return "HTTP" if r["tlsversion"] == "-" else r["tlsversion"]

    expected = [
        {
            "bucket": b,
            "requester": q,
            "remoteip": ip,
            "transport": t,
            "sigv": s,
            "requests": len(rows),
            **times(rows),
            "example_user_agent": min(r["useragent"] for r in rows),
        }
        for (b, q, ip, t, s), rows in group(
            filter(insecure, in_range()),
            lambda r: (r["bucket"], r["requester"], r["remoteip"], transport(r), r["sigv"]),
        ).items()
    ]
    expected.sort(
        key=lambda e: (
            -e["requests"],
            e["bucket"],
            e["requester"],
            e["remoteip"],
            e["transport"],
            e["sigv"],
        )
    )
    got = run(engine, "insecure-transport")
    assert got == expected
    assert {e["transport"] for e in expected} == {"HTTP", "TLSv1.1"}


def test_presigned_url_usage(engine: DuckDBEngine) -> None:
    presigned = [r for r in in_range() if r["authtype"] == "QueryString"]
    expected = [
        {
            "bucket": b,
            "requester": q,
            "operation": o,
            "requests": len(rows),
            "distinct_ips": len({r["remoteip"] for r in rows}),
            "bytes_sent": bytes_sum(rows),
            **times(rows),
        }
        for (b, q, o), rows in group(
            presigned, lambda r: (r["bucket"], r["requester"], r["operation"])
        ).items()
    ]
    expected.sort(key=lambda e: (-e["requests"], e["bucket"], e["requester"], e["operation"]))
    assert run(engine, "presigned-url-usage") == expected and expected


def test_acl_required(engine: DuckDBEngine) -> None:
    rows_yes = [r for r in in_range() if r["aclrequired"] == "Yes"]
    expected = [
        {"bucket": b, "requester": q, "operation": o, "requests": len(rows), **times(rows)}
        for (b, q, o), rows in group(
            rows_yes, lambda r: (r["bucket"], r["requester"], r["operation"])
        ).items()
    ]
    expected.sort(key=lambda e: (-e["requests"], e["bucket"], e["requester"], e["operation"]))
    assert run(engine, "acl-required") == expected and expected


def test_user_agents(engine: DuckDBEngine) -> None:
    expected = [
        {
            "useragent": ua,
            "requests": len(rows),
            "bytes_sent": bytes_sum(rows),
            "errors": sum((status(r) or 0) >= 400 for r in rows),
            "distinct_requesters": len({r["requester"] for r in rows}),
            "distinct_ips": len({r["remoteip"] for r in rows}),
        }
        for ua, rows in group(in_range(), lambda r: r["useragent"]).items()
    ]
    expected.sort(key=lambda e: (-e["requests"], -e["bytes_sent"], e["useragent"]))
    assert run(engine, "user-agents") == expected[:20]


def test_latency_hotspots(engine: DuckDBEngine) -> None:
    def ints(rows: list[Row], field: str) -> list[int]:
        return [int(r[field]) for r in rows if r[field] and r[field].isdigit()]

    expected = []
    for (bucket, operation), rows in group(
        in_range(), lambda r: (r["bucket"], r["operation"])
    ).items():
        total, turn = ints(rows, "totaltime"), ints(rows, "turnaroundtime")
        expected.append(
            {
                "bucket": bucket,
                "operation": operation,
                "requests": len(rows),
                "p50_total_ms": percentile(total, 0.5),
                "p90_total_ms": percentile(total, 0.9),
                "p99_total_ms": percentile(total, 0.99),
                "max_total_ms": max(total, default=None),
                "p50_turnaround_ms": percentile(turn, 0.5),
                "p99_turnaround_ms": percentile(turn, 0.99),
            }
        )
    # NULLs last, then by requests, bucket, operation.
    expected.sort(
        key=lambda e: (
            e["p99_total_ms"] is None,
            -(e["p99_total_ms"] or 0),
            -e["requests"],
            e["bucket"],
            e["operation"],
        )
    )
    assert run(engine, "latency-hotspots", min_requests=1, limit=100) == expected
    assert run(engine, "latency-hotspots", min_requests=3) == [
        e for e in expected if e["requests"] >= 3
    ]


# -- incident -----------------------------------------------------------------------------

_DELETIONS = {
    "REST.DELETE.OBJECT": "DELETE",
    "REST.POST.MULTI_OBJECT_DELETE": "multi-object delete",
    "BATCH.DELETE.OBJECT": "BATCH.DELETE",
    "S3.EXPIRE.OBJECT": "lifecycle expiry",
    "S3.CREATE.DELETEMARKER": "lifecycle delete marker",
}


def _who_deleted(rows: list[Row]) -> list[Row]:
    chosen = [
        r
        for r in rows
        if r["operation"] in _DELETIONS and (status(r) if status(r) is not None else 200) < 300
    ]
    chosen.sort(key=lambda r: (r["time"], r["requestid"], decoded(r)))
    return [
        {
            "request_time": r["time"],
            "bucket": r["bucket"],
            "key": decoded(r),
            "versionid": r["versionid"],
            "deletion": _DELETIONS[r["operation"]],
            **{
                c: r[c]
                for c in (
                    "operation",
                    "requester",
                    "remoteip",
                    "httpstatus",
                    "errorcode",
                    "requestid",
                    "useragent",
                )
            },
        }
        for r in chosen
    ]


def test_who_deleted_tells_the_kinds_apart(engine: DuckDBEngine) -> None:
    expected = _who_deleted(in_range())
    assert run(engine, "who-deleted") == expected
    assert {e["deletion"] for e in expected} == {
        "DELETE",
        "BATCH.DELETE",
        "multi-object delete",
        "lifecycle expiry",
    }
    key = "reports/o'brien.csv"
    only = _who_deleted([r for r in in_range() if decoded(r) == key or r["key"] == key])
    assert run(engine, "who-deleted", key=key) == only and len(only) == 1
    # The denied delete on the 3rd shows with include_failed and a range that holds it.
    failed = run(engine, "who-deleted", start="2024-03-03", end="2024-03-04", include_failed="true")
    assert [(r["httpstatus"], r["requester"]) for r in failed] == [
        ("403", "arn:aws:iam::444455556666:user/mallory")
    ]


def test_ip_activity_for_v4_and_v6_networks(engine: DuckDBEngine) -> None:
    def expected(network: str) -> list[Row]:
        net = ipaddress.ip_network(network)
        rows = []
        for r in in_range():
            try:
                address = ipaddress.ip_address(r["remoteip"])
            except ValueError:
                continue
            if address.version == net.version and address in net:
                rows.append(r)
        rows.sort(key=lambda r: (r["time"], r["requestid"]))
        return [
            {
                "request_time": r["time"],
                "bucket": r["bucket"],
                "remoteip": r["remoteip"],
                "requester": r["requester"],
                "operation": r["operation"],
                "key": decoded(r),
                **{
                    c: r[c]
                    for c in ("httpstatus", "errorcode", "bytessent", "useragent", "requestid")
                },
            }
            for r in rows
        ]

    for network in ("198.51.100.0/24", "2001:db8::/32", "203.0.113.9", "192.0.2.64/30"):
        want = expected(network)
        assert want, network
        assert run(engine, "ip-activity", ip=network) == want, network


def test_principal_activity_matches_a_requester_with_spaces(engine: DuckDBEngine) -> None:
    rows = sorted(
        (r for r in in_range() if r["requester"] == OAI), key=lambda r: (r["time"], r["requestid"])
    )
    expected = [
        {
            "request_time": r["time"],
            "bucket": r["bucket"],
            "remoteip": r["remoteip"],
            "operation": r["operation"],
            "key": decoded(r),
            **{c: r[c] for c in ("httpstatus", "errorcode", "bytessent", "useragent", "requestid")},
        }
        for r in rows
    ]
    assert run(engine, "principal-activity", requester=OAI) == expected and len(expected) == 1
    assert run(engine, "principal-activity", requester="CloudFront Origin Access Identity") == []


def test_principal_activity_finds_the_anonymous_requester_as_logged(engine: DuckDBEngine) -> None:
    """'-' is NULL in the typed columns; a requester given as S3 logs it still matches."""
    expected = [r["requestid"] for r in in_range() if r["requester"] == "-"]
    got = run(engine, "principal-activity", requester="-")
    assert sorted(r["requestid"] for r in got) == sorted(expected) and expected


def test_access_denied_per_hour(engine: DuckDBEngine) -> None:
    denied = [r for r in in_range() if r["httpstatus"] == "403"]
    expected = [
        {"hour": hour, "requester": requester, "remoteip": ip, "requests": len(rows)}
        for (hour, requester, ip), rows in group(
            denied, lambda r: (r["time"].replace(minute=0, second=0), r["requester"], r["remoteip"])
        ).items()
    ]
    expected.sort(key=lambda e: (e["hour"], -e["requests"], e["requester"], e["remoteip"]))
    assert run(engine, "access-denied") == expected
    assert [e["requests"] for e in expected] == [2, 1]


def test_server_errors(engine: DuckDBEngine) -> None:
    rows = sorted(
        (r for r in in_range() if r["httpstatus"].startswith("5")),
        key=lambda r: (r["time"], r["requestid"]),
    )
    expected = [
        {
            "request_time": r["time"],
            "bucket": r["bucket"],
            "operation": r["operation"],
            "key": decoded(r),
            **{
                c: r[c]
                for c in (
                    "httpstatus",
                    "errorcode",
                    "requestid",
                    "hostid",
                    "requester",
                    "remoteip",
                    "useragent",
                )
            },
        }
        for r in rows
    ]
    assert run(engine, "server-errors") == expected and len(expected) == 2


def test_bulk_downloads(engine: DuckDBEngine) -> None:
    minimum = 100_000_000
    gets = [r for r in in_range() if r["operation"] in GETS]
    expected = [
        {
            "requester": q,
            "remoteip": ip,
            "buckets": len({r["bucket"] for r in rows}),
            "objects": len({(r["bucket"], r["key"]) for r in rows}),
            "requests": len(rows),
            "bytes_sent": bytes_sum(rows),
            **times(rows),
        }
        for (q, ip), rows in group(gets, lambda r: (r["requester"], r["remoteip"])).items()
        if bytes_sum(rows) >= minimum
    ]
    expected.sort(key=lambda e: (-e["bytes_sent"], e["requester"], e["remoteip"]))
    assert run(engine, "bulk-downloads", min_bytes=str(minimum)) == expected and expected


def test_new_ips_against_a_baseline_window(engine: DuckDBEngine) -> None:
    baseline = {r["remoteip"] for r in in_range(START - timedelta(days=1), START)}
    recent = group((r for r in in_range() if r["remoteip"] != "-"), lambda r: r["remoteip"])
    expected = [
        {
            "remoteip": ip,
            "first_seen": min(r["time"] for r in rows),
            "requests": len(rows),
            "distinct_requesters": len({r["requester"] for r in rows}),
            "example_requester": min(r["requester"] for r in rows),
        }
        for ip, rows in recent.items()
        if ip not in baseline
    ]
    expected.sort(key=lambda e: (e["first_seen"], e["remoteip"]))
    got = run(engine, "new-ips", baseline_days=1)
    assert got == expected
    assert "198.51.100.7" in baseline and all(e["remoteip"] != "198.51.100.7" for e in got)


def test_bucket_config_changes(engine: DuckDBEngine) -> None:
    names = {
        "BUCKETPOLICY": "policy",
        "ACL": "acl",
        "PUBLIC_ACCESS_BLOCK": "public access block",
        "LIFECYCLE": "lifecycle",
        "LOGGING_STATUS": "logging",
        "ENCRYPTION": "encryption",
        "VERSIONING": "versioning",
        "CORS": "cors",
        "REPLICATION": "replication",
        "TAGGING": "tagging",
        "WEBSITE": "website",
        "NOTIFICATION": "notification",
        "BUCKET": "bucket",
    }
    rows = sorted(
        (
            r
            for r in in_range()
            if r["operation"].startswith(("REST.PUT.", "REST.DELETE."))
            and r["key"] == "-"
            and (status(r) if status(r) is not None else 200) < 300
        ),  # type: ignore[operator]
        key=lambda r: (r["time"], r["requestid"]),
    )

    def part(operation: str, index: int) -> str:
        pieces = operation.split(".")
        return pieces[index] if len(pieces) > index else ""

    expected = [
        {
            "request_time": r["time"],
            "bucket": r["bucket"],
            "change": names.get(part(r["operation"], 2), part(r["operation"], 2).lower()),
            "action": part(r["operation"], 1),
            **{
                c: r[c]
                for c in (
                    "operation",
                    "requester",
                    "remoteip",
                    "httpstatus",
                    "errorcode",
                    "requestid",
                    "useragent",
                )
            },
        }
        for r in rows
    ]
    assert run(engine, "bucket-config-changes") == expected
    assert {e["change"] for e in expected} >= {
        "policy",
        "public access block",
        "lifecycle",
        "logging",
    }


def test_a_range_ending_at_midnight_leaves_out_the_late_record_of_that_day(
    engine: DuckDBEngine,
) -> None:
    got = run(engine, "object-history", prefix="photos/cat", start="2024-03-02", end="2024-03-03")
    times_seen = [r["request_time"] for r in got]
    assert datetime(2024, 3, 2, 23, 59, 59) in times_seen  # delivered on the 3rd, still found
    assert datetime(2024, 3, 1, 23, 59, 59) not in times_seen
    assert all(datetime(2024, 3, 2) <= t < datetime(2024, 3, 3) for t in times_seen)


def test_buckets_filter_and_partition_pruning(engine: DuckDBEngine, tmp_path: Path) -> None:
    rendered = render_template("top-ips", {**RANGE, "buckets": "app-uploads"})
    plan = engine.explain(rendered.sql)
    assert re.search(r"Scanning Files:\s*1/[2-9]", plan), plan
    got = engine.run(rendered.sql).frame
    assert int(got["requests"].sum()) == len(in_range(buckets=["app-uploads"]))
