"""benchmarks/compact.py and compact_cpu.py run end to end at a tiny size (their numbers are
not checked)."""

from __future__ import annotations

import os
import subprocess
import sys

from .conftest import REPO_ROOT


def test_the_compaction_benchmark_runs() -> None:
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}
    done = subprocess.run(
        [sys.executable, str(REPO_ROOT / "benchmarks" / "compact.py"), "--buckets", "1",
         "--objects", "8", "--records", "20", "--latency-ms", "0", "--concurrency", "2"],
        capture_output=True, text=True, timeout=300, env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "sequential read-parse-write" in out and "run_compaction, 2 processes" in out
    assert "objects per compacted partition: max" in out
    assert "requests-by-operation" in out and "user-agents" in out


def test_the_compaction_cpu_benchmark_runs() -> None:
    done = subprocess.run(
        [sys.executable, str(REPO_ROOT / "benchmarks" / "compact_cpu.py"), "--objects", "3",
         "--records", "40", "--rounds", "1"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "outputs identical byte for byte: yes" in out
    assert "column-wise (typed_lines.typed_batch)" in out
    assert "mimalloc (baseline)" in out and "jemalloc" in out
