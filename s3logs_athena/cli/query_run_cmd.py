"""``s3logs-athena query run NAME``: run a query template on DuckDB (the cache) or Athena.

Rows go to stdout (:mod:`.frame_output`: a table, CSV or JSON), what the run cost to stderr;
a run with no rows on the cache says which days the cache holds.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console

from ..units import human_bytes
from .aws_options import AwsOptions, aws_options
from .cost_options import CostSettings, cost_options, guard_query, print_comparison
from .csv_output import csv_raw_option
from .frame_output import frame_csv, frame_json, print_table
from .output import plural
from .safe_text import visible
from .template_options import engine_location_options, param_option, template_name_argument

if TYPE_CHECKING:
    import pandas as pd

    from ..engines import QueryResult

_stderr = Console(stderr=True, soft_wrap=True)


def _print_frame(frame: pd.DataFrame, output: str, csv_raw: bool) -> None:
    if output == "csv":
        out = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="")
        try:
            frame_csv(frame, out, raw=csv_raw)
            out.flush()
        finally:
            out.detach()
    elif output == "json":
        click.echo(frame_json(frame))
    else:
        print_table(frame)


def _summary(result: QueryResult) -> str:
    parts = [
        plural(len(result.frame), "row"),
        f"engine {result.engine}",
        f"{result.seconds:.2f} s",
        f"data scanned {human_bytes(result.bytes_scanned)}",
    ]
    if result.engine == "athena":
        parts.append(f"est. cost ${result.cost_usd or 0:.6f}")
        parts.append("result reused" if result.reused else "not reused")
    return " | ".join(parts)


def _what_the_cache_holds(cache_dir: Path | None) -> str:
    from ..cache import default_cache_dir
    from ..cache.contents import cache_contents

    contents = cache_contents(cache_dir or default_cache_dir())
    return f"No rows: {visible(contents.describe())}."


@click.command()
@template_name_argument
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
    help="json: a list of row objects; csv: a header, then quoted rows (see --csv-raw).",
)
@csv_raw_option
@engine_location_options
@cost_options()
@click.option("--show-sql", is_flag=True, help="Print the SQL that ran on stderr.")
@aws_options
def run(
    name: str,
    engine: str,
    params: dict[str, str],
    output: str,
    csv_raw: bool,
    cache_dir: Path | None,
    workgroup: str | None,
    output_location: str | None,
    reuse_minutes: int | None,
    cost: CostSettings,
    show_sql: bool,
    aws: AwsOptions,
) -> None:
    """Run query template NAME and print its rows (stdout) and what it cost (stderr)."""
    from ..engines.api import execute_query

    # Cost guard (Athena, with --max-bytes/--location/--table): estimate, refuse over the limit.
    guarded = guard_query(name, params, cost, aws, engine=engine)
    result = execute_query(
        name,
        guarded.params,
        engine=engine,
        cache_dir=cache_dir,
        workgroup=workgroup,
        output_location=output_location,
        region=aws.region,
        profile=aws.profile,
        endpoint_url=aws.endpoint_url,
        reuse_minutes=reuse_minutes,
        guard=False,  # guard_query did it, with this command's options
    )
    if show_sql:
        _stderr.print(result.sql, markup=False, highlight=False)
    _print_frame(result.frame, output, csv_raw)
    _stderr.print(_summary(result), markup=False, highlight=False)
    print_comparison(guarded.estimate, result.bytes_scanned, bool(result.reused), _stderr)
    if result.frame.empty and engine == "duckdb":
        _stderr.print(_what_the_cache_holds(cache_dir), markup=False, highlight=False)
