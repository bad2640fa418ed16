"""``s3logs-athena ddl``: print (or apply) the Athena table over the partitioned logs."""

from __future__ import annotations

import json

import click

from ..errors import InputError
from ..layout import DEFAULT_DATABASE, DEFAULT_TABLE
from ..table.apply import AthenaConnection, apply_statements, connect_athena
from ..table.ddl import (
    DEFAULT_YEARS,
    BucketProjection,
    TableSpec,
    alter_statements,
    create_statements,
    glue_table_input,
    render_script,
    view_statement,
)
from .aws_options import AwsOptions, aws_options


def _buckets(text: str | None) -> tuple[str, ...]:
    if text is None:
        return ()
    names = tuple(name.strip() for name in text.split(","))
    if not all(names):
        raise InputError(f"--buckets {text!r}: expected a comma-separated list like a,b,c")
    return names


def _years(text: str | None) -> tuple[int, int]:
    if text is None:
        return DEFAULT_YEARS
    parts = text.split(",")
    try:
        first, last = (int(part.strip()) for part in parts)
    except ValueError:
        raise InputError(
            f"--years {text!r}: expected the first and last year, like 2020,2035"
        ) from None
    return first, last


def _projection(buckets: tuple[str, ...], projection: str | None) -> BucketProjection:
    if projection == "injected":
        if buckets:
            raise InputError(
                "--buckets and --bucket-projection injected exclude each other: an enum lists "
                "the buckets, injected projection takes them from each query"
            )
        return "injected"
    if not buckets and projection is None:
        raise InputError(
            "say how to project the bucket partition: --buckets a,b,c (the source buckets) or "
            "--bucket-projection injected (queries must then name their buckets)"
        )
    return "enum"


@click.command(name="ddl")
@click.option(
    "--location",
    required=True,
    metavar="S3_URI",
    help="The partition root in the central log bucket: s3://BUCKET/PartitionedLogs/.",
)
@click.option("--database", default=DEFAULT_DATABASE, show_default=True, help="Glue database.")
@click.option("--table", default=DEFAULT_TABLE, show_default=True, help="Table name.")
@click.option(
    "--buckets", metavar="A,B,C", help="Source buckets, for an enum projection of `bucket`."
)
@click.option(
    "--bucket-projection",
    type=click.Choice(["enum", "injected"]),
    help="enum (with --buckets) or injected: queries must then name buckets in WHERE.",
)
@click.option(
    "--years",
    metavar="FIRST,LAST",
    help=f"Projected year range, inclusive.  [default: {DEFAULT_YEARS[0]},{DEFAULT_YEARS[1]}]",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["sql", "glue-json"]),
    default="sql",
    show_default=True,
    help="SQL statements, or the table as Glue create_table arguments (JSON).",
)
@click.option("--with-view", is_flag=True, help="Also create the typed view <table>_typed.")
@click.option(
    "--alter",
    is_flag=True,
    help="ALTER TABLE SET TBLPROPERTIES: update the bucket list / year range of a table.",
)
@click.option("--apply", is_flag=True, help="Run the statements on Athena (pyathena).")
@click.option(
    "--workgroup",
    envvar="AWS_ATHENA_WORK_GROUP",
    show_envvar=True,
    help="Athena workgroup for --apply.",
)
@click.option(
    "--output-location",
    envvar="AWS_ATHENA_S3_STAGING_DIR",
    show_envvar=True,
    metavar="S3_URI",
    help="Athena query result location for --apply.",
)
@aws_options
def ddl(
    location: str,
    database: str,
    table: str,
    buckets: str | None,
    bucket_projection: str | None,
    years: str | None,
    output_format: str,
    with_view: bool,
    alter: bool,
    apply: bool,
    workgroup: str | None,
    output_location: str | None,
    aws: AwsOptions,
) -> None:
    """The Athena table over the partitioned logs, with partition projection.

    Prints CREATE DATABASE and CREATE EXTERNAL TABLE (or, with --alter, the ALTER TABLE that
    updates an existing table's bucket list and year range); --with-view adds the typed view;
    --apply also runs them on Athena.

    \b
    Examples:
      s3logs-athena ddl --location s3://central-logs/PartitionedLogs/ --buckets app,www
      s3logs-athena ddl --location s3://central-logs/PartitionedLogs/ \\
          --bucket-projection injected --with-view
      s3logs-athena ddl --location s3://central-logs/PartitionedLogs/ --format glue-json \\
          --buckets app,www > table.json
      aws glue create-table --cli-input-json file://table.json
    """
    bucket_names = _buckets(buckets)
    spec = TableSpec(
        location=location,
        database=database,
        table=table,
        buckets=bucket_names,
        bucket_projection=_projection(bucket_names, bucket_projection),
        years=_years(years),
    )
    if output_format == "glue-json":
        for flag, given in (("--alter", alter), ("--with-view", with_view), ("--apply", apply)):
            if given:
                raise InputError(
                    f"{flag} works with SQL output only, not --format glue-json (a Glue table "
                    "is created with glue create-table / updated with glue update-table)"
                )
        document = {"DatabaseName": spec.database, "TableInput": glue_table_input(spec)}
        click.echo(json.dumps(document, indent=2))
        return

    statements = alter_statements(spec) if alter else create_statements(spec)
    if with_view:
        statements.append(view_statement(spec))
    connection = None
    if apply:  # settings are checked before anything is printed
        connection = connect_athena(
            region=aws.resolved_region(),
            workgroup=workgroup,
            output_location=output_location,
            session=aws.session(),
            endpoint_url=aws.endpoint_url,
        )
    click.echo(render_script(statements), nl=False)
    if connection is not None:
        _apply(statements, connection)


def _apply(statements: list[str], connection: AthenaConnection) -> None:
    def report(statement: str, query_id: str | None) -> None:
        click.echo(f"Applied: {statement.splitlines()[0]} (query {query_id})", err=True)

    apply_statements(statements, connection, on_done=report)
    click.echo(f"Applied {len(statements)} statement(s) on Athena.", err=True)
