"""The local cache: log objects typed once into Parquet partitions the DuckDB engine queries.

``ingest`` reads a local copy of the partitioned logs; ``sync`` downloads a date range from
the log bucket first. Both skip objects already in the cache and report lines that do not
parse. The files hold the typed schema, partitioned by each record's request day
(:mod:`.schema`, :mod:`.partitioning`); :class:`CacheStore` also takes typed rows of other
sources (:meth:`CacheStore.add_typed_batches`, :meth:`CacheStore.replace_partition`).
"""

from __future__ import annotations

from .local import IngestReport, find_log_files, ingest, ingest_files
from .partitioning import SourceObject
from .remote import SyncReport, sync
from .store import CACHE_ENV, CacheStore, default_cache_dir

__all__ = [
    "CACHE_ENV",
    "CacheStore",
    "IngestReport",
    "SourceObject",
    "SyncReport",
    "default_cache_dir",
    "find_log_files",
    "ingest",
    "ingest_files",
    "sync",
]
