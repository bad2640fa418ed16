"""Benchmark: the CPU cost of compacting one raw partition, S3 left out.

    python benchmarks/compact_cpu.py                          # 200 objects x ~500 records
    python benchmarks/compact_cpu.py --objects 20 --rounds 1  # a quick look

Compaction is CPU-bound once the GETs are hidden (``benchmarks/compact.py``), so this measures
what a record costs in CPU-seconds (user + system time of the process, every thread: Arrow
sorts and writes in its own threads), on one generated raw partition held in memory, run
through what ``compact_partition`` runs between the GETs and the PUTs: ``rows.parse_object``
for every object (parse, type, route by request day), then ``SortedDayWriter.finish`` (sort,
Parquet zstd).

1. **Typing route**, in one process on the same data, rounds interleaved, the least
   disturbed (lowest CPU) round of each kept: the baseline is the parser's route
   (``parse_columns`` -> Python values -> ``typed_record_batch``, as compaction did before),
   against the column-wise route (``table/typed_lines.typed_batch``). Their Parquet outputs
   are compared byte for byte.
2. **Arrow memory pool** of the first compaction in a process (every worker process and Lambda
   environment starts fresh): child processes, alternated, on the same data (handed over in
   a file), ``ARROW_DEFAULT_MEMORY_POOL=mimalloc`` (pyarrow's default, the baseline) against
   ``jemalloc`` (what compaction picks, see ``table/compaction/memory.py``) and ``system``.

The machine's load average is printed with the numbers (it is shared): compare the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import header

from s3logs_athena.generator import GeneratorConfig, generate
from s3logs_athena.table.compaction.memory import use_compaction_memory_pool
from s3logs_athena.table.compaction.rows import Counts, Rejects, Router, parse_object
from s3logs_athena.table.compaction.sorting import SortedDayWriter
from s3logs_athena.table.schema import typed_arrow_schema

Bodies = list[tuple[str, bytes]]
POOLS = ("mimalloc", "jemalloc", "system")


def _cpu() -> tuple[float, float]:
    """CPU seconds of this process so far: user + system, and system alone."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime, usage.ru_stime


def compact(
    bodies: Bodies, workdir: Path, *, columnwise: bool, row_group_rows: int
) -> tuple[int, float, float, float, list[bytes]]:
    """Records, CPU-s parsing/typing/routing, CPU-s sorting/writing, system CPU-s, and the
    bytes of each output file."""
    writer = SortedDayWriter(workdir, typed_arrow_schema(), row_group_rows)
    router = Router(writer, date(2000, 1, 1))
    rejects = Rejects(workdir / "rejects.jsonl")
    counts = Counts()
    start, start_sys = _cpu()
    for key, body in bodies:
        parse_object(key, body, router, rejects, counts, columnwise=columnwise)
    parsed, _ = _cpu()
    files = writer.finish()
    end, end_sys = _cpu()
    rejects.close()
    outputs = [f.path.read_bytes() for f in files]
    for f in files:
        f.path.unlink()
    return counts.records, parsed - start, end - parsed, end_sys - start_sys, outputs


def child(data: Path, row_group_rows: int) -> None:
    """One first compaction in this fresh process; its CPU as JSON on stdout."""
    bodies: Bodies = pickle.loads(data.read_bytes())
    pool = use_compaction_memory_pool()  # as compact_partition does; the variable wins
    with tempfile.TemporaryDirectory(prefix="s3logs-bench-cpu-") as work:
        records, parse, write, system, _ = compact(
            bodies, Path(work), columnwise=True, row_group_rows=row_group_rows
        )
    print(json.dumps({"pool": pool.backend_name, "records": records, "cpu": parse + write,
                      "system": system}))  # fmt: skip


def per_million(seconds: float, records: int) -> float:
    return seconds / records * 1e6 if records else float("nan")


def typing_routes(bodies: Bodies, rounds: int, row_group_rows: int) -> None:
    pool = use_compaction_memory_pool().backend_name  # both routes on compaction's pool
    best: dict[bool, tuple[float, float, float]] = {}
    outputs: dict[bool, list[bytes]] = {}
    records = 0
    with tempfile.TemporaryDirectory(prefix="s3logs-bench-cpu-") as work:
        for round_number in range(rounds + 1):  # round 0 warms up (imports, memo tables)
            for columnwise in (False, True):
                records, parse, write, system, files = compact(
                    bodies, Path(work), columnwise=columnwise, row_group_rows=row_group_rows
                )
                outputs[columnwise] = files
                if round_number and (
                    columnwise not in best or parse + write < sum(best[columnwise][:2])
                ):
                    best[columnwise] = (parse, write, system)
    print(f"\n## typing route: one process, same data, {records:,} records, best of {rounds} "
          f"(Arrow pool: {pool})")  # fmt: skip
    names = {False: "parser route (parse_columns + typed_record_batch)",
             True: "column-wise (typed_lines.typed_batch)"}  # fmt: skip
    width = max(map(len, names.values()))
    print(f"{'':{width}}  {'CPU-s/M records':>15}  {'parse+type':>10}  {'sort+write':>10}  "
          f"{'vs baseline':>11}")  # fmt: skip
    for columnwise in (False, True):
        parse, write, _ = best[columnwise]
        ratio = sum(best[False][:2]) / (parse + write)
        label = "(baseline)" if not columnwise else f"{ratio:.2f}x"
        print(f"{names[columnwise]:{width}}  {per_million(parse + write, records):15.2f}  "
              f"{per_million(parse, records):10.2f}  {per_million(write, records):10.2f}  "
              f"{label:>11}")  # fmt: skip
    print("# vs baseline: the baseline's CPU-seconds / this route's (higher is cheaper)")
    parse_ratio = best[False][0] / best[True][0]
    print(f"# parse+type+route alone: {parse_ratio:.2f}x less CPU column-wise")
    same = outputs[False] == outputs[True]
    print(f"# outputs identical byte for byte: {'yes' if same else 'NO'} "
          f"({len(outputs[True])} Parquet files)")  # fmt: skip
    if not same:
        raise SystemExit("the two routes wrote different Parquet files")


def memory_pools(bodies: Bodies, rounds: int, row_group_rows: int) -> None:
    results: dict[str, list[dict[str, float]]] = {pool: [] for pool in POOLS}
    with tempfile.TemporaryDirectory(prefix="s3logs-bench-cpu-") as work:
        data = Path(work) / "bodies.pickle"
        data.write_bytes(pickle.dumps(bodies))
        for _ in range(rounds):
            for pool in POOLS:
                env = {**os.environ, "ARROW_DEFAULT_MEMORY_POOL": pool}
                done = subprocess.run(
                    [sys.executable, __file__, "--child", str(data),
                     "--row-group-rows", str(row_group_rows)],
                    capture_output=True, text=True, check=True, env=env,
                )  # fmt: skip
                result = json.loads(done.stdout.strip().splitlines()[-1])
                if result["pool"] != pool:
                    raise SystemExit(f"asked for {pool}, the child used {result['pool']}")
                results[pool].append(result)
    records = int(results[POOLS[0]][0]["records"])
    print(f"\n## first compaction in a fresh process, by Arrow memory pool: child processes, "
          f"same data, {records:,} records, best of {rounds}")  # fmt: skip
    print(f"{'pool':<22}  {'CPU-s/M records':>15}  {'of it system':>12}  {'vs baseline':>11}")
    baseline = min(r["cpu"] for r in results[POOLS[0]])
    for pool in POOLS:
        best = min(results[pool], key=lambda r: r["cpu"])
        name = f"{pool} (baseline)" if pool == POOLS[0] else pool
        label = "(baseline)" if pool == POOLS[0] else f"{baseline / best['cpu']:.2f}x"
        print(f"{name:<22}  {per_million(best['cpu'], records):15.2f}  "
              f"{per_million(best['system'], records):12.2f}  {label:>11}")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--objects", type=int, default=200, help="raw objects in the partition")
    parser.add_argument("--records", type=int, default=500, help="records per object (mean)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--row-group-rows", type=int, default=131_072)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        child(args.child, args.row_group_rows)
        return 0
    header("CPU of compacting one raw partition (no S3): typing route and Arrow memory pool")
    load = os.getloadavg()
    print(f"# load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
          f"on {os.cpu_count()} CPUs")  # fmt: skip
    started = time.perf_counter()
    config = GeneratorConfig(
        buckets=1, days=1, objects_per_day=args.objects, records_per_object=args.records,
        seed=args.seed,
    )  # fmt: skip
    bodies = [(o.key, o.body) for o in generate(config).log_objects]
    print(f"# {len(bodies):,} objects, {sum(len(b) for _, b in bodies) / 1e6:,.1f} MB "
          f"(generated in {time.perf_counter() - started:.0f} s); row groups of "
          f"{args.row_group_rows:,} rows")  # fmt: skip
    typing_routes(bodies, args.rounds, args.row_group_rows)
    memory_pools(bodies, args.rounds, args.row_group_rows)
    load = os.getloadavg()
    print(f"# load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
