"""``--fix``: repair what a check found, without ever deleting the only copy of anything.

Every move goes through the mover's own :func:`~s3logs_athena.mover.move_object`, the code
path the Lambda runs: the copy is pinned to the ETag just seen, the target is verified,
and the source is deleted last. What is repaired:

* ``straggler`` (a log object still at its source): moved to its partition.
* ``duplicate`` of a source at its target: the target is first verified identical to the
  source (equal size and MD5 ETags, or equal SHA-256 of the bytes when an ETag is multipart
  or KMS); only then does the mover finish the move, removing the source.
* ``misplaced`` (a parseable key in the wrong day): moved to its delivery date's partition,
  by ``move_object(..., relocate_to=...)``.
* ``duplicate`` in two partitions: the extra copy is deleted once the kept copy is verified
  identical to it.

* ``uncompacted`` and ``compaction_mismatch``: the raw partition the finding names is
  compacted again (:func:`~s3logs_athena.table.compaction.compact_partition`, what
  ``s3logs-athena compact`` runs), after the moves, so objects just moved in are included.

Before any move, a *different* object already at the target stops the repair ("left"): it
may be the only copy of something. The mover never overwrites it either (its copy creates
the target only if it is free), so a target written between this look and the copy makes
the move ``rejected``, both objects kept. Keys that do not parse,
unknown keys, unprojected partitions and record-level findings are not repaired; they need a
person (or a new table projection). :func:`check_and_fix` checks again afterwards and
reports what remains.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any, Protocol

from ..errors import AwsError, S3LogsError
from ..layout import Layout
from .athena import RowCounter
from .aws import aws_errors
from .findings import CheckReport, Finding, FixSummary, Kind
from .scan import CheckConfig, Progress, run_check

__all__ = ["MoveFunction", "check_and_fix", "fix_findings", "fixable", "recompact"]

_GONE = {"404", "NoSuchKey", "NotFound"}
_CHUNK = 1 << 20


class MoveFunction(Protocol):
    """The mover's :func:`~s3logs_athena.mover.move_object` (the arguments used here)."""

    def __call__(
        self,
        s3: Any,
        *,
        bucket: str,
        key: str,
        layout: Layout,
        expected_etag: str | None = None,
        expected_size: int | None = None,
        relocate_to: str | None = None,
    ) -> Any: ...


def _default_move() -> MoveFunction:
    from ..mover import move_object

    return move_object


_COMPACTION = {Kind.UNCOMPACTED, Kind.COMPACTION_MISMATCH}


def fixable(finding: Finding) -> bool:
    """Whether ``--fix`` knows a safe repair for this finding."""
    if finding.kind in _COMPACTION:
        return finding.partition is not None
    if finding.key is None or finding.related is None:
        return False
    return finding.kind in {Kind.STRAGGLER, Kind.DUPLICATE, Kind.MISPLACED}


def _outcome(result: Any) -> tuple[str, str]:
    """A mover result's outcome and its explanation."""
    outcome = getattr(result, "outcome", result)
    return str(getattr(outcome, "value", outcome)), str(getattr(result, "error", None) or "")


def _etag(head: dict[str, Any]) -> str:
    return str(head.get("ETag", "")).strip('"')


class _Repairs:
    def __init__(self, s3: Any, bucket: str, layout: Layout, move: MoveFunction) -> None:
        self.s3 = s3
        self.bucket = bucket
        self.layout = layout
        self.move = move

    # -- S3 primitives ---------------------------------------------------------------------

    def head(self, key: str) -> dict[str, Any] | None:
        try:
            with aws_errors("HeadObject", bucket=self.bucket):
                return dict(self.s3.head_object(Bucket=self.bucket, Key=key))
        except AwsError as exc:
            if exc.code in _GONE:
                return None
            raise

    def digest(self, key: str) -> str:
        with aws_errors("GetObject", bucket=self.bucket):
            body = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"]
            digest = hashlib.sha256()
            with body:
                while chunk := body.read(_CHUNK):
                    digest.update(chunk)
        return digest.hexdigest()

    def identical(self, a: str, head_a: dict[str, Any], b: str, head_b: dict[str, Any]) -> bool:
        """Same bytes? Equal sizes and plain (MD5) ETags; otherwise a content hash of both
        (multipart and KMS ETags say nothing about the bytes)."""
        if head_a.get("ContentLength") != head_b.get("ContentLength"):
            return False
        kms = any(h.get("ServerSideEncryption", "").startswith("aws:kms") for h in (head_a, head_b))
        if not kms and "-" not in _etag(head_a) and "-" not in _etag(head_b):
            return _etag(head_a) == _etag(head_b)
        return self.digest(a) == self.digest(b)

    # -- repairs ----------------------------------------------------------------------

    def safe_move(self, key: str, target: str, *, relocate: bool = False) -> tuple[str, str]:
        """Move ``key`` to ``target`` with the mover, unless a *different* object is already
        at the target (it is nobody's spare copy; the mover would refuse, this says why sooner).
        ``relocate``
        moves a key that is already under the partition root (a misplaced one)."""
        source_head = self.head(key)
        if source_head is None:
            return "gone", "no longer there"
        target_head = self.head(target)
        if target_head is not None and not self.identical(key, source_head, target, target_head):
            return "left", f"a different object is at {target}: decide which copy is right"
        result = self.move(
            self.s3,
            bucket=self.bucket,
            key=key,
            layout=self.layout,
            expected_etag=_etag(source_head),
            expected_size=int(source_head.get("ContentLength", 0)),
            relocate_to=target if relocate else None,
        )
        return _outcome(result)

    def extra_copy(self, key: str, kept: str) -> tuple[str, str]:
        """Delete ``key`` once ``kept`` is verified to hold the same bytes."""
        copy_head, kept_head = self.head(key), self.head(kept)
        if copy_head is None:
            return "gone", "no longer there"
        if kept_head is None:
            return "left", f"{kept} is gone: this may be the only copy now"
        if not self.identical(key, copy_head, kept, kept_head):
            return "left", f"differs from {kept}: decide which copy is right"
        with aws_errors("DeleteObject", bucket=self.bucket):
            self.s3.delete_object(Bucket=self.bucket, Key=key)
        return "removed", f"identical to {kept}"

    def repair(self, finding: Finding) -> dict[str, Any]:
        assert finding.key is not None and finding.related is not None
        key, related = finding.key, finding.related
        work: Callable[[], tuple[str, str]]
        if finding.kind is Kind.STRAGGLER:
            action, work = "move", lambda: self.safe_move(key, related)
        elif finding.kind is Kind.MISPLACED:
            action, work = "relocate", lambda: self.safe_move(key, related, relocate=True)
        elif self.layout.is_partitioned(key):
            action, work = "remove_duplicate", lambda: self.extra_copy(key, related)
        else:
            action, work = "finish_move", lambda: self.safe_move(key, related)
        try:
            outcome, detail = work()
        except S3LogsError as exc:
            outcome, detail = "failed", str(exc)
        return {
            "action": action,
            "key": key,
            "target": related,
            "outcome": outcome,
            "detail": detail,
        }


def fix_findings(
    s3: Any,
    report: CheckReport,
    *,
    layout: Layout,
    move: MoveFunction | None = None,
    concurrency: int = 16,
    on_done: Callable[[dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """Repair the fixable findings of ``report``; one action record per finding."""
    repairs = _Repairs(s3, report.log_bucket, layout, move or _default_move())
    todo = [f for f in report.sorted_findings() if fixable(f) and f.kind not in _COMPACTION]
    actions: list[dict[str, Any]] = []
    with ThreadPoolExecutor(max(1, concurrency), thread_name_prefix="s3logs-fix") as pool:
        for action in pool.map(repairs.repair, todo):
            actions.append(action)
            if on_done is not None:
                on_done(action)
    return actions


def check_and_fix(
    s3: Any,
    config: CheckConfig,
    *,
    row_counter: RowCounter | None = None,
    progress: Progress | None = None,
    move: MoveFunction | None = None,
) -> CheckReport:
    """Check, repair what is safe to repair, check again. The returned report's findings
    are what remains; its ``fix`` says what was done and what was found first."""
    first = run_check(s3, config, row_counter=row_counter, progress=progress)
    summary = FixSummary(before=first.counts())
    if not any(fixable(f) for f in first.findings):
        first.fix = summary
        return first
    current = first
    if any(fixable(f) and f.kind not in _COMPACTION for f in first.findings):
        summary.actions = fix_findings(
            s3, first, layout=config.layout, move=move, concurrency=config.concurrency
        )
        current = run_check(s3, config, row_counter=row_counter, progress=progress)
    if any(f.kind in _COMPACTION for f in current.findings):
        # After the moves: a straggler just moved into a compacted partition is included.
        summary.actions += recompact(s3, current, layout=config.layout)
        current = run_check(s3, config, row_counter=row_counter, progress=progress)
    current.fix = summary
    return current


def _raw_partition(label: str) -> tuple[date, str]:
    """``Year=2024/Month=01/Day=02/app`` -> (2024-01-02, "app")."""
    year, month, day, bucket = label.split("/", 3)
    return (
        date(int(year.removeprefix("Year=")), int(month.removeprefix("Month=")),
             int(day.removeprefix("Day="))),
        bucket,
    )  # fmt: skip


def recompact(
    s3: Any, report: CheckReport, *, layout: Layout, concurrency: int = 4
) -> list[dict[str, Any]]:
    """Compact again every raw partition a compaction finding of ``report`` names; one
    action record per partition."""
    from ..table.compaction import CompactionSettings, compact_partition

    labels = sorted({f.partition for f in report.findings if f.kind in _COMPACTION and f.partition})
    settings = CompactionSettings(layout=layout)

    def one(label: str) -> dict[str, Any]:
        day, bucket = _raw_partition(label)
        try:
            manifest, _ = compact_partition(s3, report.log_bucket, day, bucket, settings)
        except S3LogsError as exc:
            outcome, detail = "failed", str(exc)
        else:
            outcome = "compacted"
            detail = f"{manifest.records} records from {manifest.objects} raw objects"
        key = settings.keys.manifest_key(day, bucket)
        return {"action": "compact", "key": key, "target": label, "outcome": outcome,
                "detail": detail}  # fmt: skip

    with ThreadPoolExecutor(max(1, concurrency), thread_name_prefix="s3logs-recompact") as pool:
        return list(pool.map(one, labels))
