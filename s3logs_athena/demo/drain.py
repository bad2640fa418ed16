"""Step 3 of the demo: drain the queue through the mover's Lambda handler, with S3 faults.

The Lambda service is played by :class:`~s3logs_athena.testing.sqs_harness.LambdaSqsPoller`
(receive up to a batch, call the handler with a Lambda-shaped SQS event, delete what the
partial batch response does not name, let SQS redeliver the rest); the handler is
:func:`s3logs_athena.mover.handler` itself, its settings read from the environment the
deploy template gives it. Its S3 client is instrumented with
:class:`~s3logs_athena.testing.faults.FaultInjector`:

* **late** objects answer ``NoSuchKey`` to their first reads, as S3 does when an event
  outruns the object: the mover retries with backoff and moves them in the same invocation;
* **lagging** objects stay invisible for more attempts than one invocation makes: the mover
  reports their messages as failed items, SQS redelivers them, the next invocation moves them;
* about one request in a hundred is throttled (``SlowDown``) and retried;
* a **poison message** (an "Object Deleted" event from a misconfigured rule) fails every
  delivery and, after the queue's maxReceiveCount, waits in the DLQ.

What the mover did is read back from its own log lines (one JSON line per object, one
CloudWatch EMF line per batch), as CloudWatch would show them.
"""

from __future__ import annotations

import io
import json
import random
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .deploy_spec import BATCH_SIZE, FUNCTION_TIMEOUT_SECONDS
from .pipeline import Pipeline

__all__ = ["DrainResult", "FaultPlan", "Invocation", "drain_queue", "plan_faults", "poison_body"]


@dataclass(frozen=True)
class FaultPlan:
    """Which objects S3 pretends not to know yet, and for how many reads."""

    late: frozenset[str]
    late_reads: int
    lagging: frozenset[str]
    lagging_reads: int
    slowdown_rate: float = 0.01
    seed: int = 0


def plan_faults(
    keys: Sequence[str],
    *,
    max_attempts: int,
    seed: int,
    late_share: float = 0.08,
    lagging_share: float = 0.03,
) -> FaultPlan:
    """Pick the late and lagging objects (at least one of each) among ``keys``."""
    rng = random.Random(f"{seed}:faults")
    ordered = sorted(keys)
    late_count = max(1, round(len(ordered) * late_share))
    lagging_count = max(1, round(len(ordered) * lagging_share))
    chosen = rng.sample(ordered, min(len(ordered), late_count + lagging_count))
    return FaultPlan(
        late=frozenset(chosen[:late_count]),
        late_reads=min(2, max_attempts - 1),
        lagging=frozenset(chosen[late_count:]),
        # One more read than an invocation's attempts: the first delivery fails.
        lagging_reads=max_attempts + 1,
        seed=seed,
    )


def poison_body(log_bucket: str, key: str) -> str:
    """An EventBridge "Object Deleted" event: what a rule with a too-wide pattern sends."""
    return json.dumps(
        {
            "version": "0",
            "id": "5f1c2a4e-0000-4000-8000-00000000dead",
            "detail-type": "Object Deleted",
            "source": "aws.s3",
            "account": "123456789012",
            "time": "2024-03-05T10:00:00Z",
            "region": "us-east-1",
            "resources": [f"arn:aws:s3:::{log_bucket}"],
            "detail": {
                "version": "0",
                "bucket": {"name": log_bucket},
                "object": {"key": key, "sequencer": "0062E99A88DC407460"},
                "reason": "DeleteObject",
                "deletion-type": "Permanently Deleted",
            },
        }
    )


@dataclass(frozen=True)
class Invocation:
    """One handler invocation, from the batch's EMF line."""

    number: int
    messages: int
    moved: int
    already_moved: int
    retried: int
    failed: int
    rejected: int
    batch_item_failures: int
    #: Objects moved now whose message had been reported failed before (redeliveries).
    redelivered: int


@dataclass
class DrainResult:
    invocations: list[Invocation] = field(default_factory=list)
    #: The mover's per-object log lines, in the order written.
    object_lines: list[dict[str, Any]] = field(default_factory=list)
    #: Faults the injectors answered in S3's place, ``Operation:Fault`` -> count.
    injected: Counter[str] = field(default_factory=Counter)
    #: Requests that reached (moto's) S3, by operation.
    requests: Counter[str] = field(default_factory=Counter)
    #: Bodies of the messages in the DLQ when the queue was empty.
    dead_letters: list[str] = field(default_factory=list)
    messages_deleted: int = 0

    def _keys(self, predicate: Callable[[dict[str, Any]], bool]) -> set[str]:
        return {line["key"] for line in self.object_lines if predicate(line)}

    @property
    def moved_keys(self) -> set[str]:
        return self._keys(lambda line: line["outcome"] in ("moved", "already_moved"))

    @property
    def retried_keys(self) -> set[str]:
        """Objects that needed more than one attempt in an invocation."""
        return self._keys(lambda line: line["attempts"] > 1)

    @property
    def redelivered_keys(self) -> set[str]:
        """Objects reported failed once, then moved on a later delivery."""
        failed = self._keys(lambda line: line["outcome"] == "failed")
        return failed & self.moved_keys

    @property
    def batch_item_failures(self) -> int:
        return sum(i.batch_item_failures for i in self.invocations)


def _installed_faults(s3: Any, plan: FaultPlan) -> list[Any]:
    from ..testing.faults import FaultInjector, FaultRates

    late = FaultInjector(
        FaultRates(not_found=1.0, not_found_attempts=plan.late_reads, slowdown=plan.slowdown_rate),
        seed=plan.seed,
        affects=lambda key: key in plan.late,
    )
    lagging = FaultInjector(
        FaultRates(not_found=1.0, not_found_attempts=plan.lagging_reads),
        seed=plan.seed,
        affects=lambda key: key in plan.lagging,
        enforce_conditions=False,  # the first injector enforces it
    )
    return [late.install(s3), lagging.install(s3)]


def _read_lines(buffer: io.StringIO, position: int) -> tuple[list[dict[str, Any]], int]:
    text = buffer.getvalue()
    lines = [json.loads(line) for line in text[position:].splitlines() if line.strip()]
    return lines, len(text)


def drain_queue(
    pipeline: Pipeline,
    plan: FaultPlan,
    *,
    environment: Mapping[str, str],
    on_invocation: Callable[[Invocation, int], None] | None = None,
    max_invocations: int = 200,
) -> DrainResult:
    """Invoke the handler until the queue is empty (see the module docstring).

    ``environment`` is the Lambda's (the ``MOVER_*`` variables). ``on_invocation`` gets
    each invocation and the messages left in the queue after it.
    """
    from ..mover import MoverRuntime, load_settings
    from ..mover import runtime as mover_runtime
    from ..mover.redrive import queue_depth
    from ..mover.runtime import make_s3_client
    from ..testing.sqs_harness import LambdaSqsPoller

    settings = load_settings(environment)
    s3 = make_s3_client(settings.concurrency)
    injectors = _installed_faults(s3, plan)
    log = io.StringIO()
    runtime = MoverRuntime(settings, s3, stream=log, function_name="s3logs-mover-demo")
    result = DrainResult()
    position = 0
    try:
        with mover_runtime.installed(runtime):
            poller = LambdaSqsPoller(
                pipeline.sqs,
                pipeline.queue_url,
                mover_runtime.handler,
                batch_size=BATCH_SIZE,
                remaining_ms=FUNCTION_TIMEOUT_SECONDS * 1000,
            )
            for number in range(1, max_invocations + 1):
                if not poller.run_once():
                    if queue_depth(pipeline.sqs, pipeline.queue_url).total == 0:
                        break
                    continue
                lines, position = _read_lines(log, position)
                objects = [line for line in lines if "outcome" in line and "key" in line]
                (emf,) = [line for line in lines if "_aws" in line]
                failed_before = {
                    line["key"] for line in result.object_lines if line["outcome"] == "failed"
                }
                result.object_lines.extend(objects)
                invocation = Invocation(
                    number=number,
                    messages=int(emf.get("messages", 0)),
                    moved=int(emf["Moved"]),
                    already_moved=int(emf["AlreadyMoved"]),
                    retried=int(emf["Retried"]),
                    failed=int(emf["Failed"]),
                    rejected=int(emf["Rejected"]),
                    batch_item_failures=int(emf["BatchItemFailures"]),
                    redelivered=sum(
                        1
                        for line in objects
                        if line["outcome"] == "moved" and line["key"] in failed_before
                    ),
                )
                result.invocations.append(invocation)
                if on_invocation is not None:
                    on_invocation(invocation, queue_depth(pipeline.sqs, pipeline.queue_url).total)
            else:
                raise RuntimeError(f"the queue was not empty after {max_invocations} invocations")
            result.messages_deleted = poller.report.deleted
    finally:
        runtime.close()
    for injector in injectors:
        result.injected.update(injector.injected)
    result.requests.update(injectors[0].sent)
    result.dead_letters = _peek_all(pipeline, pipeline.dlq_url)
    return result


def _peek_all(pipeline: Pipeline, url: str) -> list[str]:
    """Bodies of every message in a queue, left in it (received with a short visibility
    timeout, then made visible again)."""
    sqs = pipeline.sqs
    seen: dict[str, str] = {}
    handles: list[str] = []
    while True:
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30)
        messages = batch.get("Messages", [])
        if not messages:
            break
        for message in messages:
            seen[message["MessageId"]] = message["Body"]
            handles.append(message["ReceiptHandle"])
    for handle in handles:
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=0)
    return list(seen.values())
