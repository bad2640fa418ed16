"""Property tests: generated records with awkward values, rendered to lines, parsed back.

The generator writes lines the way S3 does: fields in AWS's order separated by spaces (here
one or two), quoted fields with *unescaped* quotes inside, ``-`` for absent values anywhere,
requesters with spaces, IPv6, non-ASCII text, 17 to 27 fields and then future trailing fields,
LF or CRLF line ends. The one input it avoids is the one the format itself leaves ambiguous:
a request URI or referrer containing a quote followed by a space (``a" b``), which could end
the field early if what follows looked like the rest of a record.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from s3logs_athena import parser
from s3logs_athena.errors import LogParseError
from s3logs_athena.fields import FIELD_NAMES, LOG_FIELDS
from s3logs_athena.parser import (
    LogRecord,
    ParseReport,
    parse_columns,
    parse_line,
    parse_lines,
    parse_request_time,
    parse_stream,
)

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# -- field values --------------------------------------------------------------------------

# Printable text, non-ASCII included; no separators of any kind (spaces, line breaks).
_TEXT = st.characters(blacklist_categories=("Cc", "Cs", "Zs", "Zl", "Zp"), blacklist_characters='"')
_WORD = st.text(_TEXT, min_size=1, max_size=12)
_ALNUM = st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=16)


@dataclass(frozen=True)
class Field:
    """One field as written in the line and as the parser must return it."""

    text: str
    value: Any


def _plain(text: str) -> Field:
    """An unquoted token: its own value, except that ``-`` means absent."""
    return Field(text, None if text == "-" else text)


def _token(values: st.SearchStrategy[str]) -> st.SearchStrategy[Field]:
    """A single token, or ``-`` for absent."""
    return st.one_of(values.map(_plain), st.just(Field("-", None)))


def _int_field(high: int) -> st.SearchStrategy[Field]:
    return st.one_of(
        st.integers(0, high).map(lambda n: Field(str(n), n)), st.just(Field("-", None))
    )


@st.composite
def _time(draw: st.DrawFn) -> Field:
    if draw(st.integers(0, 20)) == 0:
        return Field("-", None)
    moment = draw(st.datetimes(datetime(2006, 1, 1), datetime(2035, 12, 31)))
    moment = moment.replace(microsecond=0)
    minutes = draw(st.sampled_from([0, 0, 0, 60, 120, -300, 330, -570]))
    local = moment.replace(tzinfo=timezone(timedelta(minutes=minutes)))
    offset = f"{'+' if minutes >= 0 else '-'}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"
    months = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
    text = f"[{local.day:02d}/{months[local.month - 1]}/{local.year}:{local:%H:%M:%S} {offset}]"
    return Field(text, local.astimezone(UTC))


_IPV4 = st.tuples(*[st.integers(0, 255)] * 4).map(lambda t: ".".join(map(str, t)))
_IPV6 = st.ip_addresses(v=6).map(str)


@st.composite
def _requester(draw: st.DrawFn) -> Field:
    """Canonical ids, ARNs, service principals, and names with spaces (CloudFront OAI).
    Words after the first carry no dots: a dotted word could read as the operation."""
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return Field("-", None)
    if kind == 1:
        text = draw(st.text("0123456789abcdef", min_size=64, max_size=64))
    elif kind == 2:
        text = draw(st.sampled_from(["svc:delivery.logs.amazonaws.com", "AmazonS3"]))
        text = draw(st.one_of(st.just(text), _WORD))
    else:
        words = draw(
            st.lists(
                st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZéabc0123456789", min_size=1, max_size=10),
                min_size=1,
                max_size=4,
            )
        )
        text = " ".join(["arn:aws:iam::cloudfront:user/CloudFront", *words])
    return _plain(text)


_OPERATIONS = st.sampled_from(
    [
        "REST.GET.OBJECT",
        "REST.PUT.PART",
        "BATCH.DELETE.OBJECT",
        "S3.EXPIRE.OBJECT",
        "WEBSITE.HEAD.OBJECT",
        "REST.COPY.OBJECT_GET",
        "REST.GET.POLICY_STATUS",
    ]
)


# Pieces of quoted values: words, and the characters that make quoted fields awkward.
_AWKWARD = st.sampled_from(['"', " ", '" ', ' "', '""', "-", " -", "(", ";", "é", "\\"])


def _quoted_text(*, quote_then_space: bool) -> st.SearchStrategy[str]:
    """Free text with raw quotes and spaces; with ``quote_then_space`` false, no ``" ``."""
    text = st.lists(st.one_of(_WORD, _AWKWARD), max_size=8).map("".join)
    if quote_then_space:
        return text
    return text.filter(lambda t: '" ' not in t)


def _quoted(*, quote_then_space: bool) -> st.SearchStrategy[Field]:
    """A quoted field: ``"..."`` (``"-"`` means absent; ``""``, an empty header, is ``''``,
    as Athena's typed view has it) or a bare ``-``."""
    return st.one_of(
        _quoted_text(quote_then_space=quote_then_space).map(
            lambda t: Field(f'"{t}"', None if t == "-" else t)
        ),
        st.sampled_from([Field("-", None), Field('"-"', None), Field('""', "")]),
    )


_REQUEST_URI = st.one_of(
    _quoted(quote_then_space=False),
    st.builds(
        lambda method, path: Field(f'"{method} {path} HTTP/1.1"', f"{method} {path} HTTP/1.1"),
        st.sampled_from(["GET", "PUT", "HEAD", "POST"]),
        st.lists(st.one_of(_WORD, st.sampled_from(['"', '""', "?", "&", "="])), max_size=6).map(
            lambda parts: "/" + "".join(parts)
        ),
    ),
)


def _later_field(name: str) -> st.SearchStrategy[Field]:
    examples = {
        "sigv": st.sampled_from(["SigV2", "SigV4"]),
        "authtype": st.sampled_from(["AuthHeader", "QueryString"]),
        "tlsversion": st.sampled_from(["TLSv1.2", "TLSv1.3", "TLSV1.1"]),
        "aclrequired": st.just("Yes"),
        "sourceregion": st.sampled_from(["us-east-1", "eu-west-1", "cn-north-1"]),
    }
    return _token(examples.get(name, _WORD))


@st.composite
def records(draw: st.DrawFn) -> tuple[list[Field], list[str]]:
    """The fields of one line (17 to 27 of them) and its trailing tokens (only after 27)."""
    fields = [
        _token(st.text("0123456789abcdef", min_size=1, max_size=64)),  # bucketowner
        _token(st.from_regex(r"[a-z0-9][a-z0-9.-]{1,20}[a-z0-9]", fullmatch=True)),
        _time(),
        st.one_of(_IPV4, _IPV6).map(lambda t: Field(t, t)) | st.just(Field("-", None)),
        _requester(),
        _ALNUM.map(lambda t: Field(t, t)),  # requestid
        _OPERATIONS.map(lambda t: Field(t, t)),
        _token(_WORD),  # key
        _REQUEST_URI,
        _token(st.integers(100, 599).map(str)).map(
            lambda f: Field(f.text, None if f.value is None else int(f.text))
        ),
        _token(st.sampled_from(["NoSuchKey", "AccessDenied", "SlowDown"])),
        _int_field(10**13),
        _int_field(10**13),
        _int_field(10**7),
        _int_field(10**7),
        _quoted(quote_then_space=False),  # referrer
        _quoted(quote_then_space=True),  # user agent: the last quoted field, anything goes
    ]
    values = [draw(strategy) for strategy in fields]
    later = [f.name for f in LOG_FIELDS[len(fields) :]]
    # Every length from 17 to 27 fields, the full 27 (and so trailing fields) more often.
    count = draw(st.one_of(st.integers(0, len(later)), st.just(len(later))))
    values += [draw(_later_field(name)) for name in later[:count]]
    trailing: list[str] = []
    if count == len(later):
        trailing = draw(st.lists(_WORD, max_size=3))
    return values, trailing


@st.composite
def lines(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A rendered line and the record the parser must return for it."""
    values, trailing = draw(records())
    count = len(values) + len(trailing)
    separators = draw(
        st.lists(st.sampled_from([" ", " ", "  "]), min_size=count - 1, max_size=count - 1)
    )
    texts = [f.text for f in values] + trailing
    line = texts[0] + "".join(s + t for s, t in zip(separators, texts[1:], strict=True))
    tail_start = len(values) - 1  # separators[i] precedes texts[i + 1]
    trailing_text = "".join(
        t if i == 0 else separators[tail_start + i] + t for i, t in enumerate(trailing)
    )
    line += draw(st.sampled_from(["", "", " ", "  "]))  # trailing spaces are ignored
    expected = dict.fromkeys(FIELD_NAMES)
    expected.update({f.name: v.value for f, v in zip(LOG_FIELDS, values, strict=False)})
    expected["trailing_fields"] = None if trailing_text in ("", "-") else trailing_text
    return line, expected


def as_dict(record: LogRecord) -> dict[str, Any]:
    return dict(zip(FIELD_NAMES, record, strict=True))


# -- properties ----------------------------------------------------------------------------


@SETTINGS
@given(lines())
def test_rendered_record_parses_back_to_its_values(case: tuple[str, dict[str, Any]]) -> None:
    line, expected = case
    assert as_dict(parse_line(line)) == expected


@SETTINGS
@given(st.lists(lines(), min_size=1, max_size=8), st.sampled_from(["\n", "\r\n"]), st.booleans())
def test_a_stream_of_lines_round_trips_with_lf_or_crlf(
    cases: list[tuple[str, dict[str, Any]]], ending: str, final_newline: bool
) -> None:
    data = ending.join(line for line, _ in cases) + (ending if final_newline else "")
    expected = [e for _, e in cases]
    assert [as_dict(r) for r in parse_lines(io.BytesIO(data.encode()))] == expected
    report = ParseReport()
    batches = list(parse_stream(io.BytesIO(data.encode()), report=report))
    columns = {name: [v for b in batches for v in b[name]] for name in FIELD_NAMES}
    assert columns == {name: [e[name] for e in expected] for name in FIELD_NAMES}
    assert (report.records, report.failed) == (len(cases), 0)


# Lines that are not records: too few fields, junk, impossible values.
@st.composite
def bad_lines(draw: st.DrawFn) -> str:
    line, _ = draw(lines())
    kind = draw(st.integers(0, 3))
    if kind == 0:  # cut before the user agent
        words = line.split(" ")
        return " ".join(words[: draw(st.integers(1, 14))])
    if kind == 1:
        return draw(st.text(_TEXT, min_size=1, max_size=30))
    if kind == 2:  # a date the calendar does not have
        return "o b [31/Feb/2019:00:00:00 +0000] " + line.split("] ", 1)[-1]
    # the request time neither bracketed nor "-"
    third = re.match(r"\S+ +\S+ +", line)
    assert third is not None
    at = third.end()
    return line[:at] + ("(" if line[at] == "[" else "x") + line[at + 1 :]


@st.composite
def mixed_batches(draw: st.DrawFn) -> list[tuple[str, bool | None]]:
    """Lines with their kind: True good, False bad, None blank."""
    return draw(
        st.lists(
            st.one_of(
                lines().map(lambda c: (c[0], True)),
                bad_lines().map(lambda t: (t, False)),
                st.sampled_from(["", "   "]).map(lambda t: (t, None)),
            ),
            min_size=1,
            max_size=10,
        )
    )


# Slice sizes to parse with: tiny ones put slice boundaries inside a generated batch.
_SLICES = st.sampled_from([1, 2, 3, 256])


@SETTINGS
@given(mixed_batches(), _SLICES, st.integers(1, 5))
def test_parse_columns_and_parse_lines_equal_parse_line(
    batch: list[tuple[str, bool | None]], slice_size: int, batch_size: int
) -> None:
    text = [line for line, _ in batch]
    expected = [parse_line(line) for line, kind in batch if kind is True]
    column_report, record_report = ParseReport(), ParseReport()
    with mock.patch.object(parser, "_SLICE", slice_size):
        columns = parse_columns(text, lenient=True, report=column_report)
        records = list(parse_lines(text, lenient=True, report=record_report, batch_size=batch_size))
    assert columns == {name: [getattr(r, name) for r in expected] for name in FIELD_NAMES}
    assert records == expected
    for report in (column_report, record_report):
        assert report.records == len(expected)
        assert report.blank == sum(kind is None for _, kind in batch)
        assert report.failed == sum(kind is False for _, kind in batch)
        assert report.lines == len(batch)


@SETTINGS
@given(mixed_batches(), _SLICES, st.integers(1, 5))
def test_a_bad_line_raises_with_its_line_number(
    batch: list[tuple[str, bool | None]], slice_size: int, batch_size: int
) -> None:
    text = [line for line, _ in batch]
    bad = [number for number, (_, kind) in enumerate(batch, 1) if kind is False]
    with mock.patch.object(parser, "_SLICE", slice_size):
        if not bad:
            assert len(list(parse_lines(text, batch_size=batch_size))) == sum(
                kind is True for _, kind in batch
            )
            return
        with pytest.raises(LogParseError) as info:
            list(parse_lines(text, source="gen.log", batch_size=batch_size))
        with pytest.raises(LogParseError) as direct:
            parse_columns(text, first_line_number=10)
        report = ParseReport()
        list(parse_lines(text, lenient=True, report=report, batch_size=batch_size))
    assert info.value.line_number == bad[0]
    assert info.value.source == "gen.log"
    assert info.value.line == text[bad[0] - 1]
    assert direct.value.line_number == bad[0] + 9
    assert report.failed == len(bad)
    assert [e.line_number for e in report.examples] == bad[: report.max_examples]


# -- request times ---------------------------------------------------------------------------


def reference_request_time(text: str) -> datetime | None:
    """The straightforward field-by-field reading that parse_request_time must equal
    (``None`` for a leap second, as Athena's typed view has it)."""
    digit = "[0-9]"  # ASCII only, as S3 writes them
    shape = f"{digit}{{2}}/[A-Z][a-z]{{2}}/{digit}{{4}}:{digit}{{2}}:{digit}{{2}}:{digit}{{2}}"
    if not re.fullmatch(shape + f" [+-]{digit}{{4}}", text):
        raise ValueError(text)
    months = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
    if text[3:6] not in months:
        raise ValueError(text)
    sign = 1 if text[21] == "+" else -1
    offset = timedelta(hours=int(text[22:24]), minutes=int(text[24:26])) * sign
    second = int(text[18:20])
    local = datetime(
        int(text[7:11]),
        months.index(text[3:6]) + 1,
        int(text[0:2]),
        int(text[12:14]),
        int(text[15:17]),
        59 if second == 60 else second,
        tzinfo=timezone(offset),
    )
    return None if second == 60 else local.astimezone(UTC)


@st.composite
def time_texts(draw: st.DrawFn) -> str:
    """Request-time texts, valid or nearly: a valid one with a character or two replaced."""
    text = draw(_time().filter(lambda f: f.value is not None)).text[1:-1]
    if draw(st.integers(0, 9)) == 0:  # a leap second
        text = text[:18] + "60" + text[20:]
    for _ in range(draw(st.integers(0, 2))):
        at = draw(st.integers(0, len(text) - 1))
        text = text[:at] + draw(st.sampled_from("0123456789:/ +-aFJ٣x")) + text[at + 1 :]
    return text


@SETTINGS
@given(time_texts())
def test_request_time_equals_the_reference_reading(text: str) -> None:
    try:
        expected = reference_request_time(text)
    except ValueError:
        with pytest.raises(ValueError, match="request time"):
            parse_request_time(text)
        return
    parsed = parse_request_time(text)
    assert parsed == expected
    assert parsed is None or parsed.tzinfo is UTC
