"""Compact every closed raw partition of a date range that needs it (``s3logs-athena compact``).

**Closed days.** S3 delivers a day's records into that day's partition and, late, into the
next day's. Raw partition D is *closed* once day D+1 has ended plus a grace for late
delivery (``grace``, default three hours): then nothing more is expected in it, and
compacting it will not have to be repeated unless something is moved in later (that is
what the manifests catch). Days of the range that are not closed yet are skipped and
reported.

**Which partitions.** The given buckets, or every ``<bucket>/`` folder found under the days'
partitions; a bucket seen on some day of the range but not on another closed day gets an
empty manifest for that day (a quiet day), so its neighbours can count as compacted.

**Concurrency.** First every partition's state (a listing and a manifest GET each, on a
thread pool); then the partitions that need it are compacted ``concurrency`` at a time:
in worker processes when more than one (parsing is CPU-bound Python: threads would share
one core), else in this process. Each partition's failure is its own: the others go on,
and the summary says which failed and why.
"""

from __future__ import annotations

import functools
import multiprocessing
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

from ...errors import InputError, S3LogsError
from ...layout import validate_bucket_name
from .partition import (
    CompactionSettings,
    PartitionResult,
    PartitionState,
    compact_partition,
    partition_state,
)
from .s3io import list_folders

__all__ = [
    "DEFAULT_GRACE",
    "CompactionProgress",
    "CompactionRequest",
    "CompactionSummary",
    "compact_one",
    "last_closed_day",
    "run_compaction",
]

#: Time after the end of day D+1 before raw partition D counts as closed.
DEFAULT_GRACE = timedelta(hours=3)
_MAX_DAYS = 3660
ClientFactory = Callable[[], Any]


def last_closed_day(now: datetime, grace: timedelta = DEFAULT_GRACE) -> date:
    """The latest raw partition day that is closed at ``now`` (UTC)."""
    moment = now.astimezone(UTC) if now.tzinfo else now.replace(tzinfo=UTC)
    return (moment - grace).date() - timedelta(days=2)


@dataclass(frozen=True)
class CompactionRequest:
    """What to compact: raw partition days ``first_day..last_day`` (inclusive, delivery
    days) of ``log_bucket``, only ``buckets`` if given."""

    log_bucket: str
    first_day: date
    last_day: date
    buckets: tuple[str, ...] | None = None
    grace: timedelta = DEFAULT_GRACE
    now: datetime | None = None
    dry_run: bool = False
    #: Partitions compacted at once.
    concurrency: int = 4

    def __post_init__(self) -> None:
        validate_bucket_name(self.log_bucket)
        if self.last_day < self.first_day:
            raise InputError(f"--to {self.last_day} is before --from {self.first_day}")
        days = (self.last_day - self.first_day).days + 1
        if days > _MAX_DAYS:
            raise InputError(f"{days} days is more than {_MAX_DAYS}: narrow --from/--to")
        if self.grace < timedelta(0):
            raise InputError("--grace must not be negative")
        if not 1 <= self.concurrency <= 256:
            raise InputError(f"--concurrency {self.concurrency}: must be 1-256")
        if self.buckets is not None:
            if not self.buckets:
                raise InputError("--buckets is empty: give bucket names separated by commas")
            for name in self.buckets:
                validate_bucket_name(name)

    def closed_days(self) -> tuple[list[date], list[date]]:
        """The range's days: (closed, not closed yet)."""
        last = last_closed_day(self.now or datetime.now(UTC), self.grace)
        count = (self.last_day - self.first_day).days + 1
        days = [self.first_day + timedelta(days=n) for n in range(count)]
        return [d for d in days if d <= last], [d for d in days if d > last]


@dataclass
class CompactionSummary:
    """What a run did, partition by partition, and the totals."""

    log_bucket: str
    first_day: date
    last_day: date
    dry_run: bool
    last_closed_day: date
    partitions: list[PartitionResult] = field(default_factory=list)
    open_days: list[date] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, *statuses: str) -> int:
        return sum(1 for p in self.partitions if p.status in statuses)

    @property
    def failed(self) -> list[PartitionResult]:
        return [p for p in self.partitions if not p.ok]

    @property
    def ok(self) -> bool:
        return not self.failed

    def totals(self) -> dict[str, Any]:
        worked = [p for p in self.partitions if p.status in ("compacted", "recompacted")]
        return {
            "partitions": len(self.partitions),
            "compacted": self.count("compacted", "to_compact"),
            "recompacted": self.count("recompacted", "to_recompact"),
            "up_to_date": self.count("up_to_date"),
            "failed": self.count("failed"),
            "objects": sum(p.objects for p in worked),
            "records": sum(p.records for p in worked),
            "rejects": sum(p.rejects for p in worked),
            "bytes_in": sum(p.bytes_in for p in worked),
            "bytes_out": sum(p.bytes_out for p in worked),
            "outputs": sum(len(p.outputs) for p in worked),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "summary": {
                "log_bucket": self.log_bucket,
                "from": self.first_day.isoformat(),
                "to": self.last_day.isoformat(),
                "dry_run": self.dry_run,
                "last_closed_day": self.last_closed_day.isoformat(),
                "open_days": [day.isoformat() for day in self.open_days],
                "seconds": round(self.seconds, 3),
                **self.totals(),
            },
            "partitions": [
                p.to_json() for p in sorted(self.partitions, key=lambda p: (p.day, p.bucket))
            ],
        }


class CompactionProgress(Protocol):
    """Told what a run is doing, for a progress bar."""

    def planned(self, partitions: int, objects: int, size: int) -> None: ...
    def object_done(self, size: int) -> None: ...
    def partition_done(self, result: PartitionResult) -> None: ...


class _NoProgress:
    def planned(self, partitions: int, objects: int, size: int) -> None:
        pass

    def object_done(self, size: int) -> None:
        pass

    def partition_done(self, result: PartitionResult) -> None:
        pass


# -- one partition ---------------------------------------------------------------------


def compact_one(
    s3: Any,
    log_bucket: str,
    state: PartitionState,
    settings: CompactionSettings,
    *,
    dry_run: bool = False,
    on_object: Callable[[int], None] | None = None,
) -> PartitionResult:
    """Compact one raw partition if its state says so; never raises for an AWS failure or
    bad data (the result says ``failed`` and why)."""
    day, bucket = state.day, state.bucket
    base = PartitionResult(day, bucket, "up_to_date")
    if state.status == "up_to_date":
        manifest = state.manifest
        assert manifest is not None
        base.objects, base.bytes_in = manifest.objects, manifest.raw_bytes
        base.records, base.rejects, base.lines = manifest.records, manifest.rejects, manifest.lines
        base.bytes_out, base.outputs = manifest.output_bytes, manifest.outputs
        return base
    status = "compacted" if state.status == "new" else "recompacted"
    if dry_run:
        base.status = "to_compact" if status == "compacted" else "to_recompact"
        base.objects, base.bytes_in = state.listing.count, state.listing.bytes
        return base
    try:
        manifest, spilled = compact_partition(
            s3, log_bucket, day, bucket, settings, previous=state.manifest, on_object=on_object
        )
    except (S3LogsError, OSError) as exc:
        return PartitionResult(day, bucket, "failed", error=str(exc))
    except Exception as exc:  # a bug or bad data must not stop the other partitions
        return PartitionResult(day, bucket, "failed", error=f"{type(exc).__name__}: {exc}")
    return PartitionResult(
        day,
        bucket,
        status,
        objects=manifest.objects,
        bytes_in=manifest.raw_bytes,
        lines=manifest.lines,
        records=manifest.records,
        rejects=manifest.rejects,
        blank=manifest.blank,
        bytes_out=manifest.output_bytes,
        outputs=manifest.outputs,
        spilled_runs=spilled,
    )


# -- worker processes ----------------------------------------------------------------------

_worker_client: Any = None
_worker_events: Any = None


def _worker_init(factory: ClientFactory, events: Any) -> None:
    global _worker_client, _worker_events
    _worker_client = factory()
    _worker_events = events


def _in_worker(
    log_bucket: str, state: PartitionState, settings: CompactionSettings
) -> PartitionResult:
    events = _worker_events
    pending = [0, 0, time.monotonic()]  # objects, bytes, last sent

    def on_object(size: int) -> None:
        pending[0] += 1
        pending[1] += size
        if time.monotonic() - pending[2] > 0.2:
            events.put((pending[0], pending[1]))
            pending[:] = [0, 0, time.monotonic()]

    try:
        return compact_one(_worker_client, log_bucket, state, settings, on_object=on_object)
    finally:
        if pending[0]:
            events.put((pending[0], pending[1]))


# -- the run ---------------------------------------------------------------------------


def _partitions(
    s3: Any, request: CompactionRequest, settings: CompactionSettings, days: Sequence[date]
) -> list[tuple[date, str]]:
    layout = settings.layout
    if request.buckets is not None:
        return [(day, bucket) for day in days for bucket in request.buckets]
    found: dict[date, set[str]] = {}
    with ThreadPoolExecutor(16) as pool:
        listings = {
            day: pool.submit(list_folders, s3, request.log_bucket, layout.partition_prefix(day))
            for day in days
        }
        for day, listing in listings.items():
            prefix = layout.partition_prefix(day)
            found[day] = {folder[len(prefix) :].rstrip("/") for folder in listing.result()}
    buckets = set().union(*found.values()) if found else set()
    return [(day, bucket) for day in days for bucket in sorted(buckets)]


def _without_absent(states: list[PartitionState]) -> list[PartitionState]:
    """Drop (day, bucket) pairs with no objects and no manifest, except a quiet day inside
    a bucket's active span of the range or the day just after it: its empty manifest lets
    the days around it count as compacted (a day's late records are in the next day's
    partition, so day D is only complete once D+1 is compacted too)."""
    span: dict[str, tuple[date, date]] = {}
    for state in states:
        if state.listing.count or (state.manifest is not None and state.manifest.objects):
            first, last = span.get(state.bucket, (state.day, state.day))
            span[state.bucket] = (min(first, state.day), max(last, state.day))
    kept = []
    for state in states:
        first, last = span.get(state.bucket, (date.max, date.min))
        if state.manifest is not None or first <= state.day <= last + timedelta(days=1):
            kept.append(state)
    return kept


def run_compaction(
    s3: Any,
    request: CompactionRequest,
    settings: CompactionSettings | None = None,
    *,
    client_factory: ClientFactory | None = None,
    progress: CompactionProgress | None = None,
) -> CompactionSummary:
    """Compact the closed raw partitions of ``request`` that have no manifest or a stale one.

    ``s3`` is a boto3 S3 client (thread-safe; give it ``max_pool_connections`` of a few
    dozen). ``client_factory`` (a picklable callable returning such a client) lets
    partitions run in worker processes when ``request.concurrency`` > 1; without it they run
    on threads of this process."""
    settings = settings or CompactionSettings()
    watch = progress or _NoProgress()
    started = time.perf_counter()
    closed, open_days = request.closed_days()
    summary = CompactionSummary(
        request.log_bucket,
        request.first_day,
        request.last_day,
        request.dry_run,
        last_closed_day(request.now or datetime.now(UTC), request.grace),
        open_days=open_days,
    )
    pairs = _partitions(s3, request, settings, closed)
    with ThreadPoolExecutor(16) as pool:
        states = list(
            pool.map(
                lambda pair: partition_state(s3, request.log_bucket, pair[0], pair[1], settings),
                pairs,
            )
        )
    states = _without_absent(states)
    todo = [s for s in states if s.status != "up_to_date"]
    watch.planned(
        len(states), sum(s.listing.count for s in todo), sum(s.listing.bytes for s in todo)
    )
    for state in states:
        if state.status == "up_to_date" or request.dry_run:
            result = compact_one(s3, request.log_bucket, state, settings, dry_run=True)
            summary.partitions.append(result)
            watch.partition_done(result)
    if not request.dry_run and todo:
        summary.partitions.extend(_compact_all(s3, request, settings, todo, client_factory, watch))
    summary.seconds = time.perf_counter() - started
    return summary


def _compact_all(
    s3: Any,
    request: CompactionRequest,
    settings: CompactionSettings,
    todo: list[PartitionState],
    client_factory: ClientFactory | None,
    watch: CompactionProgress,
) -> list[PartitionResult]:
    workers = min(request.concurrency, len(todo))
    if workers <= 1 or client_factory is None:
        with ThreadPoolExecutor(max(1, workers)) as threads:
            compact = functools.partial(
                compact_one, s3, request.log_bucket, settings=settings, on_object=watch.object_done
            )
            return _collect([threads.submit(compact, state) for state in todo], watch)
    context = multiprocessing.get_context("spawn")
    events = context.Queue()
    stop = threading.Event()

    def relay() -> None:
        while not stop.is_set() or not events.empty():
            try:
                objects, size = events.get(timeout=0.1)
            except queue.Empty:
                continue
            for _ in range(objects - 1):
                watch.object_done(0)
            watch.object_done(size)

    relay_thread = threading.Thread(target=relay, name="compact-progress", daemon=True)
    relay_thread.start()
    try:
        with ProcessPoolExecutor(
            workers, mp_context=context, initializer=_worker_init, initargs=(client_factory, events)
        ) as processes:
            futures = [
                processes.submit(_in_worker, request.log_bucket, state, settings) for state in todo
            ]
            return _collect(futures, watch)
    finally:
        stop.set()
        relay_thread.join()


def _collect(
    futures: list[Future[PartitionResult]], watch: CompactionProgress
) -> list[PartitionResult]:
    """Results as they complete (each reported at once)."""
    results = []
    for future in as_completed(futures):
        result = future.result()
        results.append(result)
        watch.partition_done(result)
    return results
