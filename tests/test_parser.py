from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest

from s3logs_athena.errors import LogParseError
from s3logs_athena.parser import (
    ParseReport,
    iter_line_batches,
    parse_columns,
    parse_line,
    parse_lines,
    parse_request_time,
    parse_stream,
    split_line,
)

from .conftest import FIXTURES

LOGS = FIXTURES / "logs"


def lines_of(name: str) -> list[str]:
    return (LOGS / name).read_text(encoding="utf-8").splitlines()


def test_classic_18_field_line() -> None:
    record = parse_line(lines_of("formats.log")[0])
    assert record.bucket_name == "awsexamplebucket1"
    assert record.requestdatetime == datetime(2019, 2, 6, 0, 0, 38, tzinfo=UTC)
    assert record.operation == "REST.GET.VERSIONING"
    assert record.key is None
    assert record.request_uri == "GET /awsexamplebucket1?versioning HTTP/1.1"
    assert (record.httpstatus, record.bytessent, record.objectsize) == (200, 113, None)
    assert (record.totaltime, record.turnaroundtime) == (7, None)
    assert record.referrer is None
    assert record.useragent == "S3Console/0.4"
    assert record.versionid is None
    assert record.hostid is None and record.sourceregion is None


@pytest.mark.parametrize(
    ("index", "last_name", "last_value"),
    [(1, "tlsversion", "TLSv1.2"), (2, "aclrequired", "Yes"), (3, "sourceregion", "us-east-1")],
)
def test_lines_with_later_fields(index: int, last_name: str, last_value: str) -> None:
    record = parse_line(lines_of("formats.log")[index])
    assert getattr(record, last_name) == last_value
    assert record.hostid is not None and record.hostid.endswith("31234=")
    assert record.sigv == "SigV4"
    later = record._fields[record._fields.index(last_name) + 1 :]
    assert all(getattr(record, name) is None for name in later)


def test_future_trailing_fields_are_kept() -> None:
    record = parse_line(lines_of("formats.log")[4])
    assert record.sourceregion == "us-east-1"
    assert record.accesspointarn is None
    assert record.trailing_fields == "future1 future2"


def test_requester_with_spaces_ipv6_and_quotes_inside_user_agent() -> None:
    record = parse_line(lines_of("edge-cases.log")[0])
    assert record.remoteip == "2001:db8::8a2e:370:7334"
    assert record.requester == (
        "arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2QWRUHAPOMQZL"
    )
    assert record.requestid == "3E57427F3EXAMPLE"
    assert record.useragent == '"Mozilla/5.0 (compatible; "quoted" bot)'
    assert record.bytessent == 2662992


def test_unquoted_dash_uri_dash_ip_and_other_time_zone() -> None:
    record = parse_line(lines_of("edge-cases.log")[1])
    assert record.remoteip is None
    assert record.requester == "svc:delivery.logs.amazonaws.com"
    assert record.request_uri is None
    assert record.referrer is None and record.useragent is None
    assert record.requestdatetime == datetime(2019, 2, 6, 21, 59, 59, tzinfo=UTC)


def test_quoted_dash_means_absent() -> None:
    record = parse_line(lines_of("edge-cases.log")[2])
    assert record.operation == "S3.EXPIRE.OBJECT"
    assert record.request_uri is None
    assert record.requester == "AmazonS3"


def test_crlf_and_non_ascii_bytes() -> None:
    records = list(parse_lines((LOGS / "crlf-nonascii.log").open("rb")))
    assert len(records) == 1
    assert records[0].key == "café"
    assert records[0].useragent == "curl/8 \ufffd\ufffd"  # invalid UTF-8 read as Athena does


def test_split_line_keeps_athena_raw_values() -> None:
    raw = split_line(lines_of("formats.log")[0])
    assert raw[7] == "-" and raw[15] == "-"
    assert raw[2] == "06/Feb/2019:00:00:38 +0000"
    assert raw[17] == "-" and raw[18] is None


def test_bad_line_names_itself_and_its_number() -> None:
    good = lines_of("formats.log")[0]
    with pytest.raises(LogParseError) as info:
        list(parse_lines([good, "not a log line", good], source="x.log"))
    assert info.value.line_number == 2
    assert info.value.source == "x.log"
    assert "x.log:2" in str(info.value)


def test_lenient_mode_counts_and_continues() -> None:
    good = lines_of("formats.log")[0]
    report = ParseReport()
    records = list(parse_lines([good, "garbage", "", good], lenient=True, report=report))
    assert len(records) == 2
    assert (report.lines, report.records, report.blank, report.failed) == (4, 2, 1, 1)
    assert report.examples[0].line_number == 2


def test_impossible_date_is_a_parse_error() -> None:
    line = lines_of("formats.log")[0].replace("06/Feb/2019", "31/Feb/2019")
    with pytest.raises(LogParseError, match="day is out of range"):
        parse_line(line)
    report = ParseReport()
    columns = parse_columns([line, lines_of("formats.log")[0]], lenient=True, report=report)
    assert len(columns["key"]) == 1 and report.failed == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("06/Feb/2019:00:00:38 +0000", datetime(2019, 2, 6, 0, 0, 38, tzinfo=UTC)),
        ("10/Feb/2012:16:42:07 -0500", datetime(2012, 2, 10, 21, 42, 7, tzinfo=UTC)),
        ("01/Jan/2020:01:30:00 +0200", datetime(2019, 12, 31, 23, 30, tzinfo=UTC)),
    ],
)
def test_request_time(text: str, expected: datetime) -> None:
    assert parse_request_time(text) == expected


def test_columns_and_records_agree() -> None:
    lines = lines_of("formats.log") + lines_of("edge-cases.log")
    columns = parse_columns(lines)
    records = list(parse_lines(lines))
    for name in columns:
        assert columns[name] == [getattr(r, name) for r in records]


def test_stream_reader_handles_chunk_boundaries_and_missing_final_newline() -> None:
    lines = lines_of("formats.log")
    data = ("\n".join(lines) + "\r\n" + lines[0]).encode()
    batches = list(iter_line_batches(io.BytesIO(data), chunk_size=97))
    assert [line for batch in batches for line in batch] == [*lines, lines[0]]
    report = ParseReport()
    columns = list(parse_stream(io.BytesIO(data), report=report))
    assert sum(len(c["key"]) for c in columns) == len(lines) + 1
    assert report.failed == 0


def test_line_ending_right_after_the_user_agent_parses() -> None:
    line = lines_of("formats.log")[0].removesuffix(" -")
    record = parse_line(line)
    assert record.useragent == "S3Console/0.4"
    assert record.versionid is None and record.trailing_fields is None


def test_fewer_than_17_fields_is_an_error() -> None:
    line = lines_of("formats.log")[0].removesuffix(' "S3Console/0.4" -')
    with pytest.raises(LogParseError, match="at least 17"):
        parse_line(line)


def test_empty_quotes_are_an_empty_value_not_absent() -> None:
    """An empty header (``""``) is ``''``, as Athena's typed view has it; ``-`` is absent."""
    line = lines_of("formats.log")[0].replace('"S3Console/0.4"', '""')
    record = parse_line(line)
    assert record.useragent == ""
    assert record.referrer is None  # "-"
    columns = parse_columns([line, lines_of("formats.log")[0]])
    assert columns["useragent"] == ["", "S3Console/0.4"]
    assert columns["referrer"] == [None, None]


def test_a_leap_second_is_kept_with_no_time() -> None:
    """``23:59:60`` (strftime's %S allows 60): the record parses, its time is None, as in
    Athena's typed view (Joda's secondOfMinute is 0-59, try(parse_datetime) is NULL)."""
    good = lines_of("formats.log")[0]
    line = good.replace("06/Feb/2019:00:00:38", "31/Dec/2016:23:59:60")
    record = parse_line(line)
    assert record.requestdatetime is None
    assert record.bucket_name == "awsexamplebucket1" and record.useragent == "S3Console/0.4"
    assert split_line(line)[2] == "31/Dec/2016:23:59:60 +0000"
    report = ParseReport()
    columns = parse_columns([good, line, good], lenient=True, report=report)
    assert columns["requestdatetime"][1] is None and report.failed == 0
    assert parse_request_time("06/Feb/2019:12:30:60 -0500") is None
    for impossible in ("06/Feb/2019:12:30:61 +0000", "31/Feb/2019:23:59:60 +0000"):
        with pytest.raises(ValueError, match="request time"):
            parse_request_time(impossible)


def test_only_spaces_after_the_last_field_are_no_trailing_fields() -> None:
    line = lines_of("formats.log")[3] + "  "
    assert split_line(line)[-1] == ""  # what Athena's RegexSerDe returns
    assert parse_line(line).trailing_fields is None


def test_backslash_escaped_quotes_are_diagnosed() -> None:
    line = lines_of("formats.log")[0].replace('"', '\\"')
    with pytest.raises(LogParseError, match="backslash-escaped"):
        parse_line(line)


def test_batch_with_a_bad_date_and_a_bad_line_reports_each_once_in_order() -> None:
    """Regression: the impossible date (line 1) was reported after the unmatched line
    (line 3), and in lenient mode the unmatched line was counted twice."""
    good = lines_of("formats.log")[0]
    bad_date = good.replace("06/Feb/2019", "31/Feb/2019")
    batch = [bad_date, "", "garbage", good]
    with pytest.raises(LogParseError) as info:
        parse_columns(batch)
    assert info.value.line_number == 1
    report = ParseReport()
    columns = parse_columns(batch, lenient=True, report=report)
    assert len(columns["key"]) == 1
    assert (report.lines, report.records, report.blank, report.failed) == (4, 1, 1, 2)
    assert [e.line_number for e in report.examples] == [1, 3]
