"""The mover: every log object moved exactly once to its partition.

:func:`move_object` is the one code path for moving an object (the Lambda, ``backfill`` and
the checker's repairs use it). Only the standard library and boto3 are imported on this
path, so the Lambda package stays small.
"""

from __future__ import annotations

from .move import MULTIPART_THRESHOLD, MoveOutcome, MoveResult, move_object
from .retry import RetryPolicy

__all__ = [
    "MULTIPART_THRESHOLD",
    "MoveOutcome",
    "MoveResult",
    "RetryPolicy",
    "move_object",
]
