"""The notebook API: run a query template, or any Athena SQL, on either engine.

>>> from s3logs_athena import run_query
>>> df = run_query("top-ips", {"start": "2024-03-01", "end": "2024-03-08"})   # DuckDB cache
>>> df = run_query("top-ips", {"start": "-7d"}, engine="athena", workgroup="analysts")
>>> df.attrs["bytes_scanned"], df.attrs["cost_usd"], df.attrs["seconds"]
>>> df = run_query("top-ips", {"start": "-30d"}, engine="athena", max_bytes="10GB")

The DataFrame carries the run's facts in ``df.attrs``: ``engine``, ``sql``, ``seconds``,
``bytes_scanned``, ``cost_usd``, ``reused`` (Athena) and engine details.

On Athena, ``max_bytes`` (default ``$S3LOGS_ATHENA_MAX_BYTES``) is the CLI's ``--max-bytes``
guard: the template is estimated first (from ``location``, else the Glue ``table``, else the
tables it reads) and :class:`~s3logs_athena.cost.guard.CostLimitError` is raised, with nothing
sent to Athena, when it can scan more; the estimate is in ``df.attrs["estimate"]``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from . import make_engine
from .result import QueryResult

if TYPE_CHECKING:
    from ..cost.estimate import Estimate

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
    max_bytes: str | int | None = None,
    location: str | Sequence[str] | None = None,
    table: str | Sequence[str] | None = None,
    guard: bool = True,
) -> QueryResult:
    """Render template ``name`` with ``params`` (Athena SQL) and run it on ``engine``; on
    Athena, first refuse it when its estimate is over ``max_bytes`` (see the module).
    ``guard=False``: the caller has estimated it already (the CLI, with its own options)."""
    from ..templates.catalog import render_template

    now = datetime.now(UTC)  # one anchor: the estimate and the run read the same days
    estimate = None
    if engine == "athena" and guard:
        estimate = _guard(
            name,
            params,
            now=now,
            max_bytes=max_bytes,
            location=location,
            table=table,
            region=region,
            profile=profile,
            endpoint_url=endpoint_url,
        )
    rendered = render_template(name, dict(params or {}), dialect="athena", now=now)
    result = execute_sql(
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
    if estimate is not None:
        result.details["estimate"] = estimate.to_dict()
    return result


def _guard(
    name: str,
    params: Mapping[str, Any] | None,
    *,
    now: datetime,
    max_bytes: str | int | None,
    location: str | Sequence[str] | None,
    table: str | Sequence[str] | None,
    region: str | None,
    profile: str | None,
    endpoint_url: str | None,
) -> Estimate | None:
    """The estimate of an Athena run when a limit is set (or a location/table asks for one);
    raises :class:`~s3logs_athena.cost.guard.CostLimitError` over the limit."""
    from ..cost.estimate import estimate_query
    from ..cost.guard import check_limit, max_bytes_setting

    limit = max_bytes_setting(max_bytes)
    if limit is None and not location and not table:
        return None
    import botocore.session

    from ..check.client import make_s3_client

    session = botocore.session.Session(profile=profile)
    where: dict[str, Any] = {"region_name": region, "endpoint_url": endpoint_url}
    s3 = make_s3_client(botocore_session=session, **where)
    glue = None if location else session.create_client("glue", **where)
    estimate = estimate_query(
        name, params, location=location, table=table, s3=s3, glue=glue, now=now
    )
    check_limit(estimate, limit)
    return estimate


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
    max_bytes: str | int | None = None,
    location: str | Sequence[str] | None = None,
    table: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Run query template ``name`` on ``engine`` (``"duckdb"``: the local cache; ``"athena"``)
    and return its rows, with engine, SQL, run time, data scanned and cost in ``df.attrs``.
    On Athena, ``max_bytes``/``location``/``table`` are the CLI's cost guard."""
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
        max_bytes=max_bytes,
        location=location,
        table=table,
    ).attach()
