"""Every corpus line parsed and compared with what other projects' tests expect.

The set of disagreements must be exactly the deliberate ones recorded (with their reasons) in
``tests/fixtures/conformance-known-differences.json``: a regression adds one, an accidental
change of a design choice removes one, and both fail here. See ``tests/conformance.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from s3logs_athena.errors import LogParseError
from s3logs_athena.fields import FIELD_NAMES
from s3logs_athena.parser import ParseReport, parse_stream

from . import conformance
from .conftest import corpus_log_files


@pytest.fixture(scope="module")
def result(corpus_dir: Path) -> conformance.Result:
    return conformance.run(corpus_dir)


@pytest.fixture(scope="module")
def known() -> dict[str, list[dict[str, object]]]:
    return conformance.load_known_differences()


def test_every_line_of_every_corpus_file_is_parsed(result: conformance.Result) -> None:
    assert result.files == len(corpus_log_files()) > 0
    assert result.lines == result.parsed + len(result.rejected)
    assert result.parsed > 0.99 * result.lines - 20  # sanity: the corpus is mostly good lines


def test_rejected_lines_are_exactly_the_known_bad_ones(
    result: conformance.Result, known: dict[str, list[dict[str, object]]]
) -> None:
    expected = {(str(e["file"]), int(str(e["line"]))) for e in known["rejected_lines"]}
    assert set(result.rejected) == expected


def test_disagreements_are_exactly_the_known_deliberate_ones(
    result: conformance.Result, known: dict[str, list[dict[str, object]]]
) -> None:
    ours = {d.key: d for d in result.differences}
    recorded = {conformance.known_difference_key(e): e for e in known["differences"]}
    new = [ours[k] for k in ours.keys() - recorded.keys()]
    gone = [recorded[k] for k in recorded.keys() - ours.keys()]
    assert not new, f"disagreements not in the known list (a regression?): {new}"
    assert not gone, f"known disagreements that no longer happen (update the list): {gone}"
    assert len(result.differences) == len(ours)  # no duplicate hides another
    assert all(str(e["reason"]).strip() for e in known["differences"])


def test_the_comparison_is_substantial(result: conformance.Result) -> None:
    """Guards against an adapter silently comparing nothing (e.g. a renamed source file)."""
    assert result.compared == result.agreed + len(result.differences)
    assert len(result.by_source) == 12
    for source, (compared, agreed) in result.by_source.items():
        assert compared >= 10, source
        assert agreed >= 0.9 * compared, source
    assert result.lines_with_expectations >= 100


@pytest.mark.parametrize("path", corpus_log_files(), ids=lambda p: p.name)
def test_streaming_parser_matches_line_by_line_parser(path: Path) -> None:
    """``parse_stream`` (batched, column-wise, the fast path) gives the same records as
    ``parse_line`` on each line, and reports exactly the lines ``parse_line`` rejects."""
    name = path.name
    outcomes = conformance.parse_each(conformance.read_lines(path), name)
    report = ParseReport()
    with path.open("rb") as stream:
        batches = list(parse_stream(stream, source=name, lenient=True, report=report))
    streamed = [
        tuple(column[i] for column in (batch[f] for f in FIELD_NAMES))
        for batch in batches
        for i in range(len(batch[FIELD_NAMES[0]]))
    ]
    assert streamed == [tuple(o) for o in outcomes if not isinstance(o, LogParseError)]
    assert report.failed == sum(isinstance(o, LogParseError) for o in outcomes)
    assert [e.line_number for e in report.examples] == [
        n for n, o in enumerate(outcomes, 1) if isinstance(o, LogParseError)
    ][: report.max_examples]
