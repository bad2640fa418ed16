"""Benchmark: ``run_check`` against a naive single-threaded list-everything check.

Setup: a moto server in a child process (so its CPU and memory are not the client's),
seeded straight into moto's backend (fast; timed and printed separately), with every S3
request from the client delayed by ``--latency-ms`` (a botocore ``before-send`` hook):
S3 answers a 1,000-key listing in tens of milliseconds, which is what makes a sequential
listing slow. The data: ``--buckets`` source buckets x ``--days`` days of partitions with
equal numbers of objects, plus a few stragglers, duplicates and misplaced objects so both
checks have findings to agree on.

Moto is a functional fake, not a performance model: on every ListObjects request it scans and
sorts every key of the bucket (S3 keeps an index) and serializes the answer through its
generic model-driven serializer, about 0.2 s of CPU per 1,000 keys in one server process
that every request shares. The benchmark server answers ListObjectsV2 from a sorted index
rendered straight to XML instead, so S3's time per request is the injected latency and the
figures measure the clients; ``--plain-moto`` keeps moto's own (both checks then wait on
moto's single process).

Three checks: the naive one with a plain ``boto3.client("s3")`` (the baseline: what a first
script would do), the naive one with the checker's listing client (``make_s3_client``, a
faster ListObjectsV2 parser; this row separates that gain from concurrency), and
``run_check`` with that client. Each is timed (fastest of ``--repeat``), with the client's
and the moto server's CPU seconds, and then run again under ``tracemalloc`` for its peak
memory. All three must report the same findings. Two sizes show how memory grows with the object
count: the second has twice the buckets (more objects the way real buckets grow).

    python benchmarks/check.py                   # 50,000 and 100,000 objects, 50 ms
    python benchmarks/check.py --objects 5000 --latency-ms 20   # a quick look
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import time
import tracemalloc
import urllib.parse
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import partial
from multiprocessing.connection import Connection
from typing import Any

import boto3
from _report import Timing, header, print_table, timed

from s3logs_athena.check import CheckConfig, run_check
from s3logs_athena.check.client import make_s3_client
from s3logs_athena.check.listing import ListedObject
from s3logs_athena.check.rules import kept_copy, placement_problem
from s3logs_athena.errors import KeyFormatError
from s3logs_athena.layout import Layout, SourceKey, TargetKey

BUCKET = "central-logs"
NAIVE = "naive, plain boto3 client"
FIRST_DAY = date(2024, 1, 1)
LINE = (
    "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be {bucket} "
    '[01/Jan/2024:10:00:00 +0000] 192.0.2.3 - 3E57427F3EXAMPLE REST.GET.OBJECT k "GET /k '
    'HTTP/1.1" 200 - 113 113 7 6 "-" "bench" -\n'
)


# -- the server (child process) -----------------------------------------------------------


def _dataset(buckets: int, days: int, per_partition: int) -> list[tuple[str, bytes]]:
    layout = Layout()
    objects = []
    for b in range(buckets):
        name = f"source-bucket-{b:03d}"
        data = LINE.format(bucket=name).encode()
        for d in range(days):
            day = FIRST_DAY + timedelta(days=d)
            prefix = layout.partition_prefix(day, name)
            for n in range(per_partition):
                moment = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(
                    seconds=n * 86400 // per_partition
                )
                objects.append((f"{prefix}{moment:%Y-%m-%d-%H-%M-%S}-{b:03d}{d:03d}{n:010X}", data))
    # Findings both checks must agree on.
    data = LINE.format(bucket="source-bucket-000").encode()
    for n in range(5):
        objects.append((f"source-bucket-000/2024-01-01-23-5{n}-00-STRAGGLER{n:06d}", data))
        key = f"source-bucket-000/2024-01-01-23-4{n}-00-DUPLICATE{n:06d}"
        objects.append((key, data))
        objects.append((layout.target_key(key), data))
        misplaced = layout.partition_prefix(FIRST_DAY, "source-bucket-001")
        objects.append((f"{misplaced}2024-01-09-10-00-0{n}-MISPLACED{n:06d}", data))
    objects.append(("exports/report.csv", b"a,b\n"))
    return objects


def _index_listing(backend_class: Any, response_class: Any) -> None:
    """Answer ListObjectsV2 from a sorted key index, rendered straight to XML (see the
    module docstring). Used only while the benchmark runs; nothing writes meanwhile."""
    from xml.sax.saxutils import escape

    cache: dict[tuple[int, int], list[str]] = {}
    rendered: dict[tuple[str, bool], str] = {}  # each object's <Contents>, made once

    def names_of(bucket: Any) -> list[str]:
        marker = (id(bucket), len(bucket.keys))
        if marker not in cache:
            cache.clear()
            cache[marker] = sorted(bucket.keys.keys())
        return cache[marker]

    def list_objects_v2(
        self: Any,
        bucket: Any,
        prefix: str | None,
        delimiter: str | None,
        continuation_token: str | None,
        start_after: str | None,
        max_keys: int,
    ) -> Any:
        names = names_of(bucket)
        prefix = prefix or ""
        token = self._pagination_tokens.get(continuation_token) if continuation_token else None
        after = token or start_after
        index = bisect_left(names, prefix)
        if after:
            skip = after + "\U0010ffff" if delimiter and after.endswith(delimiter) else after
            index = max(index, bisect_right(names, skip))
        results: list[Any] = []
        while index < len(names) and len(results) <= max_keys:
            name = names[index]
            if not name.startswith(prefix):
                break
            cut = name.find(delimiter, len(prefix)) if delimiter else -1
            if cut >= 0:
                folder = name[: cut + len(delimiter or "")]
                results.append(folder)
                index = bisect_left(names, folder + "\U0010ffff")
                continue
            results.append(bucket.keys[name])
            index += 1
        return self._truncate_result(results, max_keys)

    def render(self: Any) -> Any:
        query = self.querystring
        bucket = self.backend.get_bucket(self.bucket_name)
        prefix = query.get("prefix", [""])[0]
        delimiter = query.get("delimiter", [None])[0]
        max_keys = int(query.get("max-keys", ["1000"])[0])
        token = query.get("continuation-token", [None])[0]
        encoded = query.get("encoding-type", [None])[0] == "url"
        keys, truncated, next_token = self.backend.list_objects_v2(
            bucket, prefix, delimiter, token, query.get("start-after", [None])[0], max_keys
        )
        quote = urllib.parse.quote if encoded else (lambda text: text)
        parts = [
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
            f"<Name>{escape(bucket.name)}</Name><Prefix>{escape(quote(prefix))}</Prefix>"
            f"<MaxKeys>{max_keys}</MaxKeys><KeyCount>{len(keys)}</KeyCount>"
            f"<IsTruncated>{'true' if truncated else 'false'}</IsTruncated>"
        ]
        for item in keys:
            if isinstance(item, str):
                parts.append(
                    f"<CommonPrefixes><Prefix>{escape(quote(item))}</Prefix></CommonPrefixes>"
                )
                continue
            fragment = rendered.get((item.name, encoded))
            if fragment is None:
                fragment = rendered[item.name, encoded] = (
                    f"<Contents><Key>{escape(quote(item.name))}</Key>"
                    f"<LastModified>{item.last_modified_ISO8601}</LastModified>"
                    f"<ETag>{escape(item.etag)}</ETag><Size>{item.size}</Size>"
                    "<StorageClass>STANDARD</StorageClass></Contents>"
                )
            parts.append(fragment)
        if delimiter:
            parts.append(f"<Delimiter>{escape(quote(delimiter))}</Delimiter>")
        if encoded:
            parts.append("<EncodingType>url</EncodingType>")
        if next_token:
            parts.append(f"<NextContinuationToken>{next_token}</NextContinuationToken>")
        parts.append("</ListBucketResult>")
        return 200, {"Content-Type": "application/xml"}, "".join(parts)

    backend_class.list_objects_v2 = list_objects_v2
    response_class.list_objects_v2 = render


def serve(channel: Connection, buckets: int, days: int, per_partition: int, plain: bool) -> None:
    """Child process: seed moto's backend, start the server, report, wait for 'stop'."""
    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench")
    from moto.core import DEFAULT_ACCOUNT_ID  # type: ignore[attr-defined]
    from moto.s3.models import S3Backend, s3_backends
    from moto.s3.responses import S3Response
    from moto.server import ThreadedMotoServer

    if not plain:
        _index_listing(S3Backend, S3Response)
    started = time.perf_counter()
    backend = s3_backends[DEFAULT_ACCOUNT_ID]["aws"]
    backend.create_bucket(BUCKET, "us-east-1")
    objects = _dataset(buckets, days, per_partition)
    for key, data in objects:
        backend.put_object(BUCKET, key, data)
    seeded = time.perf_counter() - started
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no per-request lines (404s too)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    channel.send((f"http://{host}:{port}", len(objects), seeded))
    while channel.recv() == "cpu":  # the server's CPU seconds so far
        channel.send(time.process_time())
    server.stop()


# -- the naive baseline -------------------------------------------------------------------


def naive_check(s3: Any, config: CheckConfig) -> set[tuple[str, str]]:
    """List the whole bucket in one paginator, one page after another, keeping every key
    in memory to find duplicates: what a first script would do."""
    layout = config.layout
    now = config.now or datetime.now(UTC)
    everything: dict[str, ListedObject] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=config.log_bucket):
        for item in page.get("Contents", ()):
            everything[item["Key"]] = ListedObject(
                item["Key"], item["Size"], item["ETag"].strip('"'), item["LastModified"]
            )
    findings: set[tuple[str, str]] = set()
    by_name: dict[tuple[str, str], list[tuple[TargetKey, ListedObject]]] = defaultdict(list)
    for key, item in everything.items():
        try:
            parsed = layout.classify(key)
        except KeyFormatError:
            kind = "misplaced" if layout.is_partitioned(key) else "unknown_key"
            findings.add((kind, key))
            continue
        if isinstance(parsed, SourceKey):
            if not config.in_scope(parsed.day, parsed.bucket):
                continue
            if now - item.last_modified < config.older_than:
                continue
            kind = "duplicate" if layout.target_key(parsed) in everything else "straggler"
            findings.add((kind, key))
        elif config.in_scope(parsed.day, parsed.bucket):
            by_name[parsed.bucket, parsed.file_name].append((parsed, item))
    for copies in by_name.values():
        kept = kept_copy(copies, config.placement_lag_days) if len(copies) > 1 else 0
        for index, (target, item) in enumerate(copies):
            if index != kept:
                findings.add(("duplicate", item.key))
            elif placement_problem(target, config.placement_lag_days):
                findings.add(("misplaced", item.key))
    return findings


def ours(s3: Any, config: CheckConfig) -> set[tuple[str, str]]:
    report = run_check(s3, config)
    return {(f.kind.value, f.key) for f in report.findings if f.key is not None}


# -- measuring ---------------------------------------------------------------------------


def peak_memory(work: Callable[[], object]) -> float:
    """Peak Python memory (MiB) allocated while ``work`` runs."""
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def server_seconds(channel: Connection) -> float:
    channel.send("cpu")
    return float(channel.recv())


def run_size(args: argparse.Namespace, buckets: int) -> tuple[int, dict[str, tuple[Timing, float]]]:
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    server = context.Process(
        target=serve, args=(child, buckets, args.days, args.per_partition, args.plain_moto)
    )
    server.start()
    try:
        endpoint, count, seeded = parent.recv()
        print(f"\n## {count:,} objects ({buckets} buckets x {args.days} days x "
              f"{args.per_partition}/partition): seeded in {seeded:.1f} s")  # fmt: skip
        delay = args.latency_ms / 1000
        s3 = make_s3_client(concurrency=args.concurrency, endpoint_url=endpoint,
                            region_name="us-east-1")  # fmt: skip
        plain = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
        for client in (s3, plain):
            client.meta.events.register("before-send.s3", lambda **_: time.sleep(delay))
        config = CheckConfig(
            BUCKET, FIRST_DAY, FIRST_DAY + timedelta(days=args.days - 1),
            now=datetime.now(UTC) + timedelta(hours=1), concurrency=args.concurrency,
        )  # fmt: skip
        expected = naive_check(s3, config)
        assert ours(s3, config) == expected, "the checks disagree"
        assert naive_check(plain, config) == expected, "the checks disagree"
        results = {}
        for name, check, client in (
            (NAIVE, naive_check, plain),
            ("naive, the listing client", naive_check, s3),
            ("run_check", ours, s3),
        ):
            work = partial(check, client, config)
            client_cpu, server_cpu = time.process_time(), server_seconds(parent)
            timing, _ = timed(name, count, work, repeat=args.repeat)
            client_cpu = (time.process_time() - client_cpu) / args.repeat
            server_cpu = (server_seconds(parent) - server_cpu) / args.repeat
            results[name] = (timing, peak_memory(work))
            print(f"# {name}: client CPU {client_cpu:.2f} s, moto server CPU {server_cpu:.2f} s")
        print(
            f"# {len(expected)} findings, the same from all; latency {args.latency_ms} ms/request"
        )
        baseline, *others = results.values()
        print_table(baseline[0], [timing for timing, _ in others], "objects")
        for name, (_, memory) in results.items():
            print(f"peak memory {name:29} {memory:7.1f} MiB")
        return count, results
    finally:
        parent.send("stop")
        server.join(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=50_000, help="objects of the first size")
    parser.add_argument("--days", type=int, default=10)
    parser.add_argument("--per-partition", type=int, default=500)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--plain-moto", action="store_true")
    parser.add_argument("--one-size", action="store_true", help="skip the doubled size")
    args = parser.parse_args()
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ.setdefault(name, "bench")  # moto accepts any; real AWS is never reached
    header("check: run_check vs a naive single-threaded list-everything check")
    buckets = max(1, args.objects // (args.days * args.per_partition))
    sizes = [buckets] if args.one_size else [buckets, 2 * buckets]
    measured = [run_size(args, n) for n in sizes]
    if len(measured) == 2:
        (small, a), (large, b) = measured
        print(f"\n## memory growth from {small:,} to {large:,} objects ({large / small:.2f}x)")
        for name in a:
            print(f"{name:28} {a[name][1]:7.1f} -> {b[name][1]:7.1f} MiB "
                  f"({b[name][1] / a[name][1]:.2f}x)")  # fmt: skip


if __name__ == "__main__":
    main()
