"""The range macro: partition predicates that select exactly the right days."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import duckdb
import pytest
import sqlglot
from hypothesis import given, settings
from hypothesis import strategies as st

from s3logs_athena.templates.partitions import (
    partition_days,
    partition_predicate,
    range_predicate,
)


@pytest.fixture(scope="module")
def calendar() -> duckdb.DuckDBPyConnection:
    """Every day from 2019 to 2031 as (year, month, day)."""
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE days AS SELECT CAST(d AS DATE) AS d, year(d) AS year, month(d) AS month, "
        "day(d) AS day FROM range(DATE '2019-01-01', DATE '2032-01-01', INTERVAL 1 DAY) t(d)"
    )
    return con


def selected(con: duckdb.DuckDBPyConnection, predicate: str) -> list[date]:
    sql = sqlglot.transpile(
        f"SELECT d FROM days WHERE {predicate} ORDER BY d", read="athena", write="duckdb"
    )[0]
    return [row[0] for row in con.execute(sql).fetchall()]


def test_the_day_after_the_range_is_read() -> None:
    # A request at 23:59:59 on May 1 is delivered in May 2's file.
    assert partition_days(datetime(2024, 5, 1), datetime(2024, 5, 2)) == (
        date(2024, 5, 1),
        date(2024, 5, 2),
    )
    assert partition_days(datetime(2024, 5, 1, 6), datetime(2024, 5, 2, 0, 0, 1)) == (
        date(2024, 5, 1),
        date(2024, 5, 3),
    )
    assert partition_days(datetime(2024, 12, 31, 23), datetime(2025, 1, 1)) == (
        date(2024, 12, 31),
        date(2025, 1, 1),
    )
    with pytest.raises(ValueError, match="empty"):
        partition_days(datetime(2024, 5, 1), datetime(2024, 5, 1))


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        (date(2024, 5, 1), date(2024, 5, 1), "(year = 2024 AND month = 5 AND day = 1)"),
        (date(2024, 5, 1), date(2024, 5, 3), "(year = 2024 AND month = 5 AND day BETWEEN 1 AND 3)"),
        (
            date(2024, 1, 31),
            date(2024, 2, 1),
            "((year = 2024 AND month = 1 AND day = 31)\n"
            "    OR (year = 2024 AND month = 2 AND day = 1))",
        ),
        (
            date(2021, 3, 5),
            date(2024, 6, 2),
            "((year = 2021 AND month = 3 AND day BETWEEN 5 AND 31)\n"
            "    OR (year = 2021 AND month BETWEEN 4 AND 12 AND day BETWEEN 1 AND 31)\n"
            "    OR (year BETWEEN 2022 AND 2023"
            " AND month BETWEEN 1 AND 12 AND day BETWEEN 1 AND 31)\n"
            "    OR (year = 2024 AND month BETWEEN 1 AND 5 AND day BETWEEN 1 AND 31)\n"
            "    OR (year = 2024 AND month = 6 AND day BETWEEN 1 AND 2))",
        ),
    ],
)
def test_predicate_text(first: date, last: date, expected: str) -> None:
    assert partition_predicate(first, last) == expected


@settings(max_examples=150, deadline=None)
@given(
    first=st.dates(min_value=date(2019, 1, 1), max_value=date(2031, 12, 31)),
    days=st.one_of(st.integers(0, 70), st.integers(0, 1500)),
)
def test_predicate_selects_exactly_the_days(
    calendar: duckdb.DuckDBPyConnection, first: date, days: int
) -> None:
    last = min(first + timedelta(days=days), date(2031, 12, 31))
    predicate = partition_predicate(first, last)
    expected = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    assert selected(calendar, predicate) == expected
    assert predicate.count(" OR ") <= 4  # at most five blocks, however long the range


def test_range_predicate_parts() -> None:
    sql = range_predicate(datetime(2024, 5, 1), datetime(2024, 5, 2), ["app-assets", "o-brien"])
    lines = sql.split("\n  AND ")
    assert lines[0] == "(year = 2024 AND month = 5 AND day BETWEEN 1 AND 2)"
    assert lines[1] == "bucket IN ('app-assets', 'o-brien')"
    assert lines[2].endswith(">= TIMESTAMP '2024-05-01 00:00:00'")
    assert lines[3].endswith("< TIMESTAMP '2024-05-02 00:00:00'")
    assert "bucket" not in range_predicate(datetime(2024, 5, 1), datetime(2024, 5, 2))
