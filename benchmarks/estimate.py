"""Benchmark: how long an estimate takes, against the listings a first script would make.

The estimate lists exactly the partitions a query can read. Two shapes decide its speed:

* **one big partition** (a busy bucket's day: tens of thousands of objects, 1,000 per page):
  one listing is a chain of pages, each waiting for the previous. The estimate lists the rest
  of a partition after its first page as up to 24 hour ranges at once.
* **many partitions** (a week of every bucket, no bucket named): one delimited listing per
  day to find the buckets, then one listing per partition, all concurrent.

Baselines, measured in the same run on the same server: a naive script (one paginator per
partition prefix, one after another) and, for the big partition, the estimate without the
hour split (``S3Lister(split=False)``: concurrent across partitions, sequential within one,
as the checker lists). All must count the same bytes.

The S3 server is moto in a child process (the checker benchmark's server: a sorted key index
answers ListObjectsV2, so a request costs the injected latency, not moto's CPU), with
``--latency-ms`` added to every request by the client.

    python benchmarks/estimate.py                       # 40,000-object partition, 20 ms
    python benchmarks/estimate.py --big 5000 --buckets 10 --latency-ms 5   # a quick look
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import header, print_table, timed
from check import BUCKET, FIRST_DAY, serve

from s3logs_athena.check.client import make_s3_client
from s3logs_athena.cost.estimate import Estimate, estimate_sql
from s3logs_athena.cost.listing import S3Lister
from s3logs_athena.cost.predicate import PredicateEvaluator, find_scans
from s3logs_athena.cost.stores import store_from_location
from s3logs_athena.templates import render_template

LOCATION = f"s3://{BUCKET}/PartitionedLogs/"


def naive(s3: Any, sql: str) -> int:
    """The partitions' prefixes (as the estimate picks them), each listed with a paginator,
    one after another."""
    from s3logs_athena.cost.estimate import selected_partitions

    store = store_from_location(LOCATION, years=(FIRST_DAY.year, FIRST_DAY.year))
    total = 0
    with PredicateEvaluator() as evaluator:
        for scan in find_scans(sql):
            for row in selected_partitions(scan, store, evaluator, S3Lister(s3)):
                values = dict(zip(("year", "month", "day", "bucket"), row, strict=True))
                prefix = store.prefix(values).removeprefix(f"s3://{BUCKET}/")
                paginator = s3.get_paginator("list_objects_v2")
                for page in paginator.paginate(Bucket=BUCKET, Prefix=prefix):
                    total += sum(item["Size"] for item in page.get("Contents", ()))
    return total


def ours(s3: Any, sql: str, *, split: bool = True) -> Estimate:
    store = store_from_location(LOCATION, years=(FIRST_DAY.year, FIRST_DAY.year))
    return estimate_sql(sql, [store], S3Lister(s3, split=split))


def scenario(
    title: str, args: argparse.Namespace, buckets: int, days: int, per_partition: int, sql: str
) -> None:
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    server = context.Process(target=serve, args=(child, buckets, days, per_partition, False))
    server.start()
    try:
        endpoint, count, seeded = parent.recv()
        print(f"\n## {title}: {count:,} objects ({buckets} buckets x {days} days x "
              f"{per_partition:,}/partition), seeded in {seeded:.1f} s")  # fmt: skip
        s3 = make_s3_client(concurrency=32, endpoint_url=endpoint, region_name="us-east-1")
        delay = args.latency_ms / 1000
        s3.meta.events.register("before-send.s3", lambda **_: time.sleep(delay))
        expected = naive(s3, sql)
        listed = ours(s3, sql).objects
        base, _ = timed("naive, one listing after another", listed, lambda: naive(s3, sql))
        rows = []
        if args.with_unsplit or per_partition > 1000:
            timing, result = timed(
                "estimate, no hour split", listed, lambda: ours(s3, sql, split=False)
            )
            assert result.bytes == expected, "the estimates disagree"
            rows.append(timing)
        timing, result = timed("estimate", listed, lambda: ours(s3, sql))
        assert result.bytes == expected, "the estimates disagree"
        rows.append(timing)
        print(f"# {result.partitions} partitions, {result.objects:,} objects, {result.bytes:,} "
              f"bytes (the same from all); {result.list_requests} list requests; "
              f"latency {args.latency_ms} ms/request")  # fmt: skip
        print_table(base, rows, "objects")
    finally:
        parent.send("stop")
        server.join(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--big", type=int, default=40_000, help="objects in the big partition")
    parser.add_argument("--buckets", type=int, default=50, help="buckets of the week")
    parser.add_argument("--per-partition", type=int, default=100)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--with-unsplit", action="store_true")
    args = parser.parse_args()
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ.setdefault(name, "bench")  # moto accepts any; real AWS is never reached
    header("estimate: concurrent listings of exactly the partitions a query reads")
    day = FIRST_DAY
    one_day = render_template(
        "top-ips",
        {"start": day, "end": day + timedelta(days=1), "buckets": "source-bucket-000"},
    ).sql
    scenario("one big partition (and its lag day)", args, 1, 2, args.big, one_day)
    week = render_template("top-ips", {"start": day, "end": day + timedelta(days=6)}).sql
    scenario("a week of every bucket", args, args.buckets, 7, args.per_partition, week)


if __name__ == "__main__":
    main()
