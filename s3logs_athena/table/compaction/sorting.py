"""Rows of one raw partition -> one Parquet file per request day, sorted by request time, in
memory bounded by the row-group size.

Rows arrive in batches, in the raw partition's key order, already typed and routed to their
request day. They are buffered; when all days' buffers together reach the budget
(``row_group_rows``) the largest is sorted and spilled to a local file as one sorted *run*
(in small row groups). At the end a day whose rows all fit in memory is sorted and written
straight away; otherwise its runs are merged (an external merge sort: each step takes, from
every run's current row group, the rows up to the smallest of their last keys, sorts that
slice and appends it to the output; more than :data:`FAN_IN` runs are first merged into
fewer, longer runs), so the output is sorted as a whole and every row group covers a narrow
span of time, which is what lets Athena and DuckDB skip row groups on ``request_time``.

Memory: the buffers (``row_group_rows`` rows in all), plus during a merge one run row group
of ``row_group_rows / (2 * FAN_IN)`` rows from each of at most :data:`FAN_IN` runs, and the
output's pending row group. Nothing grows with the partition;
``tests/test_table_compaction_memory.py`` measures it.

Order: by ``request_time`` (NULL last), ties in arrival order (a sequence number each row
carries, dropped before writing), so the same input always gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["FAN_IN", "SEQUENCE", "DayFile", "SortedDayWriter"]

#: The column of arrival order every added batch carries (int64), dropped on writing.
SEQUENCE = "__sequence"
_TIME_KEY = "__time_key"
_INT64_MAX = 2**63 - 1
_MIN_CHUNK = 256
#: Runs merged at once; with more, they are first merged into fewer, longer runs.
FAN_IN = 16


@dataclass(frozen=True, slots=True)
class DayFile:
    """One finished local Parquet file: the rows of one request day."""

    day: date
    path: Path
    rows: int
    row_groups: int
    bytes: int


def _with_time_key(table: pa.Table) -> pa.Table:
    import pyarrow as pa
    import pyarrow.compute as pc

    key = pc.fill_null(pc.cast(table["request_time"], pa.int64()), _INT64_MAX)
    return table.append_column(_TIME_KEY, key)


def _sorted(table: pa.Table) -> pa.Table:
    """``table`` (with its sequence column) sorted by request time, NULLs last, then
    arrival; the sort key column removed again."""
    keyed = _with_time_key(table)
    ordered = keyed.sort_by([(_TIME_KEY, "ascending"), (SEQUENCE, "ascending")])
    return ordered.drop_columns([_TIME_KEY])


class _OutputFile:
    """Writes sorted tables to one Parquet file in row groups of exactly ``rows`` (the last
    one may be shorter)."""

    def __init__(self, path: Path, schema: pa.Schema, rows: int) -> None:
        import pyarrow.parquet as pq

        self.path = path
        self.schema = schema
        self.group_rows = rows
        self.pending: list[pa.Table] = []
        self.pending_rows = 0
        self.rows = 0
        self.row_groups = 0
        self.writer = pq.ParquetWriter(
            path,
            schema,
            compression="zstd",
            use_dictionary=True,
            write_statistics=True,
        )

    def add(self, table: pa.Table) -> None:
        if table.num_rows:
            self.pending.append(table.drop_columns([SEQUENCE]))
            self.pending_rows += table.num_rows
        while self.pending_rows >= self.group_rows:
            self._write(self.group_rows)

    def _write(self, rows: int) -> None:
        import pyarrow as pa

        combined = pa.concat_tables(self.pending)
        group, rest = combined.slice(0, rows), combined.slice(rows)
        self.writer.write_table(group.cast(self.schema), row_group_size=rows)
        self.rows += group.num_rows
        self.row_groups += 1
        self.pending = [rest] if rest.num_rows else []
        self.pending_rows = rest.num_rows

    def close(self) -> None:
        if self.pending_rows:
            self._write(self.pending_rows)
        self.writer.close()


class _Day:
    """The buffered rows and spilled runs of one request day."""

    def __init__(self, day: date) -> None:
        self.day = day
        self.batches: list[pa.RecordBatch] = []
        self.rows = 0
        self.runs: list[Path] = []

    def take(self) -> pa.Table:
        import pyarrow as pa

        table = pa.Table.from_batches(self.batches)
        self.batches, self.rows = [], 0
        return table


class SortedDayWriter:
    """Collect the typed rows of one raw partition by request day; :meth:`finish` writes one
    sorted Parquet file per day into ``workdir``.

    ``schema`` is the typed schema of the output (batches carry it plus :data:`SEQUENCE`);
    ``metadata`` goes into every file's key-value metadata.
    """

    def __init__(
        self,
        workdir: Path,
        schema: pa.Schema,
        row_group_rows: int,
        metadata: dict[str, str] | None = None,
    ) -> None:
        if row_group_rows < 1:
            raise ValueError("row_group_rows must be at least 1")
        self.workdir = workdir
        self.schema = schema.with_metadata({**(schema.metadata or {}), **(metadata or {})})
        self.row_group_rows = row_group_rows
        #: Rows per row group of a run: a merge reads one from each of FAN_IN runs at once.
        self.run_group_rows = max(_MIN_CHUNK, row_group_rows // (2 * FAN_IN))
        self.days: dict[date, _Day] = {}
        self.buffered = 0
        #: Runs spilled to disk so far (0 when everything fitted in memory).
        self.spilled_runs = 0
        self._files = 0

    def add(self, day: date, batch: pa.RecordBatch) -> None:
        """Rows of request day ``day`` (the typed columns plus :data:`SEQUENCE`)."""
        if not batch.num_rows:
            return
        state = self.days.get(day)
        if state is None:
            state = self.days[day] = _Day(day)
        state.batches.append(batch)
        state.rows += batch.num_rows
        self.buffered += batch.num_rows
        while self.buffered >= self.row_group_rows:
            self._spill(max(self.days.values(), key=lambda d: d.rows))

    def _new_run(self) -> Path:
        self._files += 1
        return self.workdir / f"run-{self._files:06d}.parquet"

    def _write_run(self, pieces: Iterator[pa.Table]) -> Path:
        """A sorted run file from sorted pieces, in small row groups (read back piecewise);
        fast compression and no statistics: it is read once."""
        import pyarrow.parquet as pq

        path = self._new_run()
        writer: pq.ParquetWriter | None = None
        for piece in pieces:
            if writer is None:
                writer = pq.ParquetWriter(path, piece.schema, compression="lz4")
            writer.write_table(piece, row_group_size=self.run_group_rows)
        if writer is not None:
            writer.close()
        return path

    def _spill(self, state: _Day) -> None:
        rows = state.rows
        state.runs.append(self._write_run(iter([_sorted(state.take())])))
        self.spilled_runs += 1
        self.buffered -= rows

    def _merged(self, runs: list[Path]) -> Iterator[pa.Table]:
        """The sorted rows of ``runs``, merging at most FAN_IN at a time (more runs are first
        merged into fewer, longer ones), so memory never depends on how many there are."""
        while len(runs) > FAN_IN:
            merged = []
            for start in range(0, len(runs), FAN_IN):
                group = runs[start : start + FAN_IN]
                merged.append(self._write_run(_merge_runs(group)) if len(group) > 1 else group[0])
                for path in group if len(group) > 1 else ():
                    path.unlink()
            runs = merged
        yield from _merge_runs(runs)
        for path in runs:
            path.unlink()

    def finish(self) -> list[DayFile]:
        """Write every day's file; the files in day order."""
        finished = []
        for day in sorted(self.days):
            state = self.days[day]
            path = self.workdir / f"day-{day.isoformat()}.parquet"
            output = _OutputFile(path, self.schema, self.row_group_rows)
            if not state.runs:
                output.add(_sorted(state.take()))
            else:
                if state.rows:
                    self._spill(state)
                for piece in self._merged(state.runs):
                    output.add(piece)
            output.close()
            finished.append(DayFile(day, path, output.rows, output.row_groups, path.stat().st_size))
        self.days.clear()
        self.buffered = 0
        return finished


def _merge_runs(paths: list[Path]) -> Iterator[pa.Table]:
    """The rows of sorted run files, merged: sorted slices. Each run is read one (small)
    row group at a time."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    def batches(path: Path) -> Iterator[pa.RecordBatch]:
        run = pq.ParquetFile(path)
        for index in range(run.metadata.num_row_groups):
            yield from run.read_row_group(index).to_batches()

    def load(stream: Iterator[pa.RecordBatch]) -> pa.Table | None:
        for batch in stream:
            if batch.num_rows:
                return _with_time_key(pa.Table.from_batches([batch]))
        return None

    heads: list[tuple[Iterator[pa.RecordBatch], pa.Table]] = []
    for path in paths:
        stream = batches(path)
        table = load(stream)
        if table is not None:
            heads.append((stream, table))
    while heads:
        # Every row up to the smallest of the chunks' last keys can be placed now: no row
        # still on disk sorts before it.
        bound = min(
            (table[_TIME_KEY][-1].as_py(), table[SEQUENCE][-1].as_py()) for _, table in heads
        )
        time_bound, sequence_bound = pa.scalar(bound[0]), pa.scalar(bound[1])
        pieces, remaining = [], []
        for stream, table in heads:
            times, sequence = table[_TIME_KEY], table[SEQUENCE]
            placed = pc.or_(
                pc.less(times, time_bound),
                pc.and_(pc.equal(times, time_bound), pc.less_equal(sequence, sequence_bound)),
            )
            count = pc.sum(placed).as_py() or 0  # a prefix: the run is sorted
            pieces.append(table.slice(0, count))
            rest: pa.Table | None = table.slice(count)
            if rest is not None and not rest.num_rows:
                rest = load(stream)
            if rest is not None:
                remaining.append((stream, rest))
        heads = remaining
        merged = pa.concat_tables(pieces)
        ordered = merged.sort_by([(_TIME_KEY, "ascending"), (SEQUENCE, "ascending")])
        yield ordered.drop_columns([_TIME_KEY])
