"""A test double for S3's bad days, installed as botocore event hooks on a real client.

The client still talks to moto (or any endpoint); the hooks decide, per request, whether S3
"answers" with an injected failure instead. Faults:

* **Eventual consistency**: for a chosen fraction of new objects, CopyObject, UploadPartCopy,
  GetObject and HeadObject on the object answer ``NoSuchKey`` for the first ``k`` attempts
  and/or for ``t`` seconds after the object was first seen (or registered with
  :meth:`FaultInjector.created`): the 0.02% the seed lost, at any rate you like.
* **Stuck objects**: a fraction of objects answer ``NoSuchKey`` until released (a cause
  someone has to fix), so their messages end in the DLQ.
* **Throttling and server errors**: ``SlowDown`` (503) and ``InternalError`` (500) at given
  per-request rates.
* **A crash between copy and delete**: for a chosen fraction of objects the first
  DeleteObject raises :class:`SimulatedCrash` (a ``BaseException``, so no ``except
  Exception`` swallows it), which the SQS harness treats as the Lambda dying.
* **Latency**: a fixed sleep per request sent (the benchmark uses it).

Also enforced, as S3 does, the conditions moto ignores on CopyObject (``CopySourceIfMatch``
on the source, ``IfNoneMatch``/``IfMatch`` on the destination) and, for an endpoint other
than moto, the ones it honours elsewhere: ``IfNoneMatch``/``IfMatch`` on PutObject and
CompleteMultipartUpload, ``IfMatch`` on DeleteObject, ``CopySourceIfMatch`` on
UploadPartCopy. A condition that does not hold answers ``412 PreconditionFailed`` (``If-Match``
on a missing key: ``404 NoSuchKey``) and nothing is written. The conditions are read from the
request's HTTP headers, so a header sent by an event hook counts like a parameter, and they
are decided atomically with the write: a lock per destination key is held from the check
until the response is back, so two concurrent conditional writes of one key cannot both
pass. The checks read S3 with a second, uninstrumented client, so they are not counted as
requests.

Every decision is drawn from a seeded generator, so a failing run can be replayed.
Requests are counted per operation, both those sent and those answered by a fault.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders
from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

__all__ = ["FaultInjector", "FaultRates", "SimulatedCrash"]

_READS = frozenset({"CopyObject", "UploadPartCopy", "GetObject", "HeadObject"})
#: Operations with a condition on their source object / on the object they write or delete.
_SOURCE_CONDITIONS = frozenset({"CopyObject", "UploadPartCopy"})
_TARGET_CONDITIONS = frozenset(
    {"CopyObject", "PutObject", "CompleteMultipartUpload", "DeleteObject"}
)
#: How long a request waits for another one's conditional write of the same key.
_KEY_LOCK_TIMEOUT = 30.0
_STATUS = {"NoSuchKey": 404, "SlowDown": 503, "InternalError": 500, "PreconditionFailed": 412}


class SimulatedCrash(BaseException):
    """The process dies here (a Lambda timeout, an out-of-memory kill)."""


@dataclass(frozen=True)
class FaultRates:
    #: Fraction of objects that S3 "does not know yet" when the event arrives.
    not_found: float = 0.0
    #: ...for this many reads of each such object.
    not_found_attempts: int = 0
    #: ...and/or this many seconds after the object was first seen.
    not_found_seconds: float = 0.0
    #: Fraction of objects S3 "does not know" until :meth:`FaultInjector.release_stuck`:
    #: their messages exhaust maxReceiveCount and wait in the DLQ.
    stuck: float = 0.0
    #: Per-request rate of 503 SlowDown.
    slowdown: float = 0.0
    #: Per-request rate of 500 InternalError.
    internal_error: float = 0.0
    #: Fraction of objects whose first DeleteObject crashes the process.
    crash_before_delete: float = 0.0
    #: Seconds of latency added to every request sent.
    latency: float = 0.0


class _Raw:
    """The smallest body botocore's response handling accepts."""

    def stream(self, **_: Any) -> Any:
        return iter(())


def _response(code: str, message: str) -> tuple[AWSResponse, dict[str, Any]]:
    status = _STATUS[code]
    parsed = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status, "HTTPHeaders": {}, "RetryAttempts": 0},
    }
    return AWSResponse("https://fault.invalid/", status, HTTPHeaders(), _Raw()), parsed


@dataclass
class FaultInjector:
    rates: FaultRates = field(default_factory=FaultRates)
    seed: int = 0
    #: Which keys the per-object faults may hit (default: any key not under
    #: ``PartitionedLogs/``, i.e. the sources).
    affects: Callable[[str], bool] = lambda key: not key.startswith("PartitionedLogs/")
    #: Enforce the conditional-request headers (moto ignores those of CopyObject).
    enforce_conditions: bool = True

    sent: Counter[str] = field(default_factory=Counter, init=False)
    injected: Counter[str] = field(default_factory=Counter, init=False)
    crashed_keys: set[str] = field(default_factory=set, init=False)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._reads: Counter[tuple[str, str]] = Counter()
        self._first_seen: dict[tuple[str, str], float] = {}
        self._request_no = 0
        self._reference: S3Client | None = None
        self._stuck_released = False
        self._key_locks: dict[tuple[str, str], threading.Lock] = {}
        self._held = threading.local()  # the key lock this thread holds across its request

    # -- installation ---------------------------------------------------------------------

    def install(self, s3: S3Client, reference: S3Client | None = None) -> FaultInjector:
        """Hook into ``s3``. ``reference``: an uninstrumented client on the same endpoint,
        needed to enforce the conditions (made from ``s3``'s settings when omitted)."""
        events = s3.meta.events
        events.register("before-parameter-build.s3.*", self._remember_params)
        # A before-call handler that returns (response, parsed) answers in S3's place.
        events.register_first("before-call.s3.*", self._before_call)  # type: ignore[arg-type]
        if self.enforce_conditions:
            self._reference = reference or _twin(s3)
            # On "before-call.s3", not ".s3.*": botocore runs the handlers of the full event
            # name first, so headers that hooks of the code under test add per operation
            # (s3logs_athena.mover.conditions) are in place when this one reads them.
            events.register("before-call.s3", self._check_conditions)  # type: ignore[arg-type]
            # Emitted after every attempt that was sent, and after every call.
            events.register("needs-retry.s3", self._release_key)
            events.register("after-call.s3", self._release_key)
        # register_first: moto answers in before-send, and the first answer ends the event.
        events.register_first("before-send.s3", self._before_send)
        return self

    def created(self, bucket: str, key: str, at: float | None = None) -> None:
        """Record when an object was created (for ``not_found_seconds``)."""
        with self._lock:
            self._first_seen[(bucket, key)] = time.monotonic() if at is None else at

    def release_stuck(self) -> None:
        """The cause is fixed: stuck objects become visible."""
        self._stuck_released = True

    def is_stuck(self, key: str) -> bool:
        return self._chosen("stuck", key, self.rates.stuck)

    @property
    def requests(self) -> int:
        """Requests S3 saw: sent plus answered by a fault."""
        return sum(self.sent.values()) + sum(self.injected.values())

    # -- decisions ------------------------------------------------------------------------

    def _chosen(self, what: str, key: str, rate: float) -> bool:
        """A per-object decision, stable across runs and threads."""
        if rate <= 0:
            return False
        digest = hashlib.blake2b(f"{self.seed}:{what}:{key}".encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big") / 2**64 < rate

    def _roll(self, rate: float) -> bool:
        """A per-request decision: seeded, numbered so it does not depend on thread timing
        more than the order of requests does."""
        if rate <= 0:
            return False
        with self._lock:
            self._request_no += 1
            number = self._request_no
        digest = hashlib.blake2b(f"{self.seed}:req:{number}".encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big") / 2**64 < rate

    # -- hooks ----------------------------------------------------------------------------

    def _remember_params(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["fault_params"] = dict(params)

    def _before_call(
        self, model: Any, context: dict[str, Any], **_: Any
    ) -> tuple[AWSResponse, dict[str, Any]] | None:
        operation = model.name
        params = context.get("fault_params", {})
        bucket, key = _object_of(operation, params)
        rates = self.rates
        if key is not None and operation in _READS and self.affects(key):
            answer = self._not_found(bucket or "", key)
            if answer is not None:
                self._count_injected(operation, "NoSuchKey")
                return answer
        if self._roll(rates.slowdown):
            self._count_injected(operation, "SlowDown")
            return _response("SlowDown", "Please reduce your request rate.")
        if self._roll(rates.internal_error):
            self._count_injected(operation, "InternalError")
            return _response("InternalError", "We encountered an internal error.")
        if (
            operation == "DeleteObject"
            and key is not None
            and self.affects(key)
            and self._chosen("crash", key, rates.crash_before_delete)
        ):
            with self._lock:
                first = key not in self.crashed_keys
                self.crashed_keys.add(key)
            if first:
                self._count_injected(operation, "Crash")
                raise SimulatedCrash(f"crashed before deleting {key}")
        return None

    def _not_found(self, bucket: str, key: str) -> tuple[AWSResponse, dict[str, Any]] | None:
        rates = self.rates
        if not self._stuck_released and self.is_stuck(key):
            return _response("NoSuchKey", "The specified key does not exist.")
        if not self._chosen("not_found", key, rates.not_found):
            return None
        now = time.monotonic()
        with self._lock:
            self._reads[(bucket, key)] += 1
            reads = self._reads[(bucket, key)]
            first_seen = self._first_seen.setdefault((bucket, key), now)
        hidden = reads <= rates.not_found_attempts or now - first_seen < rates.not_found_seconds
        if hidden:
            return _response("NoSuchKey", "The specified key does not exist.")
        return None

    # -- conditional requests -----------------------------------------------------------

    def _check_conditions(
        self, model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any
    ) -> tuple[AWSResponse, dict[str, Any]] | None:
        """Answer 412 (or 404) for a condition that does not hold, as S3 would; otherwise
        let the request go, holding its destination key's lock until it is answered."""
        self._release_key()  # anything left from a call of this thread that was not sent
        operation = model.name
        headers = {str(k).lower(): str(v) for k, v in params.get("headers", {}).items()}
        api = context.get("fault_params", {})
        source_if_match = headers.get("x-amz-copy-source-if-match")
        if_none_match = headers.get("if-none-match")
        if_match = headers.get("if-match")
        if operation not in _SOURCE_CONDITIONS:
            source_if_match = None
        if operation not in _TARGET_CONDITIONS:
            if_none_match = if_match = None
        if not (source_if_match or if_none_match or if_match) or self._reference is None:
            return None
        bucket, key = str(api.get("Bucket")), str(api.get("Key"))
        if if_none_match or if_match:
            self._hold_key(bucket, key)
        failed = None
        if source_if_match:
            source_bucket, source_key = _object_of(operation, api)
            failed = self._if_match(
                str(source_bucket), str(source_key), source_if_match, missing=None
            )
        if failed is None and if_none_match and self._etag_of(bucket, key) is not None:
            failed = "PreconditionFailed"
        if failed is None and if_match:
            failed = self._if_match(bucket, key, if_match, missing="NoSuchKey")
        if failed is None:
            return None
        self._release_key()
        self._count_injected(operation, failed)
        if failed == "NoSuchKey":
            return _response("NoSuchKey", "The specified key does not exist.")
        return _response(
            "PreconditionFailed", "At least one of the pre-conditions you specified did not hold"
        )

    def _etag_of(self, bucket: str, key: str) -> str | None:
        assert self._reference is not None
        try:
            head = self._reference.head_object(Bucket=bucket, Key=key)
        except ClientError:
            return None
        return str(head["ETag"]).strip('"')

    def _if_match(self, bucket: str, key: str, expected: str, missing: str | None) -> str | None:
        etag = self._etag_of(bucket, key)
        if etag is None:
            return missing  # None: let the real call answer NoSuchKey
        if expected.strip() != "*" and etag != expected.strip().strip('"'):
            return "PreconditionFailed"
        return None

    def _hold_key(self, bucket: str, key: str) -> None:
        with self._lock:
            lock = self._key_locks.setdefault((bucket, key), threading.Lock())
        if lock.acquire(timeout=_KEY_LOCK_TIMEOUT):
            self._held.lock = lock

    def _release_key(self, **_: Any) -> None:
        lock = getattr(self._held, "lock", None)
        if lock is not None:
            self._held.lock = None
            lock.release()

    def _before_send(self, event_name: str = "", **_: Any) -> None:
        operation = event_name.rsplit(".", 1)[-1] if event_name.count(".") >= 2 else "?"
        with self._lock:
            self.sent[operation] += 1
        if self.rates.latency > 0:
            time.sleep(self.rates.latency)

    def _count_injected(self, operation: str, fault: str) -> None:
        with self._lock:
            self.injected[f"{operation}:{fault}"] += 1


def _object_of(operation: str, params: dict[str, Any]) -> tuple[str | None, str | None]:
    if operation in ("CopyObject", "UploadPartCopy"):
        source = params.get("CopySource")
        if isinstance(source, dict):
            return source.get("Bucket"), source.get("Key")
        if isinstance(source, str) and "/" in source:  # "bucket/key[?versionId=...]"
            bucket, _, key = source.lstrip("/").partition("/")
            return bucket, key.split("?versionId=")[0]
        return None, None
    return params.get("Bucket"), params.get("Key")


def _twin(s3: S3Client) -> S3Client:
    """A fresh client with ``s3``'s endpoint and region."""
    import boto3

    return boto3.client("s3", region_name=s3.meta.region_name, endpoint_url=s3.meta.endpoint_url)
