"""Compaction's memory is bounded by the row-group budget, not by the partition's size.

Each measurement runs in a fresh interpreter (the peak of Arrow's memory pool never goes
down): one raw partition of N records compacted with a budget of 2,048 rows, once with N
and once with 4N. The Arrow peak must stay far below the partition's own size and must not
grow with it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

PROBE = textwrap.dedent(
    """
    import json, sys
    from datetime import date
    import boto3
    import pyarrow as pa
    from moto import mock_aws
    from s3logs_athena.layout import Layout
    from s3logs_athena.table.compaction import CompactionSettings, compact_partition
    from s3logs_athena.table.compaction.memory import use_compaction_memory_pool

    objects, lines_per_object, budget = (int(a) for a in sys.argv[1:4])
    line = ("79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be app "
            "[02/May/2024:{h:02d}:{m:02d}:{s:02d} +0000] 192.0.2.{ip} - REQ{n:013d} "
            'REST.GET.OBJECT photos/{n}.jpg "GET /photos/{n}.jpg HTTP/1.1" 200 - {n} 113 7 6 '
            '"-" "curl/8.{ip}" - HOSTID{n:030d}= SigV4 ECDHE-RSA-AES128-GCM-SHA256 '
            "AuthHeader app.s3.us-east-1.amazonaws.com TLSv1.3 - -")
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="central-logs")
        prefix = Layout().partition_prefix(date(2024, 5, 2), "app")
        n = 0
        for o in range(objects):
            body = []
            for _ in range(lines_per_object):
                # Times wander back and forth: the runs overlap and must be merged.
                t = (n * 7919) % 86400
                body.append(line.format(h=t // 3600, m=t // 60 % 60, s=t % 60, ip=n % 200, n=n))
                n += 1
            s3.put_object(Bucket="central-logs", Key=f"{prefix}2024-05-02-{o:02d}-00-00-X{o:015d}",
                          Body="\\n".join(body).encode())
        settings = CompactionSettings(row_group_rows=budget, read_concurrency=4)
        pool = use_compaction_memory_pool()  # the pool compaction allocates from
        baseline = pool.max_memory()
        manifest, spilled = compact_partition(s3, "central-logs", date(2024, 5, 2), "app", settings)
        print(json.dumps({"peak": pool.max_memory() - baseline, "records": manifest.records,
                          "spilled": spilled, "bytes_out": manifest.output_bytes,
                          "bytes_in": manifest.raw_bytes, "backend": pool.backend_name}))
    """
)


def measure(objects: int, lines: int, budget: int) -> dict[str, int]:
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t"}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(objects), str(lines), str(budget)],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
        env=env,
    )
    result: dict[str, int] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_peak_arrow_memory_follows_the_budget_not_the_partition() -> None:
    small = measure(objects=10, lines=1_500, budget=2_048)
    large = measure(objects=40, lines=1_500, budget=2_048)
    assert (small["records"], large["records"]) == (15_000, 60_000)
    assert small["spilled"] > 1 and large["spilled"] > 4 * small["spilled"] - 4
    # Four times the rows, not four times the memory.
    assert large["peak"] < 1.5 * small["peak"] + 2**20, (small, large)
    # And far less than the partition itself, even compressed as Parquet... uncompressed,
    # its typed columns take several times the raw text's size.
    assert large["peak"] < large["bytes_in"] / 4, large
