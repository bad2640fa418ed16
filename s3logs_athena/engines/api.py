"""The notebook API: run a query template, or any Athena SQL, on either engine.

>>> from s3logs_athena import run_query
>>> df = run_query("top-ips", {"start": "2024-03-01", "end": "2024-03-08"})   # DuckDB cache
>>> df = run_query("top-ips", {"start": "-7d"}, engine="athena", workgroup="analysts")
>>> df.attrs["bytes_scanned"], df.attrs["cost_usd"], df.attrs["seconds"]

The DataFrame carries the run's facts in ``df.attrs``: ``engine``, ``sql``, ``seconds``,
``bytes_scanned``, ``cost_usd``, ``reused`` (Athena) and engine details.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from . import make_engine
from .result import QueryResult

__all__ = ["execute_query", "execute_sql", "run_query", "run_sql"]


def execute_sql(
    sql: str,
    parameters: Sequence[Any] | None = None,
    *,
    engine: str = "duckdb",
    cache_dir: Path | str | None = None,
    workgroup: str | None = None,
    output_location: str | None = None,
    region: str | None = None,
    reuse_minutes: int | None = None,
    profile: str | None = None,
    endpoint_url: str | None = None,
) -> QueryResult:
    """Run one Athena ``SELECT`` on ``engine`` and return the full :class:`QueryResult`."""
    runner = make_engine(
        engine,
        cache_dir=cache_dir,
        workgroup=workgroup,
        output_location=output_location,
        region=region,
        reuse_minutes=reuse_minutes,
        profile=profile,
        endpoint_url=endpoint_url,
    )
    try:
        return runner.run(sql, parameters)
    finally:
        close = getattr(runner, "close", None)
        if close is not None:
            close()


def execute_query(
    name: str,
    params: Mapping[str, Any] | None = None,
    *,
    engine: str = "duckdb",
    cache_dir: Path | str | None = None,
    workgroup: str | None = None,
    output_location: str | None = None,
    region: str | None = None,
    reuse_minutes: int | None = None,
    profile: str | None = None,
    endpoint_url: str | None = None,
) -> QueryResult:
    """Render template ``name`` with ``params`` (Athena SQL) and run it on ``engine``."""
    from ..templates.catalog import render_template

    rendered = render_template(name, dict(params or {}), dialect="athena")
    return execute_sql(
        rendered.sql,
        None,
        engine=engine,
        cache_dir=cache_dir,
        workgroup=workgroup,
        output_location=output_location,
        region=region,
        reuse_minutes=reuse_minutes,
        profile=profile,
        endpoint_url=endpoint_url,
    )


def run_sql(sql: str, parameters: Sequence[Any] | None = None, **options: Any) -> pd.DataFrame:
    """Like :func:`execute_sql`, returning the DataFrame (facts in ``df.attrs``)."""
    return execute_sql(sql, parameters, **options).attach()


def run_query(
    name: str,
    params: Mapping[str, Any] | None = None,
    *,
    engine: str = "duckdb",
    cache_dir: Path | str | None = None,
    workgroup: str | None = None,
    output_location: str | None = None,
    region: str | None = None,
    reuse_minutes: int | None = None,
    profile: str | None = None,
    endpoint_url: str | None = None,
) -> pd.DataFrame:
    """Run query template ``name`` on ``engine`` (``"duckdb"``: the local cache; ``"athena"``)
    and return its rows, with engine, SQL, run time, data scanned and cost in ``df.attrs``."""
    return execute_query(
        name,
        params,
        engine=engine,
        cache_dir=cache_dir,
        workgroup=workgroup,
        output_location=output_location,
        region=region,
        reuse_minutes=reuse_minutes,
        profile=profile,
        endpoint_url=endpoint_url,
    ).attach()
