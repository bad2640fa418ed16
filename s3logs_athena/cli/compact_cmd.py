"""``s3logs-athena compact``: compact closed raw partitions into the typed Parquet table.

Thin: parses options, calls :func:`s3logs_athena.table.compaction.run_compaction`, prints a
summary (a table, or one JSON document with ``--format json``). Progress bars on stderr only
when it is a terminal. Exit 0 when every partition is compacted or up to date, 1 when any
failed, 2 on usage errors.
"""

from __future__ import annotations

import functools
import os
import sys
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from ..errors import InputError
from ..layout import (
    DEFAULT_COMPACTED_ROOT,
    DEFAULT_DATABASE,
    DEFAULT_PARTITION_ROOT,
    DEFAULT_TABLE,
    Layout,
)
from ..units import human_bytes
from .aws_options import AwsOptions, aws_options
from .days import DAY_FORMS, parse_day_range
from .output import echo_json, format_option, progress_bars, progress_option, show_progress
from .safe_text import cell, visible

if TYPE_CHECKING:
    from ..table.compaction import CompactionSummary, PartitionResult

__all__ = ["compact"]

_SHOWN = 50


def _s3_client(aws: AwsOptions, concurrency: int) -> Any:
    """An S3 client for ``concurrency`` threads (module level: worker processes build
    theirs from this, so it must pickle)."""
    from ..table.compaction.s3io import make_client_config

    return aws.client("s3", config=make_client_config(concurrency))


class _Bars:
    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._partitions: TaskID | None = None
        self._bytes: TaskID | None = None

    def planned(self, partitions: int, objects: int, size: int) -> None:
        self._partitions = self._progress.add_task("partitions", total=partitions)
        self._bytes = self._progress.add_task(f"{objects:,} raw objects", total=size or None)

    def object_done(self, size: int) -> None:
        if self._bytes is not None:
            self._progress.advance(self._bytes, size)

    def partition_done(self, result: PartitionResult) -> None:
        if self._partitions is not None:
            self._progress.advance(self._partitions, 1)


_BAR_COLUMNS = (
    TextColumn("{task.description}"),
    BarColumn(),
    MofNCompleteColumn(),
    DownloadColumn(),
    TimeElapsedColumn(),
)


def _print_summary(summary: CompactionSummary, console: Console) -> None:
    shown = [p for p in summary.partitions if p.status not in ("up_to_date", "failed")]
    shown.sort(key=lambda p: (p.day, p.bucket))
    if shown:
        table = Table(header_style="bold")
        for column in ("day", "bucket", "status"):
            table.add_column(column, overflow="fold")
        for column in ("objects", "records", "rejects", "size"):
            table.add_column(column, justify="right")
        for p in shown[:_SHOWN]:
            size = human_bytes(p.bytes_in) if summary.dry_run else f"{human_bytes(p.bytes_out)}"
            table.add_row(
                p.day.isoformat(),
                cell(p.bucket),
                cell(p.status),
                f"{p.objects:,}",
                f"{p.records:,}",
                f"{p.rejects:,}",
                size,
            )
        console.print(table)
        if len(shown) > _SHOWN:
            console.print(f"... and {len(shown) - _SHOWN} more (--format json lists all)")
    for p in sorted(summary.failed, key=lambda p: (p.day, p.bucket)):
        console.print(
            Text.assemble(
                ("failed ", "red"), f"{p.day} {visible(p.bucket)}: {visible(p.error or '')}"
            ),
            soft_wrap=True,
        )
    totals = summary.totals()
    verb = "Would compact" if summary.dry_run else "Compacted"
    ratio = ""
    if totals["bytes_out"] and totals["bytes_in"]:
        ratio = f" (1/{totals['bytes_in'] / totals['bytes_out']:.1f})"
    console.print(
        f"{verb} {totals['compacted']} raw partitions, re-compacted {totals['recompacted']}, "
        f"{totals['up_to_date']} up to date, {totals['failed']} failed "
        f"(s3://{visible(summary.log_bucket)}/, {summary.first_day} to {summary.last_day}, "
        f"in {summary.seconds:.1f} s).",
        soft_wrap=True,
        highlight=False,
    )
    if not summary.dry_run:
        console.print(
            f"{totals['objects']:,} raw objects, {totals['records']:,} records, "
            f"{totals['rejects']:,} rejected lines; {human_bytes(totals['bytes_in'])} in, "
            f"{human_bytes(totals['bytes_out'])} out{ratio} in {totals['outputs']} Parquet "
            "objects.",
            soft_wrap=True,
            highlight=False,
        )
    if summary.open_days:
        first, last = summary.open_days[0], summary.open_days[-1]
        span = str(first) if first == last else f"{first} to {last}"
        console.print(
            f"Not closed yet (skipped): {span}; the last closed day is {summary.last_closed_day}.",
            soft_wrap=True,
            highlight=False,
        )


@click.command("compact")
@click.option("--log-bucket", required=True, help="The central log bucket.")
@click.option("--from", "start", required=True, help=f"First raw partition day: {DAY_FORMS}.")
@click.option("--to", "end", required=True, help="Last raw partition day, inclusive.")
@click.option("--buckets", help="Only these source buckets (comma-separated) [default: all].")
@click.option("--dry-run", is_flag=True, help="Say what would be compacted; write nothing.")
@click.option(
    "--grace",
    default="3h",
    show_default=True,
    help="Raw partition D is closed (compacted) once day D+1 has ended plus this long "
    "(S3 delivers late): 90m, 3h, 1d.",
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 64),
    default=min(4, os.cpu_count() or 1),
    show_default="min(4, CPUs)",
    help="Raw partitions compacted at once (each in its own process when more than one).",
)
@click.option(
    "--read-concurrency",
    type=click.IntRange(1, 256),
    default=32,
    show_default=True,
    help="Raw objects fetched at once per partition.",
)
@click.option(
    "--row-group-rows",
    type=click.IntRange(1024, 4_194_304),
    default=131_072,
    show_default=True,
    help="Rows per Parquet row group; also the bound on rows held in memory per partition.",
)
@click.option("--partition-root", default=DEFAULT_PARTITION_ROOT, show_default=True)
@click.option("--compacted-root", default=DEFAULT_COMPACTED_ROOT, show_default=True)
@click.option(
    "--update-view",
    is_flag=True,
    help="Afterwards, re-apply the view over both tables on Athena with the days now "
    "compacted (needs --workgroup or --output-location).",
)
@click.option("--database", default=DEFAULT_DATABASE, show_default=True, help="For --update-view.")
@click.option("--table", default=DEFAULT_TABLE, show_default=True, help="For --update-view.")
@click.option(
    "--workgroup",
    envvar="AWS_ATHENA_WORK_GROUP",
    show_envvar=True,
    help="Athena workgroup for --update-view.",
)
@click.option(
    "--output-location",
    envvar="AWS_ATHENA_S3_STAGING_DIR",
    show_envvar=True,
    metavar="S3_URI",
    help="Athena query result location for --update-view.",
)
@format_option("table", "json")
@progress_option
@aws_options
def compact(
    log_bucket: str,
    start: str,
    end: str,
    buckets: str | None,
    dry_run: bool,
    grace: str,
    concurrency: int,
    read_concurrency: int,
    row_group_rows: int,
    partition_root: str,
    compacted_root: str,
    update_view: bool,
    database: str,
    table: str,
    workgroup: str | None,
    output_location: str | None,
    output: str,
    progress: bool | None,
    aws: AwsOptions,
) -> None:
    """Compact closed raw partitions into the typed Parquet table (CompactedLogs/).

    Every raw partition (delivery day, source bucket) in the range that is closed and has no
    manifest, or whose manifest no longer matches its objects (late arrivals), is read,
    parsed, typed, sorted by request time and written as Parquet under each record's own
    request day; its manifest is written last. Re-running changes nothing that is up to
    date.

    \b
    Examples:
      s3logs-athena compact --log-bucket central-logs --from -9d --to -2d
      s3logs-athena compact --log-bucket central-logs --from 2024-05-01 --to 2024-05-31 \\
          --buckets app,www --dry-run
    """
    from ..check.rules import parse_duration
    from ..table.compaction import CompactionRequest, CompactionSettings, run_compaction

    bucket_names = None
    if buckets is not None:
        bucket_names = tuple(name.strip() for name in buckets.split(",") if name.strip())
        if not bucket_names:
            raise InputError("--buckets is empty: give bucket names separated by commas")
    if update_view and dry_run:
        raise InputError("--update-view and --dry-run exclude each other")
    if update_view and not (workgroup or output_location):
        raise InputError(
            "--update-view needs --workgroup (with a query result location) or "
            "--output-location s3://BUCKET/PREFIX/ (or AWS_ATHENA_S3_STAGING_DIR)"
        )
    first_day, last_day = parse_day_range(start, end)
    request = CompactionRequest(
        log_bucket=log_bucket,
        first_day=first_day,
        last_day=last_day,
        buckets=bucket_names,
        grace=parse_duration(grace, setting="--grace"),
        dry_run=dry_run,
        concurrency=concurrency,
    )
    settings = CompactionSettings(
        layout=Layout(partition_root=partition_root, compacted_root=compacted_root),
        row_group_rows=row_group_rows,
        read_concurrency=read_concurrency,
    )
    s3 = _s3_client(aws, max(16, read_concurrency))
    factory = functools.partial(_s3_client, aws, read_concurrency)
    with progress_bars(show_progress(progress), *_BAR_COLUMNS) as bar:
        bars = _Bars(bar)
        summary = run_compaction(s3, request, settings, client_factory=factory, progress=bars)
    view: dict[str, Any] | None = None
    if update_view:
        from ..table.views import update_all_view

        view = update_all_view(
            s3,
            aws,
            log_bucket=log_bucket,
            database=database,
            table=table,
            layout=settings.layout,
            workgroup=workgroup,
            output_location=output_location,
        )
    if output == "json":
        document = summary.to_json()
        if view is not None:
            document["view"] = view
        echo_json(document)
    else:
        console = Console(soft_wrap=False)
        _print_summary(summary, console)
        if view is not None:
            console.print(
                f"Updated {visible(view['view'])}: {view['covered_days']} compacted days "
                f"of {view['buckets']} buckets read from the compacted table.",
                soft_wrap=True,
                highlight=False,
            )
    sys.exit(0 if summary.ok else 1)
