"""Check a report's query results against the generator's ground truth (shared by the
report and demo tests).

Every expected figure comes from ``dataset.truth`` or from the generated records themselves,
never from SQL; every actual figure is a row the report's queries returned (or derived from
them by :mod:`s3logs_athena.report.data`), and the HTML must show it.
"""

from __future__ import annotations

import html
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from s3logs_athena.generator import GeneratedDataset, generate
from s3logs_athena.generator.config import GeneratorConfig
from s3logs_athena.report.data import ReportData

SMALL = GeneratorConfig(buckets=3, days=2, objects_per_day=8, records_per_object=60, seed=11)


def small_dataset(**changes: Any) -> GeneratedDataset:
    from dataclasses import replace

    return generate(replace(SMALL, **changes))


def write_partitions(dataset: GeneratedDataset, root: Path) -> Path:
    """Lay the dataset out as the mover would (``PartitionedLogs/...``) under ``root``."""
    layout = dataset.config.layout
    for log_object in dataset.log_objects:
        path = root / layout.target_key(log_object.key)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(log_object.body)
    return root / layout.partition_root


def _naive(moment: datetime) -> pd.Timestamp:
    return pd.Timestamp(moment.replace(tzinfo=None))


def assert_report_matches_truth(data: ReportData, dataset: GeneratedDataset, page: str) -> None:
    """The report's figures for the dataset's whole range, and ``page`` (its HTML)."""
    truth = dataset.truth

    # Requests and errors per day and bucket, by request time.
    requests = data.frame("requests")
    got = {
        (pd.Timestamp(str(r.day)).date(), r.bucket): (
            r.requests, r.errors, r.access_denied, r.server_errors, r.bytes_sent,
        )
        for r in requests.itertuples()
    }  # fmt: skip
    expected = {
        (s.day, s.bucket): (s.requests, s.errors, s.access_denied, s.server_errors, s.bytes_sent)
        for s in truth.per_day_bucket
    }
    assert got == expected
    assert data.summary()["requests"] == truth.records

    # The bulk download: only it passes the report's threshold.
    bulk = truth.bulk_download
    assert bulk is not None
    rows = data.bulk_downloads
    assert list(zip(rows["requester"], rows["remoteip"], strict=True)) == [
        (bulk.requester, bulk.remote_ip)
    ]
    row = rows.iloc[0]
    gets = [
        r
        for _, r in dataset.records()
        if r.remoteip == bulk.remote_ip and r.operation == "REST.GET.OBJECT"
    ]
    get_bytes = sum(r.bytessent or 0 for r in gets)
    get_times = sorted(r.requestdatetime for r in gets if r.requestdatetime)
    assert get_bytes > 0.99 * bulk.bytes_sent  # the rest are its few listings
    assert (row["requests"], row["objects"], row["bytes_sent"]) == (
        bulk.get_requests,
        bulk.objects,
        get_bytes,
    )
    assert (row["first_seen"], row["last_seen"]) == (_naive(get_times[0]), _naive(get_times[-1]))
    assert bulk.start <= get_times[0] and get_times[-1] <= bulk.end
    assert f"{get_bytes:,}" in page and html.escape(bulk.requester) in page

    # The burst of access denied, hour by hour.
    burst = truth.access_denied_burst
    assert burst is not None
    bursts = data.access_denied_bursts
    assert set(bursts["remoteip"]) == {burst.remote_ip}
    assert set(bursts["requester"]) == {"-"}
    assert dict(zip(bursts["hour"], bursts["requests"], strict=True)) == {
        _naive(hour): count for hour, count in burst.by_hour.items()
    }
    assert burst.remote_ip in page

    # Deletions by the unusual principal: who, how many, which objects.
    unusual = truth.unusual_deletions
    assert unusual is not None
    deleters = data.unusual_deleters
    assert list(deleters["requester"]) == [unusual.requester]
    (deleter,) = deleters.itertuples()
    assert deleter.objects_deleted == len(unusual.deletions)
    assert deleter.requests == unusual.requests
    assert deleter.addresses == unusual.remote_ip
    deleted = data.unusual_deletions
    objects = deleted[deleted["deletion"] != "multi-object delete"]
    assert sorted(zip(objects["bucket"], objects["key"], strict=True)) == sorted(
        (d.bucket, d.object_key) for d in unusual.deletions
    )
    assert html.escape(unusual.requester) in page

    # The TLS 1.0 client, and only it, on old TLS.
    legacy = truth.legacy_tls_client
    assert legacy is not None
    old_tls = data.legacy_tls
    assert set(old_tls["remoteip"]) == {legacy.remote_ip}
    assert set(old_tls["requester"]) == {legacy.requester}
    assert set(old_tls["transport"]) == {legacy.tls_version}
    assert int(old_tls["requests"].sum()) == legacy.requests
    assert set(old_tls["bucket"]) == set(legacy.buckets)
    assert legacy.remote_ip in page

    findings = data.findings()
    assert findings["bulk downloads"] == 1
    assert findings["access-denied bursts"] == len(burst.by_hour)
    assert findings["unusual deleters"] == 1
    assert findings["clients on TLS < 1.2"] == 1
