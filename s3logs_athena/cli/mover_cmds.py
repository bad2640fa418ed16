"""``s3logs-athena backfill`` and ``s3logs-athena redrive``: the mover's operations.

Both use boto3's default configuration (``AWS_PROFILE``, ``AWS_REGION``,
``AWS_ENDPOINT_URL``...), so they work against any endpoint, a moto server included.
Progress goes to stderr, the summary to stdout.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from ..errors import S3LogsError
from ..layout import DEFAULT_PARTITION_ROOT, DEFAULT_SOURCE_PATTERN, Layout, validate_bucket_name
from ..mover.backfill import ListingStats, find_stragglers, move_stragglers, parse_duration
from ..mover.move import MoveOutcome, MoveResult
from ..mover.redrive import check_queue_urls, queue_depth
from ..mover.redrive import redrive as redrive_messages
from ..mover.retry import RetryPolicy

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient

_SHOWN_FAILURES = 10


def _s3(concurrency: int) -> S3Client:
    import boto3
    from botocore.config import Config

    # botocore's own retries (standard mode) on top of the mover's: an operator's run has
    # no Lambda deadline to respect.
    config = Config(max_pool_connections=concurrency + 4, retries={"mode": "standard"})
    return boto3.session.Session().client("s3", config=config)


def _sqs() -> SQSClient:
    import boto3

    return boto3.session.Session().client("sqs")


@contextmanager
def _progress() -> Iterator[Progress]:
    progress = Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=False,
    )
    with progress:
        yield progress


def _failure_table(failures: list[MoveResult]) -> Table:
    table = Table(title=f"Not moved (first {min(len(failures), _SHOWN_FAILURES)})")
    table.add_column("key")
    table.add_column("outcome")
    table.add_column("cause")
    for result in failures[:_SHOWN_FAILURES]:
        table.add_row(result.key, result.outcome.value, result.error or "")
    return table


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
) -> None:
    """Move log objects the mover missed (still under a source key, older than
    --older-than) through the same code path. Idempotent: safe to interrupt and rerun."""
    validate_bucket_name(log_bucket)
    if target_bucket:
        validate_bucket_name(target_bucket)
    layout = Layout(partition_root=partition_root, source_pattern=source_pattern)
    age = parse_duration(older_than)
    s3 = _s3(concurrency)
    stats = ListingStats()
    out = Console()

    with _progress() as progress:
        listing = progress.add_task(f"listing s3://{log_bucket}/{prefix}", total=None)
        stragglers = list(
            find_stragglers(
                s3,
                bucket=log_bucket,
                layout=layout,
                prefix=prefix,
                older_than=age,
                stats=stats,
                on_listed=lambda n: progress.update(listing, completed=n),
            )
        )
        progress.update(listing, total=stats.listed, completed=stats.listed)
        summary = None
        if not dry_run and stragglers:
            moving = progress.add_task("moving", total=len(stragglers))
            summary = move_stragglers(
                s3,
                stragglers,
                bucket=log_bucket,
                layout=layout,
                target_bucket=target_bucket,
                concurrency=concurrency,
                retry=RetryPolicy(max_attempts=max_attempts),
                on_result=lambda _: progress.advance(moving),
            )

    table = Table(title=f"backfill s3://{log_bucket}/{prefix}" + (" (dry run)" if dry_run else ""))
    table.add_column("")
    table.add_column("objects", justify="right")
    table.add_row("listed (outside the partition root)", f"{stats.listed:,}")
    table.add_row("not log objects (left alone)", f"{stats.not_log_keys:,}")
    table.add_row(f"younger than {older_than} (left to the mover)", f"{stats.too_recent:,}")
    table.add_row("stragglers", f"{stats.stragglers:,}")
    if summary is not None:
        for outcome in MoveOutcome:
            if summary.outcomes[outcome]:
                table.add_row(f"  {outcome.value}", f"{summary.outcomes[outcome]:,}")
        table.add_row("  needed retries", f"{summary.retried:,}")
    out.print(table)
    # Keys as plain lines (no wrapping), so they can be copied or grepped.
    if stats.not_log_examples:
        click.echo("not log objects, e.g.: " + ", ".join(stats.not_log_examples))
    if dry_run:
        for straggler in stragglers[:_SHOWN_FAILURES]:
            click.echo(f"would move {straggler.key} -> {straggler.target_key}")
        if len(stragglers) > _SHOWN_FAILURES:
            click.echo(f"... and {len(stragglers) - _SHOWN_FAILURES:,} more")
        return
    if summary is not None and summary.failures:
        out.print(_failure_table(summary.failures))
        raise S3LogsError(
            f"{len(summary.failures):,} of {len(stragglers):,} objects were not moved (their "
            "sources are untouched); fix the cause and run backfill again"
        )


@click.command(name="redrive")
@click.option("--dlq", "dlq_url", required=True, metavar="URL", help="The dead-letter queue.")
@click.option("--queue", "queue_url", required=True, metavar="URL", help="The mover's queue.")
@click.option("--dry-run", is_flag=True, help="Show how many messages wait; move none.")
@click.option("--limit", type=int, help="Move at most this many messages.")
def redrive(dlq_url: str, queue_url: str, dry_run: bool, limit: int | None) -> None:
    """Move the DLQ's messages back to the mover's queue once their cause is fixed.
    A message leaves the DLQ only after the queue accepted it."""
    check_queue_urls(dlq_url, queue_url)
    sqs = _sqs()
    with _progress() as progress:
        total = None if dry_run else queue_depth(sqs, dlq_url).visible
        if limit is not None and total is not None:
            total = min(total, limit)
        task = progress.add_task("redriving", total=total, visible=not dry_run)
        summary = redrive_messages(
            sqs,
            dlq_url=dlq_url,
            queue_url=queue_url,
            dry_run=dry_run,
            limit=limit,
            on_progress=None if dry_run else lambda n: progress.advance(task, n),
        )
    depth = summary.dlq
    if dry_run:
        click.echo(
            f"{depth.visible:,} messages wait in the DLQ ({depth.in_flight:,} in flight, "
            f"{depth.delayed:,} delayed); run without --dry-run to move them to {queue_url}"
        )
        return
    click.echo(f"moved {summary.moved:,} messages from the DLQ to {queue_url}")
    if summary.failed:
        raise S3LogsError(
            f"{summary.failed:,} messages could not be sent and stay in the DLQ: "
            + "; ".join(summary.errors[:3])
        )
