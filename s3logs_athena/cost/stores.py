"""Where a table's partitions live, and which of them its projection can reach.

A :class:`PartitionStore` is one table's ``storage.location.template``
(``s3://logs/PartitionedLogs/Year=${year}/Month=${month}/Day=${day}/${bucket}/``) with the
projection that bounds it: integer ranges (and zero-padding digits) for year, month and day,
and the bucket's ``enum`` values or ``injected``. It comes from

* an S3 location (``--location s3://BUCKET/PartitionedLogs/``): the layout's template
  (:meth:`~s3logs_athena.layout.Layout.location_template`), years 2006 (S3 server access
  logging began) to next year;
* a Glue table (``--table db.table``): its own template and projection; a view (Athena keeps
  a view's SQL in Glue) resolves to the stores of the tables it reads, so an estimate over
  a view of the raw and the compacted table counts both (an upper bound);
* the local cache's hive-style Parquet directories (``year=2024/month=5/...``).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..check.aws import aws_errors
from ..check.projection import parse_year_range
from ..errors import ConfigError, InputError
from ..layout import PARTITION_COLUMNS, Layout

__all__ = [
    "LOG_YEARS",
    "PartitionStore",
    "store_for_cache",
    "store_from_glue_table",
    "store_from_location",
    "stores_from_glue",
]

_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_FIXED_RANGES = {"month": (1, 12), "day": (1, 31)}
_PRESTO_VIEW = re.compile(r"/\*\s*Presto View:\s*(?P<payload>[A-Za-z0-9+/=\s]+?)\s*\*/")
_MAX_VIEW_DEPTH = 5


def _log_years() -> tuple[int, int]:
    # S3 server access logging exists since 2006; no log is from after next year.
    return 2006, datetime.now(UTC).year + 1


#: Years an S3 location without a projection can hold.
LOG_YEARS = _log_years()


@dataclass(frozen=True)
class PartitionStore:
    """One table's partitions: where (``template``) and which (``ranges``, bucket
    projection). ``template`` is an ``s3://`` URI or a local directory path with one
    ``${column}`` placeholder per partition column."""

    template: str
    #: Inclusive ranges of the integer partition columns.
    ranges: Mapping[str, tuple[int, int]]
    #: Zero-padding of integer values in the template (``Month=03``).
    digits: Mapping[str, int] = field(default_factory=dict)
    #: ``projection.bucket.values`` of an enum projection.
    bucket_values: frozenset[str] | None = None
    #: ``projection.bucket.type = injected``: queries must name their buckets.
    injected: bool = False
    #: What it was made from, for messages (``table db.t``, ``s3://b/PartitionedLogs/``).
    source: str = ""

    def __post_init__(self) -> None:
        names = _PLACEHOLDER.findall(self.template)
        expected = [c.name for c in PARTITION_COLUMNS]
        if sorted(names) != sorted(expected):
            raise ConfigError(
                self.source or "location",
                f"location template {self.template!r} must have one placeholder for each "
                f"partition column ({', '.join(expected)})",
            )
        for name in (c.name for c in PARTITION_COLUMNS if c.athena_type != "int"):
            tail = self.template.partition("${" + name + "}")[2]
            if "/" in tail.rstrip("/") or "$" in tail:
                raise ConfigError(
                    self.source or "location",
                    f"location template {self.template!r}: ${{{name}}} must be in the last "
                    "folder of the template",
                )

    @property
    def location(self) -> str:
        """The template up to its first placeholder's folder."""
        head = self.template.split("${", 1)[0]
        return head[: head.rfind("/") + 1]

    @property
    def is_s3(self) -> bool:
        return self.template.startswith("s3://")

    def _value(self, name: str, value: object) -> str:
        digits = self.digits.get(name)
        if isinstance(value, int) and digits:
            return f"{value:0{digits}d}"
        return str(value)

    def prefix(self, values: Mapping[str, object]) -> str:
        """The template with every placeholder filled in: one partition's folder."""
        return _PLACEHOLDER.sub(lambda m: self._value(m[1], values[m[1]]), self.template)

    def folder_of(self, values: Mapping[str, object], column: str) -> tuple[str, str, str]:
        """Where to discover ``column``'s values: the parent folder (integers filled in) and
        the text around the placeholder in its child folder's name (``bucket=``, ``""``)."""
        head, _, tail = self.template.partition("${" + column + "}")
        cut = head.rfind("/") + 1
        parent = _PLACEHOLDER.sub(lambda m: self._value(m[1], values[m[1]]), head[:cut])
        return parent, head[cut:], tail.rstrip("/")


def store_from_location(location: str, *, years: tuple[int, int] | None = None) -> PartitionStore:
    """The store at ``s3://BUCKET/ROOT/`` laid out as the mover lays out partitions."""
    if not location.startswith("s3://"):
        raise ConfigError("--location", f"{location!r} is not an s3://BUCKET/PREFIX/ URI")
    bucket, _, root = location[len("s3://") :].partition("/")
    if not bucket or not root:
        raise ConfigError(
            "--location",
            f"{location!r}: give the partition root too, e.g. s3://{bucket or 'BUCKET'}"
            "/PartitionedLogs/",
        )
    root = root if root.endswith("/") else root + "/"
    try:
        template = Layout(partition_root=root).location_template(f"s3://{bucket}/{root}")
    except InputError as exc:
        raise ConfigError("--location", str(exc)) from None
    ranges = {"year": years or LOG_YEARS, **_FIXED_RANGES}
    digits = {c.name: c.digits for c in PARTITION_COLUMNS if c.digits}
    return PartitionStore(template, ranges, digits, source=f"s3://{bucket}/{root}")


def store_for_cache(parquet_root: Path | str) -> PartitionStore:
    """The local cache's hive-style Parquet partitions under ``parquet_root``."""
    root = Path(parquet_root).as_posix().rstrip("/")
    template = root + "/" + "/".join(f"{c.name}=${{{c.name}}}" for c in PARTITION_COLUMNS) + "/"
    return PartitionStore(
        template, {"year": LOG_YEARS, **_FIXED_RANGES}, source=f"the cache {root}"
    )


def store_from_glue_table(
    parameters: Mapping[str, str], location: str | None, source: str
) -> PartitionStore:
    """The store a Glue table's partition projection describes."""
    if parameters.get("projection.enabled", "").strip().lower() != "true":
        raise ConfigError(
            source,
            "has no partition projection (projection.enabled is not 'true'): give "
            "--location s3://BUCKET/PREFIX/ instead",
        )
    ranges: dict[str, tuple[int, int]] = {}
    digits: dict[str, int] = {}
    for column in PARTITION_COLUMNS:
        kind = parameters.get(f"projection.{column.name}.type", "").strip().lower()
        if column.athena_type == "int":
            if kind != "integer":
                raise ConfigError(
                    source, f"projection.{column.name}.type {kind!r} is not supported (integer)"
                )
            ranges[column.name] = parse_year_range(
                parameters.get(f"projection.{column.name}.range", ""),
                setting=f"{source} projection.{column.name}.range",
            )
            if parameters.get(f"projection.{column.name}.digits", "").strip().isdigit():
                digits[column.name] = int(parameters[f"projection.{column.name}.digits"])
        elif kind not in ("enum", "injected"):
            raise ConfigError(
                source, f"projection.{column.name}.type {kind!r} is not supported (enum, injected)"
            )
    bucket_type = parameters.get("projection.bucket.type", "").strip().lower()
    values = None
    if bucket_type == "enum":
        values = frozenset(
            v.strip() for v in parameters.get("projection.bucket.values", "").split(",")
        ) - {""}
    template = parameters.get("storage.location.template")
    if not template:
        if not location:
            raise ConfigError(source, "has neither a location nor storage.location.template")
        names = "/".join(f"{c.name}=${{{c.name}}}" for c in PARTITION_COLUMNS)
        template = location.rstrip("/") + "/" + names + "/"
    return PartitionStore(
        template,
        ranges,
        digits,
        bucket_values=values,
        injected=bucket_type == "injected",
        source=source,
    )


def split_table_name(name: str, *, setting: str = "--table") -> tuple[str, str]:
    """``DATABASE.TABLE`` -> ``(database, table)``; :class:`ConfigError` otherwise."""
    database, _, table = name.strip().partition(".")
    if not database or not table or "." in table:
        raise ConfigError(setting, f"{name!r}: expected DATABASE.TABLE")
    return database, table


def _view_sql(view_text: str, source: str) -> str:
    match = _PRESTO_VIEW.search(view_text or "")
    if match is None:
        raise ConfigError(source, "is a view whose SQL is not an Athena view: give --location")
    try:
        payload = json.loads(base64.b64decode("".join(match["payload"].split())))
    except (binascii.Error, ValueError):
        raise ConfigError(
            source, "is a view whose definition cannot be read: give --location"
        ) from None
    sql = payload.get("originalSql") if isinstance(payload, dict) else None
    if not isinstance(sql, str):
        raise ConfigError(source, "is a view without originalSql: give --location")
    return sql


def stores_from_glue(
    glue: Any, database: str, table: str, *, _depth: int = 0
) -> list[PartitionStore]:
    """The stores Glue table ``database.table`` reads: its own, or, for a view, those of the
    tables it reads (recursively)."""
    from .predicate import find_scans

    source = f"table {database}.{table}"
    if _depth > _MAX_VIEW_DEPTH:
        raise ConfigError(source, "views nest too deep: give --location")
    try:
        with aws_errors(f"Glue GetTable {database}.{table}"):
            response = glue.get_table(DatabaseName=database, Name=table)
    except InputError as exc:  # not in the catalog: say how to put it there
        raise InputError(
            f"{exc} Create the tables and views with `s3logs-athena ddl --apply`, "
            "or give --location s3://BUCKET/PartitionedLogs/"
        ) from None
    found = response["Table"]
    if found.get("TableType") == "VIRTUAL_VIEW":
        stores: list[PartitionStore] = []
        for scan in find_scans(_view_sql(found.get("ViewOriginalText", ""), source)):
            for store in stores_from_glue(
                glue, scan.database or database, scan.table, _depth=_depth + 1
            ):
                if store not in stores:
                    stores.append(store)
        if not stores:
            raise ConfigError(source, "is a view that reads no table")
        return stores
    location = found.get("StorageDescriptor", {}).get("Location")
    return [store_from_glue_table(dict(found.get("Parameters", {})), location, source)]
