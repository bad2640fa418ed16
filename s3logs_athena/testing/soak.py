"""The mover's soak run: many objects, every fault at once, checked by content hash.

Inside moto (call it under ``mock_aws``): the template's event path (bucket with EventBridge
notifications -> the template's rule -> queue + DLQ), log objects put through it, the
handler driven by :class:`~.sqs_harness.LambdaSqsPoller` with faults injected by
:class:`~.faults.FaultInjector` and the poller (duplicates, reordering), plus poison:
objects with keys in no log format and junk message bodies.

Then the checks:

1. after all waves are drained (by MD5 - the ETag of these single-part objects - from the
   listing): every good object is either at its target with its source gone, or its source
   is intact and a message for it waits in the DLQ (stuck objects, and unlucky ones that
   ran out of deliveries); the DLQ holds nothing else but poison; no other object exists;
2. the stuck objects are released ("the cause is fixed"), the DLQ is redriven and drained
   again (twice at most); then, by SHA-256 of every object's bytes: every good object is
   at its target exactly once and byte-identical, only the poison is left (sources
   intact, messages in the DLQ), and nothing else exists.
"""

from __future__ import annotations

import hashlib
import os
import random
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import boto3

from ..layout import Layout
from ..mover.batch import BatchOutcome
from ..mover.events import decode_body
from ..mover.redrive import redrive
from ..mover.retry import RetryPolicy
from ..mover.runtime import MoverRuntime, make_s3_client
from ..mover.settings import MoverSettings
from .faults import FaultInjector, FaultRates, SimulatedCrash
from .sqs_harness import DrainReport, LambdaSqsPoller
from .template import REGION, build_pipeline

__all__ = ["SoakConfig", "SoakReport", "run_soak"]

BUCKET = "soak-central-logs"
_SOURCES = ("app-assets", "app-uploads", "static.example.com", "data-lake-raw")


@dataclass(frozen=True)
class SoakConfig:
    objects: int = 10_000
    #: Eventual consistency: this fraction of objects is "not there yet" for the first
    #: ``not_found_attempts`` reads (more than ``max_attempts``: some need a redelivery).
    not_found: float = 0.02
    not_found_attempts: int = 4
    slowdown: float = 0.01
    internal_error: float = 0.005
    duplicates: float = 0.05
    crash_before_delete: float = 0.01
    #: Poison messages: half objects with keys in no log format, half junk bodies.
    poison: float = 0.005
    #: Objects "not there" until the cause is fixed: they wait in the DLQ meanwhile.
    stuck: float = 0.002
    max_attempts: int = 3
    concurrency: int = 16
    batch_size: int = 100
    #: Objects put before each drain.
    wave: int = 100
    seed: int = 1


@dataclass
class SoakReport:
    config: SoakConfig
    good_objects: int = 0
    poison_objects: int = 0
    junk_messages: int = 0
    stuck_objects: int = 0
    drains: list[DrainReport] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    injected: Counter[str] = field(default_factory=Counter)
    requests: int = 0
    dlq_after_first_drain: int = 0
    good_in_dlq_after_first_drain: int = 0
    redriven: int = 0
    dlq_at_end: int = 0
    verified_targets: int = 0
    intact_poison_sources: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        c = self.config
        drained = self.drains
        out = [
            f"objects: {self.good_objects:,} log objects, {self.poison_objects:,} poison "
            f"objects (no log format), {self.junk_messages:,} junk messages; "
            f"{self.stuck_objects:,} stuck until 'fixed'",
            f"fault rates: not-found {c.not_found:.1%} (first {c.not_found_attempts} reads), "
            f"SlowDown {c.slowdown:.1%}, InternalError {c.internal_error:.1%}, duplicates "
            f"{c.duplicates:.1%}, crash before delete {c.crash_before_delete:.1%}, poison "
            f"{c.poison:.1%}, stuck {c.stuck:.1%}",
            "injected: " + ", ".join(f"{k} {v:,}" for k, v in sorted(self.injected.items())),
            f"invocations: {sum(d.invocations for d in drained):,}, records: "
            f"{sum(d.records for d in drained):,}, failed items: "
            f"{sum(d.failed_items for d in drained):,}, crashed invocations: "
            f"{sum(d.crashes for d in drained):,}, duplicate deliveries sent: "
            f"{sum(d.duplicates_sent for d in drained):,}",
            "object outcomes (invocations that returned; a crashed one reports none): "
            + ", ".join(f"{k} {v:,}" for k, v in sorted(self.outcomes.items())),
            f"S3 requests by the mover: {self.requests:,}",
            f"DLQ after the waves: {self.dlq_after_first_drain:,} messages "
            f"({self.good_in_dlq_after_first_drain:,} for good objects, sources intact); "
            f"redriven: {self.redriven:,}; DLQ at the end: {self.dlq_at_end:,} (poison only)",
            f"verified: {self.verified_targets:,} targets byte-identical (SHA-256), "
            f"{self.intact_poison_sources:,} poison sources intact",
            f"problems: {len(self.problems)}",
            f"seconds: {self.seconds:.1f}",
        ]
        out.extend(f"  PROBLEM {p}" for p in self.problems[:20])
        return out


def _object_key(rng: random.Random, n: int) -> str:
    source = _SOURCES[n % len(_SOURCES)]
    unique = hashlib.sha1(f"{rng.random()}:{n}".encode()).hexdigest()[:16].upper()
    day = 1 + n % 28
    stamp = f"2024-05-{day:02d}-{n // 3600 % 24:02d}-{n // 60 % 60:02d}-{n % 60:02d}"
    if n % 4 == 3:  # a quarter in PartitionedPrefix format
        return f"123456789012/us-east-1/{source}/2024/05/{day:02d}/{stamp}-{unique}"
    return f"{source}/{stamp}-{unique}"


def _object_body(rng: random.Random, n: int) -> bytes:
    lines = rng.randint(1, 8)
    return b"".join(
        f"79a5 {_SOURCES[n % 4]} [01/May/2024:00:00:{i:02d} +0000] 192.0.2.{n % 250} - "
        f"REQ{n:06d}{i} REST.GET.OBJECT k{rng.getrandbits(64):x} 200\n".encode()
        for i in range(lines)
    )


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def _snapshot(s3: Any, *, read: bool) -> dict[str, str]:
    """Every object: key -> SHA-256 of its bytes (``read``), or its ETag - the MD5 of the
    bytes for these single-part, unencrypted objects - from the listing alone."""
    out = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        for item in page.get("Contents", []):
            if read:
                body = s3.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read()
                out[item["Key"]] = _digest(body)
            else:
                out[item["Key"]] = item["ETag"].strip('"')
    return out


def _peek_all(sqs: Any, url: str) -> list[str]:
    """Bodies of every message in a queue, left in place (visible again right after)."""
    bodies, handles = [], []
    while batch := sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60
    ).get("Messages", []):
        for message in batch:
            bodies.append(message["Body"])
            handles.append(message["ReceiptHandle"])
    for start in range(0, len(handles), 10):
        entries = [
            {"Id": str(i), "ReceiptHandle": h, "VisibilityTimeout": 0}
            for i, h in enumerate(handles[start : start + 10])
        ]
        sqs.change_message_visibility_batch(QueueUrl=url, Entries=entries)
    return bodies


def _dlq_keys(bodies: list[str]) -> tuple[Counter[str], list[str]]:
    keys: Counter[str] = Counter()
    junk = []
    for body in bodies:
        message = decode_body("dlq", body)
        if message.objects:
            keys.update(o.candidates[-1] for o in message.objects)
        else:
            junk.append(body)
    return keys, junk


def run_soak(config: SoakConfig | None = None) -> SoakReport:
    """Run the soak (under ``mock_aws``) and return counts and problems found."""
    config = config or SoakConfig()
    started = time.monotonic()
    report = SoakReport(config)
    rng = random.Random(config.seed)
    layout = Layout()
    urls = build_pipeline(BUCKET)
    plain = boto3.client("s3", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)

    mover_s3 = make_s3_client(config.concurrency)
    faults = FaultInjector(
        FaultRates(
            not_found=config.not_found,
            not_found_attempts=config.not_found_attempts,
            slowdown=config.slowdown,
            internal_error=config.internal_error,
            crash_before_delete=config.crash_before_delete,
            stuck=config.stuck,
        ),
        seed=config.seed,
    ).install(mover_s3, reference=plain)

    # -- the mover ---------------------------------------------------------------------
    settings = MoverSettings(
        layout=layout,
        concurrency=config.concurrency,
        retry=RetryPolicy(max_attempts=config.max_attempts, base_delay=0.001, max_delay=0.01),
    )
    # Tens of thousands of log lines: to /dev/null (the tests check the lines elsewhere).
    log_sink = open(os.devnull, "w")  # noqa: SIM115 - closed in the finally below
    runtime = MoverRuntime(settings, mover_s3, stream=log_sink, function_name="soak")

    def handler(event: Mapping[str, Any], context: Any) -> Mapping[str, Any]:
        outcome: BatchOutcome = runtime.process(event, context)
        report.outcomes.update(r.outcome.value for r in outcome.results.values())
        report.outcomes["message rejected"] += sum(1 for m in outcome.messages if m.problem)
        return outcome.response

    def drain() -> None:
        poller = LambdaSqsPoller(
            sqs,
            urls["queue"],
            handler,
            batch_size=config.batch_size,
            shuffle_seed=config.seed + len(report.drains),
            duplicate_rate=config.duplicates,
            crash_types=(SimulatedCrash,),
        )
        report.drains.append(poller.drain())

    # -- objects arrive in waves (S3 delivers logs continuously); each wave is put through
    # the bucket's EventBridge notifications and drained. Waves also keep moto's queue
    # short: its ReceiveMessage scans every message.
    good: dict[str, str] = {}  # key -> SHA-256
    poison: dict[str, str] = {}
    good_md5: dict[str, str] = {}
    poison_md5: dict[str, str] = {}
    junk: list[str] = []
    poison_count = max(1, round(config.objects * config.poison / 2))
    waves = max(1, -(-config.objects // config.wave))
    try:
        for wave in range(waves):
            first, last = wave * config.wave, min(config.objects, (wave + 1) * config.wave)
            for n in range(first, last):
                key, body = _object_key(rng, n), _object_body(rng, n)
                plain.put_object(Bucket=BUCKET, Key=key, Body=body)
                good[key], good_md5[key] = _digest(body), _md5(body)
            for n in range(wave * poison_count // waves, (wave + 1) * poison_count // waves):
                key, body = f"uploads/not-a-log-{n}.bin", f"poison {n}\n".encode()
                plain.put_object(Bucket=BUCKET, Key=key, Body=body)
                poison[key], poison_md5[key] = _digest(body), _md5(body)
                junk.append(f"junk message {n}: {{")
                sqs.send_message(QueueUrl=urls["queue"], MessageBody=junk[-1])
            drain()
        report.good_objects, report.poison_objects, report.junk_messages = (
            len(good),
            len(poison),
            len(junk),
        )
        report.stuck_objects = sum(1 for key in good if faults.is_stuck(key))

        # -- check 1 ---------------------------------------------------------------------
        contents = _snapshot(plain, read=False)
        dlq_keys, dlq_junk = _dlq_keys(_peek_all(sqs, urls["dlq"]))
        report.dlq_after_first_drain = sum(dlq_keys.values()) + len(dlq_junk)
        waiting = {key for key in good if key in dlq_keys}
        report.good_in_dlq_after_first_drain = len(waiting)
        _check(report, "waves drained", contents, good_md5, poison_md5, waiting, layout)
        if set(dlq_keys) - set(good) - set(poison):
            report.problems.append(f"waves drained: unexpected keys in the DLQ: {dlq_keys}")
        if set(dlq_junk) != set(junk):
            report.problems.append("waves drained: the DLQ does not hold exactly the junk bodies")
        stuck = {key for key in good if faults.is_stuck(key)}
        if not stuck <= waiting:
            report.problems.append(
                f"waves drained: stuck objects not in the DLQ: {stuck - waiting}"
            )

        # -- the cause is fixed: release, redrive, drain (at most twice) ------------------
        faults.release_stuck()
        for _ in range(2):
            dlq_keys, _junk = _dlq_keys(_peek_all(sqs, urls["dlq"]))
            if not set(dlq_keys) & set(good):
                break
            report.redriven += redrive(
                sqs, dlq_url=urls["dlq"], queue_url=urls["queue"], wait_seconds=0
            ).moved
            drain()

        # -- check 2 ---------------------------------------------------------------------
        contents = _snapshot(plain, read=True)
        dlq_keys, dlq_junk = _dlq_keys(_peek_all(sqs, urls["dlq"]))
        report.dlq_at_end = sum(dlq_keys.values()) + len(dlq_junk)
        _check(report, "end", contents, good, poison, set(), layout)
        if set(dlq_keys) != set(poison):
            report.problems.append(
                f"end: DLQ keys {sorted(dlq_keys)[:5]}... are not exactly the poison objects"
            )
        if set(dlq_junk) != set(junk):
            report.problems.append("end: the DLQ does not hold exactly the junk bodies")
    finally:
        runtime.close()
        log_sink.close()
    for name, count in faults.injected.items():
        report.injected[name.split(":")[1]] += count
    report.requests = faults.requests
    report.seconds = time.monotonic() - started
    return report


def _check(
    report: SoakReport,
    stage: str,
    contents: dict[str, str],
    good: dict[str, str],
    poison: dict[str, str],
    waiting: set[str],
    layout: Layout,
) -> None:
    """Every good object moved exactly once and byte-identical, or (if ``waiting``, its
    message is in the DLQ) its source intact and no target; poison intact; nothing else."""
    problems = report.problems
    expected: dict[str, str] = {}
    for key, digest in good.items():
        target = layout.target_key(key)
        if key in waiting:
            expected[key] = digest
            if target in contents:
                problems.append(f"{stage}: {key} is in the DLQ but also at its target")
        else:
            expected[target] = digest
    expected.update(poison)
    for key, digest in expected.items():
        if key not in contents:
            problems.append(f"{stage}: missing {key}")
        elif contents[key] != digest:
            problems.append(f"{stage}: {key} differs from what was put")
    extra = set(contents) - set(expected)
    if extra:
        problems.append(f"{stage}: {len(extra)} unexpected objects, e.g. {sorted(extra)[:3]}")
    if stage == "end":
        report.verified_targets = sum(
            1 for key, digest in good.items() if contents.get(layout.target_key(key)) == digest
        )
        report.intact_poison_sources = sum(
            1 for key, digest in poison.items() if contents.get(key) == digest
        )
