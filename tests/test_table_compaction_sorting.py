"""SortedDayWriter: one sorted Parquet file per request day, whatever the budget."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from s3logs_athena.table.compaction.sorting import SEQUENCE, SortedDayWriter
from s3logs_athena.table.schema import typed_arrow_schema

DAY = date(2024, 3, 5)
SCHEMA = typed_arrow_schema()


def batch(times: list[datetime | None], first_sequence: int, tag: str) -> pa.RecordBatch:
    """Rows with the given request times; ``request_id`` says where each came from."""
    columns = {}
    for field in SCHEMA:
        if field.name == "request_time":
            columns[field.name] = pa.array(times, field.type)
        elif field.name == "request_id":
            columns[field.name] = pa.array([f"{tag}-{i}" for i in range(len(times))])
        else:
            columns[field.name] = pa.nulls(len(times), field.type)
    sequence = pa.array(range(first_sequence, first_sequence + len(times)), pa.int64())
    return pa.RecordBatch.from_arrays([*columns.values(), sequence], names=[*columns, SEQUENCE])


def write(tmp_path: Path, batches: list[tuple[date, pa.RecordBatch]], budget: int) -> list:
    writer = SortedDayWriter(tmp_path, SCHEMA, budget, {"origin": "test"})
    for day, rows in batches:
        writer.add(day, rows)
    return [*writer.finish(), writer.spilled_runs]


def shuffled_times(count: int, seed: int) -> list[datetime | None]:
    rng = random.Random(seed)
    start = datetime(2024, 3, 5)
    times: list[datetime | None] = [
        start + timedelta(seconds=rng.randrange(86_400)) for _ in range(count)
    ]
    for index in rng.sample(range(count), count // 50):
        times[index] = None
    return times


@pytest.mark.parametrize("budget", [1024, 5000, 1_000_000])
def test_the_output_is_sorted_by_time_then_arrival_whatever_the_budget(
    tmp_path: Path, budget: int
) -> None:
    times = shuffled_times(20_000, seed=budget)
    batches = [(DAY, batch(times[i : i + 700], i, f"b{i}")) for i in range(0, len(times), 700)]
    *files, spilled = write(tmp_path, batches, budget)
    (written,) = files
    assert (spilled > 0) == (budget < len(times))
    table = pq.read_table(written.path)
    assert table.num_rows == written.rows == len(times)
    assert table.schema.names == SCHEMA.names  # the sequence column is not written
    expected = sorted(
        range(len(times)),
        key=lambda i: (times[i] is None, times[i] or datetime.min, i),
    )
    ids = table["request_id"].to_pylist()
    owners = [f"b{(i // 700) * 700}-{i % 700}" for i in expected]
    assert ids == owners
    metadata = pq.ParquetFile(written.path).metadata
    assert metadata.num_row_groups == written.row_groups == -(-len(times) // budget)
    assert metadata.metadata[b"origin"] == b"test"


def test_days_are_written_to_separate_files_and_bytes_are_reproducible(tmp_path: Path) -> None:
    other = DAY - timedelta(days=1)
    times = shuffled_times(3000, seed=1)
    late = [t - timedelta(days=1) if t else t for t in times[:500]]
    batches = [(DAY, batch(times, 0, "d")), (other, batch(late, 3000, "late"))]
    first = tmp_path / "one"
    second = tmp_path / "two"
    first.mkdir()
    second.mkdir()
    *files_one, _ = write(first, batches, 1024)
    *files_two, _ = write(second, batches, 1024)
    assert [f.day for f in files_one] == [other, DAY]
    assert [f.rows for f in files_one] == [500, 3000]
    for a, b in zip(files_one, files_two, strict=True):
        assert a.path.read_bytes() == b.path.read_bytes()
    assert sorted(p.name for p in first.iterdir()) == [
        f"day-{other.isoformat()}.parquet",
        f"day-{DAY.isoformat()}.parquet",
    ]  # the runs were removed


def test_a_budget_below_one_row_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        SortedDayWriter(tmp_path, SCHEMA, 0)
