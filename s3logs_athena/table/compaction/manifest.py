"""The manifest of one compacted raw partition: what went in, what came out.

A raw partition (delivery day D, source bucket B) is compacted into a few Parquet objects;
its manifest, written *last*, says exactly what that compaction read and wrote::

    {"version": 1, "log_bucket": "central-logs",
     "raw_partition": {"day": "2024-03-05", "bucket": "app", "prefix": "PartitionedLogs/..."},
     "objects": {"count": 288, "bytes": 1234567, "digest": "<sha256>", "list": "<key>"},
     "lines": 57601, "blank": 0, "records": 57600, "rejects": 1,
     "outputs": [{"key": ".../Day=04/app/from-2024-03-05.parquet", "request_day":
                  "2024-03-04", "rows": 811, "bytes": 40213, "row_groups": 1}, ...],
     "rejects_key": ".../_rejects/.../rejects.jsonl" or null,
     "compacted_at": "2024-03-07T04:00:00+00:00", "compactor": "s3logs-athena 0.1.0",
     "row_group_rows": 131072}

``objects.digest`` is a SHA-256 over ``name TAB etag TAB size LF`` for every raw object in key
order (names relative to the partition prefix), the list itself (gzipped JSON lines) sits
beside the manifest. Whether a raw partition is up to date is one listing away: stream the
listing into :class:`ObjectDigest` and compare; memory stays constant however many objects
the partition holds. A raw object that is not in the manifest (delivered late, moved in later
by ``check --fix`` or ``backfill``), a changed or a removed one changes the digest: the raw
partition must be compacted again.

Invariants a reader may rely on (the checker verifies them): ``records`` = the sum of the
outputs' ``rows``; ``lines`` = ``records + blank + rejects``; every output is in the
partition of its ``request_day``. Standard library only.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ...errors import S3LogsError

__all__ = [
    "MANIFEST_VERSION",
    "Listing",
    "Manifest",
    "ManifestError",
    "ObjectDigest",
    "OutputFile",
]

MANIFEST_VERSION = 1


class ManifestError(S3LogsError):
    """A manifest that cannot be read (not JSON, another version, a missing field): the raw
    partition it describes is compacted again."""


@dataclass(frozen=True, slots=True)
class Listing:
    """What a raw partition holds, summed up: object count, bytes and digest."""

    count: int
    bytes: int
    digest: str


class ObjectDigest:
    """A running digest of a raw partition's objects, fed in key order."""

    def __init__(self) -> None:
        self._hash = hashlib.sha256()
        self.count = 0
        self.bytes = 0

    def add(self, name: str, etag: str, size: int) -> None:
        self._hash.update(f"{name}\t{etag}\t{size}\n".encode("utf-8", "surrogatepass"))
        self.count += 1
        self.bytes += size

    def hexdigest(self) -> str:
        return self._hash.hexdigest()

    def listing(self) -> Listing:
        return Listing(self.count, self.bytes, self.hexdigest())


@dataclass(frozen=True, slots=True)
class OutputFile:
    """One Parquet object a compaction wrote."""

    key: str
    request_day: date
    rows: int
    bytes: int
    row_groups: int

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "request_day": self.request_day.isoformat(),
            "rows": self.rows,
            "bytes": self.bytes,
            "row_groups": self.row_groups,
        }


@dataclass(frozen=True)
class Manifest:
    """What one compaction of raw partition (``raw_day``, ``bucket``) read and wrote."""

    log_bucket: str
    raw_day: date
    bucket: str
    raw_prefix: str
    objects: int
    raw_bytes: int
    digest: str
    objects_key: str
    lines: int
    blank: int
    records: int
    rejects: int
    outputs: tuple[OutputFile, ...]
    rejects_key: str | None
    compacted_at: str
    compactor: str
    row_group_rows: int
    version: int = field(default=MANIFEST_VERSION)

    @property
    def output_keys(self) -> frozenset[str]:
        return frozenset(output.key for output in self.outputs)

    @property
    def output_bytes(self) -> int:
        return sum(output.bytes for output in self.outputs)

    @property
    def request_days(self) -> tuple[date, ...]:
        return tuple(sorted({output.request_day for output in self.outputs}))

    def matches(self, listing: Listing) -> bool:
        """Whether the raw partition still holds exactly the objects compacted."""
        return (
            listing.count == self.objects
            and listing.bytes == self.raw_bytes
            and listing.digest == self.digest
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "log_bucket": self.log_bucket,
            "raw_partition": {
                "day": self.raw_day.isoformat(),
                "bucket": self.bucket,
                "prefix": self.raw_prefix,
            },
            "objects": {
                "count": self.objects,
                "bytes": self.raw_bytes,
                "digest": self.digest,
                "list": self.objects_key,
            },
            "lines": self.lines,
            "blank": self.blank,
            "records": self.records,
            "rejects": self.rejects,
            "outputs": [output.to_json() for output in self.outputs],
            "rejects_key": self.rejects_key,
            "compacted_at": self.compacted_at,
            "compactor": self.compactor,
            "row_group_rows": self.row_group_rows,
        }

    @classmethod
    def from_json(cls, document: Any) -> Manifest:
        """Read a manifest; :class:`ManifestError` if it is not one this version wrote."""
        try:
            if not isinstance(document, Mapping):
                raise TypeError("not a JSON object")
            if document.get("version") != MANIFEST_VERSION:
                raise ManifestError(
                    f"manifest version {document.get('version')!r}, expected {MANIFEST_VERSION}"
                )
            raw, objects = document["raw_partition"], document["objects"]
            outputs = tuple(
                OutputFile(
                    key=str(item["key"]),
                    request_day=date.fromisoformat(item["request_day"]),
                    rows=_count(item["rows"]),
                    bytes=_count(item["bytes"]),
                    row_groups=_count(item["row_groups"]),
                )
                for item in document["outputs"]
            )
            rejects_key = document["rejects_key"]
            return cls(
                log_bucket=str(document["log_bucket"]),
                raw_day=date.fromisoformat(raw["day"]),
                bucket=str(raw["bucket"]),
                raw_prefix=str(raw["prefix"]),
                objects=_count(objects["count"]),
                raw_bytes=_count(objects["bytes"]),
                digest=str(objects["digest"]),
                objects_key=str(objects["list"]),
                lines=_count(document["lines"]),
                blank=_count(document["blank"]),
                records=_count(document["records"]),
                rejects=_count(document["rejects"]),
                outputs=outputs,
                rejects_key=None if rejects_key is None else str(rejects_key),
                compacted_at=str(document["compacted_at"]),
                compactor=str(document["compactor"]),
                row_group_rows=_count(document["row_group_rows"]),
            )
        except ManifestError:
            raise
        except (KeyError, TypeError, ValueError) as exc:
            raise ManifestError(f"not a compaction manifest: {type(exc).__name__}: {exc}") from None

    def problems(self) -> list[str]:
        """Where the manifest contradicts itself (an empty list for a sound one)."""
        found = []
        rows = sum(output.rows for output in self.outputs)
        if rows != self.records:
            found.append(f"its outputs hold {rows} rows but it counts {self.records} records")
        if self.lines != self.records + self.blank + self.rejects:
            found.append(
                f"{self.lines} lines is not {self.records} records + {self.blank} blank + "
                f"{self.rejects} rejected"
            )
        if (self.rejects > 0) != (self.rejects_key is not None):
            found.append(f"{self.rejects} rejects but rejects_key is {self.rejects_key!r}")
        return found


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{value!r} is not a count")
    return value
