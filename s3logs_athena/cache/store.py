"""The cache directory: Parquet partitions plus a manifest of what went into them.

Layout::

    <cache>/parquet/year=2024/month=1/day=5/bucket=b/<batch>.parquet
    <cache>/raw/<log bucket>/...           objects downloaded by ``sync``
    <cache>/manifest.sqlite3               objects ingested, batches, downloads

Every ingest run writes its new rows as *batches*: one Parquet file per partition it touches,
named after the batch. The manifest (SQLite, so every step is a transaction) records which log
object (by partition and file name) went into which batch with which fingerprint, so a rerun
skips unchanged objects, and a changed object's old rows are removed before its new rows go in.

Crash safety: a batch is recorded as ``writing`` (with its file list) before any file is
written and becomes ``done`` in the same transaction that records its objects. Files of a batch
still ``writing`` when the cache is next opened are deleted, and their objects (never recorded)
are ingested again: a crash can cost work, never duplicate or lose rows.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import ConfigError
from .schema import PARQUET_DIR, SOURCE_COLUMN, data_schema, partition_dir

__all__ = ["CACHE_ENV", "CacheStore", "IngestedObject", "default_cache_dir"]

#: Environment variable naming the default cache directory.
CACHE_ENV = "S3LOGS_ATHENA_CACHE"
_MANIFEST = "manifest.sqlite3"
Partition = tuple[int, int, int, str]


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
    """A log object as the manifest remembers it."""

    partition: Partition
    name: str
    fingerprint: str
    batch: str
    records: int
    failed: int


def _partition_key(partition: Partition) -> str:
    return partition_dir(*partition).as_posix()


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
"""


class CacheStore:
    """One cache directory. Not thread-safe: use it from one thread (downloads report back to
    the thread that owns the store)."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).expanduser()
        if self.root.exists() and not self.root.is_dir():
            raise ConfigError("--cache", f"{self.root} exists and is not a directory")
        self.parquet_root = self.root / PARQUET_DIR
        self.parquet_root.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.root / _MANIFEST, isolation_level=None)
        self._db.executescript(_SCHEMA_SQL)
        self._recover()

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

    def _recover(self) -> None:
        """Delete the files of batches a crash left half-written."""
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

    # -- objects --------------------------------------------------------------------------

    def known_objects(self) -> dict[tuple[str, str], IngestedObject]:
        """Every ingested object by (partition directory, file name)."""
        known: dict[tuple[str, str], IngestedObject] = {}
        for key, name, fingerprint, batch, records, failed in self._db.execute(
            "SELECT partition, name, fingerprint, batch, records, failed FROM objects"
        ):
            parts = dict(segment.split("=", 1) for segment in key.split("/"))
            partition = (
                int(parts["year"]),
                int(parts["month"]),
                int(parts["day"]),
                parts["bucket"],
            )
            known[(key, name)] = IngestedObject(
                partition, name, fingerprint, batch, records, failed
            )
        return known

    def remove_objects(self, objects: Iterable[IngestedObject]) -> None:
        """Drop the rows of ``objects`` from their Parquet files (objects that changed)."""
        by_file: dict[Path, list[str]] = {}
        for obj in objects:
            path = self.parquet_root / partition_dir(*obj.partition) / f"{obj.batch}.parquet"
            by_file.setdefault(path, []).append(obj.name)
        for path, names in by_file.items():
            if path.exists():
                _rewrite_without(path, names)
        with self._transaction() as db:
            for obj in objects:
                db.execute(
                    "DELETE FROM objects WHERE partition = ? AND name = ?",
                    (_partition_key(obj.partition), obj.name),
                )

    def write_batch(
        self,
        tables: dict[Partition, pa.Table],
        objects: list[tuple[Partition, str, str, int, int]],
    ) -> str:
        """Write one table per partition as a new batch and record its objects
        ``(partition, name, fingerprint, records, failed)``. Returns the batch id."""
        batch = uuid.uuid4().hex[:16]
        relative = {p: (partition_dir(*p) / f"{batch}.parquet").as_posix() for p in tables}
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
            pq.write_table(table, temporary, compression="zstd", row_group_size=1 << 18)
            temporary.replace(target)

        # pyarrow releases the GIL while encoding: partitions are written in parallel.
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            list(pool.map(write, tables))
        with self._transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO objects VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (_partition_key(p), name, fingerprint, batch, records, failed)
                    for p, name, fingerprint, records, failed in objects
                ],
            )
            db.execute("UPDATE batches SET state = 'done' WHERE id = ?", (batch,))
            db.execute("DELETE FROM batch_files WHERE batch = ?", (batch,))
        return batch

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


def _rewrite_without(path: Path, names: list[str]) -> None:
    """Rewrite one Parquet file without the rows of the given source objects."""
    temporary = path.with_suffix(".tmp")
    con = duckdb.connect()
    try:
        con.execute(
            f"COPY (SELECT * FROM read_parquet(?) WHERE {SOURCE_COLUMN} NOT IN "
            "(SELECT unnest(?::VARCHAR[]))) TO '" + str(temporary).replace("'", "''") + "' "
            "(FORMAT parquet, COMPRESSION zstd)",
            [str(path), names],
        )
    finally:
        con.close()
    temporary.replace(path)
