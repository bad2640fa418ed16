"""format_line: the inverse of parse_line, checked on real-world lines and edge cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from s3logs_athena.generator import format_line, format_request_time
from s3logs_athena.parser import parse_line, split_line
from tests.conftest import FIXTURES, corpus_log_files


def _field_count(line: str) -> int:
    raw = split_line(line)
    return max(i for i, value in enumerate(raw[:27]) if value is not None) + 1


def _lines(path: object) -> list[str]:
    from pathlib import Path

    assert isinstance(path, Path)
    return [line for line in path.read_text("utf-8", "replace").splitlines() if line.strip()]


@pytest.mark.parametrize("name", ["formats.log", "edge-cases.log"])
def test_fixture_lines_round_trip(name: str) -> None:
    for line in _lines(FIXTURES / "logs" / name):
        record = parse_line(line)
        written = format_line(record, _field_count(line))
        assert parse_line(written) == record, (line, written)


def test_corpus_lines_round_trip() -> None:
    files = corpus_log_files()
    if not files:
        pytest.skip("log corpus not present")
    checked = 0
    for path in files:
        for line in _lines(path):
            try:
                record = parse_line(line)
            except ValueError:
                continue  # lines the parser rejects are the parser tests' business
            if record.requestdatetime is None:
                continue
            written = format_line(record, max(_field_count(line), 18))
            assert parse_line(written) == record, (path.name, line)
            checked += 1
    assert checked > 500


def test_request_time_is_written_in_utc_whatever_the_zone() -> None:
    assert format_request_time(datetime(2019, 2, 6, 0, 0, 38, tzinfo=UTC)) == (
        "06/Feb/2019:00:00:38 +0000"
    )
    paris = timezone(timedelta(hours=1))
    assert format_request_time(datetime(2019, 2, 6, 1, 0, 38, tzinfo=paris)) == (
        "06/Feb/2019:00:00:38 +0000"
    )
    with pytest.raises(ValueError, match="timezone-aware"):
        format_request_time(datetime(2019, 2, 6))


def test_a_short_line_cannot_drop_values() -> None:
    line = (FIXTURES / "logs" / "formats.log").read_text().splitlines()[3]
    record = parse_line(line)
    assert record.sourceregion is not None
    with pytest.raises(ValueError, match="sourceregion"):
        format_line(record, 26)
    with pytest.raises(ValueError, match="field_count"):
        format_line(record, 17)


def test_absent_quoted_fields_are_written_like_s3() -> None:
    line = (FIXTURES / "logs" / "formats.log").read_text().splitlines()[1]
    record = parse_line(line)._replace(referrer=None)
    assert ' "-" "S3Console/0.4" ' in format_line(record, 24)
    batch = record._replace(operation="BATCH.DELETE.OBJECT", request_uri=None, useragent=None)
    written = format_line(batch, 24)
    assert " BATCH.DELETE.OBJECT - - 200 " in written and '"' not in written
    assert parse_line(written) == batch
