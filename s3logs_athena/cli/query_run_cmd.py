"""``s3logs-athena query run NAME``: run a query template on DuckDB (the cache) or Athena."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.table import Table

from .aws_options import AwsOptions
from .cost_options import CostSettings, cost_options, guard_query, print_comparison
from .template_options import engine_location_options, param_option

if TYPE_CHECKING:
    import pandas as pd

    from ..engines import QueryResult

_stderr = Console(stderr=True, soft_wrap=True)


def _human_bytes(count: int | None) -> str:
    if count is None:
        return "unknown"
    size = float(count)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size < 1024 or unit == "TB":
            return f"{size:,.0f} {unit}" if unit == "B" else f"{size:,.1f} {unit}"
        size /= 1024
    return f"{count} B"  # pragma: no cover


def _print_frame(frame: pd.DataFrame, output: str) -> None:
    if output == "csv":
        frame.to_csv(sys.stdout, index=False)
    elif output == "json":
        click.echo(
            json.dumps(json.loads(frame.to_json(orient="records", date_format="iso")), indent=2)
        )
    else:
        table = Table(show_lines=False)
        for column in frame.columns:
            table.add_column(str(column), overflow="fold")
        for row in frame.itertuples(index=False):
            table.add_row(*("" if _is_missing(v) else str(v) for v in row))
        Console(soft_wrap=False).print(table)


def _is_missing(value: object) -> bool:
    import pandas as pd

    return value is None or value is pd.NA or value is pd.NaT or value != value


def _summary(result: QueryResult) -> str:
    parts = [
        f"{len(result.frame):,} rows",
        f"engine {result.engine}",
        f"{result.seconds:.2f} s",
        f"data scanned {_human_bytes(result.bytes_scanned)}",
    ]
    if result.engine == "athena":
        parts.append(f"est. cost ${result.cost_usd or 0:.6f}")
        parts.append("result reused" if result.reused else "not reused")
    return " | ".join(parts)


@click.command()
@click.argument("name")
@click.option(
    "--engine", type=click.Choice(["duckdb", "athena"]), default="duckdb", show_default=True
)
@param_option
@click.option(
    "--format",
    "output",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help="json: a list of row objects.",
)
@engine_location_options
@cost_options()
@click.option("--show-sql", is_flag=True, help="Print the SQL that ran on stderr.")
def run(
    name: str,
    engine: str,
    params: dict[str, str],
    output: str,
    cache_dir: Path | None,
    workgroup: str | None,
    output_location: str | None,
    region: str | None,
    reuse_minutes: int | None,
    cost: CostSettings,
    show_sql: bool,
) -> None:
    """Run query template NAME and print its rows (stdout) and what it cost (stderr)."""
    from ..engines.api import execute_query

    # Cost guard (Athena, with --max-bytes/--location/--table): estimate, refuse over the limit.
    guarded = guard_query(name, params, cost, AwsOptions(region=region), engine=engine)
    result = execute_query(
        name,
        guarded.params,
        engine=engine,
        cache_dir=cache_dir,
        workgroup=workgroup,
        output_location=output_location,
        region=region,
        reuse_minutes=reuse_minutes,
    )
    if show_sql:
        _stderr.print(result.sql, markup=False, highlight=False)
    _print_frame(result.frame, output)
    _stderr.print(_summary(result), markup=False, highlight=False)
    print_comparison(guarded.estimate, result.bytes_scanned, bool(result.reused), _stderr)
