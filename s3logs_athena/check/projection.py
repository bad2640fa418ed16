"""Which partitions the Athena table can see: its partition projection.

With partition projection Athena never lists partitions; it computes them from the table's
``projection.*`` parameters (the DDL generator writes them): integer ranges for year, month
and day (``projection.year.range = '2020,2030'``) and, for the bucket, either an ``enum``
(``projection.bucket.values = 'a,b'``) or ``injected`` (any value the query names). Data in a
partition outside them is invisible to every query: the checker reports it as
``unprojected``. The projection comes from Glue (:func:`read_projection`) or from arguments
(:func:`projection_from_args`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from ..errors import InputError
from ..layout import PARTITION_COLUMNS, Layout
from .aws import aws_errors

__all__ = ["Projection", "parse_year_range", "projection_from_args", "read_projection"]

_INTEGER_COLUMNS = tuple(c.name for c in PARTITION_COLUMNS if c.athena_type == "int")


@dataclass(frozen=True)
class Projection:
    """Ranges of the integer partition columns (inclusive) and the bucket enum.

    A column missing from ``ranges`` is unrestricted; ``bucket_values`` is ``None`` when the
    bucket is injected (or not constrained).
    """

    ranges: dict[str, tuple[int, int]]
    bucket_values: frozenset[str] | None
    source: str
    #: ``storage.location.template`` of the table, when read from Glue.
    location_template: str | None = None

    def problem(self, day: date, bucket: str) -> str | None:
        """Why Athena cannot reach partition ``(day, bucket)``, or ``None`` if it can."""
        values = {"year": day.year, "month": day.month, "day": day.day}
        for name, (low, high) in self.ranges.items():
            value = values.get(name)
            if value is not None and not low <= value <= high:
                return (
                    f"{name} {value} is outside projection.{name}.range {low},{high} of "
                    f"{self.source}"
                )
        if self.bucket_values is not None and bucket not in self.bucket_values:
            return f"bucket {bucket!r} is not in projection.bucket.values of {self.source}"
        return None

    def location_problem(self, log_bucket: str, layout: Layout) -> str | None:
        """Why the table's location template does not point at this bucket's partitions."""
        if self.location_template is None:
            return None
        expected = layout.location_template(f"s3://{log_bucket}/{layout.partition_root}")
        if self.location_template.rstrip("/") != expected.rstrip("/"):
            return (
                f"{self.source} reads {self.location_template!r}, not this bucket's partitions "
                f"{expected!r}: no partition checked here is visible to Athena"
            )
        return None


def parse_year_range(text: str, *, setting: str = "--years") -> tuple[int, int]:
    """``'2020,2030'`` (as in ``projection.year.range``) or ``'2024'`` -> inclusive range."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    try:
        numbers = [int(part) for part in parts]
    except ValueError:
        numbers = []
    if len(numbers) == 1:
        numbers *= 2
    if len(numbers) != 2 or numbers[0] > numbers[1]:
        raise InputError(f"{setting} {text!r}: expected FIRST,LAST such as 2020,2030")
    return numbers[0], numbers[1]


def projection_from_args(years: str | None, bucket_values: str | None) -> Projection | None:
    """The projection given on the command line (``--years``, ``--bucket-values``)."""
    if years is None and bucket_values is None:
        return None
    ranges = {} if years is None else {"year": parse_year_range(years)}
    values = None
    if bucket_values is not None:
        values = frozenset(v.strip() for v in bucket_values.split(",") if v.strip())
        if not values:
            raise InputError("--bucket-values is empty: give the enum values, e.g. a,b")
    return Projection(ranges, values, "the --years/--bucket-values projection")


def projection_from_parameters(parameters: dict[str, str], source: str) -> Projection:
    """The projection described by a Glue table's parameters."""
    if parameters.get("projection.enabled", "").lower() != "true":
        raise InputError(
            f"{source} has no partition projection (projection.enabled is not 'true'); give "
            "--years/--bucket-values instead"
        )
    ranges: dict[str, tuple[int, int]] = {}
    for name in _INTEGER_COLUMNS:
        kind = parameters.get(f"projection.{name}.type")
        if kind is None:
            continue
        if kind != "integer":
            raise InputError(f"{source}: projection.{name}.type {kind!r} is not supported")
        ranges[name] = parse_year_range(
            parameters.get(f"projection.{name}.range", ""), setting=f"projection.{name}.range"
        )
    bucket_type = parameters.get("projection.bucket.type")
    values: frozenset[str] | None = None
    if bucket_type == "enum":
        values = frozenset(
            v.strip() for v in parameters.get("projection.bucket.values", "").split(",")
        ) - {""}
    elif bucket_type not in (None, "injected"):
        raise InputError(f"{source}: projection.bucket.type {bucket_type!r} is not supported")
    return Projection(ranges, values, source, parameters.get("storage.location.template"))


def split_table_name(name: str) -> tuple[str, str]:
    database, _, table = name.partition(".")
    if not database or not table or "." in table:
        raise InputError(f"--projection-from-table {name!r}: expected DATABASE.TABLE")
    return database, table


def read_projection(glue: Any, table_name: str) -> Projection:
    """The projection of Glue table ``DATABASE.TABLE``."""
    database, table = split_table_name(table_name)
    with aws_errors(f"Glue GetTable {table_name}"):
        response = glue.get_table(DatabaseName=database, Name=table)
    parameters = dict(response["Table"].get("Parameters", {}))
    return projection_from_parameters(parameters, f"table {table_name}")
