from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

from s3logs_athena.cli.record_output import iso_utc, json_lines, write_csv, write_csv_header
from s3logs_athena.fields import FIELD_NAMES
from s3logs_athena.parser import parse_columns

from .conftest import FIXTURES

LINES = (FIXTURES / "logs" / "formats.log").read_text().splitlines()


def test_iso_utc() -> None:
    assert iso_utc(datetime(2019, 2, 6, 0, 0, 38, tzinfo=UTC)) == "2019-02-06T00:00:38Z"


def test_json_lines_and_csv_carry_the_same_values() -> None:
    columns = parse_columns(LINES)
    records = [json.loads(line) for line in json_lines(columns)]
    out = io.StringIO(newline="")
    write_csv_header(out)
    write_csv(columns, out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert len(records) == len(rows) == len(LINES)
    for record, row in zip(records, rows, strict=True):
        assert {k: "" if v is None else str(v) for k, v in record.items()} == row


def test_empty_batch_writes_nothing() -> None:
    columns = parse_columns([])
    assert list(json_lines(columns)) == []
    out = io.StringIO()
    write_csv(columns, out)
    assert out.getvalue() == ""
    assert set(columns) == set(FIELD_NAMES)
