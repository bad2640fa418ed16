"""The report's findings (s3logs_athena.report.findings) on frames built here, and the
``bulk-download-days`` template they read, against the generator's records."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest

from s3logs_athena.cache import ingest
from s3logs_athena.engines.duckdb import DuckDBEngine
from s3logs_athena.generator import GeneratedDataset
from s3logs_athena.report.findings import (
    BULK_COLUMNS,
    bulk_download_days,
    requests_by_reason,
    transport_reasons,
)
from s3logs_athena.templates import get_template, render_template

from .report_support import small_dataset, write_partitions

GB = 10**9
GETS = ("REST.GET.OBJECT", "WEBSITE.GET.OBJECT")
START = date(2024, 3, 4)


def days_frame(rows: list[tuple[str, str, int, int]]) -> pd.DataFrame:
    """``bulk-download-days`` rows from (requester, address, day offset, bytes)."""
    return pd.DataFrame(
        [
            {
                "requester": requester,
                "remoteip": ip,
                "day": START + timedelta(days=offset),
                "buckets": 1,
                "objects": 3,
                "requests": 5,
                "bytes_sent": sent,
                "first_seen": datetime(2024, 3, 4) + timedelta(days=offset, hours=1),
                "last_seen": datetime(2024, 3, 4) + timedelta(days=offset, hours=2),
            }
            for requester, ip, offset, sent in rows
        ]
    )


def judge(rows: list[tuple[str, str, int, int]], days: int, **options: float) -> pd.DataFrame:
    settings: dict[str, float] = {"min_bytes": 10 * GB, "factor": 4.0, **options}
    return bulk_download_days(
        days_frame(rows),
        START,
        START + timedelta(days=days - 1),
        min_bytes=int(settings["min_bytes"]),
        factor=settings["factor"],
    )


def test_a_steady_pair_is_no_bulk_download_however_long_the_range() -> None:
    """A CDN pulling 12 GB every day: 84 GB over a week, above any one-off download."""
    cdn = [("cdn", "64.252.1.1", day, 12 * GB) for day in range(7)]
    laptop = [("laptop", "203.0.113.77", 3, 60 * GB)]
    found = judge(cdn + laptop, days=7)
    assert list(found["requester"]) == ["laptop"]
    assert list(found.columns) == BULK_COLUMNS
    row = found.iloc[0]
    assert (row["day"], row["bytes_sent"], row["typical_day_bytes"]) == (
        START + timedelta(days=3), 60 * GB, 0
    )  # fmt: skip


def test_a_day_is_judged_against_the_pairs_typical_day() -> None:
    """5 GB on six days: 20 GB on the seventh is four times that, 19 GB is not; days without
    downloads count as 0 in the median."""
    usual = [("etl", "10.0.0.1", day, 5 * GB) for day in range(6)]
    assert list(judge([*usual, ("etl", "10.0.0.1", 6, 20 * GB)], days=7)["bytes_sent"]) == [20 * GB]
    assert judge([*usual, ("etl", "10.0.0.1", 6, 19 * GB)], days=7).empty
    # Active on 2 of 7 days: its typical day is 0, so any day past the floor stands out.
    sparse = [("ops", "10.0.0.2", 0, 11 * GB), ("ops", "10.0.0.2", 5, 12 * GB)]
    found = judge(sparse, days=7)
    assert list(found["bytes_sent"]) == [12 * GB, 11 * GB]
    assert list(found["typical_day_bytes"]) == [0, 0]
    # Below the per-day floor nothing counts, however unusual.
    assert judge([("x", "1.1.1.1", 2, 9 * GB)], days=7).empty
    assert judge([("x", "1.1.1.1", 2, 9 * GB)], days=7, min_bytes=9 * GB).shape[0] == 1
    assert judge([*usual, ("etl", "10.0.0.1", 6, 20 * GB)], days=7, factor=5).empty


def test_one_day_has_no_baseline_and_the_floor_alone_decides() -> None:
    found = judge([("cdn", "64.252.1.1", 0, 12 * GB), ("small", "1.1.1.1", 0, GB)], days=1)
    assert list(found["requester"]) == ["cdn"]
    assert found["typical_day_bytes"].isna().all()


def test_no_candidates_give_an_empty_frame_with_the_columns() -> None:
    empty = bulk_download_days(
        pd.DataFrame(columns=BULK_COLUMNS), START, START, min_bytes=1, factor=4
    )
    assert empty.empty and list(empty.columns) == BULK_COLUMNS


@pytest.fixture(scope="module")
def dataset() -> GeneratedDataset:
    return small_dataset(days=3, seed=5)


@pytest.fixture(scope="module")
def engine(
    dataset: GeneratedDataset, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DuckDBEngine]:
    cache = tmp_path_factory.mktemp("cache")
    ingest(write_partitions(dataset, tmp_path_factory.mktemp("bucket")), cache)
    engine = DuckDBEngine(cache)
    yield engine
    engine.close()


def test_the_bulk_download_days_template_against_the_records(
    dataset: GeneratedDataset, engine: DuckDBEngine
) -> None:
    """Every day of each requester/address pair that got ``min_bytes`` on one day, counted
    here from the generated records."""
    truth = dataset.truth
    minimum = 200_000_000
    per_day: dict[tuple[str, str, date], list[tuple[datetime, str, str, int]]] = defaultdict(list)
    for _, record in dataset.records():
        if record.operation not in GETS or record.requestdatetime is None:
            continue
        moment = record.requestdatetime.astimezone(UTC).replace(tzinfo=None)
        if not truth.start <= moment.date() < truth.end:
            continue
        pair = (record.requester or "-", record.remoteip or "-")
        per_day[(*pair, moment.date())].append(
            (moment, record.bucket_name or "", record.key or "", record.bytessent or 0)
        )
    peaks: dict[tuple[str, str], int] = defaultdict(int)
    for (requester, ip, _), rows in per_day.items():
        peaks[(requester, ip)] = max(peaks[(requester, ip)], sum(r[3] for r in rows))
    expected = sorted(
        (
            (-peaks[(requester, ip)], requester, ip, day, len({r[1] for r in rows}),
             len({(r[1], r[2]) for r in rows}), len(rows), sum(r[3] for r in rows),
             min(r[0] for r in rows), max(r[0] for r in rows))
            for (requester, ip, day), rows in per_day.items()
            if peaks[(requester, ip)] >= minimum
        ),
    )  # fmt: skip
    query = render_template(
        "bulk-download-days",
        {"start": str(truth.start), "end": str(truth.end), "min_bytes": str(minimum)},
    )
    frame = engine.run(query.sql).frame
    assert list(frame.columns) == list(get_template("bulk-download-days").columns)
    got = [
        (
            -peaks[(r.requester, r.remoteip)], r.requester, r.remoteip,
            pd.Timestamp(r.day).date(), r.buckets, r.objects, r.requests, r.bytes_sent,
            r.first_seen.to_pydatetime(), r.last_seen.to_pydatetime(),
        )
        for r in frame.itertuples()
    ]  # fmt: skip
    assert got == [e[:10] for e in expected] and len(expected) > 3
    # Several days of one pair: the pairs have more than their peak day.
    assert frame.groupby(["requester", "remoteip"]).size().max() > 1


def test_each_insecure_row_says_why_it_is_there() -> None:
    rows = pd.DataFrame(
        {
            "bucket": ["b"] * 5,
            "requester": ["php", "php", "backup", "web", "both"],
            "remoteip": ["1.1.1.1", "1.1.1.2", "2.2.2.2", "3.3.3.3", "4.4.4.4"],
            "transport": ["TLSv1.2", "TLSv1.3", "TLSv1", "HTTP", "TLSv1.1"],
            "sigv": ["SigV2", "SigV2", "SigV4", "SigV4", "SigV2"],
            "requests": [10, 5, 3, 2, 1],
        }
    )
    reasons = transport_reasons(rows)
    assert list(reasons["reason"]) == ["SigV2", "SigV2", "TLSv1", "plain HTTP", "TLSv1.1 + SigV2"]
    totals = requests_by_reason(reasons)
    assert totals.to_dict("records")[0] == {"requester": "php", "reason": "SigV2", "requests": 15}
    assert len(totals) == 4
    assert transport_reasons(rows.head(0))["reason"].empty
