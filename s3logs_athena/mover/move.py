"""Move one log object to its partition: the one code path the Lambda, ``backfill`` and the
checker's repairs all use.

A move is copy -> verify -> delete, and the order is the guarantee:

1. **Copy only the object the event describes, and only into a free target.**
   ``CopySourceIfMatch`` pins the copy to the event's ETag, so a newer object written under
   the same key is never moved in its place; ``IfNoneMatch='*'`` on the destination makes S3
   create the target and never replace an object already there (two source keys can name
   one target: a SimplePrefix and a PartitionedPrefix log with the same file name, or a
   crafted key). Objects over 5 GiB are copied in parts (:mod:`.multipart`), the upload
   completed under the same destination condition.
2. **Verify before deleting.** The copy's response is the verification: for a single-part
   source its ETag must equal the source's (an MD5, so the bytes are identical). Where that
   says nothing (a multipart-style source ETag, KMS, a multipart copy) a ``HeadObject`` of
   the target must show the expected size and the ETag the copy returned.
3. **Delete the source last**, with ``IfMatch`` on its ETag, so a newer object uploaded
   under the same key in between is left for its own event.

A ``412 PreconditionFailed`` on the copy means one of the two conditions did not hold, and
the target says which. It holds the source's object (same size and ETag, or the same bytes
where ETags cannot be compared): an earlier attempt or delivery copied it - already moved,
and the source is deleted as above. It holds a *different* object: rejected - the source is
kept, the item fails (its message ends in the DLQ) and the result names both keys and both
ETags. It is free: the source was replaced - rejected. ``409 ConditionalRequestConflict``
(a concurrent conditional write) is retried.

Every step is idempotent, so a crash anywhere leaves either the source (and maybe a copy of
it at the target, which the next attempt recognises) or a verified target whose source is
gone. ``NoSuchKey`` therefore means one of two things: the object was already moved (the
target holds it: success) or S3 has not caught up with the event yet (retry with backoff
until the deadline, then report failure so SQS redelivers; the source is never touched).

Happy path: 2 requests (the conditional CopyObject, the conditional DeleteObject) when the
caller knows the ETag and size (events and listings do); plus a HeadObject of the source
when it does not, and one of the target where the copy's ETag cannot vouch for the bytes.
"""

from __future__ import annotations

import contextlib
import hashlib
import random
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn

from ..errors import KeyFormatError
from ..layout import Layout
from .conditions import enable_conditions
from .multipart import MAX_PARTS, MULTIPART_THRESHOLD, PART_SIZE, multipart_copy
from .outcome import MoveOutcome, MoveResult
from .retry import ErrorKind, RetryPolicy, classify_error, describe_error, error_code

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

__all__ = [
    "MAX_PARTS",
    "MULTIPART_THRESHOLD",
    "PART_SIZE",
    "MoveOutcome",
    "MoveResult",
    "move_object",
]

_KMS = ("aws:kms", "aws:kms:dsse")
_CHUNK = 1 << 20


class _Transient(Exception):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


class _Permanent(_Transient):
    pass


def _plain_etag(etag: str | None) -> str | None:
    return etag.strip('"') if etag else None


def _is_multipart_etag(etag: str) -> bool:
    return "-" in etag


class _Move:
    """The state of one move across attempts."""

    def __init__(
        self,
        s3: S3Client,
        *,
        bucket: str,
        key: str,
        target_bucket: str,
        target_key: str,
        etag: str | None,
        size: int | None,
        multipart_threshold: int,
        part_size: int,
    ) -> None:
        self.s3 = s3
        self.bucket, self.key = bucket, key
        self.target_bucket, self.target_key = target_bucket, target_key
        #: What the event (or listing) says the source is. Filled in from a HeadObject of
        #: the source when the caller did not know.
        self.expected_etag, self.expected_size = etag, size
        self.multipart_threshold, self.part_size = multipart_threshold, part_size
        self.source_head: dict[str, Any] = {}
        self.verified = False  # the target holds the object: only the delete remains
        self.found_at_target = False  # ...because an earlier attempt or delivery copied it
        self.note: str | None = None

    # -- one S3 call, its failure sorted ------------------------------------------------

    def _call(self, operation: Callable[..., Any], **kwargs: Any) -> Any:
        try:
            return operation(**kwargs)
        except Exception as exc:
            kind = classify_error(exc)
            if kind is ErrorKind.PERMANENT:
                raise _Permanent(error_code(exc), describe_error(exc)) from exc
            raise _Lookup(kind, exc) from exc

    def _head(self, bucket: str, key: str) -> dict[str, Any] | None:
        """HeadObject; ``None`` when the object is not there."""
        try:
            return dict(self._call(self.s3.head_object, Bucket=bucket, Key=key))
        except _Lookup as exc:
            if exc.kind is ErrorKind.NOT_FOUND:
                return None
            raise

    # -- the attempt ----------------------------------------------------------------------

    def run_attempt(self) -> MoveOutcome:
        """One attempt; raises :class:`_Transient` (retry) or :class:`_Permanent`."""
        try:
            return self._attempt()
        except _AlreadyMovedSignal:
            return MoveOutcome.ALREADY_MOVED
        except _Lookup as exc:  # a step with nothing to decide about it: transient
            raise exc.transient() from exc

    def _attempt(self) -> MoveOutcome:
        if not self.verified:
            if self._needs_source_head() and not self._head_source():
                return self._already_moved_or_retry("NoSuchKey", "source not found")
            try:
                self._copy_or_recognise()
            except _Lookup as exc:
                if exc.kind is ErrorKind.NOT_FOUND:
                    return self._already_moved_or_retry(exc.code, exc.detail)
                raise
            self.verified = True
        return self._delete_source()

    def _needs_source_head(self) -> bool:
        return (
            self.expected_etag is None
            or self.expected_size is None
            or self.expected_size > self.multipart_threshold
        )

    def _head_source(self) -> bool:
        head = self._head(self.bucket, self.key)
        if head is None:
            return False
        etag = _plain_etag(head.get("ETag"))
        if self.expected_etag is not None and etag != self.expected_etag:
            self._source_replaced_or_moved(etag)
        self.expected_etag = etag
        self.expected_size = int(head.get("ContentLength", 0))
        self.source_head = head
        return True

    # -- copy and verify ------------------------------------------------------------------

    def _copy_or_recognise(self) -> None:
        """Copy into a free target and verify the copy; or, when the target is taken,
        recognise the source's object there (already moved) or reject the move."""
        large = self.expected_size is not None and self.expected_size > self.multipart_threshold
        if large:
            # The parts of a huge object are not copied only to find the target taken.
            taken = self._head(self.target_bucket, self.target_key)
            if taken is not None:
                self._recognise(taken)
                return
        try:
            copy_etag = self._multipart_copy() if large else self._copy()
        except _Lookup as exc:
            if exc.kind is not ErrorKind.PRECONDITION:
                raise
            self._recognise(self._head(self.target_bucket, self.target_key))
            return
        self._verify_copy(copy_etag, multipart=large)

    def _copy(self) -> str:
        response = self._call(
            self.s3.copy_object,
            Bucket=self.target_bucket,
            Key=self.target_key,
            CopySource={"Bucket": self.bucket, "Key": self.key},
            MetadataDirective="COPY",
            CopySourceIfMatch=f'"{self.expected_etag}"',
            IfNoneMatch="*",
        )
        return _plain_etag(response.get("CopyObjectResult", {}).get("ETag")) or ""

    def _multipart_copy(self) -> str:
        return multipart_copy(
            self._call,
            self.s3,
            source_head=self.source_head,
            bucket=self.bucket,
            key=self.key,
            etag=self.expected_etag or "",
            target_bucket=self.target_bucket,
            target_key=self.target_key,
            part_size=self.part_size,
        )

    def _verify_copy(self, copy_etag: str, *, multipart: bool) -> None:
        """The copy's ETag equal to the source's single-part ETag proves identical bytes:
        nothing more to ask. Otherwise the target must show the expected size and the ETag
        the copy returned."""
        source_etag = self.expected_etag or ""
        if (
            not multipart
            and source_etag
            and not _is_multipart_etag(source_etag)
            and copy_etag == source_etag
        ):
            return
        head = self._head(self.target_bucket, self.target_key)
        if head is None:
            raise _Transient("TargetMissing", "target not found right after the copy")
        size = int(head.get("ContentLength", -1))
        etag = _plain_etag(head.get("ETag")) or ""
        problems = []
        if self.expected_size is not None and size != self.expected_size:
            problems.append(f"size {size} != {self.expected_size}")
        if copy_etag and etag != copy_etag:
            problems.append(f"ETag {etag} != the copy's {copy_etag}")
        if problems:
            raise _Transient("TargetMismatch", "target not verified: " + "; ".join(problems))

    # -- a precondition failed: what is at the target? ----------------------------------

    def _recognise(self, target: dict[str, Any] | None) -> None:
        """The target says which condition failed (it is ``None`` when it is free)."""
        if target is None:
            # The destination was free, so the source condition failed.
            raise _Permanent(
                "PreconditionFailed",
                f"source ETag is no longer {self.expected_etag}: the object was replaced "
                "before it could be moved",
            )
        if not self._holds_source(target):
            raise _Permanent(
                "TargetExists",
                f"a different object is already at the target {self.target_bucket}/"
                f"{self.target_key} (ETag {_plain_etag(target.get('ETag'))}, "
                f"{target.get('ContentLength')} bytes); the source {self.bucket}/{self.key} "
                f"(ETag {self.expected_etag}, {self.expected_size} bytes) was not moved and "
                "is kept: decide which object belongs at the target",
            )
        self.found_at_target = True
        self.note = "the target already held this object (an earlier attempt copied it)"

    def _holds_source(self, target: dict[str, Any]) -> bool:
        """Is the object at the target the source's? The same size, and the same ETag or -
        where the ETags do not both stand for the bytes (multipart-style, KMS, or nothing
        known about the source's encryption) - the same bytes."""
        if int(target.get("ContentLength", -1)) != self.expected_size:
            return False
        etag = _plain_etag(target.get("ETag")) or ""
        if etag == self.expected_etag:
            return True
        both_md5 = (
            bool(self.source_head)
            and not _is_multipart_etag(etag)
            and not _is_multipart_etag(self.expected_etag or "-")
            and target.get("ServerSideEncryption") not in _KMS
            and self.source_head.get("ServerSideEncryption") not in _KMS
        )
        if both_md5:
            return False
        return self._digest(self.bucket, self.key, self.expected_etag) == self._digest(
            self.target_bucket, self.target_key, etag
        )

    def _digest(self, bucket: str, key: str, etag: str | None) -> bytes:
        """SHA-256 of an object's bytes, read pinned to ``etag``."""
        kwargs: dict[str, Any] = {"Bucket": bucket, "Key": key}
        if etag:
            kwargs["IfMatch"] = f'"{etag}"'
        body = self._call(self.s3.get_object, **kwargs)["Body"]
        digest = hashlib.sha256()
        with contextlib.closing(body):
            for chunk in body.iter_chunks(_CHUNK):
                digest.update(chunk)
        return digest.digest()

    # -- the source is gone or replaced ---------------------------------------------------

    def _already_moved_or_retry(self, code: str, detail: str) -> MoveOutcome:
        if self._target_holds_expected():
            return MoveOutcome.ALREADY_MOVED
        raise _Transient(code, f"{detail}; target not there either (S3 may not have caught up)")

    def _source_replaced_or_moved(self, etag: str | None) -> NoReturn:
        """The source exists but is not the event's object (its ETag differs). If the
        target holds the event's object that is an earlier move plus a newer upload: the
        newer one has its own event. Otherwise the event's object is gone unmoved: a
        permanent failure for a human to look at."""
        if self._target_holds_expected():
            raise _AlreadyMovedSignal
        raise _Permanent(
            "PreconditionFailed",
            f"source ETag is now {etag or 'different'}, the event describes "
            f"{self.expected_etag}: the object was replaced before it could be moved",
        )

    def _target_holds_expected(self) -> bool:
        """With the event's object gone from the source (nothing will be deleted): does the
        target look like it? The size, and the ETag where it is comparable."""
        head = self._head(self.target_bucket, self.target_key)
        if head is None:
            return False
        size = int(head.get("ContentLength", -1))
        if self.expected_size is not None and size != self.expected_size:
            return False
        etag = _plain_etag(head.get("ETag")) or ""
        if (
            self.expected_etag
            and not _is_multipart_etag(self.expected_etag)
            and not _is_multipart_etag(etag)
            and head.get("ServerSideEncryption") not in _KMS
            and etag != self.expected_etag
        ):
            return False
        if self.expected_etag is None and self.expected_size is None:
            self.note = "target exists; nothing known about the source to compare"
        return True

    # -- delete ---------------------------------------------------------------------------

    def _delete_source(self) -> MoveOutcome:
        done = MoveOutcome.ALREADY_MOVED if self.found_at_target else MoveOutcome.MOVED
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Key": self.key}
        if self.expected_etag:
            kwargs["IfMatch"] = f'"{self.expected_etag}"'
        try:
            self._call(self.s3.delete_object, **kwargs)
        except _Lookup as exc:
            if exc.kind is ErrorKind.NOT_FOUND:
                # Gone already: a concurrent duplicate deleted it after its own copy.
                return done
            if exc.kind is ErrorKind.PRECONDITION:
                self.note = "source replaced by a newer object after the copy; left for its event"
                return done
            raise exc.transient() from exc
        except _Permanent as exc:
            if exc.code == "NotImplemented" and "IfMatch" in kwargs:
                self._delete_if_unchanged()  # an S3-compatible endpoint without conditions
                return done
            raise
        return done

    def _delete_if_unchanged(self) -> None:
        """The best an endpoint without conditional deletes allows: look, then delete."""
        head = self._head(self.bucket, self.key)
        if head is None:
            return
        if _plain_etag(head.get("ETag")) != self.expected_etag:
            self.note = "source replaced by a newer object after the copy; left for its event"
            return
        self._call(self.s3.delete_object, Bucket=self.bucket, Key=self.key)


class _Lookup(Exception):
    """A NOT_FOUND, PRECONDITION or TRANSIENT failure the step decides about."""

    def __init__(self, kind: ErrorKind, exc: BaseException) -> None:
        super().__init__(describe_error(exc))
        self.kind = kind
        self.code = error_code(exc)
        self.detail = describe_error(exc)

    def transient(self) -> _Transient:
        return _Transient(self.code, self.detail)


class _AlreadyMovedSignal(Exception):
    pass


def move_object(
    s3: S3Client,
    *,
    bucket: str,
    key: str,
    layout: Layout,
    target_bucket: str | None = None,
    expected_etag: str | None = None,
    expected_size: int | None = None,
    deadline: float | None = None,
    retry: RetryPolicy | None = None,
    multipart_threshold: int = MULTIPART_THRESHOLD,
    part_size: int = PART_SIZE,
    rng: random.Random | None = None,
    relocate_to: str | None = None,
) -> MoveResult:
    """Move ``bucket/key`` to its partition under ``layout`` (in ``target_bucket``, default
    the same bucket) and say what happened. Never raises for an AWS failure or a bad key:
    the outcome says it.

    ``relocate_to`` moves an object that is already under the partition root (filed in the
    wrong day: the checker's repair) to that key instead, with the same copy -> verify ->
    delete; it must be a valid target key of ``layout``. The loop guard, which protects the
    event path, does not apply to such an explicit relocation.

    ``expected_etag``/``expected_size`` describe the object to move (from the event or a
    listing); without them the source is looked up first. ``deadline`` is a
    :func:`time.monotonic` timestamp after which no new attempt starts (the Lambda passes
    its remaining time minus a reserve). ``s3`` may be shared between threads.
    """
    started = time.monotonic()
    policy = retry or RetryPolicy()
    target_bucket = target_bucket or bucket

    def result(outcome: MoveOutcome, attempts: int, **extra: Any) -> MoveResult:
        return MoveResult(
            outcome=outcome,
            bucket=bucket,
            key=key,
            target_bucket=target_bucket,
            target_key=extra.pop("target_key", None),
            attempts=attempts,
            elapsed=time.monotonic() - started,
            **extra,
        )

    if relocate_to is None and layout.is_partitioned(key):
        return result(
            MoveOutcome.SKIPPED,
            0,
            target_key=key,
            error=f"already under the partition root {layout.partition_root!r} (loop guard)",
        )
    if layout.is_compacted(key):
        return result(
            MoveOutcome.SKIPPED,
            0,
            error=f"under the compacted root {layout.compacted_root!r}: not a log object",
        )
    try:
        if relocate_to is None:
            target_key = layout.target_key(key)
        else:
            target_key = layout.parse_target_key(relocate_to).key
    except KeyFormatError as exc:
        return result(MoveOutcome.REJECTED, 0, error=str(exc), error_code="KeyFormatError")

    enable_conditions(s3)
    move = _Move(
        s3,
        bucket=bucket,
        key=key,
        target_bucket=target_bucket,
        target_key=target_key,
        etag=_plain_etag(expected_etag),
        size=expected_size,
        multipart_threshold=multipart_threshold,
        part_size=part_size,
    )
    attempts = 0
    while True:
        attempts += 1
        try:
            outcome = move.run_attempt()
        except _Permanent as exc:
            return result(
                MoveOutcome.REJECTED,
                attempts,
                target_key=target_key,
                error=exc.detail,
                error_code=exc.code,
            )
        except _Transient as exc:
            last = exc
            if attempts >= policy.max_attempts:
                detail = f"{exc.detail}; gave up after {attempts} attempts"
                break
            delay = policy.backoff(attempts, rng)
            if deadline is not None and time.monotonic() + delay >= deadline:
                detail = f"{exc.detail}; out of time after {attempts} attempts"
                break
            time.sleep(delay)
            continue
        return result(
            outcome,
            attempts,
            target_key=target_key,
            error=move.note,
            size=move.expected_size,
        )
    return result(
        MoveOutcome.FAILED,
        attempts,
        target_key=target_key,
        error=detail,
        error_code=last.code,
        size=move.expected_size,
    )
