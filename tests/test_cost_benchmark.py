"""benchmarks/estimate.py runs (tiny sizes): its estimates agree with the naive listing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARK = Path(__file__).resolve().parent.parent / "benchmarks" / "estimate.py"


@pytest.mark.slow
def test_the_estimate_benchmark_runs() -> None:
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}
    env.pop("AWS_ENDPOINT_URL", None)
    result = subprocess.run(
        [sys.executable, str(BENCHMARK), "--big", "1500", "--buckets", "2",
         "--per-partition", "5", "--latency-ms", "0"],
        capture_output=True, text=True, timeout=300, env=env, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.count("(the same from all)") == 2
    assert "estimate, no hour split" in result.stdout and "(baseline)" in result.stdout
