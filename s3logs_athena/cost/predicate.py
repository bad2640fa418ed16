"""Which partitions a query can read: its scans and their partition predicates, evaluated.

Athena's partition projection never lists partitions: it computes the candidate partitions
from the table's ``projection.*`` properties, keeps those the query's predicates on the
partition columns allow, and reads their S3 prefixes. This module does the same with the
rendered SQL, generically (any template, any table, any relation name):

* :func:`find_scans` finds every table a query reads (CTE references excluded) and, for each,
  the *partition predicate*: the top-level conjuncts of its ``WHERE`` that mention only
  partition columns (:data:`~s3logs_athena.layout.PARTITION_COLUMNS`) of that table and
  literals, combined with plain comparisons, ``BETWEEN``, ``IN``, ``AND``, ``OR``, ``NOT``.
  Anything else (a function of ``year``, a subquery, a comparison with a data column) is
  left out, so the predicate can only admit *more* partitions than Athena reads: every
  estimate built on it is an upper bound.
* :class:`PredicateEvaluator` evaluates a predicate over candidate partitions in DuckDB, in
  bulk (a projection's years of days are a few thousand rows). A partition whose bucket is
  not known yet is evaluated with ``bucket`` NULL: SQL's three-valued logic then says
  whether *some* bucket could match (not FALSE), which is what decides which day folders
  need listing.
* :func:`static_values` is the set of values a predicate pins a column to with static
  equality (``bucket = 'a'``, ``bucket IN ('a', 'b')``), as Athena's ``injected`` projection
  requires.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlglot import exp

from ..errors import TemplateError
from ..layout import PARTITION_COLUMNS, PartitionColumn
from ..templates.dialect import parse_athena

__all__ = [
    "INTEGER_COLUMNS",
    "STRING_COLUMNS",
    "PredicateEvaluator",
    "Scan",
    "conjuncts",
    "find_scans",
    "static_values",
]

#: Partition columns whose projection is an integer range (year, month, day).
INTEGER_COLUMNS: tuple[str, ...] = tuple(
    c.name for c in PARTITION_COLUMNS if c.athena_type == "int"
)
#: Partition columns whose values are names (the source bucket).
STRING_COLUMNS: tuple[str, ...] = tuple(c.name for c in PARTITION_COLUMNS if c.athena_type != "int")

# Node types a partition predicate may be built from: what Athena's projection can evaluate
# without reading data, and what DuckDB evaluates with the same three-valued logic.
_COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE)
_ALLOWED = (
    exp.And,
    exp.Or,
    exp.Not,
    exp.Paren,
    exp.Between,
    exp.In,
    exp.Column,
    exp.Identifier,
    exp.Literal,
    exp.Boolean,
    exp.Neg,
    *_COMPARISONS,
)


@dataclass(frozen=True)
class Scan:
    """One read of a table by a query."""

    #: ``database`` as written in the query (``None`` when unqualified).
    database: str | None
    table: str
    #: Conjunction of the partition conjuncts of the scan's WHERE (columns unqualified and
    #: lower case), or ``None`` when there is none: every projected partition is read.
    predicate: exp.Expr | None

    @property
    def relation(self) -> str:
        return f"{self.database}.{self.table}" if self.database else self.table

    @property
    def columns(self) -> frozenset[str]:
        """The partition columns the predicate mentions."""
        if self.predicate is None:
            return frozenset()
        return frozenset(c.name.lower() for c in self.predicate.find_all(exp.Column))

    def sql(self) -> str:
        """The predicate as Athena SQL (``TRUE`` when there is none)."""
        return "TRUE" if self.predicate is None else self.predicate.sql("athena")


def conjuncts(node: exp.Expr) -> list[exp.Expr]:
    """The top-level AND terms of a condition, parentheses around AND groups opened."""
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.And):
        return [*conjuncts(node.left), *conjuncts(node.right)]
    return [node]


def _is_partition_conjunct(
    node: exp.Expr, names: frozenset[str], qualifiers: frozenset[str]
) -> bool:
    columns = list(node.find_all(exp.Column))
    if not columns:
        return False
    for column in columns:
        if column.name.lower() not in names:
            return False
        if column.table and column.table.lower() not in qualifiers:
            return False
    return all(isinstance(n, _ALLOWED) for n in node.walk()) and not any(
        isinstance(n, exp.In) and n.args.get("query") is not None for n in node.walk()
    )


def _unqualified(node: exp.Expr) -> exp.Expr:
    def strip(n: exp.Expr) -> exp.Expr:
        if isinstance(n, exp.Column):
            return exp.column(n.name.lower())
        return n

    return node.copy().transform(strip)


def _sources(select: exp.Select) -> list[exp.Expr]:
    from_ = select.args.get("from_") or select.args.get("from")
    found: list[exp.Expr] = [from_.this] if from_ is not None else []
    found += [join.this for join in select.args.get("joins") or ()]
    return found


def find_scans(
    sql: str | exp.Expr, columns: Sequence[PartitionColumn] = PARTITION_COLUMNS
) -> list[Scan]:
    """Every table read by ``sql`` (Athena SQL), each with its partition predicate."""
    tree = parse_athena(sql) if isinstance(sql, str) else sql
    names = frozenset(c.name for c in columns)
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    scans: list[Scan] = []
    for table in tree.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier):
            continue  # a table function (UNNEST ...), not a stored table
        if not table.db and table.name.lower() in ctes:
            continue
        select = table.find_ancestor(exp.Select)
        where = select.args.get("where") if select is not None else None
        terms: list[exp.Expr] = []
        if select is not None and where is not None:
            qualifiers = {table.alias_or_name.lower(), table.name.lower()}
            # An unqualified column belongs to this table only when it is the only source.
            sole = len(_sources(select)) == 1
            for term in conjuncts(where.this):
                unqualified = any(not c.table for c in term.find_all(exp.Column))
                if unqualified and not sole:
                    continue
                if _is_partition_conjunct(term, names, frozenset(qualifiers)):
                    terms.append(_unqualified(term))
        predicate = exp.and_(*terms) if terms else None
        scans.append(Scan(table.db or None, table.name, predicate))
    return scans


def _literal_value(node: exp.Expr) -> str | None:
    if isinstance(node, exp.Literal) and node.is_string:
        return str(node.this)
    return None


def static_values(predicate: exp.Expr | None, column: str) -> frozenset[str] | None:
    """The values ``predicate`` pins ``column`` to with top-level static equalities
    (``col = 'a'``, ``col IN ('a', 'b')``; several such conjuncts intersect), or ``None``
    when it pins none. Other conditions on the column may narrow the set further."""
    if predicate is None:
        return None
    found: frozenset[str] | None = None
    for term in conjuncts(predicate):
        values = _equality_values(term, column)
        if values is not None:
            found = values if found is None else found & values
    return found


def _equality_values(term: exp.Expr, column: str) -> frozenset[str] | None:
    if isinstance(term, exp.EQ):
        for side, other in ((term.this, term.expression), (term.expression, term.this)):
            if isinstance(side, exp.Column) and side.name.lower() == column:
                value = _literal_value(other)
                return frozenset({value}) if value is not None else None
        return None
    if isinstance(term, exp.In) and not term.args.get("query"):
        subject = term.this
        if isinstance(subject, exp.Column) and subject.name.lower() == column:
            values = [_literal_value(e) for e in term.expressions]
            if values and all(v is not None for v in values):
                return frozenset(v for v in values if v is not None)
    return None


def only_static_equalities(predicate: exp.Expr | None, column: str) -> bool:
    """Whether every condition on ``column`` is a top-level static equality and there is
    at least one: what Athena's ``injected`` projection accepts (anything else fails with
    ``CONSTRAINT_VIOLATION``)."""
    if predicate is None:
        return False
    seen = False
    for term in conjuncts(predicate):
        mentions = any(c.name.lower() == column for c in term.find_all(exp.Column))
        if not mentions:
            continue
        if _equality_values(term, column) is None:
            return False
        seen = True
    return seen


Row = tuple[Any, ...]


class PredicateEvaluator:
    """Evaluates partition predicates over candidate partitions, in one DuckDB connection.

    Rows are tuples in the order of ``columns`` (default: the layout's partition columns);
    a ``None`` is SQL NULL (a value not known yet).
    """

    def __init__(self, columns: Sequence[PartitionColumn] = PARTITION_COLUMNS) -> None:
        import duckdb

        self.columns = tuple(columns)
        self._con = duckdb.connect()
        self._lock = threading.Lock()
        self._grids: dict[tuple[tuple[str, tuple[int, int]], ...], str] = {}

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> PredicateEvaluator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _arrow(self, rows: Iterable[Row]) -> Any:
        import pyarrow as pa

        listed = list(rows)
        arrays = []
        for index, column in enumerate(self.columns):
            kind = pa.int32() if column.athena_type == "int" else pa.string()
            arrays.append(pa.array([row[index] for row in listed], type=kind))
        arrays.append(pa.array(range(len(listed)), type=pa.int64()))
        return pa.Table.from_arrays(arrays, names=[*(c.name for c in self.columns), "_row"])

    def select(
        self, predicate: exp.Expr | None, rows: Iterable[Row], *, unknown_passes: bool = False
    ) -> list[Row]:
        """The rows for which ``predicate`` is TRUE (or, with ``unknown_passes``, not FALSE:
        NULL when a NULL column leaves it undecided), in their original order."""
        listed = list(rows)
        if predicate is None or not listed:
            return listed
        condition = f"({predicate.sql('duckdb')})"
        condition = f"{condition} IS NOT FALSE" if unknown_passes else f"{condition} IS TRUE"
        table = self._arrow(listed)
        try:
            with self._lock:
                self._con.register("candidates", table)
                try:
                    kept = self._con.execute(
                        f"SELECT _row FROM candidates WHERE {condition} ORDER BY _row"
                    ).fetchall()
                finally:
                    self._con.unregister("candidates")
        except Exception as exc:  # duckdb.Error; the predicate came from a template
            raise TemplateError(
                f"cannot evaluate the partition predicate {predicate.sql('athena')!r}: {exc}"
            ) from None
        return [listed[i] for (i,) in kept]

    def select_grid(
        self,
        predicate: exp.Expr | None,
        ranges: Mapping[str, tuple[int, int]],
        *,
        unknown_passes: bool = True,
    ) -> list[Row]:
        """:meth:`select` over :meth:`grid`, the grid built once per ``ranges`` inside
        DuckDB (a projection of 20 years is some 7,000 candidate days)."""
        key = tuple(sorted(ranges.items()))
        with self._lock:
            name = self._grids.get(key)
            if name is None:
                name = self._grids[key] = f"grid_{len(self._grids)}"
                axes = []
                for column in self.columns:
                    if column.athena_type == "int":
                        low, high = ranges[column.name]
                        axes.append(
                            f"(SELECT CAST(range AS INTEGER) AS {column.name} "
                            f"FROM range({int(low)}, {int(high) + 1}))"
                        )
                    else:
                        axes.append(f"(SELECT CAST(NULL AS VARCHAR) AS {column.name})")
                self._con.execute(
                    f"CREATE TABLE {name} AS SELECT * FROM {' CROSS JOIN '.join(axes)}"
                )
        names = ", ".join(c.name for c in self.columns)
        order = ", ".join(c.name for c in self.columns if c.athena_type == "int")
        if predicate is None:
            condition = "TRUE"
        else:
            condition = f"({predicate.sql('duckdb')})"
            condition += " IS NOT FALSE" if unknown_passes else " IS TRUE"
        try:
            with self._lock:
                rows = self._con.execute(
                    f"SELECT {names} FROM {name} WHERE {condition} ORDER BY {order}"
                ).fetchall()
        except Exception as exc:  # duckdb.Error; the predicate came from a template
            raise TemplateError(
                f"cannot evaluate the partition predicate {predicate!s}: {exc}"
            ) from None
        return [tuple(row) for row in rows]

    def grid(self, ranges: Mapping[str, tuple[int, int]]) -> Iterator[Row]:
        """Every combination of the integer columns' ranges (inclusive), other columns NULL:
        the partitions an integer projection enumerates before a bucket is known."""
        axes = [
            range(ranges[c.name][0], ranges[c.name][1] + 1) if c.athena_type == "int" else [None]
            for c in self.columns
        ]
        return itertools.product(*axes)
