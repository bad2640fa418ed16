"""The template lint: no parameter combination may make a template scan the whole table.

For every template, every parameter combination its metadata allows (each enum choice, each
bool, numeric bounds and default, optional parameters present and absent, the ``one_of`` and
``at_most_one_of`` groups, with no, one and two buckets, the default and another
database/table) and several time windows (an hour, a day, across months and a year end, whole
years), rendered, and every table it reads checked against each bucket projection type
(``enum`` and ``injected``; year, month and day are always ``integer``). A parameter the
template only ever prints as a value (``LIMIT {{ limit }}``, found in its jinja syntax tree)
becomes one literal whatever its value, so it is rendered with one value; every parameter
that steers the template (``{% if %}``, a helper's argument) gets all of them. The checks:

1. the scan's partition predicate (see :func:`~s3logs_athena.cost.predicate.find_scans`)
   mentions every integer partition column: Athena prunes a column only on a predicate on
   that column, and enumerates every projected value of a column with none;
2. it admits no partition at either end of a projection of 1970-2200 (an open-ended range,
   ``year >= 2024``, reads every later year the table ever projects);
3. when the scan filters a time column on literal bounds ``[lower, upper)``, the days it
   admits cover every request day of the window (pruning never loses rows) and go at most
   :data:`~s3logs_athena.templates.partitions.DELIVERY_LAG_DAYS` past it (no more is read
   than the delivery lag needs);
4. with buckets given, it reads exactly those buckets, with static equalities; with
   ``injected`` projection every condition on the bucket is a static equality (else Athena
   fails the query with ``CONSTRAINT_VIOLATION``). Without buckets an injected table cannot
   be queried at all: those cases are counted as *refused* (the estimate refuses them with a
   message that says to name the buckets), not linted.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlglot import exp

from ..errors import ParameterError
from ..templates.catalog import QueryTemplate
from ..templates.params import TemplateParam
from ..templates.partitions import DELIVERY_LAG_DAYS
from .predicate import (
    INTEGER_COLUMNS,
    STRING_COLUMNS,
    PredicateEvaluator,
    Scan,
    conjuncts,
    find_scans,
    only_static_equalities,
    static_values,
)

__all__ = [
    "BUCKET_PROJECTIONS",
    "LINT_WINDOWS",
    "LintFinding",
    "LintReport",
    "lint_scans",
    "lint_template",
    "parameter_combinations",
    "value_only_params",
]

BUCKET_PROJECTIONS = ("enum", "injected")

#: Time windows every combination is rendered with: an hour, a day, across months and a year
#: end, a leap day, whole years (the widest partition block), a range ending at New Year.
LINT_WINDOWS: tuple[tuple[str, str], ...] = (
    ("2024-05-01T06:00", "2024-05-01T07:00"),
    ("2024-05-01", "2024-05-02"),
    ("2023-12-30T06:00", "2024-03-02T00:00:01"),
    ("2024-02-28", "2024-03-01"),
    ("2021-01-01", "2023-12-31"),
    ("2024-12-31T23:00", "2025-01-01T00:00"),
)
#: Bucket parameter values: all buckets, one, two.
LINT_BUCKETS: tuple[str | None, ...] = (None, "app-assets", "app-assets,logs.example.com")
#: Default and another database/table (a template must read whatever table it is given).
LINT_TABLES: tuple[tuple[str | None, str | None], ...] = ((None, None), ("analytics", "s3_logs"))
#: The projection the lint evaluates predicates over: wider than any window's reach.
LINT_YEARS = (1970, 2200)
_NOW = datetime(2024, 6, 1)

_SAMPLES: dict[str, tuple[object, ...]] = {
    "string": ("reports/2024/Q1 summary (final).pdf",),
    "ip_network": ("203.0.113.0/24", "2001:db8::/32"),
    "bucket": ("app-assets",),
    "datetime": ("2024-04-01",),
    "identifier": ("other_name",),
    "int": (1,),
    "bytes": ("1GiB",),
    "decimal": ("0.01",),
}


@dataclass(frozen=True)
class LintFinding:
    """One problem: which template, parameters, projection and table, and what."""

    template: str
    params: Mapping[str, object]
    projection: str
    relation: str
    problem: str

    def __str__(self) -> str:
        shown = ", ".join(f"{k}={v}" for k, v in self.params.items() if v is not None)
        return (
            f"{self.template} [{shown}] ({self.projection} bucket projection), "
            f"scan of {self.relation}: {self.problem}"
        )


@dataclass
class LintReport:
    """What the lint checked and found for one template."""

    template: str
    #: Parameter combinations rendered (windows included).
    combinations: int = 0
    #: (combination, projection) pairs linted.
    cases: int = 0
    #: (combination, injected) pairs Athena would refuse (no buckets): not linted.
    refused: int = 0
    scans: int = 0
    findings: list[LintFinding] = field(default_factory=list)


def _values(param: TemplateParam) -> list[object]:
    """Values of one parameter covering what can change a template's control flow."""
    if param.choices:
        values: list[object] = list(param.choices)
    elif param.type == "bool":
        values = [False, True]
    elif param.type in ("int", "bytes", "decimal"):
        bounds = [param.minimum, param.default, param.maximum]
        values = list(dict.fromkeys(b for b in bounds if b is not None))
        values = values or list(_SAMPLES[param.type])
    else:
        values = list(_SAMPLES.get(param.type, ("x",)))
    if param.default is None and not param.required:
        values.insert(0, None)  # absent
    return values


def value_only_params(template: QueryTemplate) -> frozenset[str]:
    """Parameters the template only ever prints as a value (``LIMIT {{ limit }}``): they
    become one literal and cannot change which partitions the SQL reads. Every other use
    (``{% if by == 'bytes' %}``, a helper's argument) steers the template."""
    import jinja2
    from jinja2 import nodes

    tree = jinja2.Environment().parse(template.source)
    printed: dict[str, int] = {}
    for output in tree.find_all(nodes.Output):
        for child in output.nodes:
            if isinstance(child, nodes.Name):
                printed[child.name] = printed.get(child.name, 0) + 1
    used: dict[str, int] = {}
    for name in tree.find_all(nodes.Name):
        used[name.name] = used.get(name.name, 0) + 1
    return frozenset(n for n, count in printed.items() if used.get(n) == count)


def _param_values(template: QueryTemplate) -> list[list[object]]:
    printed = value_only_params(template)
    values = []
    for param in template.own_params:
        options = _values(param)
        if param.name in printed and len(options) > 1:
            # One value: absent when it may be (an absent value may drop a clause), else
            # the default, else the first.
            keep = None if None in options else param.default
            options = [keep if keep is not None or None in options else options[0]]
        values.append(options)
    return values


def parameter_combinations(template: QueryTemplate) -> Iterator[dict[str, object]]:
    """Every combination of representative values of ``template``'s own parameters (absent
    included; one value for a parameter only printed as a value), with every bucket choice,
    table and window, that its metadata allows."""
    own = template.own_params
    for values in itertools.product(*_param_values(template)):
        own_values = {p.name: v for p, v in zip(own, values, strict=True)}
        for buckets, (database, table), (start, end) in itertools.product(
            LINT_BUCKETS, LINT_TABLES, LINT_WINDOWS
        ):
            params = {
                **own_values,
                "start": start,
                "end": end,
                "buckets": buckets,
                "database": database,
                "table": table,
            }
            try:
                template.resolve_params(params, now=_NOW)
            except ParameterError:
                continue  # not allowed (one_of, at_most_one_of, a bound)
            yield params


def _timestamp(node: exp.Expr) -> datetime | None:
    if isinstance(node, exp.Cast) and node.to.is_type(*exp.DataType.TEMPORAL_TYPES):
        literal = node.this
        if isinstance(literal, exp.Literal) and literal.is_string:
            try:
                return datetime.fromisoformat(str(literal.this))
            except ValueError:
                return None
    return None


def time_window(scan_where: exp.Expr | None) -> tuple[datetime, datetime] | None:
    """``[lower, upper)`` when a scan's WHERE bounds some column with literal timestamps
    (``t >= TIMESTAMP '...'`` and ``t < TIMESTAMP '...'``)."""
    if scan_where is None:
        return None
    lower: datetime | None = None
    upper: datetime | None = None
    for term in conjuncts(scan_where):
        if isinstance(term, exp.GTE | exp.GT) and (t := _timestamp(term.expression)):
            lower = t if lower is None else max(lower, t)
        elif isinstance(term, exp.LT | exp.LTE) and (t := _timestamp(term.expression)):
            upper = t if upper is None else min(upper, t)
    return (lower, upper) if lower is not None and upper is not None else None


def _days(rows: Sequence[tuple[Any, ...]]) -> set[date]:
    found = set()
    for row in rows:
        try:
            found.add(date(*(int(v) for v in row[: len(INTEGER_COLUMNS)])))
        except (TypeError, ValueError):
            continue  # Day=31 of a 30-day month: an empty prefix, nothing to cover
    return found


class _Linter:
    def __init__(self, evaluator: PredicateEvaluator) -> None:
        self.evaluator = evaluator
        self.ranges = {"year": LINT_YEARS, "month": (1, 12), "day": (1, 31)}
        self._selected: dict[str, tuple[list[tuple[Any, ...]], set[date]]] = {}
        self._found: dict[tuple[object, ...], list[str]] = {}

    def admitted(self, scan: Scan) -> tuple[list[tuple[Any, ...]], set[date]]:
        """The partitions (and their real days) ``scan`` admits on the lint's projection."""
        key = scan.sql()
        if key not in self._selected:
            rows = self.evaluator.select_grid(scan.predicate, self.ranges)
            self._selected[key] = rows, _days(rows)
        return self._selected[key]

    def problems(
        self,
        scan: Scan,
        window: tuple[datetime, datetime] | None,
        buckets: Sequence[str] | None,
        projection: str,
    ) -> list[str]:
        # The same predicate, window, buckets and projection recur (other tables, values
        # only printed): judged once.
        key = (scan.sql(), window, tuple(buckets or ()), projection)
        if key not in self._found:
            self._found[key] = self._problems(scan, window, buckets, projection)
        return self._found[key]

    def _problems(
        self,
        scan: Scan,
        window: tuple[datetime, datetime] | None,
        buckets: Sequence[str] | None,
        projection: str,
    ) -> list[str]:
        problems = []
        missing = [c for c in INTEGER_COLUMNS if c not in scan.columns]
        if missing:
            problems.append(
                f"no condition on {', '.join(missing)}: Athena would read every projected "
                f"value of it (predicate: {scan.sql()})"
            )
        rows, days = self.admitted(scan)
        edges = [r for r in rows if r[0] in LINT_YEARS]
        if edges:
            problems.append(
                f"admits partitions as far as year {edges[0][0]}: the day range is open-ended "
                f"(predicate: {scan.sql()})"
            )
        if window is not None and not edges:
            lower, upper = window
            first, last = lower.date(), (upper - timedelta(microseconds=1)).date()
            wanted = {first + timedelta(days=i) for i in range((last - first).days + 1)}
            lost = sorted(wanted - days)
            if lost:
                problems.append(
                    f"misses request days {lost[0]}..{lost[-1]} of its time filter "
                    f"[{lower}, {upper}): rows would be lost (predicate: {scan.sql()})"
                )
            reach = last + timedelta(days=DELIVERY_LAG_DAYS)
            extra = sorted(d for d in days if d < first or d > reach)
            if extra:
                problems.append(
                    f"reads {len(extra)} days outside {first}..{reach} (its time filter plus "
                    f"the delivery lag), e.g. {extra[0]} (predicate: {scan.sql()})"
                )
        (column,) = STRING_COLUMNS
        pinned = static_values(scan.predicate, column)
        if buckets:
            if pinned != frozenset(buckets):
                problems.append(
                    f"reads buckets {sorted(pinned) if pinned is not None else 'all'}, not "
                    f"exactly the buckets given {sorted(buckets)}"
                )
            if projection == "injected" and not only_static_equalities(scan.predicate, column):
                problems.append(
                    f"a condition on {column} that is not a static equality: Athena refuses "
                    "it on an injected projection (CONSTRAINT_VIOLATION)"
                )
        return problems


def lint_scans(
    sql: str,
    params: Mapping[str, Any],
    projections: Sequence[str],
    evaluator: PredicateEvaluator,
    *,
    linter: _Linter | None = None,
) -> tuple[int, list[tuple[str, str, str]]]:
    """How many tables ``sql`` reads, and ``(projection, relation, problem)`` for every
    problem of each under each bucket projection type; ``params`` are the rendered
    parameters (``buckets`` comes from them)."""
    from ..templates.dialect import parse_athena

    linter = linter or _Linter(evaluator)
    tree = parse_athena(sql)
    scans = find_scans(tree)
    if not scans:
        return 0, [(p, "-", "reads no table") for p in projections]
    windows = [time_window(where) for where in _scan_wheres(tree)]
    found = []
    for projection in projections:
        for scan, window in zip(scans, windows, strict=True):
            for problem in linter.problems(scan, window, params.get("buckets"), projection):
                found.append((projection, scan.relation, problem))
    return len(scans), found


def _scan_wheres(tree: exp.Expr) -> list[exp.Expr | None]:
    """The WHERE condition of each scan's SELECT, in :func:`find_scans` order."""
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    wheres: list[exp.Expr | None] = []
    for table in tree.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier):
            continue
        if not table.db and table.name.lower() in ctes:
            continue
        select = table.find_ancestor(exp.Select)
        where = select.args.get("where") if select is not None else None
        wheres.append(where.this if where is not None else None)
    return wheres


def lint_template(
    template: QueryTemplate,
    *,
    projections: Sequence[str] = BUCKET_PROJECTIONS,
    evaluator: PredicateEvaluator | None = None,
) -> LintReport:
    """Lint ``template`` over its whole parameter space and the bucket projection types."""
    own = evaluator is None
    evaluator = evaluator or PredicateEvaluator()
    linter = _Linter(evaluator)
    report = LintReport(template.name)
    try:
        for params in parameter_combinations(template):
            rendered = template.render(params, now=_NOW)
            report.combinations += 1
            linted = list(projections)
            if not rendered.params.get("buckets") and "injected" in linted:
                linted.remove("injected")
                report.refused += 1
            report.cases += len(linted)
            scans, found = lint_scans(
                rendered.sql, rendered.params, linted, evaluator, linter=linter
            )
            report.scans += len(linted) * scans
            for projection, relation, problem in found:
                report.findings.append(
                    LintFinding(template.name, params, projection, relation, problem)
                )
    finally:
        if own:
            evaluator.close()
    return report
