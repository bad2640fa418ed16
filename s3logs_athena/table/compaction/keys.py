"""Where compaction writes: every key is a pure function of the raw partition it came from.

Under the compacted root (``CompactedLogs/`` by default, :attr:`Layout.compacted_root`)::

    Year=YYYY/Month=MM/Day=DD/<bucket>/from-<raw day>.parquet     the table's data
    _manifests/Year=YYYY/Month=MM/Day=DD/<bucket>/manifest.json   one per raw partition
    _manifests/Year=YYYY/Month=MM/Day=DD/<bucket>/objects.jsonl.gz  its raw objects
    _manifests/Year=YYYY/Month=MM/Day=DD/<bucket>/pending.json    only while it is written
    _rejects/Year=YYYY/Month=MM/Day=DD/<bucket>/rejects.jsonl     unparseable lines, if any

A data object sits in the partition of its rows' **request day** and is named after the
**raw partition** (delivery day) it was compacted from: raw partition D of bucket B writes
``Day=D-1/B/from-D.parquet`` (the records S3 delivered late) and ``Day=D/B/from-D.parquet``.
Re-compacting D overwrites the same keys, never adds new ones for the same rows, and a
compacted partition holds one object per raw partition that contributed to it (two, usually:
its own day's and the next day's), however many raw objects there were.

Manifests and rejects are keyed by the raw partition, under ``_``-prefixed folders outside
every ``Year=`` partition directory, so Athena (which reads every object under a partition's
location) never sees them. Pure functions, standard library only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from ...errors import InputError
from ...layout import DEFAULT_COMPACTED_ROOT, validate_key_prefix

__all__ = ["MANIFESTS", "REJECTS", "CompactedKeys", "OutputKey"]

MANIFESTS = "_manifests/"
REJECTS = "_rejects/"
_KEY_BUCKET = r"(?P<bucket>[A-Za-z0-9][A-Za-z0-9._-]{0,254})"
_BUCKET = re.compile(_KEY_BUCKET)
_DAY = r"Year=(?P<y>\d{4})/Month=(?P<m>\d\d)/Day=(?P<d>\d\d)/"


@dataclass(frozen=True, slots=True)
class OutputKey:
    """A data object's key taken apart."""

    key: str
    request_day: date
    bucket: str
    raw_day: date


def _day_path(day: date) -> str:
    return f"Year={day.year:04d}/Month={day.month:02d}/Day={day.day:02d}/"


def _bucket(name: str) -> str:
    """A bucket name as partitions hold it (legacy names included); never a path."""
    if not _BUCKET.fullmatch(name):
        raise InputError(f"{name!r} is not a bucket name")
    return name


def _date(match: re.Match[str], prefix: str = "") -> date | None:
    try:
        return date(int(match[prefix + "y"]), int(match[prefix + "m"]), int(match[prefix + "d"]))
    except ValueError:
        return None


@dataclass(frozen=True)
class CompactedKeys:
    """The keys of the compacted table under ``root``."""

    root: str = DEFAULT_COMPACTED_ROOT
    _output: re.Pattern[str] = field(init=False, repr=False, compare=False)
    _manifest: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        root = validate_key_prefix(self.root, "compacted root", DEFAULT_COMPACTED_ROOT)
        output = (
            re.escape(root) + _DAY + _KEY_BUCKET
            + r"/from-(?P<ry>\d{4})-(?P<rm>\d\d)-(?P<rd>\d\d)\.parquet"
        )  # fmt: skip
        manifest = re.escape(root + MANIFESTS) + _DAY + _KEY_BUCKET + r"/manifest\.json"
        object.__setattr__(self, "_output", re.compile(output))
        object.__setattr__(self, "_manifest", re.compile(manifest))

    # -- the table's data ---------------------------------------------------------------

    def partition_prefix(self, day: date, bucket: str | None = None) -> str:
        """The compacted partition of request day ``day`` (and ``bucket``)."""
        prefix = self.root + _day_path(day)
        return prefix if bucket is None else f"{prefix}{_bucket(bucket)}/"

    def output_key(self, request_day: date, bucket: str, raw_day: date) -> str:
        """The object holding the rows of ``request_day`` compacted from raw partition
        ``raw_day`` of ``bucket``."""
        return f"{self.partition_prefix(request_day, bucket)}from-{raw_day.isoformat()}.parquet"

    def parse_output_key(self, key: str) -> OutputKey | None:
        """``key`` taken apart, or ``None`` if it is not a data object's key."""
        match = self._output.fullmatch(key)
        if match is None:
            return None
        request_day, raw_day = _date(match), _date(match, "r")
        if request_day is None or raw_day is None:
            return None
        return OutputKey(key, request_day, match["bucket"], raw_day)

    # -- bookkeeping, outside the partitions -------------------------------------------------

    @property
    def manifests_root(self) -> str:
        return self.root + MANIFESTS

    def _raw_folder(self, kind: str, raw_day: date, bucket: str) -> str:
        return f"{self.root}{kind}{_day_path(raw_day)}{_bucket(bucket)}/"

    def manifest_key(self, raw_day: date, bucket: str) -> str:
        """The manifest of raw partition ``raw_day``/``bucket``: written last."""
        return self._raw_folder(MANIFESTS, raw_day, bucket) + "manifest.json"

    def objects_key(self, raw_day: date, bucket: str) -> str:
        """The raw objects (file name, ETag, size) a manifest covers, gzipped JSON lines."""
        return self._raw_folder(MANIFESTS, raw_day, bucket) + "objects.jsonl.gz"

    def pending_key(self, raw_day: date, bucket: str) -> str:
        """The outputs a compaction is about to write; exists only until its manifest is."""
        return self._raw_folder(MANIFESTS, raw_day, bucket) + "pending.json"

    def rejects_key(self, raw_day: date, bucket: str) -> str:
        """The unparseable lines of a raw partition (JSON lines with key and line number)."""
        return self._raw_folder(REJECTS, raw_day, bucket) + "rejects.jsonl"

    def parse_manifest_key(self, key: str) -> tuple[date, str] | None:
        """(raw day, bucket) of a manifest key, or ``None``."""
        match = self._manifest.fullmatch(key)
        if match is None:
            return None
        day = _date(match)
        return None if day is None else (day, match["bucket"])
