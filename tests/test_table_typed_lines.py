"""The column-wise route (typed_batch) gives exactly what the parser's route gives.

The reference is the parser's route: ``typed_record_batch(parse_columns(lines))``, and for a
whole raw object the compactor's ``parse_object(..., columnwise=False)``. Compared on
generated days, the third-party corpus, the hostile lines and hand-made edge cases: schema,
every value, the Parquet bytes written, the rejects and the counts.
"""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from s3logs_athena.generator import GeneratorConfig, generate
from s3logs_athena.parser import ParseReport, iter_line_batches, parse_columns
from s3logs_athena.table.compaction import rows as rows_module
from s3logs_athena.table.compaction.sorting import SortedDayWriter
from s3logs_athena.table.schema import typed_arrow_schema, typed_record_batch
from s3logs_athena.table.typed_lines import typed_batch
from s3logs_athena.testing.hostile_lines import HOSTILE, VALID_LINE, garbled

from .conftest import corpus_log_files

# Fields 1-18, then 19-27 (host id ... source region), with {time}, {status}, {sent},
# {size}, {uri}, {agent} and {rest} to vary.
TEMPLATE = (
    "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be awsexamplebucket1 "
    "[{time}] 192.0.2.3 - 3E57427F3EXAMPLE REST.GET.OBJECT photos/a.jpg "
    '"{uri}" {status} - {sent} {size} 7 6 "-" "{agent}"{rest}'
)
REST = (
    " - s9lzHYrFp76ZVxRcpX9+5cjAnEH2= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader "
    "awsexamplebucket1.s3.us-west-1.amazonaws.com TLSv1.2 - - -"
)


def edge(
    time: str = "06/Feb/2019:00:00:38 +0000",
    status: str = "200",
    sent: str = "113",
    size: str = "4096",
    uri: str = "GET /photos/a.jpg HTTP/1.1",
    agent: str = "curl/8.4",
    rest: str = REST,
) -> str:
    return TEMPLATE.format(
        time=time, status=status, sent=sent, size=size, uri=uri, agent=agent, rest=rest
    )


# Every line parses (and none is blank): typed_batch must take the chunk.
EDGE_LINES = [
    edge(),
    edge(status="-", sent="-", size="-"),
    edge(uri="", agent=""),  # empty quoted fields stay ''
    edge(uri="-", agent="-"),  # quoted - is absent
    edge(time="-"),  # no time at all
    edge(time="31/Dec/2016:23:59:60 +0000"),  # leap second: kept, NULL time
    edge(time="30/Jun/2015:23:59:60 -0130"),
    edge(time="06/Feb/2019:00:00:38 -0800"),  # other offsets, converted to UTC
    edge(time="06/Feb/2019:23:30:00 +0530"),
    edge(time="01/Jan/0001:00:00:00 +0000"),  # the ends of the range
    edge(time="31/Dec/9999:23:59:59 +0000"),
    edge(time="31/Dec/1969:23:59:59 +0000"),  # before the epoch
    edge(sent="9223372036854775807", size="0009223372036854775807"),  # int64 max
    edge(sent="9223372036854775808"),  # int64 max + 1: NULL
    edge(size="18446744073709551616"),  # beyond uint64: NULL
    edge(sent="1" + "0" * 40),
    edge(size="9" * 4300),  # as many digits as Python's int() reads by default: NULL
    edge(status="000"),
    edge(status="999"),
    edge(rest=""),  # the 18 classic fields only
    edge(rest=" -"),
    edge(rest=REST + " extra1 extra2"),  # trailing fields kept verbatim
    edge(rest=REST + "   "),  # trailing spaces only
    edge(agent='Mozilla/5.0 "quoted" part" tail'),
    edge(uri="GET /caf\u00e9/\U0001f600 HTTP/1.1", agent="\ufffd\ufffd bad bytes"),
    edge(uri="GET /\x00\x1b[31m\u202e HTTP/1.1"),
    VALID_LINE,
]

# Lines the parser counts as blank or rejects: typed_batch must decline the chunk.
BAD_LINES = [
    "",
    "   ",
    "\t",
    "not a log line",
    edge(time="31/Feb/2019:00:00:38 +0000"),
    edge(time="06/Feb/2019:00:00:61 +0000"),
    edge(time="06/Feb/0000:00:00:38 +0000"),
    edge(time="06/Foo/2019:00:00:38 +0000"),
    edge(time="6/Feb/2019:00:00:38 +0000"),
    edge(time="06/Feb/2019:24:00:00 +0000"),
    edge(time="06/feb/2019:00:00:38 +0000"),
    edge(time="06/Feb/2019:00:00:38 +2400"),
    edge(time="06/Feb/2019:00:00:38"),
    edge(status="20"),
    edge(sent="-1"),
    edge(sent="9" * 4301),  # more digits than int() reads: the parser rejects the line
    VALID_LINE[:120],
]


def reference(lines: list[str]) -> pa.RecordBatch:
    return typed_record_batch(parse_columns(lines, lenient=True, report=ParseReport()))


def assert_same(got: pa.RecordBatch | None, expected: pa.RecordBatch) -> None:
    assert got is not None
    assert got.schema.equals(expected.schema, check_metadata=True)
    assert got.equals(expected)
    assert got.to_pylist() == expected.to_pylist()  # value by value, as Python sees them


def test_edge_lines_give_the_parsers_values() -> None:
    assert_same(typed_batch(EDGE_LINES), reference(EDGE_LINES))
    for line in EDGE_LINES:
        assert_same(typed_batch([line]), reference([line]))


def test_the_edge_values_are_the_documented_ones() -> None:
    batch = typed_batch(EDGE_LINES)
    assert batch is not None
    rows = batch.to_pylist()
    assert (rows[1]["http_status"], rows[1]["bytes_sent"]) == (None, None)
    assert (rows[2]["request_uri"], rows[2]["user_agent"]) == ("", "")
    assert (rows[3]["request_uri"], rows[3]["user_agent"]) == (None, None)
    assert rows[4]["request_time"] is None and rows[5]["request_time"] is None
    assert rows[7]["request_time"].isoformat() == "2019-02-06T08:00:38"
    assert rows[12]["bytes_sent"] == rows[12]["object_size"] == 2**63 - 1
    assert rows[13]["bytes_sent"] is None and rows[14]["object_size"] is None
    assert rows[19]["host_id"] is None and rows[19]["trailing_fields"] is None
    assert rows[16]["object_size"] is None
    assert rows[21]["trailing_fields"] == "extra1 extra2"


@pytest.mark.parametrize("bad", BAD_LINES)
def test_a_chunk_with_a_line_the_parser_does_not_take_is_declined(bad: str) -> None:
    report = ParseReport()
    parse_columns([EDGE_LINES[0], bad], lenient=True, report=report)
    assert report.failed + report.blank == 1  # the premise: the parser does not take it
    assert typed_batch([EDGE_LINES[0], bad]) is None
    assert typed_batch([bad]) is None


def test_no_lines_give_an_empty_batch() -> None:
    batch = typed_batch([])
    assert batch is not None and batch.num_rows == 0
    assert batch.schema.equals(typed_arrow_schema(), check_metadata=True)


def test_generated_lines_give_the_parsers_values() -> None:
    dataset = generate(GeneratorConfig(buckets=2, days=2, objects_per_day=6, seed=5))
    chunks = 0
    for log_object in dataset.log_objects:
        for lines in iter_line_batches(io.BytesIO(log_object.body)):
            assert_same(typed_batch(lines), reference(lines))
            chunks += 1
    assert chunks >= 24


def test_hostile_lines_give_the_parsers_answer() -> None:
    lines = [make(2_000) for make in HOSTILE.values()]
    lines += [garbled(n, 300) for n in range(40)]
    for line in lines:
        report = ParseReport()
        expected = typed_record_batch(parse_columns([line], lenient=True, report=report))
        got = typed_batch([line])
        if report.records:
            assert_same(got, expected)
        else:
            assert got is None


def test_corpus_chunks_give_the_parsers_values(corpus_dir: Path) -> None:
    taken = declined = 0
    for path in corpus_log_files():
        for lines in iter_line_batches(io.BytesIO(path.read_bytes())):
            report = ParseReport()
            expected = typed_record_batch(parse_columns(lines, lenient=True, report=report))
            got = typed_batch(lines)
            if report.failed or report.blank:
                assert got is None, path.name
                declined += 1
            else:
                assert_same(got, expected)
                taken += 1
    assert taken and declined


# -- whole objects through the compactor: new route vs reference ------------------------


def compact_bodies(
    bodies: list[tuple[str, bytes]], workdir: Path, *, columnwise: bool
) -> tuple[rows_module.Counts, list[tuple[date, bytes]], list[dict[str, object]]]:
    """Bodies through ``parse_object``, the router and the sorted writer (as
    ``compact_partition`` runs them): counts, each day file's bytes, the rejects."""
    workdir.mkdir()
    writer = SortedDayWriter(workdir, typed_arrow_schema(), 64)  # tiny: spills and merges
    router = rows_module.Router(writer, date(2019, 2, 6))
    rejects = rows_module.Rejects(workdir / "rejects.jsonl")
    counts = rows_module.Counts()
    for key, body in bodies:
        rows_module.parse_object(key, body, router, rejects, counts, columnwise=columnwise)
    rejects.close()
    files = [(f.day, f.path.read_bytes()) for f in writer.finish()]
    rejected = (
        [json.loads(line) for line in rejects.path.read_text("utf-8").splitlines()]
        if rejects.count
        else []
    )
    return counts, files, rejected


def assert_compacts_alike(bodies: list[tuple[str, bytes]], tmp_path: Path) -> None:
    old = compact_bodies(bodies, tmp_path / "old", columnwise=False)
    new = compact_bodies(bodies, tmp_path / "new", columnwise=True)
    assert new[0] == old[0]  # lines, blank, records, rejects
    assert new[2] == old[2]  # the same rejects, in the same order, with the same reasons
    assert [day for day, _ in new[1]] == [day for day, _ in old[1]]
    for (_, new_bytes), (_, old_bytes) in zip(new[1], old[1], strict=True):
        new_table = pq.read_table(io.BytesIO(new_bytes))
        old_table = pq.read_table(io.BytesIO(old_bytes))
        assert new_table.schema.equals(old_table.schema, check_metadata=True)
        assert new_table.to_pylist() == old_table.to_pylist()
        assert new_bytes == old_bytes


def test_objects_with_edge_bad_and_blank_lines_compact_alike(tmp_path: Path) -> None:
    good = "\n".join(EDGE_LINES).encode()
    mixed = "\n".join([*EDGE_LINES[:5], *BAD_LINES, *EDGE_LINES[5:]]).encode()
    crlf = "\r\n".join(EDGE_LINES).encode() + b"\r\n"
    invalid_utf8 = edge(agent="x").encode().replace(b'"x"', b'"\xff\xfe\xc3("') + b"\n"
    bodies = [("a", good), ("b", mixed), ("c", crlf), ("d", invalid_utf8), ("e", b""), ("f", good)]
    assert_compacts_alike(bodies, tmp_path)


def test_generated_objects_compact_alike(tmp_path: Path) -> None:
    dataset = generate(GeneratorConfig(buckets=1, days=2, objects_per_day=8, seed=3))
    assert_compacts_alike([(o.key, o.body) for o in dataset.log_objects], tmp_path)


def test_corpus_objects_compact_alike(corpus_dir: Path, tmp_path: Path) -> None:
    bodies = [(path.name, path.read_bytes()) for path in corpus_log_files()]
    assert bodies
    assert_compacts_alike(bodies, tmp_path)
