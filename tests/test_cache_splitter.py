"""The fast path must give exactly the reference parser's typed values, line for line."""

from __future__ import annotations

import random
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from s3logs_athena.cache import splitter
from s3logs_athena.cache.splitter import SourceFile, split_files
from s3logs_athena.parser import ParseReport, iter_line_batches, parse_columns
from s3logs_athena.table.schema import TYPED_COLUMN_NAMES, typed_arrow_schema, typed_record_batch

from .conftest import FIXTURES, corpus_log_files

BASE = (
    "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be app-assets "
    "[06/Feb/2019:00:00:38 +0000] 192.0.2.3 arn:aws:iam::111122223333:user/alice "
    '3E57427F3EXAMPLE REST.GET.OBJECT photos/cat.jpg "GET /photos/cat.jpg HTTP/1.1" 200 - '
    '113 2048 7 3 "-" "aws-cli/2.15.0 Python/3.11.6" - hostid= SigV4 '
    "ECDHE-RSA-AES128-GCM-SHA256 AuthHeader app-assets.s3.amazonaws.com TLSv1.2 - - us-east-1"
)

# Variants the fast path must either get right or hand to the parser.
VARIANTS = [
    BASE,
    BASE.replace(
        " - hostid= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader "
        "app-assets.s3.amazonaws.com TLSv1.2 - - us-east-1",
        "",
    ),  # 18 fields
    BASE.replace(" - - us-east-1", ""),  # 24 fields
    BASE + " future1 future2",  # trailing fields
    BASE + " ",  # trailing space
    BASE.replace(" 200 ", "  200 "),  # double space
    BASE.replace('"GET /photos/cat.jpg HTTP/1.1"', "-"),  # unquoted request URI
    BASE.replace('"-" "aws', '- "aws'),  # unquoted referrer
    BASE.replace('"aws-cli/2.15.0 Python/3.11.6"', '""Mozilla/5.0 (compatible; "quoted" bot)"'),
    BASE.replace('"aws-cli/2.15.0 Python/3.11.6"', '"a""b"'),
    BASE.replace('"aws-cli/2.15.0 Python/3.11.6"', '""'),
    BASE.replace(
        "arn:aws:iam::111122223333:user/alice",
        "arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2ABC",
    ),
    BASE.replace("arn:aws:iam::111122223333:user/alice", "a - b").replace(
        " photos/cat.jpg ", " - "
    ),
    BASE.replace("arn:aws:iam::111122223333:user/alice", "x y z").replace(
        "photos/cat.jpg ", "- ", 1
    ),
    BASE.replace("[06/Feb/2019:00:00:38 +0000]", "-"),
    BASE.replace("[06/Feb/2019:00:00:38 +0000]", "[06/Feb/2019:00:00:38]"),
    BASE.replace("[06/Feb/2019:00:00:38 +0000]", "[06/Feb]2019:00:00:38 +0000]"),
    BASE.replace("[06/Feb/2019:00:00:38 +0000]", "[06/Feb/2019:00:00:38 +0200]"),
    BASE.replace(" 113 ", " 99999999999999999999999 "),
    BASE.replace(" 113 ", " +5 "),
    BASE.replace(" 200 ", " 20 "),
    BASE.replace("REST.GET.OBJECT", "GETOBJECT"),
    BASE.replace("photos/cat.jpg ", "caf\u00e9/\u00fcber.jpg "),
    BASE.replace("photos/cat.jpg ", "it's.jpg "),
    BASE.replace("photos/cat.jpg ", 'a"b.jpg '),
    BASE.replace(" us-east-1", ' us-"east-1'),
    BASE.replace(" 3E57427F3EXAMPLE ", " 3E57\t427F "),
    # Typing: what only the parser may decide.
    BASE.replace('"-" "aws', '"" "aws'),  # an empty quoted field
    BASE.replace("[06/Feb/2019:00:00:38 +0000]", "[06/Feb/2019:23:59:60 +0000]"),  # leap second
    BASE.replace("[06/Feb/2019:00:00:38 +0000]", "[31/Feb/2019:00:00:38 +0000]"),
    BASE.replace("[06/Feb/2019:00:00:38 +0000]", "[06/feb/2019:00:00:38 +0000]"),
    BASE.replace("[06/Feb/2019:00:00:38 +0000]", "[06/Feb/0000:00:00:38 +0000]"),
    BASE.replace("[06/Feb/2019:00:00:38 +0000]", "[06/Feb/2019:24:00:00 +0000]"),
    BASE.replace("[06/Feb/2019:00:00:38 +0000]", "[06/Feb/2019:23:30:00 -0130]"),
    BASE.replace(" 7 3 ", " 99999999999999999999 3 "),  # a time too big for a bigint
    BASE.replace(" 7 3 ", " 0007 - "),
    BASE.replace(" 200 ", " 099 "),
    BASE.replace('"-" "aws', '"-" "-'),  # a quoted "-"
    " " + BASE,
    "",
    "   ",
    "not a log line",
]


def _reference(files: list[SourceFile]) -> tuple[list[tuple[object, ...]], ParseReport]:
    """Every file through the parser alone: parse_columns, typed by typed_record_batch."""
    report = ParseReport()
    rows: list[tuple[object, ...]] = []
    for index, source in enumerate(files):
        with source.path.open("rb") as stream:
            lines = [line for batch in iter_line_batches(stream) for line in batch]
        columns = parse_columns(lines, source=str(source.path), lenient=True, report=report)
        batch = typed_record_batch(columns)
        rows.extend((*row.values(), index) for row in batch.to_pylist())
    return sorted(rows, key=repr), report


def _rows(table: pa.Table) -> list[tuple[object, ...]]:
    assert table.schema.remove(table.schema.get_field_index("file")).equals(
        typed_arrow_schema(), check_metadata=False
    )
    rows = [tuple(row[name] for name in (*TYPED_COLUMN_NAMES, "file")) for row in table.to_pylist()]
    return sorted(rows, key=repr)


def _source(path: Path) -> SourceFile:
    return SourceFile(path, path.name, 2024, 1, 2, "b", "")


def _assert_same(files: list[SourceFile]) -> ParseReport:
    report = ParseReport()
    fast = _rows(split_files(files, report=report))
    expected, reference = _reference(files)
    assert fast == expected
    assert (report.lines, report.records, report.blank, report.failed) == (
        reference.lines,
        reference.records,
        reference.blank,
        reference.failed,
    )
    assert [(e.source, e.line_number) for e in report.examples] == [
        (e.source, e.line_number) for e in reference.examples
    ]
    return report


def test_variants_match_the_reference_parser(tmp_path: Path) -> None:
    path = tmp_path / "variants.log"
    path.write_text("\n".join(VARIANTS) + "\n", encoding="utf-8")
    report = _assert_same([_source(path)])
    assert report.failed >= 5  # the garbage lines are counted, not lost
    assert report.blank == 2


def test_the_fast_path_takes_canonical_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Guard against a fast path that silently declines everything (and is then slow)."""
    calls: list[int] = []
    original = splitter.parse_lines_python

    def counting(lines: list[str], **kwargs: object) -> object:
        calls.append(len(lines))
        return original(lines, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(splitter, "parse_lines_python", counting)
    path = tmp_path / "canonical.log"
    canonical = [BASE, VARIANTS[1], VARIANTS[2], VARIANTS[11], VARIANTS[22], VARIANTS[23]]
    path.write_text("\n".join(canonical) + "\n")
    report = ParseReport()
    table = split_files([_source(path)], report=report)
    assert table.num_rows == len(canonical) and sum(calls) == 0


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("crlf", (BASE + "\r\n" + VARIANTS[1] + "\r\n").encode()),
        ("lone-cr", (BASE + "\r" + VARIANTS[1] + "\n").encode()),
        ("cr-crlf", (BASE + "\r\r\n").encode()),
        ("bom", b"\xef\xbb\xbf" + BASE.encode() + b"\n"),
        ("latin1", BASE.replace("photos", "ph\xf6tos").encode("latin-1") + b"\n"),
        ("no-final-newline", BASE.encode()),
        ("empty", b""),
        ("nul", BASE.replace("photos", "ph\x00tos").encode() + b"\n"),
    ],
)
def test_odd_files_match_the_reference_parser(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    _assert_same([_source(path)])


def test_many_files_keep_their_line_numbers_and_indexes(tmp_path: Path) -> None:
    rng = random.Random(4)
    files = []
    for number in range(7):
        path = tmp_path / f"f{number}"
        lines = [rng.choice(VARIANTS) for _ in range(rng.randrange(0, 40))]
        path.write_text("\n".join(lines) + ("\n" if number % 2 else ""))
        files.append(_source(path))
    _assert_same(files)


def test_corpus_and_fixtures_match_the_reference_parser() -> None:
    paths = corpus_log_files() + sorted((FIXTURES / "logs").rglob("*"))
    files = [_source(p) for p in paths if p.is_file()]
    assert files
    _assert_same(files)


_TOKENS = st.sampled_from(
    ['"', " ", "  ", "-", "[", "]", "x", "é", "0", "123", "REST.GET.OBJECT", "a b", '""', "\t"]
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.tuples(st.integers(0, len(BASE)), _TOKENS), max_size=3))
def test_mutated_lines_match_the_reference_parser(
    tmp_path: Path, edits: list[tuple[int, str]]
) -> None:
    line = BASE
    for position, token in edits:
        line = line[:position] + token + line[position:]
    path = tmp_path / "mutated.log"
    path.write_text(line + "\n" + BASE + "\n", encoding="utf-8")
    _assert_same([_source(path)])


def test_empty_quoted_fields_stay_empty_in_the_cache_and_its_typed_view(tmp_path: Path) -> None:
    """An empty header (``""``) is ``''`` on the fast path, on the parser's path and in the
    typed view over the cache; ``-`` is NULL there. A leap second keeps its row, with a NULL
    ``request_time`` (what Athena's view returns)."""
    from s3logs_athena.cache import ingest
    from s3logs_athena.engines.duckdb import DuckDBEngine

    empty = BASE.replace('"-" "aws-cli/2.15.0 Python/3.11.6"', '"" ""')
    odd = empty.replace(" 200 ", "  200 ")  # not canonical: the parser's path
    leap = BASE.replace("00:00:38", "23:59:60")
    day = tmp_path / "logs" / "PartitionedLogs" / "Year=2019" / "Month=02" / "Day=06" / "b1"
    day.mkdir(parents=True)
    (day / "2019-02-06-00-00-00-0123456789ABCDEF").write_text(f"{empty}\n{odd}\n{leap}\n")
    path = day / "2019-02-06-00-00-00-0123456789ABCDEF"
    rows = split_files([_source(path)], report=ParseReport()).to_pylist()
    # The cache is typed: '' stays '', '-' is NULL, a leap second has a NULL time.
    typed = sorted(((r["referrer"], r["user_agent"], r["request_time"]) for r in rows), key=repr)
    assert typed == sorted(
        [
            ("", "", datetime(2019, 2, 6, 0, 0, 38)),
            ("", "", datetime(2019, 2, 6, 0, 0, 38)),
            (None, "aws-cli/2.15.0 Python/3.11.6", None),
        ],
        key=repr,
    )
    _assert_same([_source(path)])

    cache = tmp_path / "cache"
    ingest(tmp_path / "logs", cache)
    with DuckDBEngine(cache) as engine:
        frame = engine.run(
            "SELECT referrer, user_agent, CAST(request_time AS VARCHAR) AS t "
            "FROM s3_access_logs_db.s3_access_logs_typed ORDER BY user_agent"
        ).frame
    frame = frame.astype(object).where(frame.notna(), None)  # NULL, not NaN
    assert frame.to_dict("records") == [
        {"referrer": "", "user_agent": "", "t": "2019-02-06 00:00:38"},
        {"referrer": "", "user_agent": "", "t": "2019-02-06 00:00:38"},
        {"referrer": None, "user_agent": "aws-cli/2.15.0 Python/3.11.6", "t": None},
    ]
