"""The one quoting function: Trino literals that DuckDB reads back identically."""

from __future__ import annotations

import ipaddress
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import duckdb
import pytest
import sqlglot
from hypothesis import given, settings
from hypothesis import strategies as st
from pyathena.formatter import _escape_trino
from sqlglot import exp

from s3logs_athena.errors import TemplateError
from s3logs_athena.templates.quoting import Sql, in_list, quote_identifier, sql_literal

_DUCKDB = duckdb.connect()

TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=0
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("it's", "'it''s'"),
        ("a\\b", "'a\\b'"),
        ("", "''"),
        (42, "42"),
        (-7, "-7"),
        (True, "TRUE"),
        (False, "FALSE"),
        (None, "NULL"),
        (Decimal("0.0000004"), "0.0000004"),
        (Decimal("4E-7"), "0.0000004"),
        (datetime(2024, 5, 1, 12, 30), "TIMESTAMP '2024-05-01 12:30:00'"),
        (datetime(2024, 5, 1, 12, 30, 0, 5), "TIMESTAMP '2024-05-01 12:30:00.000005'"),
        (datetime(2024, 5, 1, tzinfo=UTC), "TIMESTAMP '2024-05-01 00:00:00'"),
        (date(2024, 5, 1), "DATE '2024-05-01'"),
        (ipaddress.ip_network("10.0.0.0/8"), "'10.0.0.0/8'"),
        (ipaddress.ip_address("2001:db8::1"), "'2001:db8::1'"),
        (["a", "b'c"], "('a', 'b''c')"),
    ],
)
def test_literals(value: object, expected: str) -> None:
    assert sql_literal(value) == expected
    assert isinstance(sql_literal(value), Sql)


@pytest.mark.parametrize(
    "value",
    [
        object(),
        Decimal("NaN"),
        datetime(2024, 5, 1, tzinfo=timezone(timedelta(hours=2))),
        "nul\x00",
        Sql("already sql"),
    ],
)
def test_refuses_what_it_cannot_quote(value: object) -> None:
    with pytest.raises(TemplateError):
        sql_literal(value)


def test_in_list_needs_values() -> None:
    with pytest.raises(TemplateError):
        in_list([])


def test_identifiers() -> None:
    assert quote_identifier("s3_access_logs_db") == '"s3_access_logs_db"'
    for bad in ('a"b', "a b", "1abc", "", "a;b", "x" * 256):
        with pytest.raises(TemplateError):
            quote_identifier(bad)


@given(TEXT)
def test_string_quoting_is_pyathenas(text: str) -> None:
    assert sql_literal(text) == _escape_trino(text)


@settings(max_examples=200, deadline=None)
@given(TEXT)
def test_string_round_trips_through_sqlglot_and_duckdb(text: str) -> None:
    sql = f"SELECT {sql_literal(text)} AS v"
    (statement,) = sqlglot.parse(sql, read="athena")
    assert isinstance(statement, exp.Select)
    literal = statement.selects[0].this
    assert isinstance(literal, exp.Literal) and literal.is_string and literal.this == text
    duck_sql = sqlglot.transpile(sql, read="athena", write="duckdb")[0]
    assert _DUCKDB.execute(duck_sql).fetchone() == (text,)
