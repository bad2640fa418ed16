"""Where log objects live: the source key formats S3 delivers, and our partitioned layout.

S3 delivers each log object under one of two key formats (set per source bucket in its
logging configuration):

* **SimplePrefix**: ``<prefix>YYYY-MM-DD-hh-mm-ss-<UniqueString>``. In a central log bucket
  the prefix names the source bucket; which part of it is the bucket is configurable with a
  pattern such as ``{bucket}/`` (the default) or ``logs/{bucket}/``.
* **PartitionedPrefix**: ``<prefix><account>/<region>/<bucket>/YYYY/MM/DD/YYYY-MM-DD-hh-mm-ss-
  <UniqueString>``; S3 names the bucket itself.

The mover moves each to ``<root>Year=YYYY/Month=MM/Day=DD/<bucket>/<file name>`` (root
``PartitionedLogs/`` by default), the layout the Athena table projects. Compaction
(:mod:`s3logs_athena.table.compaction`) writes Parquet under a second root
(``CompactedLogs/`` by default) in the same ``Year=/Month=/Day=/<bucket>/`` layout; nothing
under either root is ever a source log object, whatever its name.

**Which date partitions a file.** For SimplePrefix, the date in the file name: when S3
*delivered* the file. For PartitionedPrefix, the ``YYYY/MM/DD`` directories: with the
bucket's ``PartitionDateSource`` = ``DeliveryTime`` the delivery day (as for SimplePrefix);
with ``EventTime`` (S3's default) the day the requests were made, and AWS documents that such
an object holds that one day only (its file name's time is ``00-00-00``). In every case the
partition day equals the date in the file name. S3 delivers records minutes to hours after the
request, so with delivery-time dates a file in ``Day=DD`` can hold records from before midnight
of the *previous* day. The records of a day D therefore lie in partitions D and D+1: a query
over ``[start, end)`` reads the partitions from ``start``'s day through the day after its last
day, and filters on the request time exactly; the query templates do.

Keys in neither format are a :class:`~s3logs_athena.errors.KeyFormatError`: the mover never
touches what it does not recognise. Everything here is pure (no I/O).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from .errors import InputError, KeyFormatError

__all__ = [
    "DEFAULT_COMPACTED_ROOT",
    "DEFAULT_DATABASE",
    "DEFAULT_PARTITION_ROOT",
    "DEFAULT_SOURCE_PATTERN",
    "DEFAULT_TABLE",
    "PARTITION_COLUMNS",
    "KeyFormat",
    "Layout",
    "PartitionColumn",
    "SourceKey",
    "TargetKey",
    "validate_bucket_name",
    "validate_key_prefix",
]

DEFAULT_PARTITION_ROOT = "PartitionedLogs/"
#: Key prefix of the compacted (Parquet) table in the log bucket.
DEFAULT_COMPACTED_ROOT = "CompactedLogs/"
DEFAULT_SOURCE_PATTERN = "{bucket}/"
#: Default Athena/Glue names of the table over the partitioned logs (AWS's docs use
#: ``s3_access_logs_db``); the DDL generator and the query templates share them.
DEFAULT_DATABASE = "s3_access_logs_db"
DEFAULT_TABLE = "s3_access_logs"

# A log object's file name: delivery time (UTC) and a unique string.
_FILE_NAME = (
    r"(?P<file>(?P<fy>\d{4})-(?P<fm>\d\d)-(?P<fd>\d\d)"
    r"-(?P<fH>\d\d)-(?P<fM>\d\d)-(?P<fS>\d\d)-[0-9A-Za-z]{1,64})"
)
# Bucket names as they appear in keys: lenient enough for legacy names (uppercase, '_').
_KEY_BUCKET = r"(?P<bucket>[A-Za-z0-9][A-Za-z0-9._-]{0,254})"
_PARTITIONED = re.compile(
    r"(?P<prefix>(?:.*/)?)(?P<account>\d{12})/(?P<region>[a-z]{2}(?:-[a-z]+)+-\d{1,2})/"
    + _KEY_BUCKET
    + r"/(?P<y>\d{4})/(?P<m>\d\d)/(?P<d>\d\d)/"
    + _FILE_NAME
)


@dataclass(frozen=True, slots=True)
class PartitionColumn:
    """A partition column of the table: its name, Athena type and key segment label."""

    name: str
    athena_type: str
    #: ``Year`` for the ``Year=YYYY`` segment; ``None`` for a bare segment (the bucket).
    key_label: str | None
    #: Zero-padded width of the value in keys (``Month=03``), for integer projection.
    digits: int | None = None


PARTITION_COLUMNS: tuple[PartitionColumn, ...] = (
    PartitionColumn("year", "int", "Year", 4),
    PartitionColumn("month", "int", "Month", 2),
    PartitionColumn("day", "int", "Day", 2),
    PartitionColumn("bucket", "string", None),
)


class KeyFormat(enum.Enum):
    SIMPLE = "SimplePrefix"
    PARTITIONED = "PartitionedPrefix"


@dataclass(frozen=True, slots=True)
class SourceKey:
    """A log object key as S3 delivered it."""

    key: str
    format: KeyFormat
    bucket: str
    #: The day that partitions this file (see the module docstring).
    day: date
    #: When S3 wrote the file (from its name), UTC.
    delivered_at: datetime
    file_name: str
    account_id: str | None = None
    region: str | None = None


@dataclass(frozen=True, slots=True)
class TargetKey:
    """A key under the partition root, taken apart."""

    key: str
    day: date
    bucket: str
    file_name: str
    #: When S3 wrote the file (from its name), UTC.
    delivered_at: datetime

    @property
    def partition(self) -> dict[str, int | str]:
        return {"year": self.day.year, "month": self.day.month, "day": self.day.day,
                "bucket": self.bucket}  # fmt: skip


def _delivery_time(match: re.Match[str], key: str) -> datetime:
    try:
        return datetime(
            int(match["fy"]), int(match["fm"]), int(match["fd"]),
            int(match["fH"]), int(match["fM"]), int(match["fS"]), tzinfo=UTC,
        )  # fmt: skip
    except ValueError as exc:
        raise KeyFormatError(key, f"file name has an invalid time ({exc})") from None


def _day(year: str, month: str, day: str, key: str) -> date:
    try:
        return date(int(year), int(month), int(day))
    except ValueError as exc:
        raise KeyFormatError(key, f"invalid date {year}-{month}-{day} ({exc})") from None


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    if pattern.count("{bucket}") != 1:
        raise InputError(
            f"source key pattern {pattern!r} must contain {{bucket}} exactly once, "
            "e.g. '{bucket}/' or 'logs/{bucket}/'"
        )
    before, after = pattern.split("{bucket}")
    if "{" in before + after or "}" in before + after:
        raise InputError(
            f"source key pattern {pattern!r}: only the {{bucket}} placeholder is known"
        )
    if pattern.startswith("/"):
        raise InputError(f"source key pattern {pattern!r} must not start with '/'")
    return re.compile(re.escape(before) + _KEY_BUCKET + re.escape(after) + _FILE_NAME)


def validate_key_prefix(root: str, kind: str = "partition root", example: str = "") -> str:
    """Return ``root`` if it is a usable key prefix (not empty, no leading ``/``, ends with
    ``/``, no empty segment), else raise :class:`InputError`."""
    example = example or DEFAULT_PARTITION_ROOT
    if not root or root.startswith("/") or not root.endswith("/") or "//" in root:
        raise InputError(
            f"{kind} {root!r} must be a key prefix like {example!r} "
            "(not empty, no leading '/', ending with '/')"
        )
    return root


@dataclass(frozen=True)
class Layout:
    """The partition root, the SimplePrefix source pattern and the compacted root of one
    central log bucket."""

    partition_root: str = DEFAULT_PARTITION_ROOT
    source_pattern: str = DEFAULT_SOURCE_PATTERN
    compacted_root: str = DEFAULT_COMPACTED_ROOT
    _simple: re.Pattern[str] = field(init=False, repr=False, compare=False)
    _target: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        root = self.partition_root
        validate_key_prefix(root, "partition root", DEFAULT_PARTITION_ROOT)
        validate_key_prefix(self.compacted_root, "compacted root", DEFAULT_COMPACTED_ROOT)
        object.__setattr__(self, "_simple", _pattern_regex(self.source_pattern))
        object.__setattr__(
            self,
            "_target",
            re.compile(
                re.escape(root)
                + r"Year=(?P<y>\d{4})/Month=(?P<m>\d\d)/Day=(?P<d>\d\d)/"
                + _KEY_BUCKET
                + "/"
                + _FILE_NAME
            ),
        )

    def check_roots_apart(self) -> Layout:
        """``self``, if the partition root and the compacted root are separate prefixes
        (what the mover and compaction need: neither may hold the other's objects), else
        :class:`InputError`. (A layout used only to build keys need not be checked.)"""
        root, compacted = self.partition_root, self.compacted_root
        if root.startswith(compacted) or compacted.startswith(root):
            raise InputError(
                f"the partition root {root!r} and the compacted root {compacted!r} "
                "must not contain one another: choose two separate prefixes"
            )
        return self

    # -- classification ---------------------------------------------------------------

    def is_partitioned(self, key: str) -> bool:
        """Whether ``key`` is under the partition root (the mover's loop guard)."""
        return key.startswith(self.partition_root)

    def is_compacted(self, key: str) -> bool:
        """Whether ``key`` is under the compacted root: compaction's Parquet objects,
        manifests and rejects, which the mover and the checker never treat as logs."""
        return key.startswith(self.compacted_root)

    def parse_source_key(self, key: str) -> SourceKey:
        """Take apart a key S3 delivered. Raises :class:`KeyFormatError` for anything else,
        including keys already under the partition root or the compacted root."""
        if self.is_partitioned(key):
            raise KeyFormatError(key, f"already under the partition root {self.partition_root!r}")
        if self.is_compacted(key):
            raise KeyFormatError(
                key, f"under the compacted root {self.compacted_root!r}: not a log object"
            )
        match = _PARTITIONED.fullmatch(key)
        if match is not None:
            return SourceKey(
                key=key,
                format=KeyFormat.PARTITIONED,
                bucket=match["bucket"],
                day=_day(match["y"], match["m"], match["d"], key),
                delivered_at=_delivery_time(match, key),
                file_name=match["file"],
                account_id=match["account"],
                region=match["region"],
            )
        match = self._simple.fullmatch(key)
        if match is not None:
            delivered_at = _delivery_time(match, key)
            return SourceKey(
                key=key,
                format=KeyFormat.SIMPLE,
                bucket=match["bucket"],
                day=delivered_at.date(),
                delivered_at=delivered_at,
                file_name=match["file"],
            )
        raise KeyFormatError(
            key,
            "not a server access log key: expected "
            f"'{self.source_pattern}YYYY-MM-DD-hh-mm-ss-<unique>' (SimplePrefix) or "
            "'<prefix><account>/<region>/<bucket>/YYYY/MM/DD/YYYY-MM-DD-hh-mm-ss-<unique>' "
            "(PartitionedPrefix)",
        )

    def parse_target_key(self, key: str) -> TargetKey:
        """Take apart a key under the partition root. Raises :class:`KeyFormatError`."""
        match = self._target.fullmatch(key)
        if match is None:
            raise KeyFormatError(
                key,
                f"not a partitioned log key: expected '{self.partition_root}Year=YYYY/Month=MM/"
                "Day=DD/<bucket>/YYYY-MM-DD-hh-mm-ss-<unique>'",
            )
        return TargetKey(
            key=key,
            day=_day(match["y"], match["m"], match["d"], key),
            bucket=match["bucket"],
            file_name=match["file"],
            delivered_at=_delivery_time(match, key),
        )

    def classify(self, key: str) -> SourceKey | TargetKey:
        """A source key or a target key; :class:`KeyFormatError` if it is neither."""
        if self.is_partitioned(key):
            return self.parse_target_key(key)
        return self.parse_source_key(key)

    # -- building keys ----------------------------------------------------------------

    def target_key(self, source: SourceKey | str) -> str:
        """Where the mover puts a source log object."""
        if isinstance(source, str):
            source = self.parse_source_key(source)
        return self.partition_prefix(source.day, source.bucket) + source.file_name

    def partition_prefix(self, day: date, bucket: str | None = None) -> str:
        """The key prefix of one day's partition, or of one day and bucket."""
        prefix = (
            f"{self.partition_root}Year={day.year:04d}/Month={day.month:02d}/Day={day.day:02d}/"
        )
        return prefix if bucket is None else f"{prefix}{bucket}/"

    def source_prefix(self, bucket: str) -> str:
        """The key prefix under which SimplePrefix logs of ``bucket`` arrive."""
        return self.source_pattern.replace("{bucket}", bucket)

    def location_template(self, location: str) -> str:
        """Athena's ``storage.location.template`` for a table at ``location`` (which must
        be the ``s3://bucket/<partition root>`` URI), one placeholder per partition column."""
        segments = [
            f"{c.key_label}=${{{c.name}}}" if c.key_label else f"${{{c.name}}}"
            for c in PARTITION_COLUMNS
        ]
        return location.rstrip("/") + "/" + "/".join(segments) + "/"


# -- bucket names -----------------------------------------------------------------------

_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_IP_LIKE = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
_RESERVED_PREFIXES = ("xn--", "sthree-")
_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def validate_bucket_name(name: str) -> str:
    """Return ``name`` if it follows S3's general-purpose bucket naming rules, else raise
    :class:`InputError` saying which rule it breaks."""
    problem = None
    if not 3 <= len(name) <= 63:
        problem = "must be 3 to 63 characters long"
    elif not _BUCKET_NAME.fullmatch(name):
        problem = (
            "may contain only lowercase letters, digits, '.' and '-', and must begin and end "
            "with a letter or digit"
        )
    elif ".." in name or ".-" in name or "-." in name:
        problem = "must not contain '..', '.-' or '-.'"
    elif _IP_LIKE.fullmatch(name):
        problem = "must not look like an IP address"
    elif name.startswith(_RESERVED_PREFIXES) or name.endswith(_RESERVED_SUFFIXES):
        problem = "uses a prefix or suffix S3 reserves"
    if problem:
        raise InputError(f"invalid bucket name {name!r}: {problem}")
    return name
