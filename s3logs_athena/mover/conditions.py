"""Conditional requests on any botocore: ``IfNoneMatch`` on CopyObject and
CompleteMultipartUpload, ``IfMatch`` on DeleteObject.

S3 evaluates these conditions itself, atomically with the write or delete, which is what
makes a move safe against a second writer: ``If-None-Match: *`` on the copy means "create
the target, never replace an object that is there", ``If-Match`` on the delete means "delete
the source only if it is still the object we copied". A condition that does not hold is a
``412 PreconditionFailed``; nothing is written or deleted.

Which way the condition is sent depends on the botocore in use:

* **As a parameter** when the client's service model has the member. The botocore this
  project is developed and tested with (1.44.x) models all three (``IfNoneMatch`` on
  CopyObject and CompleteMultipartUpload, ``IfMatch`` on DeleteObject), so this is the
  usual path.
* **As a header, through two event hooks**, when it does not. The Lambda runs on the boto3
  that its runtime bundles, which can be months older than the one installed here; such a
  botocore refuses an unknown parameter (``ParamValidationError``), which would reject every
  object. :func:`enable_conditions` then registers, once per client, a
  ``before-parameter-build`` hook that takes the parameter out before validation and a
  ``before-call`` hook that sends it as the HTTP header S3 reads (``If-None-Match``,
  ``If-Match``). The request on the wire is the same either way.

Callers pass the parameters as usual after calling :func:`enable_conditions` on the client.
"""

from __future__ import annotations

import threading
import weakref
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

__all__ = ["CONDITIONS", "enable_conditions", "modelled"]

#: (operation, parameter) -> the HTTP header S3 reads it from.
CONDITIONS: dict[tuple[str, str], str] = {
    ("CopyObject", "IfNoneMatch"): "If-None-Match",
    ("CompleteMultipartUpload", "IfNoneMatch"): "If-None-Match",
    ("DeleteObject", "IfMatch"): "If-Match",
}
#: Where the hooks keep the headers of one call between the two events.
_CONTEXT_KEY = "s3logs_athena_conditional_headers"
_lock = threading.Lock()
#: Clients already seen: the check runs once per client, not once per move.
_enabled: weakref.WeakSet[Any] = weakref.WeakSet()


def modelled(s3: S3Client, operation: str, member: str) -> bool:
    """Whether ``s3``'s service model knows ``member`` as a parameter of ``operation``."""
    try:
        shape = s3.meta.service_model.operation_model(operation).input_shape
    except Exception:  # pragma: no cover - a client without a service model
        return False
    return shape is not None and member in shape.members


def _take_out(member: str, header: str) -> Any:
    def handler(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        if member in params:
            context.setdefault(_CONTEXT_KEY, {})[header] = str(params.pop(member))

    return handler


def _send_headers(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    headers = context.get(_CONTEXT_KEY)
    if headers:
        params["headers"].update(headers)


def enable_conditions(s3: S3Client) -> list[str]:
    """Make every parameter of :data:`CONDITIONS` usable on ``s3``; returns the operations
    whose condition goes through the header hooks (empty when the model has them all).
    Idempotent and thread-safe: the hooks are registered once per client, under unique
    ids."""
    missing = {
        (operation, member): header
        for (operation, member), header in CONDITIONS.items()
        if not modelled(s3, operation, member)
    }
    if missing and s3 not in _enabled:
        events = s3.meta.events
        with _lock:
            for (operation, member), header in missing.items():
                events.register(
                    f"before-parameter-build.s3.{operation}",
                    _take_out(member, header),
                    unique_id=f"s3logs-athena-take-{operation}-{member}",
                )
                # On the full event name: botocore runs its handlers before those
                # registered on a shorter prefix ("before-call.s3"), so the header is in
                # place before such a hook (the fault-injection double's condition check)
                # looks at the request.
                events.register(
                    f"before-call.s3.{operation}",
                    _send_headers,
                    unique_id=f"s3logs-athena-send-{operation}",
                )
            _enabled.add(s3)
    return [operation for operation, _ in missing]
