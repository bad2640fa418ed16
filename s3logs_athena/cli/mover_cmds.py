"""``s3logs-athena backfill`` and ``s3logs-athena redrive``: the mover's operations.

Both reach AWS through ``--region/--profile/--endpoint-url`` (over the environment), so they
work against any endpoint, a moto server included; ``redrive`` takes its region from the
queue URL when nothing else names one. Progress bars go to stderr when it is a terminal (or
with ``--progress``); the summary goes to stdout, as a table or (``--format json``) one JSON
document that lists everything, every key included.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from ..errors import S3LogsError
from ..layout import DEFAULT_PARTITION_ROOT, DEFAULT_SOURCE_PATTERN, Layout, validate_bucket_name
from ..mover.backfill import (
    BackfillSummary,
    ListingStats,
    Straggler,
    find_stragglers,
    move_stragglers,
    parse_duration,
)
from ..mover.move import MoveOutcome, MoveResult
from ..mover.redrive import RedriveSummary, check_queue_urls, queue_depth, region_from_queue_url
from ..mover.redrive import redrive as redrive_messages
from ..mover.retry import RetryPolicy
from .aws_options import AwsOptions, aws_options
from .output import echo_json, format_option, progress_bars, progress_option, show_progress
from .safe_text import cell, visible

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

_SHOWN = 10
_BAR_COLUMNS = (
    SpinnerColumn(),
    TextColumn("{task.description}"),
    BarColumn(),
    MofNCompleteColumn(),
    TimeElapsedColumn(),
)


def _s3(aws: AwsOptions, concurrency: int) -> S3Client:
    from botocore.config import Config

    # botocore's own retries (standard mode) on top of the mover's: an operator's run has
    # no Lambda deadline to respect. S3 needs no region to be reached (us-east-1 redirects).
    config = Config(max_pool_connections=concurrency + 4, retries={"mode": "standard"})
    client: S3Client = aws.client("s3", config=config, region="us-east-1")
    return client


def _failure_table(failures: list[MoveResult]) -> Table:
    table = Table(title=f"Not moved (first {min(len(failures), _SHOWN)})")
    table.add_column("key")
    table.add_column("outcome")
    table.add_column("cause")
    for result in failures[:_SHOWN]:
        table.add_row(cell(result.key), result.outcome.value, cell(result.error or ""))
    return table


def _result_json(result: MoveResult) -> dict[str, Any]:
    return {
        "key": result.key,
        "target_key": result.target_key,
        "outcome": result.outcome.value,
        "attempts": result.attempts,
        "error": result.error,
        "error_code": result.error_code,
    }


def backfill_json(
    log_bucket: str,
    prefix: str,
    older_than: str,
    dry_run: bool,
    stats: ListingStats,
    stragglers: list[Straggler],
    summary: BackfillSummary | None,
) -> dict[str, Any]:
    """Everything ``backfill`` found and did, as one JSON document."""
    document: dict[str, Any] = {
        "log_bucket": log_bucket,
        "prefix": prefix,
        "older_than": older_than,
        "dry_run": dry_run,
        "listed": stats.listed,
        "not_log_keys": stats.not_log_keys,
        "not_log_examples": stats.not_log_examples,
        "too_recent": stats.too_recent,
        "stragglers": stats.stragglers,
        "straggler_keys": [
            {
                "key": s.key,
                "target_key": s.target_key,
                "size": s.size,
                "last_modified": s.last_modified,
            }
            for s in stragglers
        ],
    }
    if summary is not None:
        document["outcomes"] = {o.value: summary.outcomes[o] for o in MoveOutcome}
        document["retried"] = summary.retried
        document["failures"] = [_result_json(result) for result in summary.failures]
    return document


def _print_backfill(
    log_bucket: str,
    prefix: str,
    older_than: str,
    dry_run: bool,
    stats: ListingStats,
    stragglers: list[Straggler],
    summary: BackfillSummary | None,
) -> None:
    out = Console()
    title = cell(f"backfill s3://{log_bucket}/{prefix}" + (" (dry run)" if dry_run else ""))
    table = Table(title=title)
    table.add_column("")
    table.add_column("objects", justify="right")
    table.add_row("listed (outside the partition root)", f"{stats.listed:,}")
    table.add_row("not log objects (left alone)", f"{stats.not_log_keys:,}")
    table.add_row(cell(f"younger than {older_than} (left to the mover)"), f"{stats.too_recent:,}")
    table.add_row("stragglers", f"{stats.stragglers:,}")
    if summary is not None:
        for outcome in MoveOutcome:
            if summary.outcomes[outcome]:
                table.add_row(f"  {outcome.value}", f"{summary.outcomes[outcome]:,}")
        table.add_row("  needed retries", f"{summary.retried:,}")
    out.print(table)
    # Keys as plain lines (no wrapping), so they can be copied or grepped.
    if stats.not_log_examples:
        click.echo("not log objects, e.g.: " + ", ".join(map(visible, stats.not_log_examples)))
    if dry_run:
        for straggler in stragglers[:_SHOWN]:
            click.echo(f"would move {visible(straggler.key)} -> {visible(straggler.target_key)}")
        if len(stragglers) > _SHOWN:
            click.echo(f"... and {len(stragglers) - _SHOWN:,} more (--format json lists all)")
    elif summary is not None and summary.failures:
        out.print(_failure_table(summary.failures))


@click.command(name="backfill")
@click.option("--log-bucket", required=True, help="The central log bucket.")
@click.option("--prefix", default="", help="Only look under this key prefix.")
@click.option(
    "--older-than",
    default="15m",
    show_default=True,
    help="Only objects last modified before this long ago (younger ones are likely still "
    "on their way through the queue): 30s, 15m, 2h, 1d.",
)
@click.option("--dry-run", is_flag=True, help="List what would be moved; move nothing.")
@click.option(
    "--partition-root", default=DEFAULT_PARTITION_ROOT, show_default=True, help="Target root."
)
@click.option(
    "--source-pattern",
    default=DEFAULT_SOURCE_PATTERN,
    show_default=True,
    help="Where SimplePrefix logs arrive ({bucket} = the source bucket).",
)
@click.option("--target-bucket", help="Move into this bucket (default: the log bucket).")
@click.option("--concurrency", default=16, show_default=True, type=click.IntRange(1, 256))
@click.option(
    "--max-attempts",
    default=6,
    show_default=True,
    type=click.IntRange(1, 50),
    help="Attempts per object before it is reported as not moved.",
)
@format_option("table", "json")
@progress_option
@aws_options
def backfill(
    log_bucket: str,
    prefix: str,
    older_than: str,
    dry_run: bool,
    partition_root: str,
    source_pattern: str,
    target_bucket: str | None,
    concurrency: int,
    max_attempts: int,
    output: str,
    progress: bool | None,
    aws: AwsOptions,
) -> None:
    """Move log objects the mover missed (still under a source key, older than
    --older-than) through the same code path. Idempotent: safe to interrupt and rerun."""
    validate_bucket_name(log_bucket)
    if target_bucket:
        validate_bucket_name(target_bucket)
    layout = Layout(partition_root=partition_root, source_pattern=source_pattern)
    age = parse_duration(older_than)
    s3 = _s3(aws, concurrency)
    stats = ListingStats()

    with progress_bars(show_progress(progress), *_BAR_COLUMNS, transient=False) as bars:
        listing = bars.add_task(visible(f"listing s3://{log_bucket}/{prefix}"), total=None)
        stragglers = list(
            find_stragglers(
                s3,
                bucket=log_bucket,
                layout=layout,
                prefix=prefix,
                older_than=age,
                stats=stats,
                on_listed=lambda n: bars.update(listing, completed=n),
            )
        )
        bars.update(listing, total=stats.listed, completed=stats.listed)
        summary = None
        if not dry_run and stragglers:
            moving = bars.add_task("moving", total=len(stragglers))
            summary = move_stragglers(
                s3,
                stragglers,
                bucket=log_bucket,
                layout=layout,
                target_bucket=target_bucket,
                concurrency=concurrency,
                retry=RetryPolicy(max_attempts=max_attempts),
                on_result=lambda _: bars.advance(moving),
            )

    facts = (log_bucket, prefix, older_than, dry_run, stats, stragglers, summary)
    if output == "json":
        echo_json(backfill_json(*facts))
    else:
        _print_backfill(*facts)
    if summary is not None and summary.failures:
        raise S3LogsError(
            f"{len(summary.failures):,} of {len(stragglers):,} objects were not moved (their "
            "sources are untouched); fix the cause and run backfill again"
        )


def redrive_json(summary: RedriveSummary, dlq_url: str, queue_url: str) -> dict[str, Any]:
    """What ``redrive`` found and did, as one JSON document."""
    depth = summary.dlq
    return {
        "dlq": dlq_url,
        "queue": queue_url,
        "dry_run": summary.dry_run,
        "dlq_depth": {
            "visible": depth.visible,
            "in_flight": depth.in_flight,
            "delayed": depth.delayed,
        },
        "moved": summary.moved,
        "failed": summary.failed,
        "errors": summary.errors,
    }


@click.command(name="redrive")
@click.option("--dlq", "dlq_url", required=True, metavar="URL", help="The dead-letter queue.")
@click.option("--queue", "queue_url", required=True, metavar="URL", help="The mover's queue.")
@click.option("--dry-run", is_flag=True, help="Show how many messages wait; move none.")
@click.option("--limit", type=click.IntRange(1), help="Move at most this many messages.")
@format_option("table", "json", help="table: a sentence for people; json: one document.")
@progress_option
@aws_options
def redrive(
    dlq_url: str,
    queue_url: str,
    dry_run: bool,
    limit: int | None,
    output: str,
    progress: bool | None,
    aws: AwsOptions,
) -> None:
    """Move the DLQ's messages back to the mover's queue once their cause is fixed.
    A message leaves the DLQ only after the queue accepted it."""
    check_queue_urls(dlq_url, queue_url)
    sqs = aws.client("sqs", region=region_from_queue_url(dlq_url))
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with progress_bars(show_progress(progress) and not dry_run, *columns) as bars:
        total = None if dry_run else queue_depth(sqs, dlq_url).visible
        if limit is not None and total is not None:
            total = min(total, limit)
        task = bars.add_task("redriving", total=total)
        summary = redrive_messages(
            sqs,
            dlq_url=dlq_url,
            queue_url=queue_url,
            dry_run=dry_run,
            limit=limit,
            on_progress=None if dry_run else lambda n: bars.advance(task, n),
        )
    if output == "json":
        echo_json(redrive_json(summary, dlq_url, queue_url))
    elif dry_run:
        depth = summary.dlq
        click.echo(
            f"{depth.visible:,} messages wait in the DLQ ({depth.in_flight:,} in flight, "
            f"{depth.delayed:,} delayed); run without --dry-run to move them to "
            f"{visible(queue_url)}"
        )
    else:
        click.echo(f"moved {summary.moved:,} messages from the DLQ to {visible(queue_url)}")
    if summary.failed:
        raise S3LogsError(
            f"{summary.failed:,} messages could not be sent and stay in the DLQ: "
            + visible("; ".join(summary.errors[:3]))
        )
