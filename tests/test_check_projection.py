"""The projection: read from a Glue table the DDL generator made, or from arguments."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import boto3
import pytest
from moto import mock_aws

from s3logs_athena.check import Projection, projection_from_args, read_projection
from s3logs_athena.check.projection import parse_year_range, projection_from_parameters
from s3logs_athena.errors import InputError
from s3logs_athena.layout import Layout
from s3logs_athena.table.ddl import TableSpec, glue_table_input


@pytest.fixture
def glue() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("glue", region_name="us-east-1")
        client.create_database(DatabaseInput={"Name": "s3_access_logs_db"})
        yield client


def create(glue: Any, spec: TableSpec) -> None:
    glue.create_table(DatabaseName=spec.database, TableInput=glue_table_input(spec))


def test_enum_projection_from_the_generated_table(glue: Any) -> None:
    spec = TableSpec(
        "s3://central-logs/PartitionedLogs/", buckets=("app", "api"), years=(2020, 2030)
    )
    create(glue, spec)
    projection = read_projection(glue, "s3_access_logs_db.s3_access_logs")
    assert projection.ranges == {"year": (2020, 2030), "month": (1, 12), "day": (1, 31)}
    assert projection.bucket_values == {"app", "api"}
    assert projection.problem(date(2024, 1, 2), "app") is None
    assert "year 2019 is outside projection.year.range 2020,2030" in (
        projection.problem(date(2019, 12, 31), "app") or ""
    )
    assert "bucket 'web' is not in projection.bucket.values of table" in (
        projection.problem(date(2024, 1, 2), "web") or ""
    )
    assert projection.location_problem("central-logs", Layout()) is None
    assert "not this bucket's partitions" in (
        projection.location_problem("other-logs", Layout()) or ""
    )


def test_injected_projection_reaches_every_bucket(glue: Any) -> None:
    create(glue, TableSpec("s3://central-logs/PartitionedLogs/", bucket_projection="injected"))
    projection = read_projection(glue, "s3_access_logs_db.s3_access_logs")
    assert projection.bucket_values is None
    assert projection.problem(date(2024, 1, 2), "anything") is None


def test_a_missing_table_is_a_usage_error(glue: Any) -> None:
    with pytest.raises(InputError, match=r"Glue GetTable s3_access_logs_db\.nope"):
        read_projection(glue, "s3_access_logs_db.nope")
    with pytest.raises(InputError, match=r"expected DATABASE\.TABLE"):
        read_projection(glue, "no_dot")


def test_a_table_without_projection_is_a_usage_error() -> None:
    with pytest.raises(InputError, match="has no partition projection"):
        projection_from_parameters({"EXTERNAL": "TRUE"}, "table db.t")
    with pytest.raises(InputError, match="not supported"):
        projection_from_parameters(
            {"projection.enabled": "true", "projection.bucket.type": "date"}, "table db.t"
        )


def test_projection_from_arguments() -> None:
    assert projection_from_args(None, None) is None
    projection = projection_from_args("2023,2024", "a, b")
    assert isinstance(projection, Projection)
    assert projection.ranges == {"year": (2023, 2024)}
    assert projection.bucket_values == {"a", "b"}
    assert projection_from_args("2024", None) == Projection(
        {"year": (2024, 2024)}, None, projection.source
    )  # type: ignore[union-attr]


@pytest.mark.parametrize("text", ["", "2024,2020", "x", "1,2,3"])
def test_bad_year_ranges(text: str) -> None:
    with pytest.raises(InputError, match="expected FIRST,LAST"):
        parse_year_range(text)
