"""The Arrow memory pool compaction allocates from: jemalloc (or the system allocator), not
pyarrow's default mimalloc.

Why: with mimalloc, the first partition a process compacts costs far more CPU than the next
ones, nearly all of it system time spent by the kernel faulting in and zeroing memory while
mimalloc's heap grows to the row-group budget (measured on a 2-core Firecracker VM with
pyarrow 26, 100k records: 2.7-3.0 CPU-s the first time, 1.2-1.4 after, of which 1.4-1.6 s
system time; with jemalloc or the system allocator 1.4-1.5 s the first time, about 0.1 s of
it system time). Every compaction worker process and every Lambda execution environment
starts fresh, so that cost is paid again and again. jemalloc was Arrow's default on Linux
before mimalloc, and the same pool holds the same bytes: the output does not change.

The choice is process-wide (Arrow has one default pool), made once, on the first compaction,
and only when nobody chose: ``ARROW_DEFAULT_MEMORY_POOL`` (Arrow's own setting) wins, and a
pool set by the program is kept. ``benchmarks/compact_cpu.py`` measures it.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["use_compaction_memory_pool"]

_lock = threading.Lock()


def use_compaction_memory_pool() -> pa.MemoryPool:
    """Make jemalloc (the system allocator where pyarrow has no jemalloc) Arrow's default
    memory pool in this process, unless ``ARROW_DEFAULT_MEMORY_POOL`` or the program chose
    another than mimalloc; the pool compaction allocates from."""
    import pyarrow as pa

    with _lock:
        current = pa.default_memory_pool()
        if os.environ.get("ARROW_DEFAULT_MEMORY_POOL") or current.backend_name != "mimalloc":
            return current
        try:
            pool = pa.jemalloc_memory_pool()
        except NotImplementedError:  # a pyarrow built without jemalloc
            pool = pa.system_memory_pool()
        pa.set_memory_pool(pool)
        return pool
