"""The columns of the local cache: exactly the Athena table's, so the same SQL runs on both.

The Athena table (see the DDL) exposes every field of :data:`~s3logs_athena.fields.LOG_FIELDS`
with AWS's type (``string``, or ``bigint`` for ``bytessent``/``objectsize``) holding the *raw*
text its RegexSerDe extracts: ``-`` stays ``-``, quoted fields lose their outer quotes, a
``bigint`` that is ``-`` is NULL, an optional field a line lacks is NULL. The cache stores the
same values (what :func:`s3logs_athena.parser.split_line` returns), plus the partition columns
``year``/``month``/``day``/``bucket`` in hive-style directory names, so DuckDB prunes
partitions the way Athena's partition projection does.

One column is ours: ``_source_file``, the log object a row came from. It lets the cache
replace the rows of an object that changed; the engine's view does not show it.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from ..fields import FIELD_NAMES, LOG_FIELDS, TRAILING_FIELD
from ..layout import PARTITION_COLUMNS

__all__ = [
    "BIGINT_FIELDS",
    "HIVE_TYPES",
    "PARQUET_DIR",
    "SOURCE_COLUMN",
    "data_schema",
    "duckdb_type",
    "partition_dir",
]

#: Subdirectory of the cache holding the Parquet files.
PARQUET_DIR = "parquet"
SOURCE_COLUMN = "_source_file"

_ARROW_TYPES = {"string": pa.string(), "bigint": pa.int64()}
_DUCKDB_TYPES = {"string": "VARCHAR", "bigint": "BIGINT", "int": "INTEGER"}

#: Fields stored as integers (``-`` and anything that is not a number become NULL).
BIGINT_FIELDS: frozenset[str] = frozenset(f.name for f in LOG_FIELDS if f.athena_type == "bigint")

#: DuckDB types of the partition columns, so a bucket called ``2024`` stays a string.
HIVE_TYPES: dict[str, str] = {c.name: _DUCKDB_TYPES[c.athena_type] for c in PARTITION_COLUMNS}


def data_schema() -> pa.Schema:
    """The schema of every Parquet file in the cache (partition columns live in the path)."""
    fields = [pa.field(f.name, _ARROW_TYPES[f.athena_type]) for f in LOG_FIELDS]
    fields.append(pa.field(TRAILING_FIELD.name, _ARROW_TYPES[TRAILING_FIELD.athena_type]))
    fields.append(pa.field(SOURCE_COLUMN, pa.string()))
    schema = pa.schema(fields)
    assert tuple(schema.names[:-1]) == FIELD_NAMES
    return schema


def duckdb_type(athena_type: str) -> str:
    """DuckDB's name for an Athena column type of the table."""
    return _DUCKDB_TYPES[athena_type]


def partition_dir(year: int, month: int, day: int, bucket: str) -> Path:
    """The hive-style directory of one partition, relative to the Parquet root."""
    return Path(f"year={year}", f"month={month}", f"day={day}", f"bucket={bucket}")
