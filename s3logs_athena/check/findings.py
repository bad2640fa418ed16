"""What the checker reports: findings and the summary around them, in a stable JSON shape.

Automation reads ``s3logs-athena check --format json``, so the shape is a contract:

.. code-block:: json

    {"summary": {"schema_version": 1, "aligned": false, "...": "..."},
     "findings": [{"kind": "straggler", "key": "...", "partition": "...", "detail": "..."}]}

Every finding has exactly the four fields ``kind``, ``key`` (the object it is about, or
``null`` for a finding about a whole partition or the table), ``partition`` (the partition
as ``Year=YYYY/Month=MM/Day=DD/<bucket>``, or ``null`` when the object is in none) and
``detail`` (one line a person can act on). Findings are sorted by kind, partition and key so
two runs over the same data print the same document. ``tests/fixtures/check/golden.json``
pins the shape; bump ``SCHEMA_VERSION`` when it changes.
"""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

__all__ = [
    "SCHEMA_VERSION",
    "CheckReport",
    "Finding",
    "FixSummary",
    "Kind",
    "partition_label",
]

SCHEMA_VERSION = 2


class Kind(enum.Enum):
    """What is wrong. ``informational`` kinds are listed but do not make a check fail."""

    STRAGGLER = "straggler"
    MISPLACED = "misplaced"
    DUPLICATE = "duplicate"
    UNPROJECTED = "unprojected"
    UNKNOWN_KEY = "unknown_key"
    FOREIGN_RECORD = "foreign_record"
    OUT_OF_WINDOW = "out_of_window"
    UNPARSEABLE = "unparseable"
    EMPTY_OBJECT = "empty_object"
    ATHENA_MISMATCH = "athena_mismatch"
    UNCOMPACTED = "uncompacted"
    COMPACTION_MISMATCH = "compaction_mismatch"
    UNUSED_BUCKET_VALUE = "unused_bucket_value"

    @property
    def informational(self) -> bool:
        return self is Kind.UNUSED_BUCKET_VALUE


def partition_label(day: date, bucket: str) -> str:
    """``Year=2024/Month=01/Day=02/app``: the partition as it appears in keys (without the
    root), short enough for a table column and unambiguous for a script."""
    return f"Year={day.year:04d}/Month={day.month:02d}/Day={day.day:02d}/{bucket}"


_KIND_ORDER = {kind: index for index, kind in enumerate(Kind)}


@dataclass(frozen=True, slots=True)
class Finding:
    kind: Kind
    key: str | None
    partition: str | None
    detail: str
    #: The other key involved, for ``--fix``: a straggler's or misplaced object's target,
    #: the copy a duplicate duplicates. Not part of the JSON (the detail names it).
    related: str | None = field(default=None, compare=False)

    def sort_key(self) -> tuple[int, str, str, str]:
        """Kinds in declaration order, then partition, key and detail."""
        return (_KIND_ORDER[self.kind], self.partition or "", self.key or "", self.detail)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "key": self.key,
            "partition": self.partition,
            "detail": self.detail,
        }


@dataclass
class FixSummary:
    """What ``--fix`` did: one action per object it touched, and the findings it started
    from (the findings of the report are what remained afterwards)."""

    before: dict[str, int]
    actions: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        outcomes = Counter(str(action["outcome"]) for action in self.actions)
        return {
            "before": self.before,
            "actions": self.actions,
            "outcomes": dict(sorted(outcomes.items())),
        }


@dataclass
class CheckReport:
    """The result of one check: findings and the counts that put them in context."""

    log_bucket: str
    first_day: date
    last_day: date
    partition_root: str
    findings: list[Finding] = field(default_factory=list)
    buckets: set[str] = field(default_factory=set)
    partitions: int = 0
    objects_listed: int = 0
    partitioned_objects: int = 0
    source_objects: int = 0
    #: Source objects younger than the straggler threshold: the mover is still on them.
    in_flight: int = 0
    objects_read: int = 0
    deep: bool = False
    sample: int | None = None
    athena: bool = False
    #: Whether compaction was checked (the bucket has manifests, or it was asked for).
    compaction: bool = False
    fix: FixSummary | None = None
    #: The day partitions found per source bucket (for the compaction check; not in JSON).
    partition_days: dict[str, list[date]] = field(default_factory=dict)

    def add(
        self,
        kind: Kind,
        key: str | None,
        partition: str | None,
        detail: str,
        *,
        related: str | None = None,
    ) -> None:
        self.findings.append(Finding(kind, key, partition, detail, related))

    def counts(self) -> dict[str, int]:
        """Findings per kind, every kind present (zero included) so scripts can index it."""
        counted = Counter(finding.kind for finding in self.findings)
        return {kind.value: counted.get(kind, 0) for kind in Kind}

    @property
    def aligned(self) -> bool:
        """No finding other than informational ones."""
        return not any(not finding.kind.informational for finding in self.findings)

    def sorted_findings(self) -> list[Finding]:
        return sorted(self.findings, key=Finding.sort_key)

    def summary(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "aligned": self.aligned,
            "log_bucket": self.log_bucket,
            "from": self.first_day.isoformat(),
            "to": self.last_day.isoformat(),
            "partition_root": self.partition_root,
            "buckets": sorted(self.buckets),
            "partitions": self.partitions,
            "objects_listed": self.objects_listed,
            "partitioned_objects": self.partitioned_objects,
            "source_objects": self.source_objects,
            "in_flight": self.in_flight,
            "objects_read": self.objects_read,
            "deep": self.deep,
            "sample": self.sample,
            "athena": self.athena,
            "compaction": self.compaction,
            "counts": self.counts(),
            "fix": None if self.fix is None else self.fix.to_json(),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "summary": self.summary(),
            "findings": [finding.to_json() for finding in self.sorted_findings()],
        }
