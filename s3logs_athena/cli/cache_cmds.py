"""``s3logs-athena sync`` and ``s3logs-athena ingest``: fill the local cache.

The summary goes to stderr as a table (stdout stays free), or to stdout as one JSON document
with ``--format json``. File names and keys are printed as text (:mod:`.safe_text`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TaskID, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from ..errors import S3LogsError
from .aws_options import AwsOptions, aws_options
from .days import DAY_FORMS, parse_day_range
from .output import echo_json, format_option, plural, progress_bars, progress_option, show_progress
from .safe_text import cell, visible

if TYPE_CHECKING:
    from rich.progress import Progress

    from ..cache import IngestReport, SyncReport
    from ..cache.remote import SyncProgress

_stderr = Console(stderr=True, soft_wrap=True)
_SHOWN = 5


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
def _progress_bar(enabled: bool) -> Iterator[Progress]:
    columns = (
        TextColumn("{task.description:<10}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with progress_bars(enabled, *columns) as bar:
        yield bar


def ingest_json(report: IngestReport, cache: Path) -> dict[str, Any]:
    """What an ingest did, as one JSON document (every file it left out included)."""
    parse = report.parse
    return {
        "cache": str(cache),
        "files_seen": report.files_seen,
        "files_ingested": report.files_ingested,
        "files_unchanged": report.files_unchanged,
        "files_replaced": report.files_replaced,
        "bytes_ingested": report.bytes_ingested,
        "records": parse.records,
        "blank_lines": parse.blank,
        "unparseable_lines": parse.failed,
        "unparseable_examples": [str(example) for example in parse.examples],
        "partitions_written": report.partitions_written,
        "records_in_replaced_partitions": report.records_in_replaced_partitions,
        "not_log_files": report.not_log_files,
        "binary_files": report.binary_files,
    }


def _left_out(files: list[str], what: str) -> Text:
    shown = ", ".join(files[:_SHOWN])
    more = f" (and {len(files) - _SHOWN} more)" if len(files) > _SHOWN else ""
    text = Text(f"{plural(len(files), 'file')} {what} and were left out", style="yellow")
    return text.append(f": {visible(shown)}{more}", style="")


def _print_ingest(report: IngestReport, cache: Path) -> None:
    parse = report.parse
    table = Table(title=cell(f"cache {cache}"), show_header=False, title_justify="left")
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
        _stderr.print(_left_out(report.not_log_files, "are not partitioned log objects"))
    if report.binary_files:
        _stderr.print(_left_out(report.binary_files, "are binary, not logs,"))
    if parse.failed:
        _stderr.print(
            Text(
                f"{parse.failed:,} lines are not S3 server access log records; they are not "
                "in the cache. First examples:",
                style="yellow",
            )
        )
        for example in parse.examples[:10]:
            _stderr.print(cell(f"  {example}"))


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
@format_option("table", "json")
@progress_option
def ingest(
    path: Path,
    cache_dir: Path | None,
    partition_root: str,
    rebuild: bool,
    output: str,
    progress: bool | None,
) -> None:
    """Ingest a local copy of the partitioned logs into the cache.

    PATH is laid out like the log bucket's PartitionedLogs/ (Year=YYYY/Month=MM/Day=DD/
    <bucket>/<file>), e.g. after `aws s3 sync s3://central-logs/PartitionedLogs/ PATH`.
    Gzipped log files are read as they are. Unchanged files are skipped on a rerun. Exit
    status 1 when PATH holds no log file.
    """
    from ..cache import ingest as ingest_directory
    from ..layout import Layout

    cache = _resolve_cache(cache_dir)
    with _progress_bar(show_progress(progress)) as bar:
        task: TaskID = bar.add_task("ingest", total=None)

        def on_progress(done: int, total: int, size: int) -> None:
            bar.update(task, completed=done, total=total)

        report = ingest_directory(
            path, cache, layout=Layout(partition_root), progress=on_progress, rebuild=rebuild
        )
    if output == "json":
        echo_json(ingest_json(report, cache))
    else:
        _print_ingest(report, cache)
    if report.files_seen == 0:
        others = len(report.not_log_files) + len(report.binary_files)
        raise S3LogsError(
            f"no log files under {visible(path)} ({plural(others, 'other file')}): expected "
            f"{partition_root}'s layout, Year=YYYY/Month=MM/Day=DD/<bucket>/<log file>"
        )


def sync_json(report: SyncReport, log_bucket: str, first: date, last: date) -> dict[str, Any]:
    """What a sync did, as one JSON document."""
    return {
        "log_bucket": log_bucket,
        "from": first,
        "to": last,
        "days": report.days,
        "objects_listed": report.objects_listed,
        "objects_downloaded": report.objects_downloaded,
        "objects_unchanged": report.objects_unchanged,
        "bytes_downloaded": report.bytes_downloaded,
        "skipped_keys": report.skipped_keys,
        "compacted_partitions": report.compacted_partitions,
        "compacted_objects_downloaded": report.compacted_objects_downloaded,
        "compacted_bytes_downloaded": report.compacted_bytes_downloaded,
        "raw_partitions_skipped": report.raw_partitions_skipped,
    }


@click.command()
@click.option("--log-bucket", required=True, help="The central log bucket.")
@click.option("--from", "start", required=True, help=f"First delivery day: {DAY_FORMS}.")
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
@_rebuild_option
@format_option("table", "json")
@progress_option
@aws_options
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
    rebuild: bool,
    output: str,
    progress: bool | None,
    aws: AwsOptions,
) -> None:
    """Download partitions from the log bucket and ingest them into the cache.

    Concurrent, resumable (rerun after an interruption) and incremental: objects already
    downloaded with the same ETag and size are skipped. Days compacted (s3logs-athena compact)
    come from the compacted table, one GET per compacted object.
    """
    from botocore.config import Config

    from ..cache import sync as sync_partitions
    from ..layout import Layout

    first_day, last_day = parse_day_range(start, end)
    first = first_day - timedelta(days=margin_days)
    last = last_day + timedelta(days=margin_days)
    bucket_list = [b.strip() for b in buckets.split(",") if b.strip()] if buckets else None
    cache = _resolve_cache(cache_dir)
    config = Config(max_pool_connections=workers + 4, retries={"mode": "standard"})
    client = aws.client("s3", config=config, region="us-east-1")
    with _progress_bar(show_progress(progress)) as bar:
        tasks: dict[str, TaskID] = {}

        def on_progress(event: SyncProgress) -> None:
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
            progress=on_progress,
            rebuild=rebuild,
            compacted=compacted,
        )
    if output == "json":
        document = sync_json(report, log_bucket, first, last)
        document["ingest"] = ingest_json(report.ingest, cache)
        echo_json(document)
        return
    _print_sync(report, first, last)
    _print_ingest(report.ingest, cache)


def _print_sync(report: SyncReport, first: date, last: date) -> None:
    _stderr.print(
        f"s3: {report.objects_listed:,} objects in {report.days} days ({first} to {last}); "
        f"downloaded {report.objects_downloaded:,} ({report.bytes_downloaded:,} bytes), "
        f"{report.objects_unchanged:,} unchanged",
        markup=False,
        highlight=False,
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
            Text(
                f"{len(report.skipped_keys)} keys are not log objects and were skipped, "
                f"e.g. {visible(report.skipped_keys[0])}",
                style="yellow",
            )
        )
