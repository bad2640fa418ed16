"""What became of one object: the outcome of a move and the result the callers report."""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = ["MoveOutcome", "MoveResult"]


class MoveOutcome(enum.Enum):
    """What became of one object. ``FAILED`` and ``REJECTED`` are failures for SQS (the
    message is redelivered and finally lands in the DLQ); the source is untouched."""

    #: Copied, verified, source deleted.
    MOVED = "moved"
    #: The target already held the object (a duplicate delivery, or an earlier attempt that
    #: stopped between copy and delete); the source is gone, deleted now if it was not.
    ALREADY_MOVED = "already_moved"
    #: Not a move at all: the key is already under the partition root (the loop guard).
    SKIPPED = "skipped"
    #: Retryable (not found yet, throttled, 5xx, timeout) and out of attempts or time.
    FAILED = "failed"
    #: Permanent until someone acts: a key in no log format, access denied, KMS, a source
    #: replaced by a different object, a different object already at the target.
    REJECTED = "rejected"

    @property
    def ok(self) -> bool:
        return self in (MoveOutcome.MOVED, MoveOutcome.ALREADY_MOVED, MoveOutcome.SKIPPED)


@dataclass(frozen=True, slots=True)
class MoveResult:
    outcome: MoveOutcome
    bucket: str
    key: str
    target_bucket: str | None
    target_key: str | None
    #: Attempts made (1 on the happy path).
    attempts: int
    #: Wall-clock seconds spent, waits included.
    elapsed: float
    #: For failures the cause (``AccessDenied: ... (CopyObject)``); for successes that need
    #: explaining (skipped, already moved, source replaced) a short note.
    error: str | None = None
    #: AWS's error code of the last failure, or ``KeyFormatError``.
    error_code: str | None = None
    size: int | None = None

    @property
    def ok(self) -> bool:
        return self.outcome.ok

    @property
    def retried(self) -> bool:
        return self.attempts > 1
