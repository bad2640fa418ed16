"""``s3logs-athena query estimate NAME``: what a template can scan on Athena, before it runs."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.table import Table

from .aws_options import AwsOptions, aws_options
from .cost_options import CostSettings, cost_options
from .safe_text import cell
from .template_options import param_option

if TYPE_CHECKING:
    from ..cost.estimate import Estimate

__all__ = ["estimate", "print_estimate"]


def print_estimate(estimate: Estimate, console: Console) -> None:
    """The estimate as a table of scans and a total line."""
    from ..cost.estimate import UPPER_BOUND_NOTE
    from ..cost.sizes import format_size

    table = Table(title=f"Estimate for {estimate.query or 'the query'}", title_justify="left")
    table.add_column("table read", overflow="fold")
    table.add_column("partition predicate", overflow="fold")
    for heading in ("partitions", "objects", "bytes"):
        table.add_column(heading, justify="right")
    for scan in estimate.scans:
        table.add_row(
            cell(scan.relation),
            cell(scan.predicate),
            f"{scan.partitions:,}",
            f"{scan.objects:,}",
            format_size(scan.bytes),
        )
    console.print(table)
    days = ""
    if estimate.first_day and estimate.last_day:
        buckets = len(estimate.buckets)
        days = (
            f" from {estimate.first_day} to {estimate.last_day}, "
            f"{buckets} bucket{'s' if buckets != 1 else ''}"
        )
    lines = [
        f"partitions {estimate.partitions:,}{days}",
        f"objects    {estimate.objects:,}",
        f"bytes      {estimate.bytes:,} ({format_size(estimate.bytes)})",
        f"price      ${estimate.usd:.6f} at ${estimate.usd_per_tb:g} per TB "
        "(Athena bills at least 10 MB per query)",
        f"This is {UPPER_BOUND_NOTE}.",
    ]
    for line in lines:
        console.print(cell(line))


@click.command("estimate")
@click.argument("name")
@param_option
@cost_options(limit=False)
@click.option(
    "--format",
    "output",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help='json: {"partitions", "objects", "bytes", "usd", "scans", ...}.',
)
@aws_options
def estimate(
    name: str, params: dict[str, str], cost: CostSettings, output: str, aws: AwsOptions
) -> None:
    """Estimate what query template NAME can scan on Athena, without running it: the
    partitions its SQL can read, the objects and bytes stored under them (concurrent S3
    listings) and the price at Athena's rate.

    An upper bound: Athena reads whole text (raw) log objects, but only the columns a query
    uses from Parquet (the compacted table). `query run --max-bytes` refuses a query whose
    estimate is over a limit.
    """
    from ..templates.catalog import render_template

    rendered = render_template(name, params)
    result = cost.estimate(rendered.sql, aws, str(rendered.params["database"]), rendered.name)
    if output == "json":
        click.echo(json.dumps(result.to_dict(), indent=2))
    else:
        print_estimate(result, Console(soft_wrap=False))
