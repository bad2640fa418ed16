"""Compaction allocates from jemalloc (or the system allocator) rather than mimalloc, unless
ARROW_DEFAULT_MEMORY_POOL or the program chose a pool. Each case in a fresh interpreter:
Arrow's default pool is process-wide."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

PROBE = textwrap.dedent(
    """
    import json, sys
    import pyarrow as pa
    from s3logs_athena.table.compaction.memory import use_compaction_memory_pool
    if sys.argv[1] == "system":
        pa.set_memory_pool(pa.system_memory_pool())
    before = pa.default_memory_pool().backend_name
    chosen = use_compaction_memory_pool().backend_name
    again = use_compaction_memory_pool().backend_name
    print(json.dumps([before, chosen, again, pa.default_memory_pool().backend_name]))
    """
)


def probe(mode: str, env_pool: str | None = None) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    if env_pool is not None:
        env["ARROW_DEFAULT_MEMORY_POOL"] = env_pool
    done = subprocess.run(
        [sys.executable, "-c", PROBE, mode],
        capture_output=True, text=True, check=True, timeout=120, env=env,
    )  # fmt: skip
    result: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_mimalloc_is_replaced_once() -> None:
    before, chosen, again, default = probe("default")
    if before != "mimalloc":
        pytest.skip(f"this pyarrow's default pool is {before}")
    assert chosen in {"jemalloc", "system"}
    assert again == default == chosen


def test_arrow_setting_wins() -> None:
    assert probe("default", env_pool="mimalloc") == ["mimalloc"] * 4


def test_a_pool_the_program_chose_is_kept() -> None:
    assert probe("system") == ["system"] * 4
