"""The compacted table ``<table>_compacted``: DDL, Glue ``TableInput`` and ``ALTER``.

The table is Parquet under the compacted root (``s3://<log bucket>/CompactedLogs/``) with the
typed columns (:data:`~s3logs_athena.table.schema.TYPED_COLUMNS`: the typed view's names and
types) and the raw table's partition columns and projection: the same ``Year=/Month=/Day=/
<bucket>/`` layout, the same year range and the same bucket choice (an ``enum`` of the
source buckets, or ``injected``). It is the raw table's :class:`~.ddl.TableSpec` with another
location and name, so one ``ddl --alter`` keeps both projections in step.

What differs from the raw table is only what Parquet needs: ``STORED AS PARQUET`` (Hive's
Parquet SerDe and formats) and typed columns. Partitions are by each record's *request* day,
so a query's day predicate prunes it exactly; see :mod:`.views` for how it is combined with
the raw table.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..errors import InputError
from ..layout import DEFAULT_COMPACTED_ROOT, PARTITION_COLUMNS, Layout
from .ddl import TableSpec, alter_statements, render_ddl, table_properties
from .names import ALL_SUFFIX, compacted_table
from .schema import TYPED_COLUMNS

__all__ = [
    "ALL_VIEW_SUFFIX",
    "PARQUET_INPUT_FORMAT",
    "PARQUET_OUTPUT_FORMAT",
    "PARQUET_SERDE",
    "compacted_alter_statements",
    "compacted_create_statement",
    "compacted_glue_table_input",
    "compacted_spec",
]

#: ``<table>_compacted``: the Parquet table; ``<table>_all``: the view over both tables
#: (:mod:`.names`, where every relation's name comes from).
ALL_VIEW_SUFFIX = ALL_SUFFIX
PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
PARQUET_INPUT_FORMAT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
PARQUET_OUTPUT_FORMAT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"


def compacted_spec(spec: TableSpec, compacted_root: str = DEFAULT_COMPACTED_ROOT) -> TableSpec:
    """The compacted table of the raw table ``spec``: same database, buckets, projection and
    years; named ``<table>_compacted``; located at the compacted root of the same bucket."""
    Layout(partition_root=spec.partition_root, compacted_root=compacted_root).check_roots_apart()
    name = compacted_table(spec.table)
    if len(name + ALL_VIEW_SUFFIX) > 255:
        raise InputError(f"table name {spec.table!r} is too long for {name + ALL_SUFFIX!r}")
    return replace(spec, location=f"s3://{spec.log_bucket}/{compacted_root}", table=name)


def _columns() -> list[dict[str, str]]:
    return [
        {"name": c.name, "type": c.athena_type, "comment": c.description} for c in TYPED_COLUMNS
    ]


def _properties(spec: TableSpec) -> dict[str, str]:
    return {**table_properties(spec), "parquet.compression": "ZSTD"}


def compacted_create_statement(
    spec: TableSpec, compacted_root: str = DEFAULT_COMPACTED_ROOT
) -> str:
    """``CREATE EXTERNAL TABLE IF NOT EXISTS <table>_compacted ... STORED AS PARQUET``."""
    compacted = compacted_spec(spec, compacted_root)
    return render_ddl(
        "create_compacted_table.sql.j2",
        database=compacted.database,
        table=compacted.table,
        columns=_columns(),
        partition_columns=[{"name": c.name, "type": c.athena_type} for c in PARTITION_COLUMNS],
        location=compacted.location,
        properties=_properties(compacted),
    )


def compacted_alter_statements(
    spec: TableSpec, compacted_root: str = DEFAULT_COMPACTED_ROOT
) -> list[str]:
    """The ``ALTER TABLE ... SET TBLPROPERTIES`` bringing the compacted table's bucket
    projection and year range up to ``spec`` (run with the raw table's)."""
    return alter_statements(compacted_spec(spec, compacted_root))


def compacted_glue_table_input(
    spec: TableSpec, compacted_root: str = DEFAULT_COMPACTED_ROOT
) -> dict[str, Any]:
    """The compacted table as a Glue ``TableInput`` (``glue.create_table``, or the SAM
    template's ``AWS::Glue::Table``)."""
    compacted = compacted_spec(spec, compacted_root)
    return {
        "Name": compacted.table,
        "Description": (
            "Amazon S3 server access logs, compacted: typed Parquet by request day and "
            "source bucket."
        ),
        "TableType": "EXTERNAL_TABLE",
        "Parameters": {"EXTERNAL": "TRUE", "classification": "parquet", **_properties(compacted)},
        "PartitionKeys": [{"Name": c.name, "Type": c.athena_type} for c in PARTITION_COLUMNS],
        "StorageDescriptor": {
            "Columns": [
                {"Name": c["name"], "Type": c["type"], "Comment": c["comment"]} for c in _columns()
            ],
            "Location": compacted.location,
            "InputFormat": PARQUET_INPUT_FORMAT,
            "OutputFormat": PARQUET_OUTPUT_FORMAT,
            "SerdeInfo": {
                "SerializationLibrary": PARQUET_SERDE,
                "Parameters": {"serialization.format": "1"},
            },
        },
    }
