"""The mover: every log object moved exactly once to its partition.

``s3logs_athena.mover.handler`` is the Lambda entry point (SQS batches of S3 "Object
Created" events, partial batch response). :func:`move_object` is the one code path for
moving an object: the Lambda, ``s3logs-athena backfill`` and the checker's repairs use it.
Only the standard library and boto3 are imported on this path, so the Lambda package stays
small (``tests/test_mover_imports.py`` checks it).
"""

from __future__ import annotations

from .move import MULTIPART_THRESHOLD, MoveOutcome, MoveResult, move_object
from .retry import RetryPolicy
from .runtime import MoverRuntime, handler
from .settings import MoverSettings, load_settings

__all__ = [
    "MULTIPART_THRESHOLD",
    "MoveOutcome",
    "MoveResult",
    "MoverRuntime",
    "MoverSettings",
    "RetryPolicy",
    "handler",
    "load_settings",
    "move_object",
]
