"""Ingest a local directory of partitioned log objects into the cache.

The directory is laid out like the log bucket's partition root (``Year=YYYY/Month=MM/Day=DD/
<bucket>/<file>``), for example after ``aws s3 sync s3://central-logs/PartitionedLogs/ dir/``.
It may be the partition root itself or any directory above it. Each file is identified by
:meth:`~s3logs_athena.layout.Layout.parse_target_key` (its delivery day and bucket); files
that are not log objects are listed in the report and left alone. A gzipped copy
(``<file>.gz``, or any name whose content is gzip) is read transparently; other binary files
are listed as binary and left alone. Its records are typed once, here, and filed under their
own request day (:mod:`s3logs_athena.cache.partitioning`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from ..errors import InputError, KeyFormatError
from ..layout import DEFAULT_PARTITION_ROOT, Layout
from ..logfile import sniff_file
from ..parser import ParseReport
from .partitioning import SourceObject, partition_key
from .splitter import SourceFile, split_files_in_pieces
from .store import CacheStore, IngestedObject

__all__ = ["IngestReport", "find_log_files", "ingest", "ingest_files"]

#: Raw bytes handed to one split-and-write batch: big enough to keep DuckDB's threads busy,
#: small enough to bound memory (the batch's text and columns are in memory at once).
BATCH_BYTES = 256 << 20
_PARTITION_MARKER = "Year="


@dataclass
class IngestReport:
    """What an ingest did. ``parse`` holds line counts and examples of unparseable lines."""

    files_seen: int = 0
    files_ingested: int = 0
    files_unchanged: int = 0
    files_replaced: int = 0
    bytes_ingested: int = 0
    partitions_written: int = 0
    #: Records left out because their partition holds compacted rows instead.
    records_in_replaced_partitions: int = 0
    not_log_files: list[str] = field(default_factory=list)
    #: Files in the partition layout whose content is binary (not gzip): not logs.
    binary_files: list[str] = field(default_factory=list)
    parse: ParseReport = field(default_factory=ParseReport)


#: Called after each batch with (files done, files to do, bytes done).
Progress = Callable[[int, int, int], None]


def find_log_files(
    path: Path, layout: Layout | None = None, *, binary: list[str] | None = None
) -> tuple[list[SourceFile], list[str]]:
    """The log objects under ``path`` (and the files that are not log objects). Files named
    like log objects whose content is binary are appended to ``binary`` if given (else
    counted with the others that are not log objects)."""
    layout = layout or Layout()
    if not path.is_dir():
        raise InputError(f"{path} is not a directory (expected a copy of PartitionedLogs/)")
    found: list[SourceFile] = []
    strays: list[str] = []
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        relative = file.relative_to(path).as_posix()
        at = relative.find(_PARTITION_MARKER)
        if at < 0 or (at > 0 and relative[at - 1] != "/"):
            strays.append(relative)
            continue
        key = relative[at:].removesuffix(".gz")
        try:
            target = layout.parse_target_key(layout.partition_root + key)
        except KeyFormatError:
            strays.append(relative)
            continue
        if sniff_file(file) == "binary":
            (binary if binary is not None else strays).append(relative)
            continue
        stat = file.stat()
        found.append(
            SourceFile(
                path=file,
                name=target.file_name,
                year=target.day.year,
                month=target.day.month,
                day=target.day.day,
                bucket=target.bucket,
                fingerprint=f"size={stat.st_size};mtime_ns={stat.st_mtime_ns}",
            )
        )
    return found, strays


def ingest(
    path: Path | str,
    cache_dir: Path | str,
    *,
    layout: Layout | None = None,
    progress: Progress | None = None,
    rebuild: bool = False,
) -> IngestReport:
    """Ingest every log object under ``path`` into the cache at ``cache_dir``.

    Unchanged objects (same size and modification time as last time) are skipped; changed
    ones replace their earlier rows. Lines that do not parse are counted in the report.
    ``rebuild`` empties a cache written by another version first (else it is refused).
    """
    binary: list[str] = []
    files, strays = find_log_files(
        Path(path), layout or Layout(DEFAULT_PARTITION_ROOT), binary=binary
    )
    with CacheStore(cache_dir, rebuild=rebuild) as store:
        report = ingest_files(store, files, progress=progress)
    report.not_log_files = strays
    report.binary_files = binary
    return report


def ingest_files(
    store: CacheStore, files: Iterable[SourceFile], *, progress: Progress | None = None
) -> IngestReport:
    """Ingest ``files`` into ``store`` (new and changed ones; unchanged ones are skipped)."""
    report = IngestReport()
    known = store.known_objects()
    todo: list[SourceFile] = []
    changed: list[IngestedObject] = []
    for source in files:
        report.files_seen += 1
        key = (partition_key(source.partition), source.name)
        previous = known.get(key)
        if previous is not None and previous.fingerprint == source.fingerprint:
            report.files_unchanged += 1
            continue
        if previous is not None:
            changed.append(previous)
        todo.append(source)
    if changed:
        store.remove_objects(changed)
        report.files_replaced = len(changed)
    # Bucket and day order keeps each batch's files in few partitions (fewer, bigger files),
    # and its rows mostly in partition order already.
    todo.sort(key=lambda s: (s.bucket, s.year, s.month, s.day, s.name))
    done = 0
    con = duckdb.connect()
    try:
        for batch in _batches(todo):
            _ingest_batch(store, batch, report, con)
            done += len(batch)
            if progress is not None:
                progress(done, len(todo), report.bytes_ingested)
    finally:
        con.close()
    return report


def _batches(files: list[SourceFile]) -> Iterable[list[SourceFile]]:
    batch: list[SourceFile] = []
    size = 0
    for source in files:
        batch.append(source)
        size += source.path.stat().st_size
        if size >= BATCH_BYTES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _ingest_batch(
    store: CacheStore, batch: list[SourceFile], report: IngestReport, con: duckdb.DuckDBPyConnection
) -> None:
    parse = ParseReport()
    failures: dict[int, int] = {}
    pieces = split_files_in_pieces(batch, report=parse, connection=con, failures=failures)
    rows = pa.concat_tables(pieces)
    sources = [SourceObject(s.partition, s.name, s.fingerprint) for s in batch]
    written = store.write_rows(rows, sources, failed=failures)
    report.files_ingested += len(batch)
    report.bytes_ingested += sum(source.path.stat().st_size for source in batch)
    report.partitions_written += written.partitions_written
    report.records_in_replaced_partitions += written.rows_in_replaced_partitions
    report.parse.merge(parse)
