"""The template lint: every shipped template, for every parameter combination its metadata
allows and each bucket projection type, prunes every partition column; templates broken on
purpose (tests/fixtures/lint/broken/) fail it, each for its own reason."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from s3logs_athena.cost.lint import (
    LINT_BUCKETS,
    LINT_TABLES,
    LINT_WINDOWS,
    LintReport,
    lint_template,
    parameter_combinations,
    value_only_params,
)
from s3logs_athena.cost.predicate import PredicateEvaluator
from s3logs_athena.templates import QueryTemplate, get_template, list_templates, load_templates

from .conftest import FIXTURES

TEMPLATES = list_templates()
BROKEN = load_templates(FIXTURES / "lint" / "broken")
PER_COMBINATION = len(LINT_BUCKETS) * len(LINT_TABLES) * len(LINT_WINDOWS)


@pytest.fixture(scope="module")
def evaluator() -> Iterator[PredicateEvaluator]:
    with PredicateEvaluator() as shared:
        yield shared


@pytest.mark.parametrize("template", TEMPLATES, ids=[t.name for t in TEMPLATES])
def test_every_template_prunes_for_every_parameter_combination(
    template: QueryTemplate, evaluator: PredicateEvaluator
) -> None:
    report = lint_template(template, evaluator=evaluator)
    assert not report.findings, "\n".join(str(f) for f in report.findings[:10])
    # Coverage: every combination linted on enum; those with buckets on injected too.
    with_buckets = report.combinations * 2 // 3
    assert report.combinations >= PER_COMBINATION
    assert report.cases == report.combinations + with_buckets
    assert report.refused == report.combinations - with_buckets
    assert report.scans >= report.cases


def test_the_parameter_space_is_exhaustive() -> None:
    who = get_template("who-deleted")  # key/prefix at most one of, include_failed bool
    combinations = list(parameter_combinations(who))
    own = {
        (c["key"] is not None, c["prefix"] is not None, c["include_failed"]) for c in combinations
    }
    flags = (False, True)
    every = {(k, p, f) for k in flags for p in flags for f in flags}
    assert own == every - {(True, True, False), (True, True, True)}
    assert len(combinations) == 6 * PER_COMBINATION
    history = get_template("object-history")  # exactly one of key, prefix
    assert {(c["key"] is None, c["prefix"] is None) for c in parameter_combinations(history)} == {
        (False, True),
        (True, False),
    }
    hot = get_template("hot-objects")  # both enum choices; limit is only printed (LIMIT n)
    assert "limit" in value_only_params(hot) and "by" not in value_only_params(hot)
    values = {(c["by"], c["limit"]) for c in parameter_combinations(hot)}
    assert values == {("bytes", 20), ("requests", 20)}
    new_ips = get_template("new-ips")
    assert {c["baseline_days"] for c in parameter_combinations(new_ips)} == {1, 30, 3660}


def _problems(report: LintReport) -> str:
    return "\n".join(f.problem for f in report.findings)


def test_a_template_that_reads_the_whole_table_fails(evaluator: PredicateEvaluator) -> None:
    report = lint_template(BROKEN["unpruned-scan"], evaluator=evaluator)
    assert report.findings and len(report.findings) >= report.cases
    assert "no condition on year, month, day" in _problems(report)
    assert "open-ended" in _problems(report)
    assert "not exactly the buckets given" in _problems(report)


def test_exhaustive_over_the_parameters_finds_what_the_example_hides(
    evaluator: PredicateEvaluator,
) -> None:
    template = BROKEN["pruned-by-default-only"]
    report = lint_template(template, evaluator=evaluator)
    assert report.findings
    assert {f.params["by"] for f in report.findings} == {"bytes"}
    # The example (by=requests) renders pruned SQL: an example-based test passes it.
    assert template.example.get("by") in (None, "requests")


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("open-ended", "as far as year 2200: the day range is open-ended"),
        ("whole-month", "no condition on day"),
        ("loses-days", "misses request days"),
    ],
)
def test_each_broken_template_fails_for_its_reason(
    name: str, problem: str, evaluator: PredicateEvaluator
) -> None:
    report = lint_template(BROKEN[name], evaluator=evaluator)
    assert problem in _problems(report)


def test_whole_month_reads_more_days_than_the_range(evaluator: PredicateEvaluator) -> None:
    report = lint_template(BROKEN["whole-month"], evaluator=evaluator)
    assert "days outside" in _problems(report)


def test_a_bucket_condition_fails_on_injected_projection_only(
    evaluator: PredicateEvaluator,
) -> None:
    report = lint_template(BROKEN["bucket-not-static"], evaluator=evaluator)
    assert report.findings
    assert {f.projection for f in report.findings} == {"injected"}
    assert all("CONSTRAINT_VIOLATION" in f.problem for f in report.findings)
    enum_only = lint_template(
        BROKEN["bucket-not-static"], projections=("enum",), evaluator=evaluator
    )
    assert not enum_only.findings


def test_findings_say_where(evaluator: PredicateEvaluator) -> None:
    finding = lint_template(BROKEN["unpruned-scan"], evaluator=evaluator).findings[0]
    text = str(finding)
    assert text.startswith("unpruned-scan [") and "bucket projection" in text
    assert "s3_access_logs" in finding.relation or "s3_logs" in finding.relation
