"""Scans and partition predicates found in any SQL, evaluated like Athena's projection."""

from __future__ import annotations

import pytest

from s3logs_athena.cost.predicate import (
    PredicateEvaluator,
    find_scans,
    only_static_equalities,
    static_values,
)
from s3logs_athena.errors import TemplateError


def _one(sql: str) -> str:
    (scan,) = find_scans(sql)
    return scan.sql()


def test_partition_conjuncts_are_kept_and_the_rest_ignored() -> None:
    sql = (
        "SELECT * FROM db.logs WHERE (year = 2024 AND month = 5 AND day BETWEEN 1 AND 2) "
        "AND bucket IN ('a', 'b') AND requester = 'x' AND year + 0 > 1 AND "
        "CAST(requestdatetime AS varchar) > '' AND day IN (SELECT 1)"
    )
    assert _one(sql) == (
        "year = 2024 AND month = 5 AND day BETWEEN 1 AND 2 AND bucket IN ('a', 'b')"
    )


def test_aliases_ctes_joins_and_subqueries() -> None:
    sql = """
        WITH recent AS (SELECT * FROM db.logs l WHERE l.year = 2024 AND l.month = 5 AND l.day = 1),
             other AS (SELECT * FROM db.logs WHERE year = 2023)
        SELECT * FROM recent JOIN other ON recent.x = other.x
        JOIN db.compacted c ON c.k = recent.k
        WHERE c.year = 2024 AND day = 9 AND recent.year = 1
          AND EXISTS (SELECT 1 FROM "db"."logs_all" WHERE bucket = 'z')
    """
    scans = {(s.relation, s.sql()) for s in find_scans(sql)}
    assert scans == {
        ("db.logs", "year = 2024 AND month = 5 AND day = 1"),
        ("db.logs", "year = 2023"),
        # Several sources: only the conjuncts qualified with its alias belong to it.
        ("db.compacted", "year = 2024"),
        ("db.logs_all", "bucket = 'z'"),
    }


def test_no_where_or_no_partition_condition_means_every_partition() -> None:
    (scan,) = find_scans("SELECT count(*) FROM logs")
    assert scan.predicate is None and scan.sql() == "TRUE" and scan.database is None
    (scan,) = find_scans("SELECT count(*) FROM logs WHERE requester = 'a' OR year = 1")
    assert scan.predicate is None


def test_static_values() -> None:
    (scan,) = find_scans("SELECT 1 FROM t WHERE year = 1 AND bucket IN ('a', 'b') AND 'b' = bucket")
    assert static_values(scan.predicate, "bucket") == frozenset({"b"})
    assert only_static_equalities(scan.predicate, "bucket")
    (scan,) = find_scans("SELECT 1 FROM t WHERE bucket IN ('a') AND bucket <> 'c'")
    assert static_values(scan.predicate, "bucket") == frozenset({"a"})
    assert not only_static_equalities(scan.predicate, "bucket")
    (scan,) = find_scans("SELECT 1 FROM t WHERE year = 1 OR bucket = 'a'")
    assert static_values(scan.predicate, "bucket") is None
    assert not only_static_equalities(scan.predicate, "bucket")
    assert static_values(None, "bucket") is None and not only_static_equalities(None, "bucket")


def test_an_unknown_bucket_decides_nothing_until_it_is_known() -> None:
    (scan,) = find_scans(
        "SELECT 1 FROM t WHERE year = 2024 AND month = 5 AND day <= 2 AND bucket <> 'b'"
    )
    with PredicateEvaluator() as evaluator:
        days = evaluator.select_grid(
            scan.predicate, {"year": (2023, 2025), "month": (1, 12), "day": (1, 31)}
        )
        assert days == [(2024, 5, 1, None), (2024, 5, 2, None)]
        rows = [(2024, 5, 1, "a"), (2024, 5, 1, "b"), (2024, 5, 3, "a")]
        assert evaluator.select(scan.predicate, rows) == [(2024, 5, 1, "a")]
        assert evaluator.select(None, rows) == rows
        assert (
            len(list(evaluator.grid({"year": (2024, 2024), "month": (1, 2), "day": (1, 31)}))) == 62
        )


def test_a_predicate_duckdb_cannot_evaluate_is_a_template_error() -> None:
    (scan,) = find_scans("SELECT 1 FROM t WHERE year = 'not a number'")
    with (
        PredicateEvaluator() as evaluator,
        pytest.raises(TemplateError, match="partition predicate"),
    ):
        evaluator.select(scan.predicate, [(2024, 1, 1, "a")])
