"""``--fix``: repair what a check found, without ever deleting the only copy of anything.

What is repaired, and how:

* ``straggler`` (a log object still at its source): moved by the mover's own
  :func:`s3logs_athena.mover.move_object`, the code path the Lambda runs (copy only the
  object seen, verify the target, delete the source only after that).
* ``duplicate`` of a source at its target: the target is verified identical to the source
  first (ETag and size, or the bytes when the ETags cannot be compared); only then does
  the mover's ``move_object`` finish the move, removing the source. A target that differs
  is left alone and reported: someone has to decide which copy is right.
* ``duplicate`` in two partitions: the extra copy is deleted once the kept copy is verified
  identical to it; copies that differ are left.
* ``misplaced`` (a parseable key in the wrong day): moved to its delivery date's partition
  with the same discipline (conditional copy, verify, then delete); an identical object
  already there makes the misplaced copy an extra copy, removed; a different one is left.

Keys that do not parse, unknown keys, unprojected partitions and record-level findings are
not repaired: they need a person (or a new table projection). After repairing, the caller
checks again (:func:`check_and_fix`) and reports what remains.
"""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from ..errors import AwsError, S3LogsError
from ..layout import Layout
from .athena import RowCounter
from .aws import aws_errors
from .findings import CheckReport, Finding, FixSummary, Kind
from .scan import CheckConfig, Progress, run_check

__all__ = ["MoveFunction", "check_and_fix", "fix_findings", "fixable"]

_GONE = {"404", "NoSuchKey", "NotFound"}
_CHUNK = 1 << 20


class MoveFunction(Protocol):
    """The mover's ``move_object`` (its keyword arguments this module uses)."""

    def __call__(self, s3: Any, *, bucket: str, key: str, layout: Layout) -> Any: ...


def _default_move() -> MoveFunction:
    try:
        module = importlib.import_module("s3logs_athena.mover")
    except ImportError as exc:  # pragma: no cover - the mover ships with the package
        raise S3LogsError(f"--fix needs the mover (s3logs_athena.mover): {exc}") from None
    move: MoveFunction = module.move_object
    return move


def fixable(finding: Finding) -> bool:
    """Whether ``--fix`` knows a safe repair for this finding."""
    if finding.key is None or finding.related is None:
        return False
    return finding.kind in {Kind.STRAGGLER, Kind.DUPLICATE, Kind.MISPLACED}


def _outcome(result: Any) -> tuple[str, str]:
    """The outcome of a mover result (an enum or a string) and its explanation."""
    outcome = getattr(result, "outcome", result)
    outcome = getattr(outcome, "value", outcome)
    detail = ""
    for name in ("detail", "reason", "error", "message"):
        value = getattr(result, name, None)
        if value:
            detail = str(value)
            break
    return str(outcome), detail


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
        """Same bytes? ETag and size when both are plain MD5 ETags, else a content hash."""
        if head_a.get("ContentLength") != head_b.get("ContentLength"):
            return False
        etag_a, etag_b = (str(h.get("ETag", "")).strip('"') for h in (head_a, head_b))
        if etag_a == etag_b and "-" not in etag_a:
            return True
        return self.digest(a) == self.digest(b)

    def delete(self, key: str) -> None:
        with aws_errors("DeleteObject", bucket=self.bucket):
            self.s3.delete_object(Bucket=self.bucket, Key=key)

    # -- repairs ----------------------------------------------------------------------

    def straggler(self, key: str) -> tuple[str, str]:
        return _outcome(self.move(self.s3, bucket=self.bucket, key=key, layout=self.layout))

    def source_duplicate(self, key: str, target: str) -> tuple[str, str]:
        source_head, target_head = self.head(key), self.head(target)
        if source_head is None:
            return "gone", "the source copy is no longer there"
        if target_head is None:
            return self.straggler(key)
        if not self.identical(key, source_head, target, target_head):
            return "left", f"{target} differs from the source: decide which copy is right"
        return self.straggler(key)

    def extra_copy(self, key: str, kept: str) -> tuple[str, str]:
        copy_head, kept_head = self.head(key), self.head(kept)
        if copy_head is None:
            return "gone", "the copy is no longer there"
        if kept_head is None:
            return "left", f"{kept} is gone: this may be the only copy now"
        if not self.identical(key, copy_head, kept, kept_head):
            return "left", f"differs from {kept}: decide which copy is right"
        self.delete(key)
        return "removed", f"identical to {kept}"

    def misplaced(self, key: str, target: str) -> tuple[str, str]:
        source_head = self.head(key)
        if source_head is None:
            return "gone", "the object is no longer there"
        target_head = self.head(target)
        if target_head is not None:
            outcome, detail = self.extra_copy(key, target)
            return ("already_moved", detail) if outcome == "removed" else (outcome, detail)
        etag = str(source_head.get("ETag", "")).strip('"')
        with aws_errors("CopyObject", bucket=self.bucket):
            self.s3.copy_object(
                Bucket=self.bucket,
                Key=target,
                CopySource={"Bucket": self.bucket, "Key": key},
                CopySourceIfMatch=f'"{etag}"',
                MetadataDirective="COPY",
            )
        target_head = self.head(target)
        if target_head is None or not self.identical(key, source_head, target, target_head):
            return "failed", f"the copy at {target} could not be verified; source kept"
        self.delete(key)
        return "moved", f"to {target}"

    def repair(self, finding: Finding) -> dict[str, Any]:
        assert finding.key is not None and finding.related is not None
        key, related = finding.key, finding.related
        work: Callable[[], tuple[str, str]]
        if finding.kind is Kind.STRAGGLER:
            action, work = "move", lambda: self.straggler(key)
        elif finding.kind is Kind.MISPLACED:
            action, work = "relocate", lambda: self.misplaced(key, related)
        elif self.layout.is_partitioned(key):
            action, work = "remove_duplicate", lambda: self.extra_copy(key, related)
        else:
            action, work = "finish_move", lambda: self.source_duplicate(key, related)
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
    todo = [f for f in report.sorted_findings() if fixable(f)]
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
    summary.actions = fix_findings(
        s3, first, layout=config.layout, move=move, concurrency=config.concurrency
    )
    final = run_check(s3, config, row_counter=row_counter, progress=progress)
    final.fix = summary
    return final
