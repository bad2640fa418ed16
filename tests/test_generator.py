"""The synthetic log generator: determinism, realistic shape, exact ground truth.

Ground truth is checked against an independent recomputation: the generated *bytes* are parsed
with the package's parser into a DataFrame and aggregated with pandas, then compared with what
the generator says it planted.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import boto3
import pandas as pd
import pytest
from moto import mock_aws

from s3logs_athena.errors import ConfigError, InputError
from s3logs_athena.generator import GeneratedDataset, GeneratorConfig, generate, upload
from s3logs_athena.layout import KeyFormat, Layout
from s3logs_athena.parser import parse_columns, parse_line, split_line

SMALL = GeneratorConfig(buckets=4, days=2, objects_per_day=12, records_per_object=60, seed=3)


@pytest.fixture(scope="module")
def small() -> GeneratedDataset:
    return generate(SMALL)


@pytest.fixture(scope="module")
def default() -> GeneratedDataset:
    """The demo's default size (3 buckets x 3 days x 24 objects x ~200 records)."""
    return generate(GeneratorConfig())


@pytest.fixture(scope="module")
def frame(default: GeneratedDataset) -> pd.DataFrame:
    """Every record of the default dataset, parsed back from the bytes."""
    layout = default.config.layout
    parts = []
    for key, body in default.objects.items():
        columns = parse_columns(body.decode().splitlines())
        part = pd.DataFrame(columns)
        source = layout.parse_source_key(key)
        part["log_bucket"] = source.bucket
        part["partition_day"] = source.day
        part["object_key"] = key
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


# -- determinism ------------------------------------------------------------------------


def test_same_seed_gives_the_same_bytes_and_truth(small: GeneratedDataset) -> None:
    again = generate(SMALL)
    assert again.objects == small.objects
    assert again.truth == small.truth


def test_another_seed_gives_other_data(small: GeneratedDataset) -> None:
    other = generate(GeneratorConfig(**{**SMALL.__dict__, "seed": 4}))
    assert set(other.objects) != set(small.objects)
    assert other.truth.records != small.truth.records or other.objects != small.objects


def test_generator_imports_only_the_standard_library() -> None:
    code = (
        "import sys, s3logs_athena.generator\n"
        "heavy = {'pandas', 'duckdb', 'pyarrow', 'boto3', 'numpy', 'altair'} & set(sys.modules)\n"
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# -- lines --------------------------------------------------------------------------------


def test_every_line_parses_to_the_intended_record(small: GeneratedDataset) -> None:
    checked = 0
    for log_object in small.log_objects:
        lines = log_object.body.decode().split("\n")
        assert lines[-1] == ""  # every line ends with a newline, the last one too
        assert len(lines) - 1 == len(log_object.records) > 0
        for line, intended in zip(lines, log_object.records, strict=False):
            assert parse_line(line) == intended, line
            checked += 1
    assert checked == small.truth.records


def test_line_lengths_follow_each_bucket(small: GeneratedDataset) -> None:
    """24- to 27-field lines: the fields after a bucket's last one are absent, not '-'."""
    counts = {spec.name: spec.field_count for spec in small.buckets}
    assert sorted(counts.values()) == [24, 25, 26, 27]
    for log_object in small.log_objects[:40]:
        for line in log_object.body.decode().splitlines()[:5]:
            raw = split_line(line)
            present = [value is not None for value in raw[:27]]
            assert present == [True] * counts[log_object.bucket] + [False] * (
                27 - counts[log_object.bucket]
            )


def test_the_mix_is_realistic(frame: pd.DataFrame) -> None:
    operations = set(frame["operation"])
    assert {
        "REST.GET.OBJECT", "REST.HEAD.OBJECT", "REST.PUT.OBJECT", "REST.POST.UPLOADS",
        "REST.PUT.PART", "REST.POST.UPLOAD", "REST.GET.BUCKET", "REST.DELETE.OBJECT",
        "REST.POST.MULTI_OBJECT_DELETE", "BATCH.DELETE.OBJECT", "S3.EXPIRE.OBJECT",
        "REST.GET.BUCKETPOLICY", "REST.GET.ACL", "REST.GET.PUBLIC_ACCESS_BLOCK",
        "REST.GET.LIFECYCLE", "REST.GET.LOGGING_STATUS", "REST.GET.ENCRYPTION",
        "WEBSITE.GET.OBJECT",
    } <= operations  # fmt: skip
    assert any(op.startswith("REST.PUT.") and op != "REST.PUT.OBJECT" and op != "REST.PUT.PART"
               for op in operations)  # fmt: skip
    ips = frame["remoteip"].dropna()
    assert ips.str.contains(":").any() and (~ips.str.contains(":")).any()  # IPv6 and IPv4
    requesters = frame["requester"]
    assert requesters.isna().any()  # anonymous
    assert requesters.str.contains(" ", na=False).any()  # CloudFront OAI
    assert (requesters == "AmazonS3").any()
    assert requesters.str.startswith("arn:aws:iam::", na=False).any()
    assert requesters.str.contains(":assumed-role/", na=False).any()
    assert requesters.str.startswith("svc:", na=False).any()
    assert requesters.str.fullmatch(r"[0-9a-f]{64}", na=False).any()  # canonical user ID
    agents = frame["useragent"].dropna()
    assert agents.str.contains('"').any()
    for needle in ("Boto3/", "aws-cli/", "aws-sdk-java/", "Mozilla/5.0", "Amazon CloudFront"):
        assert agents.str.contains(needle, regex=False).any(), needle
    assert {403, 404, 500, 503, 200, 204, 206, 304} <= set(frame["httpstatus"].dropna())
    assert {"AccessDenied", "NoSuchKey", "SlowDown", "InternalError"} <= set(frame["errorcode"])
    assert {"TLSv1", "TLSv1.2", "TLSv1.3"} <= set(frame["tlsversion"].dropna())
    assert frame["tlsversion"].isna().any()  # website endpoint over plain HTTP
    assert {"SigV4", "SigV2"} <= set(frame["sigv"].dropna())
    assert {"AuthHeader", "QueryString"} <= set(frame["authtype"].dropna())
    assert frame["request_uri"].str.contains("X-Amz-Signature=", na=False).any()
    assert frame["accesspointarn"].notna().any()
    assert frame["key"].str.contains("%", na=False).any()  # encoded keys (spaces, unicode)
    got = frame.dropna(subset=["totaltime", "turnaroundtime"])
    assert (got["totaltime"] >= got["turnaroundtime"]).all()


def test_requests_follow_the_day_and_night(frame: pd.DataFrame) -> None:
    hours = frame["requestdatetime"].map(lambda t: t.hour)
    night = int(hours.between(1, 5).sum())
    afternoon = int(hours.between(13, 17).sum())
    assert afternoon > 1.5 * night


# -- objects and keys -------------------------------------------------------------------


def test_objects_are_named_keyed_and_counted_like_s3s(small: GeneratedDataset) -> None:
    layout = Layout()
    formats = Counter()
    per_window: Counter[tuple[str, date]] = Counter()
    for log_object in small.log_objects:
        source = layout.parse_source_key(log_object.key)
        assert source.bucket == log_object.bucket
        assert source.day == log_object.day
        assert source.delivered_at == log_object.delivered_at
        formats[source.format] += 1
        first = log_object.records[0].requestdatetime
        last = log_object.records[-1].requestdatetime
        assert first is not None and last is not None
        assert first <= last < log_object.delivered_at  # delivered after its window
        assert log_object.delivered_at - first < timedelta(hours=3)
        per_window[(log_object.bucket, first.date())] += 1
    assert set(formats) == {KeyFormat.SIMPLE, KeyFormat.PARTITIONED}
    assert set(per_window.values()) == {SMALL.objects_per_day}
    assert len(per_window) == SMALL.buckets * SMALL.days


def test_records_before_midnight_arrive_in_the_next_days_object(small: GeneratedDataset) -> None:
    late = [
        (o, r)
        for o, r in small.records()
        if r.requestdatetime is not None and r.requestdatetime.date() < o.day
    ]
    assert len(late) == small.truth.late_records > 0
    assert {r.requestdatetime.hour for _, r in late if r.requestdatetime} <= {22, 23}


def test_key_formats_and_prefixes_are_configurable() -> None:
    config = GeneratorConfig(
        buckets=2, days=1, objects_per_day=4, records_per_object=5, incidents=False,
        source_pattern="logs/{bucket}/", partitioned_prefix="central/",
        partition_date_source="EventTime",
    )  # fmt: skip
    dataset = generate(config)
    layout = Layout(source_pattern="logs/{bucket}/")
    keys = list(dataset.objects)
    simple = [k for k in keys if k.startswith("logs/")]
    partitioned = [k for k in keys if k.startswith("central/")]
    assert len(simple) == len(partitioned) == 4
    for key in keys:
        layout.parse_source_key(key)
    # EventTime, as AWS documents it: every object holds one day and is named after that day
    # at 00-00-00, even the last window's, written after midnight.
    for key in partitioned:
        parsed = layout.parse_source_key(key)
        assert parsed.day == config.start
        assert parsed.file_name.startswith(f"{config.start:%Y-%m-%d}-00-00-00-")
    late = [
        o for o in dataset.log_objects if o.key in partitioned and o.delivered_at.date() > o.day
    ]
    assert late, "the last window of the day is delivered after midnight"


def test_stragglers_are_marked(small: GeneratedDataset) -> None:
    assert small.truth.stragglers == ()
    marked = generate(GeneratorConfig(**{**SMALL.__dict__, "stragglers": 3}))
    assert len(marked.truth.stragglers) == 3
    assert {o.key for o in marked.log_objects if o.straggler} == set(marked.truth.stragglers)
    assert marked.objects == small.objects  # marking changes no data


@pytest.mark.parametrize(
    ("change", "setting"),
    [
        ({"buckets": 0}, "buckets"),
        ({"objects_per_day": 7}, "objects_per_day"),
        ({"account_id": "12345"}, "account_id"),
        ({"partitioned_prefix": "logs"}, "partitioned_prefix"),
        ({"field_counts": (17,)}, "field_counts"),
        ({"stragglers": -1}, "stragglers"),
    ],
)
def test_bad_settings_are_config_errors(change: dict[str, object], setting: str) -> None:
    with pytest.raises(ConfigError) as caught:
        GeneratorConfig(**change)  # type: ignore[arg-type]
    assert caught.value.setting == setting


def test_a_bad_source_pattern_is_an_input_error() -> None:
    with pytest.raises(InputError, match="bucket"):
        GeneratorConfig(source_pattern="logs/")


# -- ground truth -------------------------------------------------------------------------


def test_truth_totals_match_the_parsed_objects(
    default: GeneratedDataset, frame: pd.DataFrame
) -> None:
    truth = default.truth
    assert truth.records == len(frame)
    assert truth.objects == len(default.objects) == 3 * 3 * 24
    assert truth.total_bytes_sent == int(frame["bytessent"].fillna(0).sum())
    assert truth.late_records == int(
        (frame["requestdatetime"].map(lambda t: t.date()) < frame["partition_day"]).sum()
    )
    assert truth.requests_by_operation == frame["operation"].value_counts().to_dict()
    assert truth.errors_by_code == frame["errorcode"].value_counts().to_dict()
    tls = frame["tlsversion"].value_counts(dropna=False)
    assert truth.requests_by_tls_version == {
        (None if pd.isna(k) else k): int(v) for k, v in tls.items()
    }


def test_truth_per_day_and_bucket_matches(default: GeneratedDataset, frame: pd.DataFrame) -> None:
    status = frame["httpstatus"].fillna(0)
    table = (
        frame.assign(
            day=frame["requestdatetime"].map(lambda t: t.date()),
            error=status >= 400,
            denied=status == 403,
            server=status >= 500,
            sent=frame["bytessent"].fillna(0),
        )
        .groupby(["day", "bucket_name"])
        .agg(
            requests=("operation", "size"),
            errors=("error", "sum"),
            denied=("denied", "sum"),
            server=("server", "sum"),
            sent=("sent", "sum"),
        )
    )
    expected = {
        (day, bucket): (row.requests, row.errors, row.denied, row.server, row.sent)
        for (day, bucket), row in table.iterrows()
    }
    got = {
        (r.day, r.bucket): (r.requests, r.errors, r.access_denied, r.server_errors, r.bytes_sent)
        for r in default.truth.per_day_bucket
    }
    assert got == expected
    assert {day for day, _ in got} == {date(2024, 3, 4), date(2024, 3, 5), date(2024, 3, 6)}
    assert default.truth.end == date(2024, 3, 7)


def test_truth_requesters_and_ips_match(default: GeneratedDataset, frame: pd.DataFrame) -> None:
    for column, stats in (("requester", default.truth.requesters),
                          ("remoteip", default.truth.remote_ips)):  # fmt: skip
        grouped = (
            frame.assign(sent=frame["bytessent"].fillna(0), who=frame[column].fillna("-"))
            .groupby("who")
            .agg(requests=("operation", "size"), sent=("sent", "sum"))
        )
        expected = {who: (row.requests, row.sent) for who, row in grouped.iterrows()}
        assert {(s.name or "-"): (s.requests, s.bytes_sent) for s in stats} == expected
        assert [s.bytes_sent for s in stats] == sorted((s.bytes_sent for s in stats), reverse=True)


def test_truth_deletions_and_config_changes_match(
    default: GeneratedDataset, frame: pd.DataFrame
) -> None:
    deletes = frame[frame["operation"].isin(
        ["REST.DELETE.OBJECT", "BATCH.DELETE.OBJECT", "S3.EXPIRE.OBJECT"])]  # fmt: skip
    expected = sorted(zip(deletes["bucket_name"], deletes["key"], deletes["operation"],
                          deletes["requester"], deletes["requestdatetime"], strict=True),
                      key=lambda t: (t[4], t[0], t[1]))  # fmt: skip
    got = [(d.bucket, d.key, d.operation, d.requester, d.time) for d in default.truth.deletions]
    assert got == expected
    assert {d.operation for d in default.truth.deletions} == {
        "REST.DELETE.OBJECT",
        "BATCH.DELETE.OBJECT",
        "S3.EXPIRE.OBJECT",
    }
    assert any(d.requester == "AmazonS3" for d in default.truth.deletions)
    writes = frame[frame["operation"].str.match(r"REST\.(PUT|DELETE)\.(BUCKETPOLICY|ACL|"
                                                r"PUBLIC_ACCESS_BLOCK|LIFECYCLE|LOGGING_STATUS|"
                                                r"ENCRYPTION)$")]  # fmt: skip
    assert len(default.truth.config_changes) == len(writes) > 0


# -- planted incidents ----------------------------------------------------------------------


def test_bulk_download_is_exact_and_stands_out(
    default: GeneratedDataset, frame: pd.DataFrame
) -> None:
    bulk = default.truth.bulk_download
    assert bulk is not None
    mine = frame[frame["remoteip"] == bulk.remote_ip]
    assert len(mine) == bulk.requests == 164
    assert set(mine["requester"]) == {bulk.requester}
    assert set(mine["bucket_name"]) == {bulk.bucket}
    assert set(mine["useragent"]) == {bulk.user_agent}
    gets = mine[mine["operation"] == "REST.GET.OBJECT"]
    assert len(gets) == bulk.get_requests and gets["key"].nunique() == bulk.objects
    assert int(mine["bytessent"].fillna(0).sum()) == bulk.bytes_sent > 50 * 10**9
    assert (mine["requestdatetime"].min(), mine["requestdatetime"].max()) == (bulk.start, bulk.end)
    # Top requester and top address by bytes, by a wide margin.
    top = default.truth.requesters
    assert top[0].name == bulk.requester and top[0].bytes_sent > 3 * top[1].bytes_sent
    assert default.truth.remote_ips[0].name == bulk.remote_ip
    # Nobody else sends that address or principal.
    assert (frame["requester"] == bulk.requester).sum() == bulk.requests


def test_access_denied_burst_is_exact(default: GeneratedDataset, frame: pd.DataFrame) -> None:
    burst = default.truth.access_denied_burst
    assert burst is not None
    mine = frame[frame["remoteip"] == burst.remote_ip]
    assert len(mine) == burst.requests == burst.access_denied == 400
    assert set(mine["httpstatus"]) == {403} and set(mine["errorcode"]) == {"AccessDenied"}
    assert mine["requester"].isna().all() and burst.requester is None
    hours = mine["requestdatetime"].map(lambda t: t.replace(minute=0, second=0)).value_counts()
    assert burst.by_hour == hours.to_dict()
    # The busiest (hour, address) of 403s anywhere in the data is this one.
    denied = frame[frame["httpstatus"] == 403]
    per_hour = denied.groupby(
        [
            denied["requestdatetime"].map(lambda t: t.replace(minute=0, second=0)),
            denied["remoteip"].fillna("-"),
        ]
    ).size()
    (hour, ip), count = per_hour.idxmax(), per_hour.max()
    assert ip == burst.remote_ip and count == max(burst.by_hour.values())
    assert per_hour.drop((hour, ip)).max() < count / 10


def test_unusual_deletions_are_exact(default: GeneratedDataset, frame: pd.DataFrame) -> None:
    unusual = default.truth.unusual_deletions
    assert unusual is not None
    mine = frame[frame["requester"] == unusual.requester]
    assert len(mine) == unusual.requests
    assert set(mine["remoteip"]) == {unusual.remote_ip} and ":" in unusual.remote_ip
    deleted = mine[mine["operation"].isin(["REST.DELETE.OBJECT", "BATCH.DELETE.OBJECT"])]
    assert sorted(deleted["key"]) == sorted(d.key for d in unusual.deletions)
    assert len(unusual.deletions) == 37
    assert {d.operation for d in unusual.deletions} == {"REST.DELETE.OBJECT", "BATCH.DELETE.OBJECT"}
    assert (mine["operation"] == "REST.POST.MULTI_OBJECT_DELETE").sum() == 1
    late = deleted["requestdatetime"].map(lambda t: t.date()) < deleted["partition_day"]
    assert int(late.sum()) == unusual.delivered_next_day > 0
    # Deleted keys are objects the bucket really holds (other actors read them).
    others = frame[(frame["bucket_name"] == unusual.deletions[0].bucket)
                   & (frame["requester"] != unusual.requester)]  # fmt: skip
    assert set(deleted["key"]) & set(others["key"])


def test_legacy_tls_client_is_exact(default: GeneratedDataset, frame: pd.DataFrame) -> None:
    legacy = default.truth.legacy_tls_client
    assert legacy is not None
    tls10 = frame[frame["tlsversion"] == "TLSv1"]
    assert len(tls10) == legacy.requests == 8 * 3
    assert set(tls10["remoteip"]) == {legacy.remote_ip}
    assert set(tls10["requester"]) == {legacy.requester}
    assert set(tls10["ciphersuite"]) == {legacy.cipher_suite}
    assert tuple(sorted(set(tls10["bucket_name"]))) == legacy.buckets
    assert len(legacy.days) == 3


def test_incidents_can_be_left_out() -> None:
    dataset = generate(GeneratorConfig(buckets=1, days=1, objects_per_day=4,
                                       records_per_object=20, incidents=False))  # fmt: skip
    truth = dataset.truth
    assert truth.bulk_download is truth.access_denied_burst is None
    assert truth.unusual_deletions is truth.legacy_tls_client is None
    assert "TLSv1" not in truth.requests_by_tls_version


def test_one_bucket_one_day_holds_every_incident() -> None:
    dataset = generate(GeneratorConfig(buckets=1, days=1, objects_per_day=24,
                                       records_per_object=20))  # fmt: skip
    truth = dataset.truth
    assert truth.bulk_download is not None and truth.bulk_download.requests == 164
    assert truth.access_denied_burst is not None and truth.access_denied_burst.requests == 400
    assert truth.unusual_deletions is not None and len(truth.unusual_deletions.deletions) == 37
    assert truth.legacy_tls_client is not None and truth.legacy_tls_client.requests == 8


def test_truth_serialises_to_json(small: GeneratedDataset) -> None:
    import json

    data = json.loads(json.dumps(small.truth.to_dict()))
    assert data["records"] == small.truth.records
    assert data["bulk_download"]["bytes_sent"] == small.truth.bulk_download.bytes_sent  # type: ignore[union-attr]
    assert data["buckets"][1]["key_format"] == "PartitionedPrefix"
    assert data["per_day_bucket"][0]["day"] == "2024-03-04"
    assert "-" in data["requests_by_tls_version"]
    hour = datetime(2024, 3, 4, 13, tzinfo=UTC).isoformat()
    assert data["access_denied_burst"]["by_hour"] == {hour: 400}


# -- upload ---------------------------------------------------------------------------------


@mock_aws
def test_upload_puts_every_object(small: GeneratedDataset) -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="central-logs")
    seen: list[str] = []
    count = upload(
        s3, "central-logs", small, max_workers=4, on_uploaded=lambda o: seen.append(o.key)
    )
    assert count == len(small.objects) == len(seen)
    listed = {
        item["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket="central-logs")
        for item in page.get("Contents", [])
    }
    assert listed == set(small.objects)
    key = small.log_objects[5].key
    got = s3.get_object(Bucket="central-logs", Key=key)
    assert got["Body"].read() == small.objects[key]
    assert got["ContentType"] == "text/plain"


@mock_aws
def test_upload_a_subset_and_refuse_unknown_keys(small: GeneratedDataset) -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="central-logs")
    keys = [o.key for o in small.log_objects[:3]]
    assert upload(s3, "central-logs", small, keys=keys) == 3
    assert s3.list_objects_v2(Bucket="central-logs")["KeyCount"] == 3
    with pytest.raises(InputError, match="not in the dataset"):
        upload(s3, "central-logs", small, keys=["nope/2024-01-01-00-00-00-0000000000000000"])
