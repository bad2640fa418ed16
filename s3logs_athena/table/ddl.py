"""The Athena table over the partitioned logs: DDL, the typed view, and the Glue TableInput.

Everything is derived, never restated: columns and types from
:data:`~s3logs_athena.fields.LOG_FIELDS` (AWS's names and types, so AWS's documented example
queries run unchanged), the ``RegexSerDe`` regex from :func:`~s3logs_athena.fields.record_regex`
(the one the Python parser runs), partition columns from
:data:`~s3logs_athena.layout.PARTITION_COLUMNS` and the ``storage.location.template`` from
:meth:`~s3logs_athena.layout.Layout.location_template`. The SQL text is laid out by the jinja2
templates in the top-level ``ddl/`` directory; this module supplies the values, already quoted
and escaped.

**Partition projection.** ``year``, ``month`` and ``day`` are ``int`` columns with ``integer``
projection: ``digits`` zero-pads the value in the S3 location only (``Month=03``), queries
compare plain integers (``month = 3``). The only caveat AWS users report is that ``INSERT
INTO`` such a table fails, and nothing writes through this table. ``bucket`` is either an
``enum`` (the list of source buckets, updated with :func:`alter_statements` when buckets are
added) or ``injected``: then Athena takes the buckets from the query itself, and every query
must name them with static equality conditions (``WHERE bucket = 'a'`` or ``bucket IN ('a',
'b')``) or it fails with ``CONSTRAINT_VIOLATION``.

**Escaping.** Athena runs DDL through Hive's parser, which undoes backslash escapes in string
literals (``\\\\`` -> ``\\``, ``\\'`` -> ``'``, and an unknown escape such as ``\\d`` silently
drops its backslash). :func:`hive_string_literal` therefore doubles every backslash; the Glue
TableInput carries the raw regex. The view is Trino SQL (``CREATE VIEW`` runs on Athena's query
engine): identifiers in double quotes, ``'`` doubled in literals, backslashes literal.

The module is stdlib-only until SQL is rendered (jinja2 is imported then), so
:func:`glue_table_input` can be used where only the standard library is installed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, Literal, get_args

from ..errors import InputError, TemplateError
from ..fields import LOG_FIELDS, TRAILING_FIELD, LogField, ValueType, record_regex
from ..layout import (
    DEFAULT_DATABASE,
    DEFAULT_TABLE,
    PARTITION_COLUMNS,
    Layout,
    PartitionColumn,
    validate_bucket_name,
    validate_key_prefix,
)
from ..resources import resource_dir
from ..templates.quoting import quote_identifier, sql_literal

if TYPE_CHECKING:
    import jinja2

__all__ = [
    "DEFAULT_YEARS",
    "INPUT_FORMAT",
    "OUTPUT_FORMAT",
    "SERDE",
    "VIEW_SUFFIX",
    "BucketProjection",
    "TableSpec",
    "alter_statements",
    "create_statements",
    "glue_table_input",
    "hive_identifier",
    "hive_string_literal",
    "render_script",
    "serde_parameters",
    "table_properties",
    "trino_identifier",
    "trino_string_literal",
    "view_statement",
]

BucketProjection = Literal["enum", "injected"]

#: Years the table projects unless told otherwise. A fixed range keeps the generated DDL the
#: same whenever it is generated; extend it later with ``ddl --alter --years``.
DEFAULT_YEARS: tuple[int, int] = (2020, 2035)
#: Bounds for a year range: S3 (and its access logs) date from 2006; beyond 2100 is a typo.
_EARLIEST_YEAR, _LATEST_YEAR = 2006, 2100
#: Integer projection ranges of the partition columns that are not years.
_FIXED_RANGES: dict[str, tuple[int, int]] = {"month": (1, 12), "day": (1, 31)}

SERDE = "org.apache.hadoop.hive.serde2.RegexSerDe"
INPUT_FORMAT = "org.apache.hadoop.mapred.TextInputFormat"
OUTPUT_FORMAT = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
#: The typed view is called ``<table><VIEW_SUFFIX>``.
VIEW_SUFFIX = "_typed"

# Athena (Glue) names: lowercase letters, digits and underscores, at most 255 characters.
_IDENTIFIER = re.compile(r"[a-z0-9_]{1,255}")
_S3_URI = re.compile(r"s3://(?P<bucket>[^/]*)(?:/(?P<prefix>.*))?", re.DOTALL)
# S3's "safe" key characters plus '/' and '=' (a Hive-style prefix): nothing that needs
# quoting in a location, and no '$', '{' or '}' that would read as template placeholders.
_SAFE_PREFIX = re.compile(r"[A-Za-z0-9!_.*'()/=-]*")
# Glue caps a table parameter value at 512,000 characters; AWS advises a few dozen buckets.
_MAX_ENUM_CHARS = 500_000


def _check_identifier(kind: str, name: str) -> str:
    if not _IDENTIFIER.fullmatch(name):
        hint = f" (try {name.lower()!r})" if _IDENTIFIER.fullmatch(name.lower()) else ""
        raise InputError(
            f"{kind} name {name!r} is not a valid Athena name: use only lowercase letters, "
            f"digits and underscores, at most 255 characters{hint}"
        )
    return name


def _split_location(location: str) -> tuple[str, str]:
    """``s3://bucket/prefix/`` -> (bucket, prefix ending in '/'); :class:`InputError` if not."""
    match = _S3_URI.fullmatch(location)
    if match is None:
        raise InputError(
            f"location {location!r} is not an s3:// URI: expected "
            "s3://BUCKET/PartitionedLogs/ (the partition root in the central log bucket)"
        )
    bucket, prefix = match["bucket"], match["prefix"] or ""
    try:
        validate_bucket_name(bucket)
    except InputError as exc:
        raise InputError(f"location {location!r}: {exc}") from None
    if not _SAFE_PREFIX.fullmatch(prefix):
        raise InputError(
            f"location {location!r}: the key prefix may contain only letters, digits and "
            "! _ . * ' ( ) / = -"
        )
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    try:
        validate_key_prefix(prefix)
    except InputError as exc:
        raise InputError(
            f"location {location!r}: {exc}; the table's location is the partition root, "
            "e.g. s3://BUCKET/PartitionedLogs/"
        ) from None
    return bucket, prefix


@dataclass(frozen=True)
class TableSpec:
    """What the table looks like: where the partitioned logs are and how to project them.

    Validated on construction (:class:`InputError` says what is wrong). ``location`` is the
    partition root in the central log bucket (``s3://bucket/PartitionedLogs/``; a missing
    final ``/`` is added). ``bucket_projection="enum"`` needs ``buckets`` (duplicates are
    dropped, order kept); ``"injected"`` takes none and makes every query name its buckets.
    ``years`` is the inclusive range of projected years.
    """

    location: str
    database: str = DEFAULT_DATABASE
    table: str = DEFAULT_TABLE
    buckets: tuple[str, ...] = ()
    bucket_projection: BucketProjection = "enum"
    years: tuple[int, int] = DEFAULT_YEARS

    def __post_init__(self) -> None:
        bucket, prefix = _split_location(self.location)
        object.__setattr__(self, "location", f"s3://{bucket}/{prefix}")
        _check_identifier("database", self.database)
        _check_identifier("table", self.table)
        _check_identifier("view", self.view)
        self._check_buckets()
        self._check_years()

    def _check_buckets(self) -> None:
        if self.bucket_projection not in get_args(BucketProjection):
            raise InputError(
                f"bucket projection {self.bucket_projection!r}: expected 'enum' or 'injected'"
            )
        if isinstance(self.buckets, str):  # type: ignore[unreachable]  # untyped callers
            raise InputError(f"buckets {self.buckets!r}: expected a tuple of bucket names")
        buckets = tuple(dict.fromkeys(self.buckets))
        object.__setattr__(self, "buckets", buckets)
        if self.bucket_projection == "injected":
            if buckets:
                raise InputError(
                    "give either a list of buckets (enum projection) or injected bucket "
                    "projection, not both"
                )
            return
        if not buckets:
            raise InputError(
                "enum bucket projection needs the source buckets: list them (--buckets a,b,c) "
                "or use injected projection (--bucket-projection injected)"
            )
        for name in buckets:
            validate_bucket_name(name)
        if len(",".join(buckets)) > _MAX_ENUM_CHARS:
            raise InputError(
                f"{len(buckets)} buckets are too many for an enum projection (Glue limits a "
                "table property to 512,000 characters): use injected bucket projection"
            )

    def _check_years(self) -> None:
        years = self.years
        if len(years) != 2 or not all(
            isinstance(year, int) and not isinstance(year, bool) for year in years
        ):
            raise InputError(f"years {years!r}: expected two years, first and last")
        first, last = years
        object.__setattr__(self, "years", (first, last))
        if first > last:
            raise InputError(f"year range {first},{last} is reversed: give the first year first")
        if first < _EARLIEST_YEAR or last > _LATEST_YEAR:
            raise InputError(
                f"year range {first},{last} is out of bounds: S3 access logs exist from "
                f"{_EARLIEST_YEAR}; use years between {_EARLIEST_YEAR} and {_LATEST_YEAR}"
            )

    @property
    def partition_root(self) -> str:
        """The key prefix of the partitioned logs in the log bucket (``PartitionedLogs/``)."""
        return _split_location(self.location)[1]

    @property
    def log_bucket(self) -> str:
        """The central log bucket the table reads."""
        return _split_location(self.location)[0]

    @property
    def layout(self) -> Layout:
        """The key layout the table projects (default SimplePrefix source pattern)."""
        return Layout(partition_root=self.partition_root)

    @property
    def location_template(self) -> str:
        """Athena's ``storage.location.template``: a placeholder per partition column (the
        same ``Year=/Month=/Day=/<bucket>/`` layout under any root, the compacted one too)."""
        return Layout().location_template(self.location)

    @property
    def view(self) -> str:
        """Name of the typed view over the table."""
        return self.table + VIEW_SUFFIX


# -- quoting -----------------------------------------------------------------------------


def hive_string_literal(value: str) -> str:
    """``value`` as a single-quoted string literal of Athena DDL (Hive's grammar)."""
    escaped = (
        value.replace("\\", "\\\\")
        .replace("'", "\\'")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
    )
    return f"'{escaped}'"


def hive_identifier(name: str) -> str:
    """``name`` quoted for Athena DDL (backticks: ``key``, ``year`` are reserved words)."""
    return "`" + name.replace("`", "``") + "`"


def trino_string_literal(value: str) -> str:
    """``value`` as a string literal of Athena's query engine (Trino SQL); the quoting is
    :mod:`s3logs_athena.templates.quoting`'s, the one place values become query SQL."""
    return sql_literal(value)


def trino_identifier(name: str) -> str:
    """``name`` quoted for Athena's query engine (Trino SQL)."""
    return quote_identifier(name)


# -- table properties and columns --------------------------------------------------------


def _projection(spec: TableSpec, column: PartitionColumn) -> dict[str, str]:
    prefix = f"projection.{column.name}"
    if column.athena_type == "int":
        first, last = spec.years if column.name == "year" else _FIXED_RANGES[column.name]
        properties = {f"{prefix}.type": "integer", f"{prefix}.range": f"{first},{last}"}
        if column.digits:
            properties[f"{prefix}.digits"] = str(column.digits)
        return properties
    if column.name == "bucket":
        if spec.bucket_projection == "injected":
            return {f"{prefix}.type": "injected"}
        return {f"{prefix}.type": "enum", f"{prefix}.values": ",".join(spec.buckets)}
    raise TemplateError(f"no projection is defined for partition column {column.name!r}")


def _bucket_and_year_projection(spec: TableSpec) -> dict[str, str]:
    """The projection properties that change as buckets are added and years pass."""
    properties: dict[str, str] = {}
    for column in PARTITION_COLUMNS:
        if column.name in ("year", "bucket"):
            properties.update(_projection(spec, column))
    return properties


def table_properties(spec: TableSpec) -> dict[str, str]:
    """The table's TBLPROPERTIES: partition projection for every partition column and the
    location template. Shared by the DDL and the Glue TableInput."""
    properties = {"projection.enabled": "true"}
    for column in PARTITION_COLUMNS:
        properties.update(_projection(spec, column))
    properties["storage.location.template"] = spec.location_template
    return properties


def serde_parameters() -> dict[str, str]:
    """The RegexSerDe's parameters, raw (the DDL escapes them; Glue takes them as they are)."""
    return {"serialization.format": "1", "input.regex": record_regex()}


def _table_columns() -> tuple[LogField, ...]:
    return (*LOG_FIELDS, TRAILING_FIELD)


def glue_table_input(spec: TableSpec) -> dict[str, Any]:
    """The table as a Glue ``TableInput`` (for ``glue.create_table(DatabaseName=spec.database,
    TableInput=...)``, or a CloudFormation ``AWS::Glue::Table``). The SerDe parameters carry
    the raw regex: no SQL escaping applies here."""
    return {
        "Name": spec.table,
        "Description": "Amazon S3 server access logs, partitioned by day and source bucket.",
        "TableType": "EXTERNAL_TABLE",
        "Parameters": {"EXTERNAL": "TRUE", **table_properties(spec)},
        "PartitionKeys": [{"Name": c.name, "Type": c.athena_type} for c in PARTITION_COLUMNS],
        "StorageDescriptor": {
            "Columns": [
                {"Name": f.name, "Type": f.athena_type, "Comment": f.description}
                for f in _table_columns()
            ],
            "Location": spec.location,
            "InputFormat": INPUT_FORMAT,
            "OutputFormat": OUTPUT_FORMAT,
            "SerdeInfo": {
                "SerializationLibrary": SERDE,
                "Parameters": serde_parameters(),
            },
        },
    }


# -- the typed view ----------------------------------------------------------------------

# Athena's parse_datetime takes Joda patterns; Z reads the +0000 offset.
_REQUEST_TIME_FORMAT = "dd/MMM/yyyy:HH:mm:ss Z"


def _view_expression(f: LogField) -> str:
    """The view's expression for one table column: ``-`` becomes NULL.

    An empty quoted field (``""``, an empty header) stays ``''``: it is a value, not an
    absent one (the parser agrees). Only the trailing fields map ``''`` to NULL too: there
    it means that nothing but spaces followed the last known field.
    """
    column = trino_identifier(f.name)
    dash = trino_string_literal("-")
    if f.value_type is ValueType.TIMESTAMP:
        # try(): one malformed time yields NULL in that row instead of failing the query;
        # the raw text stays in the table.
        return (
            f"try(CAST(parse_datetime({column}, {trino_string_literal(_REQUEST_TIME_FORMAT)}) "
            f"AT TIME ZONE {trino_string_literal('UTC')} AS timestamp))"
        )
    if f.value_type is ValueType.INT:
        # A bigint table column is already NULL for '-' (the SerDe cannot convert it).
        source = f"NULLIF({column}, {dash})" if f.athena_type == "string" else column
        return f"CAST({source} AS {f.view_type})"
    if f is TRAILING_FIELD:
        return f"NULLIF(NULLIF({column}, {dash}), {trino_string_literal('')})"
    return f"NULLIF({column}, {dash})"


def _view_columns() -> list[dict[str, str]]:
    columns = [{"name": f.view_name, "expression": _view_expression(f)} for f in _table_columns()]
    columns += [{"name": c.name, "expression": trino_identifier(c.name)} for c in PARTITION_COLUMNS]
    return columns


# -- rendering ---------------------------------------------------------------------------


@cache
def _environment() -> jinja2.Environment:
    import jinja2  # deferred: keeps this module importable without jinja2

    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(resource_dir("ddl")),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # SQL, not HTML: values are quoted by the filters below
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(
        hive_string=hive_string_literal,
        hive_ident=hive_identifier,
        trino_string=trino_string_literal,
        trino_ident=trino_identifier,
    )
    return environment


def _render(template: str, **values: Any) -> str:
    import jinja2

    try:
        text = _environment().get_template(template).render(**values)
    except jinja2.TemplateError as exc:
        raise TemplateError(f"ddl/{template}: {exc}") from exc
    return text.strip()


def create_statements(spec: TableSpec) -> list[str]:
    """``CREATE DATABASE IF NOT EXISTS`` and ``CREATE EXTERNAL TABLE IF NOT EXISTS``."""
    columns = [
        {"name": f.name, "type": f.athena_type, "comment": f.description} for f in _table_columns()
    ]
    return [
        _render("create_database.sql.j2", database=spec.database),
        _render(
            "create_table.sql.j2",
            database=spec.database,
            table=spec.table,
            columns=columns,
            partition_columns=[{"name": c.name, "type": c.athena_type} for c in PARTITION_COLUMNS],
            serde=SERDE,
            serde_properties=serde_parameters(),
            input_format=INPUT_FORMAT,
            output_format=OUTPUT_FORMAT,
            location=spec.location,
            properties=table_properties(spec),
        ),
    ]


def alter_statements(spec: TableSpec) -> list[str]:
    """``ALTER TABLE ... SET TBLPROPERTIES``: bring an existing table's bucket projection
    (enum values, or the switch to injected) and year range up to ``spec``."""
    return [
        _render(
            "alter_table.sql.j2",
            database=spec.database,
            table=spec.table,
            properties=_bucket_and_year_projection(spec),
        )
    ]


def view_statement(spec: TableSpec) -> str:
    """``CREATE OR REPLACE VIEW <table>_typed``: typed columns with readable names
    (``request_time`` timestamp in UTC, ``http_status`` integer, sizes and times bigint,
    ``-`` as NULL) plus the partition columns."""
    return _render(
        "create_view.sql.j2",
        database=spec.database,
        table=spec.table,
        view=spec.view,
        columns=_view_columns(),
    )


def render_script(statements: Sequence[str]) -> str:
    """Statements as one SQL script: each ends with ``;``, separated by a blank line."""
    return "".join(f"{statement};\n\n" for statement in statements).rstrip("\n") + "\n"


# -- shared with the compacted table and the view over both (table.compacted, table.views) --


def typed_view_columns() -> list[dict[str, str]]:
    """The typed view's select list over the raw table: ``{"name", "expression"}`` per
    typed column, then the partition columns (Trino SQL)."""
    return _view_columns()


def render_ddl(template: str, **values: Any) -> str:
    """Render one of the ``ddl/`` templates (jinja2, with the quoting filters)."""
    return _render(template, **values)
