"""The mover's event path as the deploy template defines it, as plain Python values.

``infra/template.yaml`` (SAM) deploys S3 -> EventBridge rule -> SQS queue (+ DLQ) -> Lambda.
``s3logs-athena demo`` builds the same path in moto and drives the same handler, so it needs
the rule's event pattern, the queues' settings and the event source's batching as data it can
use without the template (which is not in the wheel, and whose YAML needs CloudFormation's
tags to read). They are here; ``tests/test_deploy_spec.py`` resolves the template with its
parameter defaults and checks that it says exactly this, so the two cannot drift: change one,
and the test tells you to change the other.

Standard library only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..layout import DEFAULT_COMPACTED_ROOT, DEFAULT_PARTITION_ROOT, DEFAULT_SOURCE_PATTERN

__all__ = [
    "BATCHING_WINDOW_SECONDS",
    "BATCH_SIZE",
    "COMPACTION_BATCH_SIZE",
    "COMPACTION_DEAD_LETTER_QUEUE",
    "COMPACTION_MAX_RECEIVE_COUNT",
    "COMPACTION_QUEUE",
    "COMPACTOR_TIMEOUT_SECONDS",
    "DEAD_LETTER_QUEUE",
    "FUNCTION_TIMEOUT_SECONDS",
    "MAXIMUM_CONCURRENCY",
    "MAX_RECEIVE_COUNT",
    "MOVE_QUEUE",
    "NONCURRENT_VERSION_DAYS",
    "QueueSpec",
    "compactor_environment",
    "log_bucket_lifecycle",
    "mover_environment",
    "object_created_pattern",
]


def object_created_pattern(
    log_bucket: str,
    partition_root: str = DEFAULT_PARTITION_ROOT,
    compacted_root: str = DEFAULT_COMPACTED_ROOT,
) -> dict[str, Any]:
    """The EventBridge rule's event pattern: S3 "Object Created" events of ``log_bucket``
    whose key is under *neither* the partition root nor the compacted root, so the mover's
    own copies and compaction's Parquet, manifests and rejects never reach it (the first of
    two guards; the mover checks the key again)."""
    return {
        "source": ["aws.s3"],
        "detail-type": ["Object Created"],
        "detail": {
            "bucket": {"name": [log_bucket]},
            "object": {"key": [{"anything-but": {"prefix": [partition_root, compacted_root]}}]},
        },
    }


@dataclass(frozen=True)
class QueueSpec:
    """What the template sets on an SQS queue."""

    message_retention_seconds: int
    #: ``None``: SQS's default (30 s).
    visibility_timeout: int | None = None
    sqs_managed_sse: bool = True

    def attributes(
        self, dead_letter_arn: str | None = None, max_receive_count: int | None = None
    ) -> dict[str, str]:
        """``CreateQueue`` attributes; with ``dead_letter_arn``, the redrive policy to it
        after ``max_receive_count`` receives (:data:`MAX_RECEIVE_COUNT`, the mover's)."""
        attributes = {
            "MessageRetentionPeriod": str(self.message_retention_seconds),
            "SqsManagedSseEnabled": "true" if self.sqs_managed_sse else "false",
        }
        if self.visibility_timeout is not None:
            attributes["VisibilityTimeout"] = str(self.visibility_timeout)
        if dead_letter_arn is not None:
            attributes["RedrivePolicy"] = json.dumps(
                {
                    "deadLetterTargetArn": dead_letter_arn,
                    "maxReceiveCount": max_receive_count or MAX_RECEIVE_COUNT,
                }
            )
        return attributes


#: The Lambda's timeout; the queue's visibility timeout covers six of them plus the window.
FUNCTION_TIMEOUT_SECONDS = 120
#: Messages per invocation, and how long Lambda may wait to fill a batch.
BATCH_SIZE = 100
BATCHING_WINDOW_SECONDS = 20
#: Receives before SQS moves a message to the DLQ (the source object stays where it is).
MAX_RECEIVE_COUNT = 5
MOVE_QUEUE = QueueSpec(message_retention_seconds=4 * 86_400, visibility_timeout=750)
#: 14 days, SQS's maximum: time to fix the cause and redrive.
DEAD_LETTER_QUEUE = QueueSpec(message_retention_seconds=14 * 86_400)
#: Most invocations the event source runs at once (ScalingConfig.MaximumConcurrency).
MAXIMUM_CONCURRENCY = 10
#: Days an overwritten or deleted object of the (versioned) log bucket stays recoverable.
NONCURRENT_VERSION_DAYS = 7


def log_bucket_lifecycle(noncurrent_days: int = NONCURRENT_VERSION_DAYS) -> dict[str, Any]:
    """The log bucket's lifecycle rules as ``PutBucketLifecycleConfiguration`` takes them
    (the bucket is versioned): incomplete multipart copies are aborted after 2 days, a
    noncurrent version - what an overwrite or a delete leaves - expires after
    ``noncurrent_days``, and a delete marker with nothing left behind it goes too."""
    everything = {"Prefix": ""}
    return {
        "Rules": [
            {
                "ID": "abort-incomplete-multipart-copies",
                "Status": "Enabled",
                "Filter": everything,
                "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 2},
            },
            {
                "ID": "expire-noncurrent-versions",
                "Status": "Enabled",
                "Filter": everything,
                "NoncurrentVersionExpiration": {"NoncurrentDays": noncurrent_days},
                "Expiration": {"ExpiredObjectDeleteMarker": True},
            },
        ]
    }


def mover_environment(
    partition_root: str = DEFAULT_PARTITION_ROOT,
    source_pattern: str = DEFAULT_SOURCE_PATTERN,
    concurrency: int = 32,
    max_attempts: int = 6,
    compacted_root: str = DEFAULT_COMPACTED_ROOT,
) -> dict[str, str]:
    """The Lambda's environment variables as the template sets them (its parameter
    defaults are this function's defaults); :func:`s3logs_athena.mover.load_settings`
    reads them."""
    return {
        "MOVER_PARTITION_ROOT": partition_root,
        "MOVER_SOURCE_PATTERN": source_pattern,
        "MOVER_COMPACTED_ROOT": compacted_root,
        "MOVER_CONCURRENCY": str(concurrency),
        "MOVER_MAX_ATTEMPTS": str(max_attempts),
    }


# -- the scheduled compactor --------------------------------------------------------------

#: The worker's timeout (one raw partition per invocation can take minutes); the queue's
#: visibility timeout covers six of them.
COMPACTOR_TIMEOUT_SECONDS = 900
#: One unit (a raw partition) per invocation.
COMPACTION_BATCH_SIZE = 1
#: Attempts before a unit waits in the compaction DLQ (its raw objects are untouched).
COMPACTION_MAX_RECEIVE_COUNT = 3
COMPACTION_QUEUE = QueueSpec(message_retention_seconds=4 * 86_400, visibility_timeout=5400)
COMPACTION_DEAD_LETTER_QUEUE = QueueSpec(message_retention_seconds=14 * 86_400)


def compactor_environment(
    log_bucket: str,
    queue_url: str,
    partition_root: str = DEFAULT_PARTITION_ROOT,
    compacted_root: str = DEFAULT_COMPACTED_ROOT,
    lookback_days: int = 3,
    grace_minutes: int = 180,
    database: str = "s3_access_logs_db",
    table: str = "s3_access_logs",
    workgroup: str = "s3logs-analysts",
) -> dict[str, str]:
    """The scheduler's environment variables as the template sets them (its parameter
    defaults are this function's defaults; the view is applied in the analysts' workgroup,
    whose enforced result location needs no ``COMPACTOR_ATHENA_OUTPUT``); the worker gets
    the two roots of them.
    :func:`s3logs_athena.table.compaction.lambda_handler.load_compactor_settings` reads them."""
    return {
        "COMPACTOR_LOG_BUCKET": log_bucket,
        "COMPACTOR_PARTITION_ROOT": partition_root,
        "COMPACTOR_COMPACTED_ROOT": compacted_root,
        "COMPACTOR_QUEUE_URL": queue_url,
        "COMPACTOR_LOOKBACK_DAYS": str(lookback_days),
        "COMPACTOR_GRACE_MINUTES": str(grace_minutes),
        "COMPACTOR_DATABASE": database,
        "COMPACTOR_TABLE": table,
        "COMPACTOR_WORKGROUP": workgroup,
    }
