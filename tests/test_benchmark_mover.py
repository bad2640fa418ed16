"""benchmarks/mover.py runs (tiny size), against a moto server in another process, and the
handler's happy path takes 2 S3 requests per object, as many as the blog's loop."""

from __future__ import annotations

import os
import subprocess
import sys

from .conftest import REPO_ROOT


def test_the_mover_benchmark_runs_and_counts_two_requests_per_object() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MOVER_"))}
    done = subprocess.run(
        [sys.executable, "benchmarks/mover.py", "--objects", "6", "--rounds", "1",
         "--latency-ms", "0", "--concurrency", "4"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "moto server in another process" in out
    assert "S3 requests per object, handler: 2.00 (CopyObject 1.00, DeleteObject 1.00)" in out
    assert "requests per object: 1.00x the blog loop's" in out
    assert "failed items: 0; sources left: {'blog': 0, 'ours': 0}" in out
