"""The estimate on moto: known object sizes under known partitions; for templates with
different ranges and bucket filters the estimate equals the sizes under exactly the
partitions the SQL can read, cross-checked by evaluating the rendered WHERE clause's
partition conjuncts over every listed partition with sqlglot's Python executor (the library
evaluates with DuckDB)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws
from sqlglot import exp
from sqlglot.executor import execute

from s3logs_athena import estimate_query
from s3logs_athena.cost.estimate import Estimate, estimate_sql
from s3logs_athena.cost.listing import S3Lister
from s3logs_athena.cost.stores import store_from_location
from s3logs_athena.errors import ConfigError, InputError
from s3logs_athena.layout import Layout
from s3logs_athena.table.ddl import TableSpec
from s3logs_athena.templates import render_template
from s3logs_athena.templates.dialect import parse_athena
from s3logs_athena.templates.partitions import partition_days
from s3logs_athena.testing.glue_catalog import athena_view_input, create_catalog

REGION = "us-east-1"
LOG_BUCKET = "central-logs"
BUCKETS = ("app-assets", "app-uploads", "logs.example.com")
FIRST_DAY, LAST_DAY = date(2024, 4, 27), date(2024, 5, 6)
NOW = datetime(2024, 6, 1)
LAYOUT = Layout()
COMPACTED = Layout(partition_root="CompactedLogs/")


def _size(day: date, bucket: str, index: int) -> int:
    """A distinct size per object, so a wrong partition changes the sum."""
    return 1000 * day.toordinal() % 9973 + 37 * BUCKETS.index(bucket) + index + 1


def _objects() -> Iterator[tuple[str, int]]:
    day = FIRST_DAY
    while day <= LAST_DAY:
        for bucket in BUCKETS:
            for index in range(3):
                name = f"{day:%Y-%m-%d}-{index:02d}-15-00-{index:016X}"
                yield LAYOUT.partition_prefix(day, bucket) + name, _size(day, bucket, index)
        day += timedelta(days=1)


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name=REGION)
        client.create_bucket(Bucket=LOG_BUCKET)
        for key, size in _objects():
            client.put_object(Bucket=LOG_BUCKET, Key=key, Body=b"x" * size)
        # Not partitions of the table: source objects and another prefix.
        client.put_object(Bucket=LOG_BUCKET, Key="app-assets/2024-05-01-00-00-00-ABC", Body=b"1")
        client.put_object(Bucket=LOG_BUCKET, Key="other/Year=2024/x", Body=b"12345")
        yield client


def _partition_conjuncts(select: exp.Select) -> str:
    where = select.args.get("where")
    terms: list[exp.Expr] = []
    stack = [where.this] if where is not None else []
    while stack:
        node = stack.pop()
        if isinstance(node, exp.And):
            stack += [node.left, node.right]
        elif isinstance(node, exp.Paren) and isinstance(node.this, exp.And):
            stack.append(node.this)
        else:
            names = {c.name for c in node.find_all(exp.Column)}
            if names and names <= {"year", "month", "day", "bucket"}:
                terms.append(node)
    bare = [
        t.transform(lambda n: exp.column(n.name) if isinstance(n, exp.Column) else n) for t in terms
    ]
    return " AND ".join(t.sql("athena") for t in bare) or "TRUE"


def expected_bytes(sql: str, objects: list[tuple[str, int]]) -> int:
    """Independently: per table read, the sizes of the objects whose partition satisfies
    the scan's partition conjuncts, evaluated by sqlglot's executor."""
    rows = []
    for key, size in objects:
        target = LAYOUT.parse_target_key(key)
        rows.append({"size": size, **target.partition})
    tree = parse_athena(sql)
    ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
    total = 0
    for table in tree.find_all(exp.Table):
        if table.name in ctes and not table.db:
            continue
        select = table.find_ancestor(exp.Select)
        assert select is not None
        result = execute(
            f"SELECT size FROM parts WHERE {_partition_conjuncts(select)}",
            dialect="athena",
            tables={"parts": rows},
        )
        total += sum(row[0] for row in result.rows)
    return total


def _partitioned(s3: Any) -> list[tuple[str, int]]:
    listed = s3.list_objects_v2(Bucket=LOG_BUCKET, Prefix=LAYOUT.partition_root)["Contents"]
    return [(o["Key"], o["Size"]) for o in listed]


CASES = [
    ("top-ips", {"start": "2024-05-02", "end": "2024-05-03"}),
    ("top-ips", {"start": "2024-05-02", "end": "2024-05-03", "buckets": "app-assets"}),
    ("top-ips", {"start": "2024-04-29T23:00", "end": "2024-05-02T01:00"}),
    ("requests-by-day",
     {"start": "2024-04-28", "end": "2024-05-05", "buckets": "app-uploads,logs.example.com"}),
    ("new-ips", {"start": "2024-05-03", "end": "2024-05-04", "baseline_days": 3}),
    ("object-history",
     {"start": "2024-04-30", "end": "2024-05-01", "prefix": "a/", "buckets": "app-assets"}),
    ("who-deleted", {"start": "2024-05-06", "end": "2024-05-07"}),
    ("top-ips", {"start": "2024-03-01", "end": "2024-03-05"}),
]  # fmt: skip


@pytest.mark.parametrize(("name", "params"), CASES)
def test_the_estimate_is_the_bytes_under_exactly_the_partitions_the_sql_reads(
    s3: Any, name: str, params: dict[str, str]
) -> None:
    rendered = render_template(name, params, now=NOW)
    estimate = estimate_query(
        name, params, location=f"s3://{LOG_BUCKET}/PartitionedLogs/", s3=s3, now=NOW
    )
    assert estimate.bytes == expected_bytes(rendered.sql, _partitioned(s3))
    # And from the parameters alone: the days partition_days says, the buckets given.
    first, last = partition_days(rendered.params["start"], rendered.params["end"])
    buckets = rendered.params["buckets"] or BUCKETS
    if name != "new-ips":
        wanted = {
            LAYOUT.partition_prefix(first + timedelta(days=i), b)
            for i in range((last - first).days + 1)
            for b in buckets
        }
        sizes = [size for key, size in _partitioned(s3) if key.rsplit("/", 1)[0] + "/" in wanted]
        assert estimate.bytes == sum(sizes)
        assert estimate.objects == len(sizes)
        assert estimate.partitions == sum(
            1
            for p in wanted
            if LAYOUT.parse_target_key(p + "2024-01-01-00-00-00-A").day <= LAST_DAY
            and LAYOUT.parse_target_key(p + "2024-01-01-00-00-00-A").day >= FIRST_DAY
        )


def test_a_query_that_reads_a_day_twice_is_billed_twice(s3: Any) -> None:
    params = {"start": "2024-05-03", "end": "2024-05-04", "baseline_days": 2}
    estimate = estimate_query(
        "new-ips", params, location=f"s3://{LOG_BUCKET}/PartitionedLogs/", s3=s3, now=NOW
    )
    recent, baseline = estimate.scans
    assert recent.partitions == 2 * len(BUCKETS)  # May 3 and 4 (delivery lag)
    assert baseline.partitions == 3 * len(BUCKETS)  # May 1 to 3 (May 3: lag of the 2nd)
    assert estimate.bytes == recent.bytes + baseline.bytes
    assert estimate.partitions == 4 * len(BUCKETS)  # distinct folders: May 1 to 4
    assert estimate.first_day == date(2024, 5, 1) and estimate.last_day == date(2024, 5, 4)


def test_json_shape_price_and_upper_bound(s3: Any) -> None:
    estimate = estimate_query(
        "top-ips",
        {"start": "2024-05-02", "end": "2024-05-03"},
        location=f"s3://{LOG_BUCKET}/PartitionedLogs/",
        s3=s3,
        usd_per_tb=6.75,
        now=NOW,
    )
    data = json.loads(json.dumps(estimate.to_dict()))
    assert {"partitions", "objects", "bytes", "usd"} <= set(data)
    assert data["partitions"] == 6 and data["objects"] == 18
    assert data["upper_bound"] is True and "upper bound" in data["note"]
    # Athena's 10 MB minimum, at the given price.
    assert data["usd"] == pytest.approx(10 / 1024**2 * 6.75)
    assert data["usd_per_tb"] == 6.75
    assert data["scans"][0]["predicate"] == "year = 2024 AND month = 5 AND day BETWEEN 2 AND 3"
    line = estimate.describe()
    assert line.startswith("6 partitions (2024-05-02 to 2024-05-03, 3 buckets), 18 objects")
    assert "an upper bound" in line and "at $6.75/TB" in line
    accuracy = estimate.accuracy(estimate.bytes // 2)
    assert accuracy.ratio == pytest.approx(2, rel=0.01) and "the actual" in accuracy.describe()
    assert estimate.accuracy(0, reused=True).describe().startswith("Athena reused")


def test_several_locations_are_summed(s3: Any) -> None:
    for key, size in list(_objects()):
        target = LAYOUT.parse_target_key(key)
        compacted = COMPACTED.partition_prefix(target.day, target.bucket) + target.file_name
        s3.put_object(Bucket=LOG_BUCKET, Key=compacted, Body=b"p" * (size // 10))
    params = {"start": "2024-05-02", "end": "2024-05-03", "buckets": "app-assets"}
    raw = estimate_query(
        "top-ips", params, location=f"s3://{LOG_BUCKET}/PartitionedLogs/", s3=s3, now=NOW
    )
    both = estimate_query(
        "top-ips",
        params,
        location=[f"s3://{LOG_BUCKET}/PartitionedLogs/", f"s3://{LOG_BUCKET}/CompactedLogs/"],
        s3=s3,
        now=NOW,
    )
    compacted_bytes = sum(
        _size(date(2024, 5, d), "app-assets", i) // 10 for d in (2, 3) for i in range(3)
    )
    assert both.bytes == raw.bytes + compacted_bytes
    assert both.partitions == 2 * raw.partitions
    assert both.scans[0].locations == (
        f"s3://{LOG_BUCKET}/PartitionedLogs/",
        f"s3://{LOG_BUCKET}/CompactedLogs/",
    )  # fmt: skip


def _glue_table(glue: Any, spec: TableSpec) -> None:
    """The catalog as `ddl --apply` leaves it: the templates read <table>_all."""
    create_catalog(glue, spec)


def test_the_glue_table_gives_location_and_projection(s3: Any) -> None:
    glue = boto3.client("glue", region_name=REGION)
    spec = TableSpec(
        location=f"s3://{LOG_BUCKET}/PartitionedLogs/",
        buckets=("app-assets", "logs.example.com"),
        bucket_projection="enum",
        years=(2024, 2024),
    )
    _glue_table(glue, spec)
    params = {"start": "2024-05-02", "end": "2024-05-03"}
    by_location = estimate_query(
        "top-ips", params, location=f"s3://{LOG_BUCKET}/PartitionedLogs/", s3=s3, now=NOW
    )
    by_table = estimate_query("top-ips", params, s3=s3, glue=glue, now=NOW)
    # The enum projection leaves out app-uploads, which Athena cannot see.
    assert by_table.buckets == ("app-assets", "logs.example.com")
    # <table>_all reads the raw and the compacted table: 4 partitions of each (the compacted
    # ones are empty here, so the bytes are the raw table's).
    assert by_table.partitions == 2 * 4 and by_table.bytes < by_location.bytes
    named = estimate_query(
        "top-ips", params, table="s3_access_logs_db.s3_access_logs", s3=s3, glue=glue, now=NOW
    )
    assert named.bytes == by_table.bytes
    # Outside the projected years Athena reads nothing.
    old = estimate_query(
        "top-ips", {"start": "2023-05-02", "end": "2023-05-03"}, s3=s3, glue=glue, now=NOW
    )
    assert old.partitions == 0 and old.bytes == 0


def test_injected_projection_needs_buckets(s3: Any) -> None:
    glue = boto3.client("glue", region_name=REGION)
    spec = TableSpec(location=f"s3://{LOG_BUCKET}/PartitionedLogs/", bucket_projection="injected")
    _glue_table(glue, spec)
    params = {"start": "2024-05-02", "end": "2024-05-03"}
    with pytest.raises(InputError, match=r"injected.*-p buckets"):
        estimate_query("top-ips", params, s3=s3, glue=glue, now=NOW)
    named = estimate_query(
        "top-ips", {**params, "buckets": "app-uploads"}, s3=s3, glue=glue, now=NOW
    )
    assert named.buckets == ("app-uploads",) and named.partitions == 2 * 2  # raw + compacted


def test_a_view_counts_the_tables_it_reads(s3: Any) -> None:
    glue = boto3.client("glue", region_name=REGION)
    raw = TableSpec(location=f"s3://{LOG_BUCKET}/PartitionedLogs/", bucket_projection="injected")
    _glue_table(glue, raw)  # <table>_all reads the raw and the compacted table
    s3.put_object(
        Bucket=LOG_BUCKET,
        Key="CompactedLogs/Year=2024/Month=05/Day=02/app-assets/part-0.parquet",
        Body=b"q" * 700,
    )
    params = {"start": "2024-05-02", "end": "2024-05-03", "buckets": "app-assets"}
    estimate = estimate_query("top-ips", params, s3=s3, glue=glue, now=NOW)
    raw_only = estimate_query(
        "top-ips", params, table="s3_access_logs_db.s3_access_logs", s3=s3, glue=glue, now=NOW
    )
    assert estimate.bytes == raw_only.bytes + 700
    # A view Athena stored in Glue is followed to the tables it reads, whatever they are.
    glue.create_table(
        DatabaseName="s3_access_logs_db",
        TableInput=athena_view_input(
            "raw_twice",
            "SELECT * FROM s3_access_logs UNION ALL SELECT * FROM s3_access_logs_db.s3_access_logs",
        ),
    )
    twice = estimate_query(
        "top-ips", params, table="s3_access_logs_db.raw_twice", s3=s3, glue=glue, now=NOW
    )
    assert twice.bytes == raw_only.bytes


def test_a_table_without_projection_or_a_bad_location_is_a_config_error(s3: Any) -> None:
    glue = boto3.client("glue", region_name=REGION)
    glue.create_database(DatabaseInput={"Name": "plain"})
    glue.create_table(
        DatabaseName="plain",
        TableInput={"Name": "logs", "StorageDescriptor": {"Location": "s3://x/y/"}},
    )
    glue.create_table(  # the view the templates read, over that table
        DatabaseName="plain", TableInput=athena_view_input("logs_all", "SELECT * FROM plain.logs")
    )
    params = {"start": "2024-05-02", "end": "2024-05-03", "database": "plain", "table": "logs"}
    with pytest.raises(ConfigError, match="no partition projection"):
        estimate_query("top-ips", params, s3=s3, glue=glue, now=NOW)
    with pytest.raises(InputError, match=r"EntityNotFound|not found"):
        estimate_query("top-ips", {**params, "table": "missing"}, s3=s3, glue=glue, now=NOW)
    for location in ("central-logs/PartitionedLogs/", "s3://central-logs", "s3://central-logs//x/"):
        with pytest.raises(ConfigError, match="--location"):
            store_from_location(location)


def test_a_big_partition_is_listed_in_hour_ranges_without_loss(s3: Any) -> None:
    day, bucket = date(2024, 5, 8), "app-assets"
    prefix = LAYOUT.partition_prefix(day, bucket)
    names = [
        f"{day:%Y-%m-%d}-{h:02d}-{m:02d}-00-{h:02X}{m:02X}"
        for h in range(0, 24, 2)
        for m in (0, 30)
    ]
    # Keys outside the naming scheme, around the split points, are listed too, exactly once.
    names += [
        "0-early",
        f"{day:%Y-%m-%d}-0",
        f"{day:%Y-%m-%d}-05\U0010ffffz",
        f"{day:%Y-%m-%d}-9",
        "zz-late",
    ]
    for index, name in enumerate(names):
        s3.put_object(Bucket=LOG_BUCKET, Key=prefix + name, Body=b"y" * (index + 1))
    sql = render_template(
        "top-ips", {"start": "2024-05-08", "end": "2024-05-08T12:00", "buckets": bucket}, now=NOW
    ).sql
    store = store_from_location(f"s3://{LOG_BUCKET}/PartitionedLogs/")
    whole = estimate_sql(sql, [store], S3Lister(s3, split=False))
    lister = S3Lister(s3, page_size=4)
    split = estimate_sql(sql, [store], lister)
    assert split.bytes == whole.bytes == sum(range(1, len(names) + 1))
    assert split.objects == whole.objects == len(names)
    assert lister.requests > len(names) / 4  # it did page, in several ranges


def _estimate_over(s3: Any, sql: str) -> Estimate:
    # Projected years 2024 only: an unpruned query lists every day folder of the projection.
    store = store_from_location(f"s3://{LOG_BUCKET}/PartitionedLogs/", years=(2024, 2024))
    return estimate_sql(sql, [store], S3Lister(s3))


def test_any_sql_predicate_shape_is_evaluated(s3: Any) -> None:
    everything = sum(size for _, size in _partitioned(s3))
    where = "SELECT 1 FROM db.t WHERE "
    cases = {
        "SELECT 1 FROM db.t": everything,  # no predicate: every partition
        where + "year = 2024 AND month = 5 AND day = 1 AND bucket <> 'app-assets'": None,
        "SELECT 1 FROM db.t l WHERE l.year = 2024 AND l.month = 4 AND NOT l.day < 30": None,
        where + "(year = 2024 AND month = 5 AND day IN (1, 3)) OR "
        "(year = 2024 AND month = 4 AND day = 27 AND bucket = 'app-uploads')": None,
        where + "year = 2024 AND month = 5 AND day = 2 AND requester = 'x'": None,
        where + "year = 2024 AND month = 5 AND day = 2 OR bucket = 'app-uploads'": None,
    }  # fmt: skip
    for sql, expected in cases.items():
        want = expected if expected is not None else expected_bytes(sql, _partitioned(s3))
        assert _estimate_over(s3, sql).bytes == want, sql
