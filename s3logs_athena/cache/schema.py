"""The columns of the local cache: the typed schema, typed once at ingest.

Every Parquet file of the cache holds the typed columns of
:data:`~s3logs_athena.table.schema.TYPED_COLUMNS` (the typed view's names and types, from the
field list: ``request_time`` a UTC timestamp, ``http_status`` an int, sizes and times bigint,
``NULL`` for ``-``), exactly as the parser types them, plus one bookkeeping column of ours,
``_source_file``: the source object a row came from (``<its partition>/<its name>``), so the
cache can replace the rows of an object that changed. The engine's relations do not show it.

The partition columns ``year``/``month``/``day``/``bucket`` live in hive-style directory
names, so DuckDB prunes partitions the way Athena's partition projection does. The day is
each record's own **request** day (UTC), as in the compacted table, not the day S3 delivered
its log file; a record without a request time (``-``) stays in its source object's day.

:data:`CACHE_FORMAT` is stamped in the manifest: a cache written by an older version (raw
strings, partitioned by delivery day) is recognised and never mixed with typed data.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from ..layout import PARTITION_COLUMNS
from ..table.schema import TYPED_COLUMN_NAMES, typed_arrow_schema

__all__ = [
    "CACHE_FORMAT",
    "HIVE_TYPES",
    "PARQUET_DIR",
    "SOURCE_COLUMN",
    "data_schema",
    "partition_dir",
]

#: Subdirectory of the cache holding the Parquet files.
PARQUET_DIR = "parquet"
SOURCE_COLUMN = "_source_file"
#: What the manifest says the Parquet files hold. Caches from before it (no stamp) hold the
#: raw table's strings, partitioned by delivery day.
CACHE_FORMAT = "typed-1"

_DUCKDB_TYPES = {"string": "VARCHAR", "bigint": "BIGINT", "int": "INTEGER"}

#: DuckDB types of the partition columns, so a bucket called ``2024`` stays a string.
HIVE_TYPES: dict[str, str] = {c.name: _DUCKDB_TYPES[c.athena_type] for c in PARTITION_COLUMNS}


def data_schema() -> pa.Schema:
    """The schema of every Parquet file in the cache (partition columns live in the path)."""
    schema = typed_arrow_schema().append(pa.field(SOURCE_COLUMN, pa.string()))
    assert tuple(schema.names[:-1]) == TYPED_COLUMN_NAMES
    return schema


def partition_dir(year: int, month: int, day: int, bucket: str) -> Path:
    """The hive-style directory of one partition, relative to the Parquet root."""
    return Path(f"year={year}", f"month={month}", f"day={day}", f"bucket={bucket}")
