"""The local cache: log objects turned into Parquet partitions the DuckDB engine queries.

``ingest`` reads a local copy of the partitioned logs; ``sync`` downloads a date range from
the log bucket first. Both skip objects already in the cache and report lines that do not
parse.
"""

from __future__ import annotations

from .local import IngestReport, find_log_files, ingest, ingest_files
from .remote import SyncReport, sync
from .store import CACHE_ENV, CacheStore, default_cache_dir

__all__ = [
    "CACHE_ENV",
    "CacheStore",
    "IngestReport",
    "SyncReport",
    "default_cache_dir",
    "find_log_files",
    "ingest",
    "ingest_files",
    "sync",
]
