"""``s3logs-athena ddl``: print (or apply) the Athena table over the partitioned logs, the
compacted table and the view over both (``<table>_all``, what the query templates read);
``--no-compacted`` for the raw table alone."""

from __future__ import annotations

import json

import click
from click.core import ParameterSource

from ..errors import InputError
from ..layout import DEFAULT_COMPACTED_ROOT, DEFAULT_DATABASE, DEFAULT_TABLE
from ..table.apply import AthenaConnection, apply_statements, connect_athena
from ..table.compacted import (
    compacted_alter_statements,
    compacted_create_statement,
    compacted_glue_table_input,
    compacted_spec,
)
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
from .safe_text import visible


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
    "--compacted/--no-compacted",
    default=True,
    show_default=True,
    help="Also the compacted table <table>_compacted (Parquet, same projection) and the view "
    "<table>_all over both, which the query templates read; with --alter, update both "
    "tables' projection. --no-compacted: the raw table only. With --format glue-json the "
    "raw table's TableInput, unless --compacted is given explicitly: then the compacted "
    "table's.",
)
@click.option(
    "--compacted-root",
    default=DEFAULT_COMPACTED_ROOT,
    show_default=True,
    help="Key prefix of the compacted table in the same bucket.",
)
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
@click.pass_context
def ddl(
    context: click.Context,
    location: str,
    database: str,
    table: str,
    buckets: str | None,
    bucket_projection: str | None,
    years: str | None,
    output_format: str,
    with_view: bool,
    compacted: bool,
    compacted_root: str,
    alter: bool,
    apply: bool,
    workgroup: str | None,
    output_location: str | None,
    aws: AwsOptions,
) -> None:
    """The Athena tables over the partitioned logs (partition projection) and the view over
    them that the query templates read.

    Prints CREATE DATABASE, CREATE EXTERNAL TABLE for the raw table and for the compacted
    table <table>_compacted, and CREATE OR REPLACE VIEW <table>_all over both (the view the
    query templates read on Athena; printed with no day compacted yet; with --apply, with the
    days the manifests in the bucket cover; the compactor keeps it current). --alter prints
    the ALTER TABLE that updates both tables' bucket list and year range instead;
    --no-compacted leaves the compacted table and the view out; --with-view adds the typed
    view <table>_typed; --apply also runs the statements on Athena.

    --format glue-json prints one table for `aws glue create-table`: the raw table, or with
    an explicit --compacted the compacted table (the view is created by --apply or by
    infra/template.yaml).

    \b
    Examples:
      s3logs-athena ddl --location s3://central-logs/PartitionedLogs/ --buckets app,www
      s3logs-athena ddl --location s3://central-logs/PartitionedLogs/ --buckets app,www \\
          --apply --output-location s3://athena-results/ddl/
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
        # One TableInput, as before --compacted became the default: the raw table unless
        # the compacted one is asked for by name.
        explicit = context.get_parameter_source("compacted") is not ParameterSource.DEFAULT
        table_input = (
            compacted_glue_table_input(spec, compacted_root)
            if compacted and explicit
            else glue_table_input(spec)
        )
        document = {"DatabaseName": spec.database, "TableInput": table_input}
        click.echo(json.dumps(document, indent=2))
        return

    statements = alter_statements(spec) if alter else create_statements(spec)
    if compacted and alter:
        statements += compacted_alter_statements(spec, compacted_root)
    elif compacted:
        statements.append(compacted_create_statement(spec, compacted_root))
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
    if compacted and not alter:
        statements.append(_all_view(spec, compacted_root, read=apply, aws=aws))
    click.echo(render_script(statements), nl=False)
    if connection is not None:
        _apply(statements, connection)


def _all_view(spec: TableSpec, compacted_root: str, *, read: bool, aws: AwsOptions) -> str:
    """The view over both tables: with no day compacted, or (``read``) with the days the
    manifests in the log bucket cover, so applying it never undoes the compactor's work."""
    from ..layout import Layout
    from ..table.views import Coverage, all_view_statement, log_bucket_exists, read_coverage

    coverage = Coverage()
    if read:
        layout = Layout(partition_root=spec.partition_root, compacted_root=compacted_root)
        s3 = aws.client("s3")
        if log_bucket_exists(s3, spec.log_bucket):
            coverage = read_coverage(s3, spec.log_bucket, layout)
        else:  # no bucket, no manifest: nothing is compacted, which is what the view says
            click.echo(
                f"Note: s3://{visible(spec.log_bucket)}/ does not exist (yet): the view "
                "covers no compacted day.",
                err=True,
            )
    compacted_table = compacted_spec(spec, compacted_root).table
    return all_view_statement(spec, coverage, compacted_table=compacted_table)


def _apply(statements: list[str], connection: AthenaConnection) -> None:
    def report(statement: str, query_id: str | None) -> None:
        click.echo(f"Applied: {statement.splitlines()[0]} (query {query_id})", err=True)

    apply_statements(statements, connection, on_done=report)
    click.echo(f"Applied {len(statements)} statement(s) on Athena.", err=True)
