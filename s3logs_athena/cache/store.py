"""The cache directory: typed Parquet partitions plus a manifest of what went into them.

Layout::

    <cache>/parquet/year=2024/month=1/day=5/bucket=b/<batch>.parquet
    <cache>/raw/<log bucket>/...           objects downloaded by ``sync``
    <cache>/manifest.sqlite3               format, objects, batches and their files, downloads

The files hold the typed columns (:mod:`s3logs_athena.cache.schema`), partitioned by each
record's request day (:mod:`s3logs_athena.cache.partitioning`). Every write is a *batch*: one
Parquet file per partition it touches, named after the batch. The manifest (SQLite, so every
step is a transaction) records which source object went into which batch with which
fingerprint, so a rerun skips unchanged objects and a changed object's old rows are removed
before its new rows go in.

**Adding typed rows** (the API for anything that already has typed rows, e.g. compacted
Parquet objects downloaded from the log bucket)::

    source = SourceObject(partition=(2024, 3, 1, "app-assets"), name="part-0.parquet",
                          fingerprint="etag=...;size=...")
    if not store.is_current(source):
        store.add_typed_batches(source, batches)   # typed_arrow_schema() record batches

``add_typed_batches`` replaces whatever rows ``source`` (same partition and name) brought
before and files every row under its own request day. ``replace_partition(partition,
[(source, batches), ...])`` goes further: the given sources become the *only* rows of that
cache partition (request day and bucket): rows other sources put there are removed, and later
ingests of raw objects skip their rows for it, so a partition synced from the compacted table
never holds a record twice, whatever was ingested before or after.

Crash safety: a batch is recorded as ``writing`` (with its file list) before any file is
written and becomes ``done`` in the same transaction that records its objects. Files of a batch
still ``writing`` when the cache is next opened are deleted, and their objects (never recorded)
are ingested again: a crash can cost work, never duplicate or lose rows. Files a replacement
makes obsolete are listed for deletion in the transaction that commits it.

**Format.** The manifest carries :data:`~s3logs_athena.cache.schema.CACHE_FORMAT`. A cache
written before (raw strings, by delivery day) is refused with one line saying how to rebuild
it (``rebuild=True``: drop the derived data, keep the downloads, ingest again).
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..errors import ConfigError, InputError
from ..table.schema import typed_arrow_schema
from .partitioning import Partition, SourceObject, partition_key, split_by_partition
from .schema import CACHE_FORMAT, PARQUET_DIR, SOURCE_COLUMN, data_schema

__all__ = [
    "CACHE_ENV",
    "CacheStore",
    "IngestedObject",
    "WriteResult",
    "check_cache_format",
    "default_cache_dir",
]

#: Environment variable naming the default cache directory.
CACHE_ENV = "S3LOGS_ATHENA_CACHE"
_MANIFEST = "manifest.sqlite3"
_ROW_GROUP = 1 << 18


def default_cache_dir() -> Path:
    """``$S3LOGS_ATHENA_CACHE``, else ``$XDG_CACHE_HOME/s3logs-athena``, else
    ``~/.cache/s3logs-athena``."""
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "s3logs-athena"


@dataclass(frozen=True)
class IngestedObject:
    """A source object as the manifest remembers it."""

    partition: Partition
    name: str
    fingerprint: str
    batch: str
    records: int
    failed: int


@dataclass(frozen=True)
class WriteResult:
    """What one batch wrote."""

    batch: str
    partitions_written: int
    rows_written: int
    #: Rows left out because their partition was replaced (``replace_partition``).
    rows_in_replaced_partitions: int


_SCHEMA_SQL = """
CREATE TABLE IF NOT EXISTS objects (
    partition TEXT NOT NULL, name TEXT NOT NULL, fingerprint TEXT NOT NULL,
    batch TEXT NOT NULL, records INTEGER NOT NULL, failed INTEGER NOT NULL,
    PRIMARY KEY (partition, name));
CREATE TABLE IF NOT EXISTS batches (id TEXT PRIMARY KEY, state TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS batch_files (batch TEXT NOT NULL, path TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS downloads (
    log_bucket TEXT NOT NULL, key TEXT NOT NULL, etag TEXT NOT NULL, size INTEGER NOT NULL,
    PRIMARY KEY (log_bucket, key));
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS replaced (partition TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS doomed (path TEXT PRIMARY KEY);
"""


def _format_message(root: Path, found: str | None) -> str:
    if found is None:
        written = "an older version of s3logs-athena (raw-string columns, by delivery day)"
    else:
        written = f"another version of s3logs-athena (cache format {found!r})"
    return (
        f"the cache {root} was written by {written}: rebuild it with "
        "`s3logs-athena sync ... --rebuild` or `s3logs-athena ingest DIR --rebuild` "
        "(objects already downloaded are reused), or delete the directory"
    )


def check_cache_format(root: Path | str) -> None:
    """Refuse (:class:`ConfigError`, one line) a cache this version cannot read; read-only."""
    root = Path(root).expanduser()
    manifest = root / _MANIFEST
    if manifest.is_file():
        # A file URI (read-only mode) needs an absolute path: users pass relative ones.
        uri = f"{manifest.resolve().as_uri()}?mode=ro"
        with closing(sqlite3.connect(uri, uri=True)) as db:
            try:
                row = db.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
            except sqlite3.OperationalError:  # no meta table: written before formats existed
                row = None
        found = None if row is None else str(row[0])
        if found == CACHE_FORMAT:
            return
        if found is not None or any((root / PARQUET_DIR).rglob("*.parquet")):
            raise ConfigError("--cache", _format_message(root, found))
        return
    first = next((root / PARQUET_DIR).rglob("*.parquet"), None)
    if first is not None and "request_time" not in pq.read_schema(first).names:
        raise ConfigError("--cache", _format_message(root, None))


class CacheStore:
    """One cache directory. Not thread-safe: use it from one thread (downloads report back to
    the thread that owns the store).

    ``rebuild=True`` empties a cache of another format (its Parquet files and what the
    manifest says went into them; downloads are kept) instead of refusing it."""

    def __init__(self, root: Path | str, *, rebuild: bool = False) -> None:
        self.root = Path(root).expanduser()
        if self.root.exists() and not self.root.is_dir():
            raise ConfigError("--cache", f"{self.root} exists and is not a directory")
        self.parquet_root = self.root / PARQUET_DIR
        self.parquet_root.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.root / _MANIFEST, isolation_level=None)
        try:
            self._db.executescript(_SCHEMA_SQL)
            self._check_format(rebuild)
            self._recover()
        except BaseException:
            self._db.close()
            raise

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> CacheStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _check_format(self, rebuild: bool) -> None:
        row = self._db.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
        found = None if row is None else str(row[0])
        if found == CACHE_FORMAT:
            return
        holds_data = (
            found is not None
            or self._db.execute("SELECT 1 FROM objects LIMIT 1").fetchone() is not None
            or any(self.parquet_root.rglob("*.parquet"))
        )
        if holds_data and not rebuild:
            raise ConfigError("--cache", _format_message(self.root, found))
        if holds_data:
            for path in self.parquet_root.rglob("*.parquet"):
                path.unlink()
        with self._transaction() as db:
            for table in ("objects", "batches", "batch_files", "replaced", "doomed"):
                db.execute(f"DELETE FROM {table}")  # fixed names, not input
            db.execute("INSERT OR REPLACE INTO meta VALUES ('format', ?)", (CACHE_FORMAT,))

    def _recover(self) -> None:
        """Delete the files of batches a crash left half-written, and obsolete files."""
        pending = [
            row[0] for row in self._db.execute("SELECT id FROM batches WHERE state != 'done'")
        ]
        for batch in pending:
            for (path,) in self._db.execute(
                "SELECT path FROM batch_files WHERE batch = ?", (batch,)
            ):
                (self.parquet_root / path).unlink(missing_ok=True)
            with self._transaction() as db:
                db.execute("DELETE FROM batch_files WHERE batch = ?", (batch,))
                db.execute("DELETE FROM batches WHERE id = ?", (batch,))
        self._delete_doomed()

    def _delete_doomed(self) -> None:
        for (path,) in self._db.execute("SELECT path FROM doomed").fetchall():
            (self.parquet_root / path).unlink(missing_ok=True)
        self._db.execute("DELETE FROM doomed")

    # -- objects --------------------------------------------------------------------------

    def known_objects(self) -> dict[tuple[str, str], IngestedObject]:
        """Every source object in the cache by (partition directory, name)."""
        return {
            (key, name): IngestedObject(_partition(key), name, fingerprint, batch, records, failed)
            for key, name, fingerprint, batch, records, failed in self._db.execute(
                "SELECT partition, name, fingerprint, batch, records, failed FROM objects"
            )
        }

    def is_current(self, source: SourceObject) -> bool:
        """Whether ``source`` is in the cache with this very fingerprint."""
        row = self._db.execute(
            "SELECT fingerprint FROM objects WHERE partition = ? AND name = ?",
            (partition_key(source.partition), source.name),
        ).fetchone()
        return row is not None and row[0] == source.fingerprint

    def remove_objects(self, objects: Iterable[IngestedObject]) -> None:
        """Drop the rows of ``objects`` from their batches' files (objects that changed)."""
        by_batch: dict[str, list[str]] = {}
        for obj in objects:
            by_batch.setdefault(obj.batch, []).append(
                SourceObject(obj.partition, obj.name, obj.fingerprint).key
            )
        for batch, keys in by_batch.items():
            for (path,) in self._db.execute(
                "SELECT path FROM batch_files WHERE batch = ?", (batch,)
            ).fetchall():
                if not _rewrite_without(self.parquet_root / path, keys):
                    self._db.execute("DELETE FROM batch_files WHERE path = ?", (path,))
        with self._transaction() as db:
            for obj in objects:
                db.execute(
                    "DELETE FROM objects WHERE partition = ? AND name = ?",
                    (partition_key(obj.partition), obj.name),
                )

    def replaced_partitions(self) -> set[Partition]:
        """Partitions whose rows come only from :meth:`replace_partition`."""
        return {_partition(key) for (key,) in self._db.execute("SELECT partition FROM replaced")}

    def write_rows(
        self,
        rows: pa.Table,
        sources: Sequence[SourceObject],
        *,
        failed: Mapping[int, int] | None = None,
        replacing: Partition | None = None,
    ) -> WriteResult:
        """Write typed ``rows`` (plus ``file``, an index into ``sources``) as one new batch,
        one file per request-day partition, and record every source (with its record count
        and ``failed`` lines by index). Rows of replaced partitions are left out, except for
        the partition being replaced (``replacing``)."""
        batch = uuid.uuid4().hex[:16]
        records = np.bincount(rows["file"].to_numpy(), minlength=len(sources))
        tables = split_by_partition(rows, sources)
        skipped = 0
        for partition in self.replaced_partitions() - {replacing}:
            if partition in tables:
                skipped += tables.pop(partition).num_rows
        relative = {p: f"{partition_key(p)}/{batch}.parquet" for p in tables}
        with self._transaction() as db:
            db.execute("INSERT INTO batches VALUES (?, 'writing')", (batch,))
            db.executemany(
                "INSERT INTO batch_files VALUES (?, ?)", [(batch, r) for r in relative.values()]
            )
        schema = data_schema()

        def write(partition: Partition) -> None:
            target = self.parquet_root / relative[partition]
            target.parent.mkdir(parents=True, exist_ok=True)
            temporary = target.with_suffix(".tmp")
            table = tables[partition].select(schema.names).cast(schema)
            pq.write_table(table, temporary, compression="zstd", row_group_size=_ROW_GROUP)
            temporary.replace(target)

        # pyarrow releases the GIL while encoding: partitions are written in parallel.
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            list(pool.map(write, tables))
        failures = failed or {}
        with self._transaction() as db:
            if replacing is not None:
                self._supersede(db, replacing, keep=batch)
            db.executemany(
                "INSERT OR REPLACE INTO objects VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (
                        partition_key(s.partition),
                        s.name,
                        s.fingerprint,
                        batch,
                        int(records[i]),
                        failures.get(i, 0),
                    )
                    for i, s in enumerate(sources)
                ],
            )
            db.execute("UPDATE batches SET state = 'done' WHERE id = ?", (batch,))
        self._delete_doomed()
        return WriteResult(batch, len(tables), sum(t.num_rows for t in tables.values()), skipped)

    def _supersede(self, db: sqlite3.Connection, partition: Partition, *, keep: str) -> None:
        """In the committing transaction: every other file of ``partition`` becomes obsolete
        (deleted right after), the sources that brought only those rows are forgotten, and
        the partition is marked replaced."""
        key = partition_key(partition)
        doomed = db.execute(
            "SELECT path FROM batch_files WHERE path LIKE ? ESCAPE '\\' AND batch != ?",
            (_like_prefix(key + "/"), keep),
        ).fetchall()
        db.executemany("INSERT OR IGNORE INTO doomed VALUES (?)", doomed)
        db.executemany("DELETE FROM batch_files WHERE path = ?", doomed)
        db.execute(
            "DELETE FROM objects WHERE partition = ? AND batch != ? AND batch NOT IN "
            "(SELECT batch FROM batch_files)",
            (key, keep),
        )
        db.execute("INSERT OR IGNORE INTO replaced VALUES (?)", (key,))

    def add_typed_batches(
        self, source: SourceObject, batches: Iterable[pa.RecordBatch], *, failed: int = 0
    ) -> WriteResult:
        """Put the typed rows of one source object into the cache, replacing the rows it
        brought before (same partition and name). ``batches`` have the typed schema
        (:func:`~s3logs_athena.table.schema.typed_arrow_schema`); ``failed`` counts the lines
        of the source that did not parse, for the record."""
        rows = _typed_rows(batches)
        previous = self.known_objects().get((partition_key(source.partition), source.name))
        if previous is not None:
            self.remove_objects([previous])
        return self.write_rows(_with_file_index(rows, 0), [source], failed={0: failed})

    def replace_partition(
        self,
        partition: Partition,
        parts: Sequence[tuple[SourceObject, Iterable[pa.RecordBatch]]],
    ) -> WriteResult:
        """Make ``parts`` the only rows of cache partition ``partition`` (request day and
        bucket): e.g. the objects of one compacted partition. Every row must belong to that
        partition (its request day; no request time is allowed); rows other sources put
        there are removed, and raw objects ingested later skip their rows for it."""
        tables = [_with_file_index(_typed_rows(batches), i) for i, (_, batches) in enumerate(parts)]
        sources = [source for source, _ in parts]
        rows = pa.concat_tables(tables) if tables else _with_file_index(_typed_rows([]), 0)
        stray = set(split_by_partition(rows, sources)) - {partition}
        if stray or any(s.partition[3] != partition[3] for s in sources):
            raise InputError(
                f"rows for partition {partition_key(partition)} include other request days or "
                f"buckets: {sorted(partition_key(p) for p in stray)[:3]}"
            )
        return self.write_rows(rows, sources, replacing=partition)

    # -- downloads ------------------------------------------------------------------------

    def downloads(self, log_bucket: str) -> dict[str, tuple[str, int]]:
        """Objects already downloaded from ``log_bucket``: key -> (ETag, size)."""
        return {
            key: (etag, size)
            for key, etag, size in self._db.execute(
                "SELECT key, etag, size FROM downloads WHERE log_bucket = ?", (log_bucket,)
            )
        }

    def record_download(self, log_bucket: str, key: str, etag: str, size: int) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO downloads VALUES (?, ?, ?, ?)", (log_bucket, key, etag, size)
        )

    def raw_dir(self, log_bucket: str) -> Path:
        """Where ``sync`` keeps the objects of ``log_bucket`` (a mirror of its keys)."""
        return self.root / "raw" / log_bucket

    # -- reading --------------------------------------------------------------------------

    def parquet_files(self) -> list[Path]:
        return sorted(self.parquet_root.glob("year=*/month=*/day=*/bucket=*/*.parquet"))


def _partition(key: str) -> Partition:
    parts = dict(segment.split("=", 1) for segment in key.split("/"))
    return (int(parts["year"]), int(parts["month"]), int(parts["day"]), parts["bucket"])


def _like_prefix(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def _typed_rows(batches: Iterable[pa.RecordBatch]) -> pa.Table:
    """Record batches as one table of the typed schema (``InputError`` if they are not)."""
    schema = typed_arrow_schema()
    tables = []
    for batch in batches:
        if batch.schema.names != schema.names:
            raise InputError(
                f"typed rows must have the typed columns {schema.names}, got {batch.schema.names}"
            )
        tables.append(pa.Table.from_batches([batch]).cast(schema))
    return pa.concat_tables(tables) if tables else schema.empty_table()


def _with_file_index(rows: pa.Table, index: int) -> pa.Table:
    return rows.append_column("file", pa.array(np.full(rows.num_rows, index, dtype=np.int32)))


def _rewrite_without(path: Path, keys: list[str]) -> bool:
    """Rewrite one Parquet file without the rows of the given sources; False (and no file)
    if nothing is left."""
    if not path.exists():
        return False
    wanted = pa.array(keys, type=pa.string())
    # The bookkeeping column alone first: most files of a batch hold none of the sources.
    sources = pq.ParquetFile(path).read(columns=[SOURCE_COLUMN])[SOURCE_COLUMN]
    if not pc.any(pc.is_in(sources, value_set=wanted)).as_py():
        return True
    table = pq.ParquetFile(path).read()
    keep = table.filter(pc.invert(pc.is_in(table[SOURCE_COLUMN], value_set=wanted)))
    if not keep.num_rows:
        path.unlink()
        return False
    temporary = path.with_suffix(".tmp")
    pq.write_table(keep, temporary, compression="zstd", row_group_size=_ROW_GROUP)
    temporary.replace(path)
    return True
