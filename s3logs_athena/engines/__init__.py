"""Query engines: ``duckdb`` (embedded, over the local cache) and ``athena`` (pyathena).

Both take the same Athena SQL and return a :class:`QueryResult` whose DataFrame has the same
columns and dtypes on either engine.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from ..errors import InputError
from .result import QueryResult, athena_cost_usd, frame_from_arrow

__all__ = [
    "ENGINES",
    "Engine",
    "QueryResult",
    "athena_cost_usd",
    "frame_from_arrow",
    "make_engine",
]

ENGINES = ("duckdb", "athena")


class Engine(Protocol):
    name: str

    def run(self, athena_sql: str, parameters: Any = None) -> QueryResult: ...


def make_engine(
    name: str,
    *,
    cache_dir: Path | str | None = None,
    workgroup: str | None = None,
    output_location: str | None = None,
    region: str | None = None,
    reuse_minutes: int | None = None,
    profile: str | None = None,
    endpoint_url: str | None = None,
) -> Engine:
    """An engine by name; options that do not apply to it are ignored (``region``,
    ``profile`` and ``endpoint_url`` say how Athena is reached)."""
    if name == "duckdb":
        from .duckdb import DuckDBEngine

        return DuckDBEngine(cache_dir)
    if name == "athena":
        from .athena import AthenaEngine

        return AthenaEngine(
            workgroup=workgroup,
            output_location=output_location,
            region=region,
            reuse_minutes=reuse_minutes,
            profile=profile,
            endpoint_url=endpoint_url,
        )
    raise InputError(f"unknown engine {name!r}: choose one of {', '.join(ENGINES)}")
