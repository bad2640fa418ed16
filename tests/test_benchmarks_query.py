"""benchmarks/query.py's named baseline, on a small generated data set: the former raw-string
cache and templates answer exactly as the typed cache and templates do (so the benchmark
compares two ways to the same answers), and the benchmark runs end to end."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from s3logs_athena.cache import find_log_files, ingest
from s3logs_athena.engines.api import execute_query

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

from _raw_baseline import RAW_TEMPLATES, RawEngine, raw_ingest, render_raw  # noqa: E402
from _synthetic import write_partitioned_logs  # noqa: E402

WEEK = {"start": "2024-03-02", "end": "2024-03-05"}
EXTRA = {"top-requesters": {"by": "bytes"}, "latency-hotspots": {"min_requests": 1}}


@pytest.mark.parametrize("name", sorted(RAW_TEMPLATES))
def test_the_former_path_answers_like_the_typed_one(
    name: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    work = tmp_path_factory.getbasetemp() / "bench-data"
    if not (work / "cache").exists():
        write_partitioned_logs(
            work / "logs", 6000, days=5, lines_per_file=300, first_day=date(2024, 3, 1)
        )
        assert raw_ingest(find_log_files(work / "logs")[0], work / "raw") > 5000
        ingest(work / "logs", work / "cache")
    params = {**WEEK, **EXTRA.get(name, {})}
    raw = RawEngine(work / "raw").run(render_raw(name, params)).frame
    typed = execute_query(name, params, cache_dir=work / "cache").frame
    assert len(typed) > 0
    pd.testing.assert_frame_equal(typed, raw, check_dtype=False)


def test_the_query_benchmark_runs() -> None:
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / "query.py"), "--lines", "3000"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "five templates, typed once at ingest" in result.stdout
    assert "DIFFER" not in result.stdout
