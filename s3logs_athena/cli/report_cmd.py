"""``s3logs-athena report``: the report's queries on DuckDB or Athena, as one HTML file.

``--out`` is checked before any query runs, and the file is written whole (a temporary file
renamed into place): an interrupted run leaves the previous report, or none.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from .aws_options import AwsOptions, aws_options
from .cost_options import CostSettings, cost_options, guard_report
from .days import DAY_FORMS, parse_day_range
from .paths import atomic_path, check_writable_file
from .safe_text import cell, visible
from .template_options import engine_location_options

if TYPE_CHECKING:
    from ..engines import Engine
    from ..report.data import ReportData, ReportOptions

_stderr = Console(stderr=True, soft_wrap=True)

# ReportOptions' defaults (s3logs_athena.report.options), spelled out so that `--help` does
# not import the report's chart libraries; tests/test_report_cmd.py keeps them equal.
DEFAULT_BULK_MIN_BYTES_PER_DAY = "10GB"
DEFAULT_BULK_BASELINE_FACTOR = 4.0


def print_summary(data: ReportData, console: Console) -> None:
    """The report's headline figures as a two-column table."""
    table = Table(show_header=False, title="Report summary", title_justify="left")
    for label, value in data.summary().items():
        table.add_row(cell(label), cell(f"{value:,}" if isinstance(value, int) else value))
    console.print(table)


def run_with_progress(
    options: ReportOptions, console: Console, engine: Engine | None = None
) -> ReportData:
    """Run the report's queries (on ``engine``, else the options' engine) with a progress
    bar on ``console``."""
    from ..report.data import run_report

    with Progress(
        TextColumn("{task.description:<24}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as bar:
        task = bar.add_task("queries", total=None)

        def progress(name: str, done: int, total: int) -> None:
            bar.update(task, description=name, completed=done, total=total)

        return run_report(options, progress=progress, engine=engine)


@click.command()
@click.option(
    "--engine",
    type=click.Choice(["duckdb", "athena"]),
    default="duckdb",
    show_default=True,
    help="duckdb: the local cache; athena: the table, through pyathena.",
)
@click.option("--from", "start", required=True, help=f"First day: {DAY_FORMS}.")
@click.option("--to", "end", required=True, help="Last day (UTC), inclusive.")
@click.option(
    "--buckets", default=None, help="Comma-separated source buckets [default: every bucket]."
)
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("report.html"),
    show_default=True,
    help="The HTML file to write (self-contained: opens offline).",
)
@engine_location_options
@click.option("--database", default=None, help="Database of the table [s3_access_logs_db].")
@click.option("--table", default=None, help="Table over the partitioned logs [s3_access_logs].")
@cost_options(tables=False, dest="cost_settings")
@click.option(
    "--top", type=click.IntRange(1, 1000), default=10, show_default=True, help="Rows of top lists."
)
@click.option(
    "--bulk-per-day",
    default=DEFAULT_BULK_MIN_BYTES_PER_DAY,
    show_default=True,
    help="A requester and address whose GETs received this much in one UTC day (and "
    "--bulk-factor times its typical day) made a bulk download.",
)
@click.option(
    "--bulk-factor",
    type=click.FloatRange(1),
    default=DEFAULT_BULK_BASELINE_FACTOR,
    show_default=True,
    help="How many times its typical day (median of its other days in the range) a "
    "requester and address's day must be to be a bulk download.",
)
@click.option(
    "--bulk-min-bytes",
    default=None,
    help="Instead of the per-day rule: a requester and address whose GETs received this much "
    "over the whole range made a bulk download (e.g. 50GB).",
)
@click.option(
    "--burst-min",
    type=click.IntRange(1),
    default=50,
    show_default=True,
    help="403s in one hour to one requester and address that make a burst.",
)
@click.option(
    "--deletion-share",
    type=click.FloatRange(0, 1, min_open=True),
    default=0.5,
    show_default=True,
    help="A principal whose requests are at least this share deletions is unusual.",
)
@aws_options
def report(
    engine: str,
    start: str,
    end: str,
    buckets: str | None,
    out: Path,
    cache_dir: Path | None,
    workgroup: str | None,
    output_location: str | None,
    reuse_minutes: int | None,
    database: str | None,
    table: str | None,
    cost_settings: CostSettings,
    top: int,
    bulk_per_day: str,
    bulk_factor: float,
    bulk_min_bytes: str | None,
    burst_min: int,
    deletion_share: float,
    aws: AwsOptions,
) -> None:
    """Write an HTML report of a range of days: requests and errors per day and bucket,
    egress, top requesters and addresses, and the incident findings (bulk downloads,
    bursts of access denied, deletions by unusual principals, old TLS, server errors).

    DuckDB reads the local cache (fill it with `s3logs-athena sync`; sync one day more on
    each side, as records arrive in the next day's partition); Athena queries the table.
    """
    from ..engines import make_engine
    from ..report.data import ReportOptions

    bucket_list = tuple(b.strip() for b in buckets.split(",") if b.strip()) if buckets else None
    if buckets is not None and not bucket_list:
        raise click.BadParameter("give at least one bucket name", param_hint="--buckets")
    first, last = parse_day_range(start, end)
    check_writable_file(out)
    options = ReportOptions(
        start=first,
        end=last,
        buckets=bucket_list,
        engine=engine,
        cache_dir=cache_dir,
        workgroup=workgroup,
        output_location=output_location,
        region=aws.region,
        reuse_minutes=reuse_minutes,
        database=database,
        table=table,
        top=top,
        bulk_min_bytes_per_day=bulk_per_day,
        bulk_baseline_factor=bulk_factor,
        bulk_min_bytes=bulk_min_bytes,
        burst_min_requests=burst_min,
        unusual_deletion_share=deletion_share,
    )
    # Cost guard (Athena, with --max-bytes/--location): the whole report against the limit.
    estimates = guard_report(options, cost_settings, aws)
    engine_runner = make_engine(
        engine,
        cache_dir=cache_dir,
        workgroup=workgroup,
        output_location=output_location,
        region=aws.region,
        profile=aws.profile,
        endpoint_url=aws.endpoint_url,
        reuse_minutes=reuse_minutes,
    )
    try:
        data = run_with_progress(options, _stderr, engine_runner)
    finally:
        close = getattr(engine_runner, "close", None)
        if close is not None:
            close()
    data.estimates.update(estimates)
    with atomic_path(out) as temporary:
        data.write_html(temporary)
    print_summary(data, _stderr)
    if engine == "duckdb" and not data.summary().get("requests"):
        from ..cache import default_cache_dir
        from ..cache.contents import cache_contents

        holds = cache_contents(cache_dir or default_cache_dir()).describe()
        _stderr.print(
            f"No requests from {first} to {last}: {visible(holds)}.", markup=False, highlight=False
        )
    scanned = f", {data.bytes_scanned:,} bytes scanned"
    cost = f", est. cost ${data.cost_usd:.4f}" if engine == "athena" else ""
    _stderr.print(
        f"{len(data.results)} queries on {engine} in {data.seconds:.1f} s{scanned}{cost}",
        markup=False,
        highlight=False,
    )
    click.echo(visible(out))
