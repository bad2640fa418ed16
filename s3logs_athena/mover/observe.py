"""Structured JSON log lines and CloudWatch embedded-metric (EMF) lines.

One JSON line per object (key, target, outcome, attempts, ms) and per message that could not
be decoded, and one EMF line per batch with its counters. Lambda ships stdout to CloudWatch
Logs; CloudWatch turns the EMF line into metrics without an API call (no PutMetricData
permission, no added latency). Written by hand to keep the Lambda on the standard library.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import Counter
from typing import Any, TextIO

from .move import MoveOutcome, MoveResult

__all__ = ["METRIC_NAMES", "Observer", "metric_counts"]

#: The counters, in the order the EMF line lists them.
METRIC_NAMES = (
    "Moved",
    "AlreadyMoved",
    "Skipped",
    "Retried",
    "Failed",
    "Rejected",
    "TestEvents",
    "BatchItemFailures",
)
_BY_OUTCOME = {
    MoveOutcome.MOVED: "Moved",
    MoveOutcome.ALREADY_MOVED: "AlreadyMoved",
    MoveOutcome.SKIPPED: "Skipped",
    MoveOutcome.FAILED: "Failed",
    MoveOutcome.REJECTED: "Rejected",
}
_LEVEL = {
    MoveOutcome.MOVED: "INFO",
    MoveOutcome.ALREADY_MOVED: "INFO",
    MoveOutcome.SKIPPED: "INFO",
    MoveOutcome.FAILED: "WARNING",
    MoveOutcome.REJECTED: "ERROR",
}


def metric_counts(results: list[MoveResult]) -> Counter[str]:
    """Moved/AlreadyMoved/Skipped/Failed/Rejected by outcome; Retried: objects that needed
    more than one attempt (whatever their outcome)."""
    counts: Counter[str] = Counter(_BY_OUTCOME[r.outcome] for r in results)
    counts["Retried"] = sum(1 for r in results if r.retried)
    return counts


class Observer:
    """Writes whole lines under a lock (worker threads log concurrently)."""

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        namespace: str = "S3LogsAthena/Mover",
        function_name: str = "local",
    ) -> None:
        self._stream = stream
        self._lock = threading.Lock()
        self.namespace = namespace
        self.function_name = function_name

    def _write(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, ensure_ascii=False, default=str)
        try:
            line.encode("utf-8")
        except UnicodeEncodeError:
            # A lone surrogate (from a message or a key) cannot be written as UTF-8: escape
            # everything non-ASCII instead, still one valid JSON line.
            line = json.dumps(record, ensure_ascii=True, default=str)
        with self._lock:
            stream = self._stream or sys.stdout
            stream.write(line + "\n")
            stream.flush()

    def log(self, level: str, message: str, **fields: Any) -> None:
        self._write({"level": level, "message": message, **fields})

    def moved(self, result: MoveResult, message_ids: list[str]) -> None:
        """The one line per object."""
        record: dict[str, Any] = {
            "level": _LEVEL[result.outcome],
            "message": f"object {result.outcome.value}",
            "outcome": result.outcome.value,
            "bucket": result.bucket,
            "key": result.key,
            "target_bucket": result.target_bucket,
            "target": result.target_key,
            "attempts": result.attempts,
            "ms": round(result.elapsed * 1000, 1),
            "message_ids": message_ids,
        }
        if result.size is not None:
            record["size"] = result.size
        if result.error:
            record["error" if not result.ok else "note"] = result.error
        if result.error_code:
            record["error_code"] = result.error_code
        self._write(record)

    def metrics(self, counts: Counter[str], **properties: Any) -> None:
        """One EMF line: the counters of a batch as CloudWatch metrics, dimension
        FunctionName."""
        values = {name: int(counts.get(name, 0)) for name in METRIC_NAMES}
        self._write(
            {
                "_aws": {
                    "Timestamp": int(time.time() * 1000),
                    "CloudWatchMetrics": [
                        {
                            "Namespace": self.namespace,
                            "Dimensions": [["FunctionName"]],
                            "Metrics": [{"Name": n, "Unit": "Count"} for n in METRIC_NAMES],
                        }
                    ],
                },
                "FunctionName": self.function_name,
                **values,
                **properties,
            }
        )
