"""Benchmark: compacting one generated day, against a sequential read-parse-write.

    python benchmarks/compact.py                              # 4 x 540 objects, ~1M records
    python benchmarks/compact.py --objects 60 --records 50    # a quick look

Setup: a moto server in a child process (its CPU is not the client's), holding one
generated day of moved logs (``--buckets`` source buckets x ``--objects`` log objects a day
x about ``--records`` records each; the day's last window is delivered after midnight, so
two raw days), with every S3 request of the client delayed by ``--latency-ms`` (a botocore
``before-send`` hook, as ``benchmarks/check.py`` does): at this scale the cost is reading
many small objects, not parsing.

Measured, in one run, on the same partitions:

* **baseline - sequential read-parse-write**: for each raw partition, list it, GET each
  object in turn, parse it with the same parser, sort each request day's rows and PUT one
  Parquet object per day (what a first script would do, in one process);
* ``run_compaction`` in one process (GETs ahead of the parser, ``--read-concurrency``), and
  with ``--concurrency`` worker processes (partitions in parallel).

Then, from the compacted output: objects per compacted partition, compacted bytes / raw
bytes, and for five query templates over one day, what DuckDB reads from the compacted
Parquet (its profiler's ``total_bytes_read``) against the raw bytes the same query reads
(every byte of every text object in the partitions its predicate selects: a text table
cannot be read in part), and how many objects each opens. The templates are the catalog's,
as they read ``<table>_all`` on Athena; over compacted days that is the compacted table.

Targets from the issue: >= 10x the baseline's speed; compacted <= 1/8 of raw; a typical
template reads <= 1/30 of the raw bytes. The machine's load average is printed with the
numbers (it is shared).
"""

from __future__ import annotations

import argparse
import functools
import io
import json
import logging
import multiprocessing
import os
import resource
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import Timing, header, print_table

for _name, _value in {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}.items():
    os.environ.setdefault(_name, _value)

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402

from s3logs_athena.generator import GeneratorConfig, generate  # noqa: E402
from s3logs_athena.layout import Layout  # noqa: E402
from s3logs_athena.parser import ParseReport, iter_line_batches, parse_columns  # noqa: E402
from s3logs_athena.table.compaction import (  # noqa: E402
    CompactedKeys,
    CompactionRequest,
    CompactionSettings,
    run_compaction,
)
from s3logs_athena.table.schema import typed_record_batch  # noqa: E402

BUCKET = "bench-central-logs"
TEMPLATES: dict[str, dict[str, object]] = {
    "requests-by-operation": {},
    "top-ips": {},
    "access-denied": {},
    "egress-by-day": {},
    "user-agents": {},
}


def _config(args: argparse.Namespace) -> GeneratorConfig:
    return GeneratorConfig(
        buckets=args.buckets,
        days=1,
        objects_per_day=args.objects,
        records_per_object=args.records,
        seed=args.seed,
    )


# -- the server (child process) -----------------------------------------------------------


def serve(channel: Connection, config: GeneratorConfig) -> None:
    """Generate the day, seed moto's backend with it (moved), serve, report, wait."""
    from moto.core import DEFAULT_ACCOUNT_ID  # type: ignore[attr-defined]
    from moto.s3.models import s3_backends
    from moto.server import ThreadedMotoServer

    started = time.perf_counter()
    dataset = generate(config)
    backend = s3_backends[DEFAULT_ACCOUNT_ID]["aws"]
    backend.create_bucket(BUCKET, "us-east-1")
    layout = Layout()
    for log_object in dataset.log_objects:
        backend.put_object(BUCKET, layout.target_key(log_object.key), log_object.body)
    seeded = time.perf_counter() - started
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    days = sorted({o.day for o in dataset.log_objects})
    channel.send(
        (f"http://{host}:{port}", len(dataset.log_objects), dataset.truth.records,
         dataset.total_bytes, days, [b.name for b in dataset.buckets], seeded)
    )  # fmt: skip
    channel.recv()
    server.stop()


def client(endpoint: str, latency: float, pool: int) -> Any:
    """An S3 client of the benchmark: every request waits ``latency`` seconds first.
    (Module level: worker processes build theirs with it.)"""
    s3 = boto3.client(
        "s3",
        region_name="us-east-1",
        endpoint_url=endpoint,
        config=Config(max_pool_connections=pool + 8, retries={"mode": "standard"}),
    )
    s3.meta.events.register("before-send.s3", lambda **_: time.sleep(latency))
    return s3


# -- the baseline ------------------------------------------------------------------------


def sequential(s3: Any, days: list[Any], buckets: list[str], root: str) -> tuple[int, int, int]:
    """List, GET, parse, write: one partition, one object at a time. Objects, records and
    bytes written."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    layout = Layout()
    objects = records = written = 0
    for day in days:
        for bucket in buckets:
            prefix = layout.partition_prefix(day, bucket)
            by_day: dict[Any, list[Any]] = defaultdict(list)
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix):
                for item in page.get("Contents", ()):
                    body = s3.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read()
                    objects += 1
                    for lines in iter_line_batches(io.BytesIO(body)):
                        columns = parse_columns(lines, lenient=True, report=ParseReport())
                        batch = typed_record_batch(columns)
                        records += batch.num_rows
                        request_days = pc.cast(batch.column("request_time"), pa.date32())
                        for request_day in pc.unique(request_days).to_pylist():
                            mask = pc.equal(request_days, pa.scalar(request_day, pa.date32()))
                            by_day[request_day].append(batch.filter(mask))
            for request_day, batches in by_day.items():
                table = pa.Table.from_batches(batches).sort_by("request_time")
                buffer = io.BytesIO()
                pq.write_table(table, buffer, compression="zstd")
                key = f"{root}{request_day}/{bucket}/from-{day}.parquet"
                s3.put_object(Bucket=BUCKET, Key=key, Body=buffer.getvalue())
                written += buffer.tell()
    return objects, records, written


# -- templates on DuckDB -----------------------------------------------------------------


def templates_on_duckdb(
    s3: Any, keys: CompactedKeys, day: Any, workdir: Path
) -> list[tuple[str, int, int, int, int, int]]:
    """Per template: raw objects, raw bytes, compacted objects read, compacted bytes read,
    rows."""
    import duckdb

    from s3logs_athena.templates import render_template
    from s3logs_athena.templates.dialect import install_duckdb_macros

    layout = Layout()
    downloads = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=keys.root):
        for item in page.get("Contents", ()):
            parsed = keys.parse_output_key(item["Key"])
            if parsed is None:
                continue
            d = parsed.request_day
            folder = workdir / f"year={d.year}/month={d.month}/day={d.day}/bucket={parsed.bucket}"
            folder.mkdir(parents=True, exist_ok=True)
            body = s3.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read()
            (folder / f"from-{parsed.raw_day}.parquet").write_bytes(body)
            downloads += 1
    raw_sizes = defaultdict(list)
    for partition_day in (day, day + timedelta(days=1)):
        prefix = layout.partition_prefix(partition_day)
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix):
            for item in page.get("Contents", ()):
                raw_sizes[partition_day].append(int(item["Size"]))
    raw_objects = sum(len(v) for v in raw_sizes.values())
    raw_bytes = sum(sum(v) for v in raw_sizes.values())
    results = []
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    for name, params in TEMPLATES.items():
        con = duckdb.connect()
        install_duckdb_macros(con)
        con.execute("SET TimeZone = 'UTC'")
        con.execute('CREATE SCHEMA "s3_access_logs_db"')
        glob = (workdir / "year=*/month=*/day=*/bucket=*/*.parquet").as_posix()
        # <table>_all over compacted days only: the compacted table itself.
        con.execute(
            'CREATE VIEW "s3_access_logs_db"."s3_access_logs_all" AS SELECT * '
            f"FROM read_parquet('{glob}', hive_partitioning = true, hive_types = "
            "{'year': INTEGER, 'month': INTEGER, 'day': INTEGER, 'bucket': VARCHAR})"
        )
        rendered = render_template(
            name,
            {"start": start, "end": start + timedelta(days=1), **params},
            dialect="duckdb",
            now=start + timedelta(days=2),
        )
        profile = workdir / f"{name}.json"
        con.execute("PRAGMA enable_profiling='json'")
        con.execute(f"PRAGMA profiling_output='{profile}'")
        rows = len(con.execute(rendered.sql).fetchall())
        con.execute("PRAGMA disable_profiling")
        con.close()
        document = json.loads(profile.read_text())
        read = int(document.get("io", {}).get("total_bytes_read", 0))
        files = _files_read(document)
        results.append((name, raw_objects, raw_bytes, files, read, rows))
    return results


def _files_read(node: Any) -> int:
    total = 0
    if isinstance(node, dict):
        extra = node.get("extra_info") or {}
        if isinstance(extra, dict) and "Total Files Read" in extra:
            total += int(extra["Total Files Read"])
        for value in node.values():
            if isinstance(value, list | dict):
                total += _files_read(value)
    elif isinstance(node, list):
        total += sum(_files_read(item) for item in node)
    return total


# -- the run -----------------------------------------------------------------------------


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (the worker processes)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--buckets", type=int, default=4)
    parser.add_argument("--objects", type=int, default=540, help="log objects per bucket a day")
    parser.add_argument("--records", type=int, default=480, help="records per object (mean)")
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=min(4, os.cpu_count() or 1))
    parser.add_argument("--read-concurrency", type=int, default=64)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    header("compaction of one day: run_compaction vs a sequential read-parse-write")
    print(f"# load average before: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} "
          f"{os.getloadavg()[2]:.2f} on {os.cpu_count()} CPUs")  # fmt: skip
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    server = context.Process(target=serve, args=(child, _config(args)))
    server.start()
    try:
        endpoint, objects, records, raw_bytes, days, buckets, seeded = parent.recv()
        print(f"# {objects:,} raw objects, {records:,} records, {raw_bytes / 1e6:,.1f} MB in "
              f"{len(days)} raw days x {len(buckets)} buckets (generated and seeded in "
              f"{seeded:.0f} s); {args.latency_ms:g} ms per request")  # fmt: skip
        latency = args.latency_ms / 1000
        s3 = client(endpoint, latency, args.read_concurrency)

        started, cpu = time.perf_counter(), _cpu()
        got = sequential(s3, days, buckets, "BenchBaseline/")
        baseline = Timing("sequential read-parse-write", time.perf_counter() - started, objects)
        cpus = {baseline.name: _cpu() - cpu}
        assert got[:2] == (objects, records), got
        runs = []
        for label, root, concurrency in (
            ("run_compaction, 1 process", "CompactedOne/", 1),
            (f"run_compaction, {args.concurrency} processes", "CompactedLogs/",
             args.concurrency),
        ):  # fmt: skip
            settings = CompactionSettings(
                layout=Layout(compacted_root=root), read_concurrency=args.read_concurrency
            )
            request = CompactionRequest(
                BUCKET, days[0], days[-1], now=datetime.now(UTC), concurrency=concurrency
            )
            factory = functools.partial(client, endpoint, latency, args.read_concurrency)
            started, cpu = time.perf_counter(), _cpu()
            summary = run_compaction(
                s3, request, settings, client_factory=factory if concurrency > 1 else None
            )
            runs.append((Timing(label, time.perf_counter() - started, objects), summary))
            cpus[label] = _cpu() - cpu
            assert summary.ok and summary.totals()["records"] == records, summary.totals()
        print("\n## compaction speed (objects)")
        print_table(baseline, [timing for timing, _ in runs], "objects")
        print(
            "# CPU seconds (this process and its workers): "
            + ", ".join(f"{name} {seconds:.1f}" for name, seconds in cpus.items())
        )
        print(
            "# CPU seconds per million records: "
            + ", ".join(f"{name} {seconds / records * 1e6:.1f}" for name, seconds in cpus.items())
            + " (benchmarks/compact_cpu.py takes them apart)"
        )
        print(f"# S3 latency alone, one request after another: {objects * latency:.1f} s "
              f"for the GETs of the raw objects")  # fmt: skip
        print("\n## compaction speed (records)")
        print_table(
            Timing(baseline.name, baseline.seconds, records),
            [Timing(t.name, t.seconds, records) for t, _ in runs],
            "records",
        )
        summary = runs[-1][1]
        totals = summary.totals()
        per_partition: dict[tuple[Any, str], int] = defaultdict(int)
        for result in summary.partitions:
            for output in result.outputs:
                per_partition[(output.request_day, result.bucket)] += 1
        counts = list(per_partition.values())
        print("\n## output")
        print(f"objects per compacted partition: max {max(counts)}, mean "
              f"{statistics.mean(counts):.2f} ({len(counts)} partitions, "
              f"{totals['outputs']} objects, from {objects:,} raw objects)")  # fmt: skip
        print(f"compacted bytes / raw bytes: {totals['bytes_out']:,} / {totals['bytes_in']:,} "
              f"= 1/{totals['bytes_in'] / totals['bytes_out']:.1f}")  # fmt: skip
        print(f"baseline's Parquet (one object per day, one row group): {got[2]:,} bytes")
        print("\n## one-day queries on DuckDB: raw text vs compacted Parquet")
        with tempfile.TemporaryDirectory(prefix="s3logs-bench-compact-") as work:
            rows = templates_on_duckdb(s3, CompactedKeys(), days[0], Path(work))
        width = max(len(name) for name, *_ in rows)
        print(f"{'template':{width}}  {'raw objects':>11}  {'raw bytes':>13}  "
              f"{'Parquet files':>13}  {'bytes read':>11}  {'read/raw':>9}")  # fmt: skip
        for name, raw_objects, raw_read, files, read, _ in rows:
            ratio = f"1/{raw_read / read:,.0f}" if read else "-"
            print(f"{name:{width}}  {raw_objects:>11,}  {raw_read:>13,}  {files:>13,}  "
                  f"{read:>11,}  {ratio:>9}")  # fmt: skip
        print(f"# load average after: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} "
              f"{os.getloadavg()[2]:.2f}")  # fmt: skip
        return 0
    finally:
        parent.send("stop")
        server.join(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
