"""The typed schema: one set of typed columns for every reader of the logs.

The raw table keeps every field as the text S3 wrote (it stays the source of truth). Readers
want types: ``request_time`` a timestamp, ``http_status`` an int, sizes and times bigint,
``NULL`` for ``-``. The typed view over the raw table, the compacted (Parquet) table and the
local cache all use the columns below, generated from the field list
(:data:`~s3logs_athena.fields.LOG_FIELDS`: each field's ``view_name`` and ``view_type``), so a
query template written against them runs unchanged on any of the three.

Conventions:

* ``request_time`` is a ``timestamp`` without time zone holding UTC (Athena's ``timestamp``;
  Arrow ``timestamp[ms]``), second precision as S3 logs it;
* ``-`` (absent) is ``NULL``; the parser decides every other value (:mod:`s3logs_athena.parser`);
* the partition columns (``year``, ``month``, ``day``, ``bucket``, from
  :data:`~s3logs_athena.layout.PARTITION_COLUMNS`) live in the object keys / directory names,
  not in the data files.

pyarrow is imported only by the functions that build Arrow objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..fields import LOG_FIELDS, TRAILING_FIELD, LogField
from ..layout import PARTITION_COLUMNS, PartitionColumn

if TYPE_CHECKING:
    import pyarrow as pa

    from ..parser import Columns

__all__ = [
    "TYPED_COLUMNS",
    "TYPED_COLUMN_NAMES",
    "TYPED_PARTITION_COLUMNS",
    "TypedColumn",
    "typed_array",
    "typed_arrow_schema",
    "typed_record_batch",
]

# The field list's view types (Trino names) -> Athena DDL types for a Parquet table, DuckDB
# types and Arrow type names.
_ATHENA = {"varchar": "string", "integer": "int", "bigint": "bigint", "timestamp": "timestamp"}
_DUCKDB = {"varchar": "VARCHAR", "integer": "INTEGER", "bigint": "BIGINT", "timestamp": "TIMESTAMP"}


@dataclass(frozen=True, slots=True)
class TypedColumn:
    """One typed column and the log field it comes from."""

    name: str
    #: Trino type, as a view over the raw table produces it (``varchar``, ``integer``...).
    trino_type: str
    #: The log field (raw column) it is derived from.
    source: LogField

    @property
    def athena_type(self) -> str:
        """The type in a Parquet table's DDL (``string``, ``int``, ``bigint``, ``timestamp``)."""
        return _ATHENA[self.trino_type]

    @property
    def duckdb_type(self) -> str:
        return _DUCKDB[self.trino_type]

    @property
    def description(self) -> str:
        return self.source.description

    def arrow_type(self) -> pa.DataType:
        import pyarrow as pa

        return {
            "varchar": pa.string(),
            "integer": pa.int32(),
            "bigint": pa.int64(),
            "timestamp": pa.timestamp("ms"),
        }[self.trino_type]


TYPED_COLUMNS: tuple[TypedColumn, ...] = tuple(
    TypedColumn(f.view_name, f.view_type, f) for f in (*LOG_FIELDS, TRAILING_FIELD)
)
TYPED_COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in TYPED_COLUMNS)
#: The partition columns of every typed reader (the same as the raw table's).
TYPED_PARTITION_COLUMNS: tuple[PartitionColumn, ...] = PARTITION_COLUMNS


def typed_arrow_schema() -> pa.Schema:
    """The Arrow schema of typed data files (partition columns excluded)."""
    import pyarrow as pa

    return pa.schema(
        [
            pa.field(c.name, c.arrow_type(), metadata={"source_field": c.source.name})
            for c in TYPED_COLUMNS
        ]
    )


def _utc_naive(values: list[Any]) -> list[Any]:
    return [None if v is None else v.replace(tzinfo=None) for v in values]


def _in_range(values: list[Any], bits: int) -> list[Any]:
    """Integers the column's type cannot hold become NULL (the parser reads any run of
    digits; Athena's SerDe reads an out-of-range number into a bigint column as NULL)."""
    low, high = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    return [None if v is None or not low <= v <= high else v for v in values]


def typed_array(values: list[Any], arrow_type: pa.DataType) -> pa.Array:
    """Parsed values of one column as an Arrow array of ``arrow_type``; an integer too large
    for it becomes NULL."""
    import pyarrow as pa

    try:
        return pa.array(values, type=arrow_type)
    except OverflowError:
        return pa.array(_in_range(values, arrow_type.bit_width), type=arrow_type)


def typed_record_batch(columns: Columns) -> pa.RecordBatch:
    """Typed columns of parsed records (:func:`~s3logs_athena.parser.parse_columns`'s output,
    keyed by raw field name) as an Arrow record batch of :func:`typed_arrow_schema`.

    A number too large for its column (a 20-digit byte count) becomes NULL."""
    import pyarrow as pa

    schema = typed_arrow_schema()
    arrays = []
    for column, arrow_field in zip(TYPED_COLUMNS, schema, strict=True):
        values = columns[column.source.name]
        if column.trino_type == "timestamp":
            values = _utc_naive(values)  # the parser's times are aware UTC datetimes
        arrays.append(typed_array(values, arrow_field.type))
    return pa.RecordBatch.from_arrays(arrays, schema=schema)
