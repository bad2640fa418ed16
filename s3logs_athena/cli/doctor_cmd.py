"""``s3logs-athena doctor``: check, changing nothing, that what the toolkit needs in AWS is
reachable, and say what is missing (:mod:`s3logs_athena.doctor`)."""

from __future__ import annotations

import os
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..errors import S3LogsError
from ..layout import DEFAULT_DATABASE, DEFAULT_PARTITION_ROOT, DEFAULT_TABLE
from .aws_options import AwsOptions, aws_options
from .output import echo_json, format_option
from .safe_text import cell

_STYLES = {"ok": "green", "warn": "yellow", "missing": "red", "error": "red", "skipped": "dim"}
#: Services reachable without a region (global endpoints).
_GLOBAL = {"s3", "sts"}


@click.command()
@click.option("--log-bucket", help="The central log bucket (HeadBucket, one listing page).")
@click.option("--partition-root", default=DEFAULT_PARTITION_ROOT, show_default=True)
@click.option("--queue", "queue_url", metavar="URL", help="The mover's queue.")
@click.option(
    "--dlq", "dlq_url", metavar="URL", help="The DLQ [default: from the queue's redrive policy]."
)
@click.option("--database", default=DEFAULT_DATABASE, show_default=True, help="Glue database.")
@click.option(
    "--table",
    default=DEFAULT_TABLE,
    show_default=True,
    help="The raw Glue table; <table>_compacted and <table>_all are checked too.",
)
@click.option(
    "--workgroup",
    default=None,
    help="Athena workgroup [default: $S3LOGS_ATHENA_WORKGROUP, $AWS_ATHENA_WORK_GROUP, primary].",
)
@click.option(
    "--output-location",
    default=None,
    metavar="S3_URI",
    help="Athena results [default: $S3LOGS_ATHENA_OUTPUT, $AWS_ATHENA_S3_STAGING_DIR, the "
    "workgroup's].",
)
@format_option("table", "json")
@aws_options
def doctor(
    log_bucket: str | None,
    partition_root: str,
    queue_url: str | None,
    dlq_url: str | None,
    database: str,
    table: str,
    workgroup: str | None,
    output_location: str | None,
    output: str,
    aws: AwsOptions,
) -> None:
    """Check that credentials, region, the log bucket, the queue and DLQ, the Glue tables and
    views (the raw table, <table>_compacted and <table>_all, which the query templates read
    on Athena) and the Athena workgroup and result location are reachable; change nothing.

    Run it before a long backfill or a first Athena report. Exit status 0 when nothing is
    missing (warnings included), 1 otherwise.
    """
    from ..doctor import DoctorConfig, run_doctor
    from ..mover.redrive import region_from_queue_url

    session = aws.session()  # an unknown --profile is a usage error, before any check
    queue_region = region_from_queue_url(queue_url or dlq_url or "")
    region = aws.region or session.region_name or queue_region
    config = DoctorConfig(
        region=region,
        log_bucket=log_bucket,
        partition_root=partition_root,
        queue_url=queue_url,
        dlq_url=dlq_url,
        database=database,
        table=table,
        workgroup=workgroup
        or os.environ.get("S3LOGS_ATHENA_WORKGROUP")
        or os.environ.get("AWS_ATHENA_WORK_GROUP")
        or "primary",
        output_location=output_location
        or os.environ.get("S3LOGS_ATHENA_OUTPUT")
        or os.environ.get("AWS_ATHENA_S3_STAGING_DIR"),
    )
    clients: dict[str, Any] = {}

    def client_for(service: str) -> Any:
        if service not in clients:
            fallback = "us-east-1" if service in _GLOBAL else queue_region
            clients[service] = aws.client(service, region=fallback, session=session)
        return clients[service]

    checks = run_doctor(client_for, config)
    if output == "json":
        echo_json(
            {"ok": not any(c.failed for c in checks), "checks": [c.to_json() for c in checks]}
        )
    else:
        result = Table(show_header=True, header_style="bold")
        for column in ("check", "status", "detail", "what to do"):
            result.add_column(column, overflow="fold")
        for check in checks:
            status = Text(check.status, style=_STYLES.get(check.status, ""))
            result.add_row(check.name, status, cell(check.detail), cell(check.hint))
        Console(soft_wrap=False).print(result)
    failed = [c.name for c in checks if c.failed]
    if failed:
        raise S3LogsError(f"not ready: {', '.join(failed)} (see above)")
