"""``s3logs-athena check``: do the partitions line up with the moved log objects?

Thin: parses options, builds the boto3 clients (``--region/--profile/--endpoint-url`` over
the environment), calls :func:`s3logs_athena.check.run_check` (or ``check_and_fix``) and
prints a rich table or one JSON document. Exit 0 when aligned, 1 when anything is
misaligned, 2 on usage errors.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from ..errors import InputError
from ..layout import (
    DEFAULT_COMPACTED_ROOT,
    DEFAULT_DATABASE,
    DEFAULT_PARTITION_ROOT,
    DEFAULT_SOURCE_PATTERN,
    DEFAULT_TABLE,
    Layout,
)
from .aws_options import AwsOptions, aws_options
from .days import DAY_FORMS, parse_day_range
from .output import progress_bars, progress_option, show_progress
from .safe_text import cell

__all__ = ["check"]

_TABLE_ROWS = 200
_INFO = {"unused_bucket_value"}


class _Bars:
    """The check's progress (listing, reading) as rich progress bars on stderr."""

    def __init__(self, progress: Progress, *, reading: bool) -> None:
        self._progress = progress
        self._listing = progress.add_task("listing objects", total=None)
        self._reading = progress.add_task("reading objects", total=0, visible=reading)
        self._to_read = 0

    def listed(self, count: int) -> None:
        self._progress.advance(self._listing, count)

    def to_read(self, count: int) -> None:
        self._to_read += count
        self._progress.update(self._reading, total=self._to_read)

    def read(self, count: int) -> None:
        self._progress.advance(self._reading, count)


_BAR_COLUMNS = (
    TextColumn("{task.description}"),
    BarColumn(),
    MofNCompleteColumn(),
    TimeElapsedColumn(),
)


def _csv(value: str | None) -> frozenset[str] | None:
    if value is None:
        return None
    items = frozenset(item.strip() for item in value.split(",") if item.strip())
    if not items:
        raise InputError("--buckets is empty: give bucket names separated by commas")
    return items


def _print_table(report: Any, console: Console) -> None:
    findings = report.sorted_findings()
    if findings:
        table = Table(show_lines=False, header_style="bold")
        table.add_column("kind", no_wrap=True)
        for column in ("partition", "key", "detail"):
            table.add_column(column, overflow="fold")
        for finding in findings[:_TABLE_ROWS]:
            table.add_row(
                finding.kind.value,
                cell(finding.partition or ""),
                cell(finding.key or ""),
                cell(finding.detail),
            )
        console.print(table)
        if len(findings) > _TABLE_ROWS:
            console.print(
                f"... and {len(findings) - _TABLE_ROWS} more (--format json lists all)",
                markup=False,
            )
    summary = report.summary()
    checked = (
        f"Checked {summary['partitions']} partitions of {len(summary['buckets'])} buckets in "
        f"s3://{report.log_bucket}/ from {summary['from']} to {summary['to']}: "
        f"{summary['objects_listed']} objects listed, {summary['source_objects']} at a source "
        f"({summary['in_flight']} in flight), {summary['objects_read']} read."
    )
    console.print(cell(checked), soft_wrap=True)
    if report.fix is not None:
        fixed = report.fix.to_json()
        outcomes = ", ".join(f"{n} {o}" for o, n in fixed["outcomes"].items()) or "nothing to do"
        console.print(
            cell(f"Fix: {outcomes}. Checked again; what remains is listed above."), soft_wrap=True
        )
    problems = [f"{n} {kind}" for kind, n in summary["counts"].items() if n and kind not in _INFO]
    notes = [f"{n} {kind}" for kind, n in summary["counts"].items() if n and kind in _INFO]
    note = f" (informational: {', '.join(notes)})" if notes else ""
    if report.aligned:
        console.print(Text("Aligned.", style="green").append(note, style=""), soft_wrap=True)
    else:
        verdict = Text("Misaligned:", style="red")
        console.print(verdict.append(f" {', '.join(problems)}.{note}", style=""), soft_wrap=True)


@click.command("check")
@click.option("--log-bucket", required=True, help="The central log bucket.")
@click.option("--from", "first", required=True, help=f"First day: {DAY_FORMS}.")
@click.option("--to", "last", required=True, help="Last day, inclusive.")
@click.option("--buckets", help="Check only these source buckets (comma-separated).")
@click.option(
    "--projection-from-table",
    metavar="DB.TABLE",
    help="Read the partition projection from this Glue table.",
)
@click.option("--years", metavar="FIRST,LAST", help="Projected year range (instead of a table).")
@click.option("--bucket-values", help="Projected bucket enum values (instead of a table).")
@click.option(
    "--older-than",
    default="15m",
    show_default=True,
    help="A source object older than this is a straggler (90s, 15m, 2h, 1d).",
)
@click.option(
    "--max-lag-days",
    default=1,
    show_default=True,
    type=click.IntRange(0, 30),
    help="With --deep: days before its partition day a record's request time may be "
    "(S3 delivers late, so a file in Day=D holds records of D-1).",
)
@click.option(
    "--placement-lag-days",
    default=0,
    show_default=True,
    type=click.IntRange(0, 30),
    help="Days a file's partition day may be before the date in its name. The mover files "
    "every object under that date; raise this only for layouts other tools wrote.",
)
@click.option("--deep", is_flag=True, help="Read the objects and check their records.")
@click.option("--sample", type=click.IntRange(1), help="With --deep, read only N objects.")
@click.option("--athena", is_flag=True, help="Compare Athena's rows per object with the lines.")
@click.option(
    "--athena-table",
    metavar="DB.TABLE",
    help="Table to query (default: the projection table or s3_access_logs_db.s3_access_logs).",
)
@click.option("--athena-output", metavar="S3URI", help="Athena query result location.")
@click.option("--athena-workgroup", help="Athena workgroup.")
@click.option(
    "--compaction/--no-compaction",
    default=None,
    help="Check that closed raw partitions are compacted and match their manifests "
    "[default: when the bucket has compaction manifests].",
)
@click.option("--compacted-root", default=DEFAULT_COMPACTED_ROOT, show_default=True)
@click.option(
    "--fix",
    is_flag=True,
    help="Repair stragglers, misplaced and duplicate objects; compact again the raw "
    "partitions with compaction findings.",
)
@click.option(
    "--format", "output", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.option("--partition-root", default=DEFAULT_PARTITION_ROOT, show_default=True)
@click.option("--source-pattern", default=DEFAULT_SOURCE_PATTERN, show_default=True)
@click.option("--concurrency", default=32, show_default=True, type=click.IntRange(1, 256))
@progress_option
@aws_options
def check(
    log_bucket: str,
    first: str,
    last: str,
    buckets: str | None,
    projection_from_table: str | None,
    years: str | None,
    bucket_values: str | None,
    older_than: str,
    max_lag_days: int,
    placement_lag_days: int,
    deep: bool,
    sample: int | None,
    athena: bool,
    athena_table: str | None,
    athena_output: str | None,
    athena_workgroup: str | None,
    compaction: bool | None,
    compacted_root: str,
    fix: bool,
    output: str,
    partition_root: str,
    source_pattern: str,
    concurrency: int,
    progress: bool | None,
    aws: AwsOptions,
) -> None:
    """Check that the partitions of a central log bucket line up with the moved objects.

    \b
    Findings: straggler, misplaced, duplicate, unprojected, unknown_key; with --deep also
    foreign_record, out_of_window, unparseable, empty_object; with --athena athena_mismatch;
    with compaction uncompacted, compaction_mismatch.
    Exit status: 0 aligned, 1 misaligned, 2 usage error.
    """
    from ..check import (
        CheckConfig,
        Projection,
        parse_duration,
        projection_from_args,
        read_projection,
    )
    from ..check.athena import PyAthenaRowCounter
    from ..check.compaction import CompactionCheck
    from ..check.fix import check_and_fix
    from ..check.projection import split_table_name
    from ..check.scan import run_check

    first_day, last_day = parse_day_range(first, last)
    if sample is not None and not deep:
        raise InputError("--sample needs --deep (it says how many objects --deep reads)")
    if projection_from_table and (years or bucket_values):
        raise InputError("give either --projection-from-table or --years/--bucket-values, not both")
    athena_output = athena_output or os.environ.get("AWS_ATHENA_S3_STAGING_DIR")
    athena_workgroup = athena_workgroup or os.environ.get("AWS_ATHENA_WORK_GROUP")
    if athena and not (athena_output or athena_workgroup):
        raise InputError(
            "--athena needs --athena-output s3://bucket/prefix/ or --athena-workgroup (one "
            "with a query result location), or AWS_ATHENA_S3_STAGING_DIR"
        )

    from botocore.config import Config

    boto_config = Config(max_pool_connections=concurrency + 8, retries={"mode": "standard"})
    s3 = aws.client("s3", config=boto_config, region="us-east-1")
    projection: Projection | None
    if projection_from_table:
        projection = read_projection(aws.client("glue", config=boto_config), projection_from_table)
    else:
        projection = projection_from_args(years, bucket_values)
    row_counter = None
    if athena:
        name = athena_table or projection_from_table or f"{DEFAULT_DATABASE}.{DEFAULT_TABLE}"
        database, table = split_table_name(name)
        from ..table.apply import connect_athena

        row_counter = PyAthenaRowCounter(
            database,
            table,
            connect=lambda: connect_athena(
                workgroup=athena_workgroup,
                output_location=athena_output,
                region=aws.resolved_region(),
                session=aws.session(),
                endpoint_url=aws.endpoint_url,
            ),
        )
    config = CheckConfig(
        log_bucket=log_bucket,
        first_day=first_day,
        last_day=last_day,
        layout=Layout(partition_root, source_pattern, compacted_root),
        buckets=_csv(buckets),
        projection=projection,
        older_than=parse_duration(older_than),
        max_lag_days=max_lag_days,
        placement_lag_days=placement_lag_days,
        deep=deep,
        sample=sample,
        concurrency=concurrency,
        compaction=CompactionCheck(enabled=compaction),
    )
    with progress_bars(show_progress(progress), *_BAR_COLUMNS) as bar:
        bars = _Bars(bar, reading=deep or athena)
        if fix:
            report = check_and_fix(s3, config, row_counter=row_counter, progress=bars)
        else:
            report = run_check(s3, config, row_counter=row_counter, progress=bars)
    if output == "json":
        click.echo(json.dumps(report.to_json(), indent=2))
    else:
        _print_table(report, Console(soft_wrap=False))
    sys.exit(0 if report.aligned else 1)
