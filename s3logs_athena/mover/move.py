"""Move one log object to its partition: the one code path the Lambda, ``backfill`` and the
checker's repairs all use.

A move is copy -> verify -> delete, and the order is the guarantee:

1. **Copy only the object the event describes.** ``CopySourceIfMatch`` pins the copy to the
   event's ETag, so a newer object written under the same key is never moved in its place.
2. **Verify before deleting.** A ``HeadObject`` on the target must show the size we expect
   and the ETag the copy returned; for a single-part, non-KMS source that ETag must also
   equal the source's (an MD5, so the bytes are identical). Multipart ETags are never
   compared with single-part ones: a multipart ETag is an MD5 of part MD5s and changes with
   the part size, so there size (and the ETag of the upload we completed) is the check.
3. **Delete the source last**, with ``IfMatch`` on its ETag where the client supports it.

Every step is idempotent, so a crash anywhere leaves either the source (and maybe a copy of
it at the target, overwritten by the next attempt) or a verified target whose source is
gone. ``NoSuchKey`` therefore means one of two things: the object was already moved (the
target holds it: success) or S3 has not caught up with the event yet (retry with backoff
until the deadline, then report failure so SQS redelivers; the source is never touched).

Happy path: 3 requests (CopyObject, HeadObject, DeleteObject) when the caller knows the
ETag and size (events and listings do); a HeadObject of the source otherwise.
"""

from __future__ import annotations

import contextlib
import enum
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

from ..errors import KeyFormatError
from ..layout import Layout
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

#: CopyObject copies at most 5 GiB; bigger objects need a multipart copy.
MULTIPART_THRESHOLD = 5 * 1024**3
#: Part size of a multipart copy (raised when needed to stay within MAX_PARTS).
PART_SIZE = 512 * 1024**2
MAX_PARTS = 10_000
#: Headers a multipart copy must carry over by hand (CopyObject copies them itself).
_KEPT_HEADERS = (
    "ContentType",
    "ContentEncoding",
    "ContentDisposition",
    "ContentLanguage",
    "CacheControl",
    "Metadata",
)
_KMS = ("aws:kms", "aws:kms:dsse")


class MoveOutcome(enum.Enum):
    """What became of one object. ``FAILED`` and ``REJECTED`` are failures for SQS (the
    message is redelivered and finally lands in the DLQ); the source is untouched."""

    #: Copied, verified, source deleted.
    MOVED = "moved"
    #: The target already holds the object and the source is gone (a duplicate delivery or
    #: an earlier partial run).
    ALREADY_MOVED = "already_moved"
    #: Not a move at all: the key is already under the partition root (the loop guard).
    SKIPPED = "skipped"
    #: Retryable (not found yet, throttled, 5xx, timeout) and out of attempts or time.
    FAILED = "failed"
    #: Permanent until someone acts: a key in no log format, access denied, KMS, a source
    #: replaced by a different object.
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


def _supports_delete_if_match(s3: S3Client) -> bool:
    """Older botocore (as in some Lambda runtimes) does not know DeleteObject's IfMatch."""
    try:
        shape = s3.meta.service_model.operation_model("DeleteObject").input_shape
    except Exception:  # pragma: no cover - a client without a service model
        return False
    return shape is not None and "IfMatch" in shape.members


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
            if self._needs_source_head():
                found = self._head_source()
                if not found:
                    return self._already_moved_or_retry("NoSuchKey", "source not found")
            if self.expected_size is not None and self.expected_size > self.multipart_threshold:
                copy_etag, sse = self._multipart_copy()
                multipart_copy = True
            else:
                try:
                    copy_etag, sse = self._copy()
                except _Lookup as exc:
                    return self._after_failed_copy(exc)
                multipart_copy = False
            self._verify_target(copy_etag, sse, multipart_copy)
            self.verified = True
        return self._delete_source()

    def _needs_source_head(self) -> bool:
        return (
            self.expected_etag is None
            or self.expected_size is None
            or self.expected_size > self.multipart_threshold
        )

    def _head_source(self) -> bool:
        try:
            head = self._call(self.s3.head_object, Bucket=self.bucket, Key=self.key)
        except _Lookup as exc:
            if exc.kind is ErrorKind.NOT_FOUND:
                return False
            raise exc.transient() from exc
        etag = _plain_etag(head.get("ETag"))
        if self.expected_etag is not None and etag != self.expected_etag:
            self._source_replaced_or_moved(etag)
        self.expected_etag = etag
        self.expected_size = int(head.get("ContentLength", 0))
        self.source_head = head
        return True

    def _copy(self) -> tuple[str, str | None]:
        kwargs: dict[str, Any] = {
            "Bucket": self.target_bucket,
            "Key": self.target_key,
            "CopySource": {"Bucket": self.bucket, "Key": self.key},
            "MetadataDirective": "COPY",
        }
        if self.expected_etag:
            kwargs["CopySourceIfMatch"] = f'"{self.expected_etag}"'
        response = self._call(self.s3.copy_object, **kwargs)
        result = response.get("CopyObjectResult", {})
        return _plain_etag(result.get("ETag")) or "", response.get("ServerSideEncryption")

    def _after_failed_copy(self, exc: _Lookup) -> MoveOutcome:
        if exc.kind is ErrorKind.NOT_FOUND:
            return self._already_moved_or_retry(exc.code, exc.detail)
        if exc.kind is ErrorKind.PRECONDITION:
            self._source_replaced_or_moved(None)
        raise exc.transient() from exc

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
        try:
            head = self._call(self.s3.head_object, Bucket=self.target_bucket, Key=self.target_key)
        except _Lookup as exc:
            if exc.kind is ErrorKind.NOT_FOUND:
                return False
            raise exc.transient() from exc
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

    def _verify_target(self, copy_etag: str, sse: str | None, multipart_copy: bool) -> None:
        try:
            head = self._call(self.s3.head_object, Bucket=self.target_bucket, Key=self.target_key)
        except _Lookup as exc:
            if exc.kind is ErrorKind.NOT_FOUND:
                raise _Transient("TargetMissing", "target not found right after the copy") from exc
            raise exc.transient() from exc
        size = int(head.get("ContentLength", -1))
        etag = _plain_etag(head.get("ETag")) or ""
        problems = []
        if self.expected_size is not None and size != self.expected_size:
            problems.append(f"size {size} != {self.expected_size}")
        if copy_etag and etag != copy_etag:
            problems.append(f"ETag {etag} != the copy's {copy_etag}")
        comparable = (
            self.expected_etag is not None
            and not _is_multipart_etag(self.expected_etag)
            and not multipart_copy
            and sse not in _KMS
            and head.get("ServerSideEncryption") not in _KMS
        )
        if comparable and etag != self.expected_etag:
            problems.append(f"ETag {etag} != source {self.expected_etag}")
        if problems:
            raise _Transient("TargetMismatch", "target not verified: " + "; ".join(problems))

    def _delete_source(self) -> MoveOutcome:
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Key": self.key}
        if self.expected_etag and _supports_delete_if_match(self.s3):
            kwargs["IfMatch"] = f'"{self.expected_etag}"'
        try:
            self._call(self.s3.delete_object, **kwargs)
        except _Lookup as exc:
            if exc.kind is ErrorKind.NOT_FOUND:
                # Gone already: a concurrent duplicate deleted it after its own copy.
                return MoveOutcome.MOVED
            if exc.kind is ErrorKind.PRECONDITION:
                self.note = "source replaced by a newer object after the copy; left for its event"
                return MoveOutcome.MOVED
            raise exc.transient() from exc
        except _Permanent as exc:
            if exc.code == "NotImplemented" and "IfMatch" in kwargs:
                del kwargs["IfMatch"]  # an S3-compatible endpoint without conditional deletes
                self._call(self.s3.delete_object, **kwargs)
                return MoveOutcome.MOVED
            raise
        return MoveOutcome.MOVED

    def _multipart_copy(self) -> tuple[str, str | None]:
        head = self.source_head
        size = int(head["ContentLength"])
        part_size = max(self.part_size, math.ceil(size / MAX_PARTS))
        create: dict[str, Any] = {"Bucket": self.target_bucket, "Key": self.target_key}
        create.update({name: head[name] for name in _KEPT_HEADERS if head.get(name)})
        upload = self._call(self.s3.create_multipart_upload, **create)
        upload_id = upload["UploadId"]
        try:
            parts = []
            for number, start in enumerate(range(0, size, part_size), start=1):
                end = min(start + part_size, size) - 1
                part = self._call(
                    self.s3.upload_part_copy,
                    Bucket=self.target_bucket,
                    Key=self.target_key,
                    UploadId=upload_id,
                    PartNumber=number,
                    CopySource={"Bucket": self.bucket, "Key": self.key},
                    CopySourceIfMatch=f'"{self.expected_etag}"',
                    CopySourceRange=f"bytes={start}-{end}",
                )
                parts.append({"PartNumber": number, "ETag": part["CopyPartResult"]["ETag"]})
            done = self._call(
                self.s3.complete_multipart_upload,
                Bucket=self.target_bucket,
                Key=self.target_key,
                UploadId=upload_id,
                MultipartUpload={"Parts": parts},
            )
        except BaseException:
            # Best effort; a lifecycle rule for incomplete uploads cleans up what remains.
            with contextlib.suppress(Exception):
                self.s3.abort_multipart_upload(
                    Bucket=self.target_bucket, Key=self.target_key, UploadId=upload_id
                )
            raise
        return _plain_etag(done.get("ETag")) or "", done.get("ServerSideEncryption")


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
