"""``s3logs-athena sync`` and ``s3logs-athena ingest``: fill the local cache."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from ..errors import InputError

if TYPE_CHECKING:
    from ..cache import IngestReport, SyncReport
    from ..cache.remote import SyncProgress

_RELATIVE = re.compile(r"-(\d{1,5})d")
_stderr = Console(stderr=True, soft_wrap=True)


def parse_day(text: str, option: str) -> date:
    """``2024-01-31``, ``today``, ``yesterday`` or ``-7d`` (seven days ago, UTC)."""
    today = datetime.now(UTC).date()
    lowered = text.strip().lower()
    if lowered == "today":
        return today
    if lowered == "yesterday":
        return today - timedelta(days=1)
    relative = _RELATIVE.fullmatch(lowered)
    if relative:
        return today - timedelta(days=int(relative[1]))
    try:
        return date.fromisoformat(lowered)
    except ValueError:
        raise InputError(
            f"{option} {text!r} is not a date: use YYYY-MM-DD, today, yesterday or -Nd"
        ) from None


def _cache_option(func: click.decorators.FC) -> click.decorators.FC:
    return click.option(
        "--cache",
        "cache_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Cache directory [default: $S3LOGS_ATHENA_CACHE or ~/.cache/s3logs-athena].",
    )(func)


def _rebuild_option(func: click.decorators.FC) -> click.decorators.FC:
    return click.option(
        "--rebuild",
        is_flag=True,
        help="Empty a cache written by an older version first (its downloads are reused) "
        "instead of refusing it.",
    )(func)


def _resolve_cache(cache_dir: Path | None) -> Path:
    from ..cache import default_cache_dir

    return cache_dir if cache_dir is not None else default_cache_dir()


@contextmanager
def _progress_bar() -> Iterator[Progress]:
    with Progress(
        TextColumn("{task.description:<10}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=_stderr,
        transient=True,
    ) as bar:
        yield bar


def _print_ingest(report: IngestReport, cache: Path) -> None:
    parse = report.parse
    table = Table(title=f"cache {cache}", show_header=False, title_justify="left")
    table.add_row("log files ingested", f"{report.files_ingested:,}")
    table.add_row("log files unchanged (skipped)", f"{report.files_unchanged:,}")
    if report.files_replaced:
        table.add_row("log files changed (rows replaced)", f"{report.files_replaced:,}")
    table.add_row("bytes ingested", f"{report.bytes_ingested:,}")
    table.add_row("records", f"{parse.records:,}")
    table.add_row("blank lines", f"{parse.blank:,}")
    table.add_row("unparseable lines", f"{parse.failed:,}")
    table.add_row("partition files written", f"{report.partitions_written:,}")
    if report.records_in_replaced_partitions:
        table.add_row(
            "records left to compacted partitions", f"{report.records_in_replaced_partitions:,}"
        )
    _stderr.print(table)
    if report.not_log_files:
        shown = ", ".join(report.not_log_files[:5])
        more = len(report.not_log_files) - 5
        _stderr.print(
            f"[yellow]{len(report.not_log_files)} files are not partitioned log objects and were "
            f"left out[/yellow]: {shown}{f' (and {more} more)' if more > 0 else ''}"
        )
    if parse.failed:
        _stderr.print(
            f"[yellow]{parse.failed:,} lines are not S3 server access log records; they are not "
            "in the cache. First examples:[/yellow]"
        )
        for example in parse.examples[:10]:
            _stderr.print(f"  {example}", markup=False, highlight=False)


@click.command()
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
@_cache_option
@click.option(
    "--partition-root",
    default="PartitionedLogs/",
    show_default=True,
    help="Key prefix of the partitions in the log bucket (its layout under PATH is the same).",
)
@_rebuild_option
def ingest(path: Path, cache_dir: Path | None, partition_root: str, rebuild: bool) -> None:
    """Ingest a local copy of the partitioned logs into the cache.

    PATH is laid out like the log bucket's PartitionedLogs/ (Year=YYYY/Month=MM/Day=DD/
    <bucket>/<file>), e.g. after `aws s3 sync s3://central-logs/PartitionedLogs/ PATH`.
    Unchanged files are skipped on a rerun.
    """
    from ..cache import ingest as ingest_directory
    from ..layout import Layout

    cache = _resolve_cache(cache_dir)
    with _progress_bar() as bar:
        task: TaskID = bar.add_task("ingest", total=None)

        def progress(done: int, total: int, size: int) -> None:
            bar.update(task, completed=done, total=total)

        report = ingest_directory(
            path, cache, layout=Layout(partition_root), progress=progress, rebuild=rebuild
        )
    _print_ingest(report, cache)


@click.command()
@click.option("--log-bucket", required=True, help="The central log bucket.")
@click.option("--from", "start", required=True, help="First delivery day (YYYY-MM-DD or -Nd).")
@click.option("--to", "end", required=True, help="Last delivery day, inclusive.")
@click.option(
    "--buckets",
    default=None,
    help="Comma-separated source buckets to fetch [default: every bucket].",
)
@click.option(
    "--margin-days",
    type=click.IntRange(0, 7),
    default=1,
    show_default=True,
    help="Also fetch this many days before and after: records arrive in the next day's "
    "partition, and queries read the day before their start.",
)
@_cache_option
@click.option("--partition-root", default="PartitionedLogs/", show_default=True)
@click.option(
    "--compacted/--raw-only",
    default=True,
    show_default=True,
    help="Take the days the compacted table holds completely from it (one GET per compacted "
    "object) and only the others from raw objects; the cache is the same either way.",
)
@click.option("--compacted-root", default="CompactedLogs/", show_default=True)
@click.option("--workers", type=click.IntRange(1, 64), default=16, show_default=True)
@click.option("--region", default=None, help="AWS region of the log bucket.")
@_rebuild_option
def sync(
    log_bucket: str,
    start: str,
    end: str,
    buckets: str | None,
    margin_days: int,
    cache_dir: Path | None,
    partition_root: str,
    compacted: bool,
    compacted_root: str,
    workers: int,
    region: str | None,
    rebuild: bool,
) -> None:
    """Download partitions from the log bucket and ingest them into the cache.

    Concurrent, resumable (rerun after an interruption) and incremental: objects already
    downloaded with the same ETag and size are skipped. Days compacted (s3logs-athena compact)
    come from the compacted table, one GET per compacted object. Honors AWS_ENDPOINT_URL.
    """
    import boto3

    from ..cache import sync as sync_partitions
    from ..layout import Layout

    first = parse_day(start, "--from") - timedelta(days=margin_days)
    last = parse_day(end, "--to") + timedelta(days=margin_days)
    bucket_list = [b.strip() for b in buckets.split(",") if b.strip()] if buckets else None
    cache = _resolve_cache(cache_dir)
    client = boto3.client("s3", region_name=region)
    with _progress_bar() as bar:
        tasks: dict[str, TaskID] = {}

        def progress(event: SyncProgress) -> None:
            if event.phase not in tasks:
                tasks[event.phase] = bar.add_task(event.phase, total=event.total or None)
            bar.update(tasks[event.phase], completed=event.done, total=event.total or None)

        report = sync_partitions(
            client,
            log_bucket,
            first,
            last,
            bucket_list,
            cache,
            layout=Layout(partition_root, compacted_root=compacted_root),
            workers=workers,
            progress=progress,
            rebuild=rebuild,
            compacted=compacted,
        )
    _print_sync(report, first, last)
    _print_ingest(report.ingest, cache)


def _print_sync(report: SyncReport, first: date, last: date) -> None:
    _stderr.print(
        f"s3: {report.objects_listed:,} objects in {report.days} days ({first} to {last}); "
        f"downloaded {report.objects_downloaded:,} ({report.bytes_downloaded:,} bytes), "
        f"{report.objects_unchanged:,} unchanged"
    )
    if report.compacted_partitions:
        _stderr.print(
            f"compacted: {report.compacted_partitions:,} request days (per bucket) from the "
            f"compacted table, {report.compacted_objects_downloaded:,} objects downloaded "
            f"({report.compacted_bytes_downloaded:,} bytes); "
            f"{report.raw_partitions_skipped:,} raw partitions not needed",
            highlight=False,
        )
    if report.skipped_keys:
        _stderr.print(
            f"[yellow]{len(report.skipped_keys)} keys are not log objects and were skipped, "
            f"e.g. {report.skipped_keys[0]!r}[/yellow]"
        )
