from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner, Result

from s3logs_athena.cli.main import cli
from s3logs_athena.fields import FIELD_NAMES

from .conftest import FIXTURES

LOGS = FIXTURES / "logs"
FORMATS_LOG = LOGS / "formats.log"


def run(*args: str, stdin: str | bytes | None = None) -> Result:
    return CliRunner().invoke(cli, ["parse", *args], input=stdin, catch_exceptions=False)


def test_jsonl_records_use_our_names_iso_times_numbers_and_null() -> None:
    result = run(str(FORMATS_LOG))
    assert result.exit_code == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == 5
    first = records[0]
    assert list(first) == list(FIELD_NAMES)
    assert first["requestdatetime"] == "2019-02-06T00:00:38Z"
    assert first["httpstatus"] == 200 and first["bytessent"] == 113
    assert first["objectsize"] is None and first["key"] is None
    assert first["request_uri"] == "GET /awsexamplebucket1?versioning HTTP/1.1"
    assert records[4]["trailing_fields"] == "future1 future2"
    assert result.stderr == ""


def test_csv_has_a_header_and_empty_cells_for_absent_values() -> None:
    result = run("--format", "csv", str(LOGS / "edge-cases.log"))
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == list(FIELD_NAMES)
    assert len(rows) == 3
    assert rows[0]["useragent"] == '"Mozilla/5.0 (compatible; "quoted" bot)'
    assert rows[0]["requester"].endswith("Origin Access Identity E2QWRUHAPOMQZL")
    assert rows[1]["requestdatetime"] == "2019-02-06T21:59:59Z"  # +0200 in the log
    assert rows[1]["remoteip"] == "" and rows[1]["bytessent"] == ""


def test_reads_stdin_with_dash_or_without_arguments() -> None:
    data = FORMATS_LOG.read_bytes()
    from_dash = run("-", stdin=data)
    from_nothing = run(stdin=data)
    assert from_dash.exit_code == from_nothing.exit_code == 0
    assert from_dash.stdout == from_nothing.stdout == run(str(FORMATS_LOG)).stdout


def test_crlf_and_invalid_utf8_on_stdin() -> None:
    result = run(stdin=(LOGS / "crlf-nonascii.log").read_bytes())
    assert result.exit_code == 0, result.stderr
    (record,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert record["key"] == "café" and record["useragent"] == "curl/8 \ufffd\ufffd"


def test_bad_lines_are_listed_with_file_and_line_and_exit_1(tmp_path: Path) -> None:
    good = FORMATS_LOG.read_text().splitlines()[0]
    log = tmp_path / "mixed.log"
    log.write_text(f"{good}\nnot a log line\n\n{good}\n")
    result = run(str(FORMATS_LOG), str(log))
    assert result.exit_code == 1
    assert len(result.stdout.splitlines()) == 7  # good records are still written
    errors = result.stderr.splitlines()
    assert errors[0] == (f"{log}:2: only 4 fields, a record has at least 17: 'not a log line'")
    assert errors[-1].startswith("Error: 1 bad line of 9 (7 records written, 1 blank line)")
    assert "--lenient" in errors[-1]


def test_lenient_skips_bad_lines_with_a_summary_and_exits_0() -> None:
    result = run("--lenient", stdin="garbage\n" + FORMATS_LOG.read_text())
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == 5
    assert result.stderr.splitlines() == [
        "<stdin>:1: only 1 field, a record has at least 17: 'garbage'",
        "Skipped 1 bad line of 6 (5 records written, 0 blank lines).",
    ]


def test_missing_file_is_a_usage_error_in_one_line() -> None:
    result = run(str(FORMATS_LOG), "no-such.log")
    assert result.exit_code == 2
    assert result.stderr == "Error: no-such.log: no such file\n"
    assert result.stdout == ""  # checked before anything is written


def test_directory_is_a_usage_error(tmp_path: Path) -> None:
    result = run(str(tmp_path))
    assert result.exit_code == 2
    assert "is a directory" in result.stderr


def test_help_lists_the_fields_and_examples() -> None:
    result = CliRunner().invoke(cli, ["parse", "--help"])
    assert result.exit_code == 0
    for name in FIELD_NAMES:
        assert f"  {name} " in result.stdout
    assert "Examples:" in result.stdout and "--lenient" in result.stdout


def test_installed_command_streams_and_stops_quietly_on_a_closed_pipe(tmp_path: Path) -> None:
    """The console entry point, for real: a reader that stops early (``| head -1``) must not
    produce a traceback."""
    log = tmp_path / "big.log"
    log.write_text(FORMATS_LOG.read_text() * 4000)
    process = subprocess.Popen(
        [sys.executable, "-m", "s3logs_athena", "parse", str(log)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    first = process.stdout.readline()
    process.stdout.close()  # like `head -1` exiting
    stderr = process.stderr.read()
    assert process.wait(timeout=60) == 0
    assert json.loads(first)["bucket_name"] == "awsexamplebucket1"
    assert stderr == b""
