"""One check of a central log bucket: list it, apply the rules, collect findings.

What is listed, and how (all listings concurrent, in one bounded thread pool):

1. **Discovery**, delimited listings only: each ancestor folder of the partition root (to find
   the source prefixes beside it), the root, and every year, month and day folder of the
   window. They reveal the ``<bucket>/`` partitions of each day and any folder that does not
   belong (``Month=1/``, ``Day=31/`` in February, ``junk/``).
2. **Sources and strays**: every prefix outside the partition root, and every stray folder
   under it, listed in full.
3. **Partitions**: one listing per day and bucket; a bucket's days are merged by file name,
   so a file in two partitions comes out twice in a row (see
   :func:`~s3logs_athena.check.listing.iter_merged_groups`).

Objects are judged as they stream past; nothing per object is kept, so memory depends on
the number of listings open at once, not on the number of objects. Source objects older
than the threshold get one ``HeadObject`` of their target (straggler or duplicate?), and
``--deep`` / ``--athena`` read objects, all in one pool with a bounded number of tasks in
flight; results are applied in the calling thread. Then :mod:`.compaction` checks manifests.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from itertools import groupby
from typing import Any, Protocol

from ..errors import AwsError, InputError, KeyFormatError
from ..layout import Layout, SourceKey, TargetKey
from .athena import AthenaComparison, RowCount, RowCounter
from .aws import aws_errors
from .compaction import CompactionCheck, check_compaction
from .deep import ObjectReading, read_object, reading_findings
from .discovery import Discovered, discovery_folders, sort_folder
from .findings import CheckReport, Kind, partition_label
from .listing import ListedObject, Page, iter_merged_groups, iter_unordered, list_pages
from .projection import Projection
from .rules import format_age, kept_copy, placement_problem

__all__ = ["CheckConfig", "NullProgress", "Progress", "run_check"]


class Progress(Protocol):
    """Told what the check is doing, for a progress bar."""

    def listed(self, count: int) -> None: ...
    def to_read(self, count: int) -> None: ...
    def read(self, count: int) -> None: ...


class NullProgress:
    def listed(self, count: int) -> None:
        pass

    def to_read(self, count: int) -> None:
        pass

    def read(self, count: int) -> None:
        pass


@dataclass(frozen=True)
class CheckConfig:
    """What to check and how hard. Days are inclusive."""

    log_bucket: str
    first_day: date
    last_day: date
    layout: Layout = field(default_factory=Layout)
    #: Check only these source buckets (``None``: every bucket found).
    buckets: frozenset[str] | None = None
    projection: Projection | None = None
    #: A source object younger than this is in flight, not a straggler.
    older_than: timedelta = timedelta(minutes=15)
    #: How many days before its delivery date a file's partition day may be.
    #: With ``deep``: days before its partition day a record's request time may be.
    max_lag_days: int = 1
    #: Days a file's partition day may be before the date in its name (0: must equal it).
    placement_lag_days: int = 0
    deep: bool = False
    #: Read only this many objects (a uniform random sample) with ``deep``.
    sample: int | None = None
    concurrency: int = 32
    page_size: int = 1000
    #: Listings open at once (each holds up to two pages of ``page_size`` objects).
    max_open_streams: int = 64
    now: datetime | None = None
    seed: int = 0
    compaction: CompactionCheck = field(default_factory=CompactionCheck)

    def __post_init__(self) -> None:
        if self.first_day > self.last_day:
            raise InputError(
                f"--from {self.first_day} is after --to {self.last_day}: give the earlier day first"
            )
        if self.sample is not None and self.sample < 1:
            raise InputError(f"--sample {self.sample}: must be at least 1")
        if self.concurrency < 1 or self.max_open_streams < 1 or not 1 <= self.page_size <= 1000:
            raise InputError("concurrency, open streams and page size must be positive")
        if self.max_lag_days < 0:
            raise InputError(f"--max-lag-days {self.max_lag_days}: must be 0 or more")
        if self.placement_lag_days < 0:
            raise InputError(f"--placement-lag-days {self.placement_lag_days}: must be 0 or more")

    def days(self) -> list[date]:
        count = (self.last_day - self.first_day).days + 1
        return [self.first_day + timedelta(days=n) for n in range(count)]

    def in_scope(self, day: date, bucket: str) -> bool:
        in_window = self.first_day <= day <= self.last_day
        return in_window and (self.buckets is None or bucket in self.buckets)


def run_check(
    s3: Any,
    config: CheckConfig,
    *,
    row_counter: RowCounter | None = None,
    progress: Progress | None = None,
) -> CheckReport:
    """Check ``config.log_bucket`` and return the findings. ``s3`` is a boto3 S3 client
    (thread-safe; give it ``max_pool_connections >= config.concurrency``). With
    ``row_counter``, also compare Athena's rows per object with the objects' lines."""
    with aws_errors("HeadBucket", bucket=config.log_bucket):
        s3.head_bucket(Bucket=config.log_bucket)
    with ThreadPoolExecutor(config.concurrency, thread_name_prefix="s3logs-check") as pool:
        try:
            return _Check(s3, config, pool, row_counter, progress or NullProgress()).run()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


class _Check:
    def __init__(
        self,
        s3: Any,
        config: CheckConfig,
        pool: ThreadPoolExecutor,
        row_counter: RowCounter | None,
        progress: Progress,
    ) -> None:
        self.s3 = s3
        self.config = config
        self.layout = config.layout
        self.pool = pool
        self.progress = progress
        self.row_counter = row_counter
        self.now = config.now or datetime.now(UTC)
        self.report = CheckReport(
            config.log_bucket,
            config.first_day,
            config.last_day,
            config.layout.partition_root,
            deep=config.deep,
            sample=config.sample if config.deep else None,
            athena=row_counter is not None,
        )
        self.read_objects = config.deep or row_counter is not None
        self.tasks: set[Future[Callable[[], None]]] = set()
        self.max_tasks = 2 * config.concurrency
        self.partition_sizes: dict[tuple[date, str], int] = defaultdict(int)
        self.unreachable: set[tuple[date, str]] = set()
        self.sample: list[tuple[TargetKey, ListedObject]] = []
        self.sample_seen = 0
        self.random = random.Random(config.seed)
        self.athena_counts: Future[dict[str, RowCount]] | None = None
        self.comparison: AthenaComparison | None = None

    # -- the run ------------------------------------------------------------------------

    def run(self) -> CheckReport:
        found = self._discover()
        self._check_projection(found)
        if self.row_counter is not None:
            self._start_athena(found)
        labels = {
            self.layout.partition_prefix(day, bucket): partition_label(day, bucket)
            for bucket, days in found.partitions.items()
            for day in days
        }
        groups = [
            (
                bucket,
                [self.layout.partition_prefix(day, bucket) for day in found.partitions[bucket]],
            )
            for bucket in sorted(found.partitions)
        ]
        # The first partitions start listing now, while the sources are worked through.
        merged = iter_merged_groups(
            self.pool, groups, self._lister_pages, max_open=self.config.max_open_streams
        )
        strays = [*found.source_prefixes, *found.stray_prefixes]
        for page in iter_unordered(
            self.pool, (self._lister(p) for p in strays), max_open=self.config.max_open_streams
        ):
            self._listed(page)
            for item in page.objects:
                self._loose_object(item)
        for bucket, objects in merged:
            for _, copies in groupby(objects, key=lambda t: t[0]):
                self._partitioned_copies(bucket, [(labels[p], item) for _, p, item in copies])
        self._read_sample()
        self._drain()
        self._finish(found)
        check_compaction(self.s3, self.report, self.pool, self.config)
        return self.report

    # -- listing ------------------------------------------------------------------------

    def _lister_pages(self, prefix: str, delimiter: str | None = None) -> Iterator[Page]:
        return list_pages(
            self.s3,
            self.config.log_bucket,
            prefix,
            delimiter=delimiter,
            page_size=self.config.page_size,
        )

    def _lister(self, prefix: str, delimiter: str | None = None) -> Callable[[], Iterator[Page]]:
        return lambda: self._lister_pages(prefix, delimiter)

    def _listed(self, page: Page) -> None:
        self.report.objects_listed += len(page.objects)
        self.progress.listed(len(page.objects))

    def _discover(self) -> Discovered:
        """The delimited listings: source prefixes, stray folders and the partitions."""
        folders = discovery_folders(self.layout, self.config.days())
        found = Discovered()
        listings = (self._lister(prefix, "/") for prefix in folders)
        for page in iter_unordered(self.pool, listings, max_open=self.config.max_open_streams):
            self._listed(page)
            for child in page.common_prefixes:
                sort_folder(self.layout, folders[page.prefix], child, page.prefix, found)
            for item in page.objects:
                self._loose_object(item)
        for bucket, days in list(found.partitions.items()):
            days[:] = [day for day in days if self.config.in_scope(day, bucket)]
            if not days:
                del found.partitions[bucket]
        self.report.partitions = sum(len(days) for days in found.partitions.values())
        self.report.partition_days = {b: list(days) for b, days in found.partitions.items()}
        self.report.buckets.update(found.partitions)
        return found

    # -- objects outside the partition merges ---------------------------------------------

    def _loose_object(self, item: ListedObject) -> None:
        """An object seen by a delimited listing, a source prefix or a stray folder."""
        if self.layout.is_compacted(item.key):
            return  # compaction's own objects (a compacted root nested in a source prefix)
        if self.layout.is_partitioned(item.key):
            try:
                target = self.layout.parse_target_key(item.key)
            except KeyFormatError as exc:
                self.report.add(Kind.MISPLACED, item.key, None, f"key does not parse: {exc.reason}")
                return
            if self.config.in_scope(target.day, target.bucket):  # pragma: no cover - defensive
                self._placed_copy(target.bucket, target, item)
            return
        try:
            source = self.layout.parse_source_key(item.key)
        except KeyFormatError:
            self.report.add(
                Kind.UNKNOWN_KEY,
                item.key,
                None,
                "in no log key format we know and outside the partition root "
                f"{self.layout.partition_root!r} (left alone)",
            )
            return
        if not self.config.in_scope(source.day, source.bucket):
            return
        self.report.source_objects += 1
        age = self.now - item.last_modified
        if age < self.config.older_than:
            self.report.in_flight += 1
            return
        self._submit(lambda: self._head_target(source, item, age))

    def _head_target(
        self, source: SourceKey, item: ListedObject, age: timedelta
    ) -> Callable[[], None]:
        """In a pool thread: is the straggler's target there? Returns the report update."""
        target_key = self.layout.target_key(source)
        try:
            with aws_errors("HeadObject", bucket=self.config.log_bucket):
                head = self.s3.head_object(Bucket=self.config.log_bucket, Key=target_key)
        except AwsError as exc:
            if exc.code not in {"404", "NoSuchKey", "NotFound"}:
                raise
            head = None
        partition = partition_label(source.day, source.bucket)
        waited = format_age(age)
        if head is None:
            detail = f"still at its source {waited} after it arrived; {target_key} does not exist"
            return partial(
                self.report.add, Kind.STRAGGLER, item.key, partition, detail, related=target_key
            )
        etag = str(head.get("ETag", "")).strip('"')
        size = int(head.get("ContentLength", -1))
        if etag == item.etag and size == item.size:
            detail = f"also at its target {target_key} (same ETag and size), for {waited}"
        else:
            detail = (
                f"a different object of the same name is at its target {target_key} (ETag "
                f"{etag}, {size} bytes; source {item.etag}, {item.size} bytes)"
            )
        return partial(
            self.report.add, Kind.DUPLICATE, item.key, partition, detail, related=target_key
        )

    # -- partitioned objects -----------------------------------------------------------

    def _partitioned_copies(self, bucket: str, items: list[tuple[str, ListedObject]]) -> None:
        """All objects of one bucket's checked partitions with the same name after the
        partition prefix (usually one)."""
        self.report.partitioned_objects += len(items)
        self.report.objects_listed += len(items)
        self.progress.listed(len(items))
        copies: list[tuple[TargetKey, ListedObject]] = []
        for partition, item in items:
            try:
                copies.append((self.layout.parse_target_key(item.key), item))
            except KeyFormatError as exc:
                self.report.add(
                    Kind.MISPLACED, item.key, partition, f"key does not parse: {exc.reason}"
                )
        if not copies:
            return
        kept = kept_copy(copies, self.config.placement_lag_days) if len(copies) > 1 else 0
        kept_item = copies[kept][1]
        for index, (target, item) in enumerate(copies):
            self.partition_sizes[target.day, bucket] += 1
            if index == kept:
                self._placed_copy(bucket, target, item)
                continue
            same = item.etag == kept_item.etag and item.size == kept_item.size
            wrong_day = placement_problem(target, self.config.placement_lag_days)
            self.report.add(
                Kind.DUPLICATE,
                item.key,
                partition_label(target.day, bucket),
                f"same file as {kept_item.key} ({'identical' if same else 'content differs'})"
                + ("; this copy is also in the wrong day" if wrong_day else ""),
                related=kept_item.key,
            )
            self._maybe_read(target, item)

    def _placed_copy(self, bucket: str, target: TargetKey, item: ListedObject) -> None:
        problem = placement_problem(target, self.config.placement_lag_days)
        if problem is not None:
            home = self.layout.partition_prefix(target.delivered_at.date(), bucket)
            self.report.add(
                Kind.MISPLACED,
                item.key,
                partition_label(target.day, bucket),
                f"{problem}; belongs in {home}",
                related=home + target.file_name,
            )
        self._maybe_read(target, item)

    # -- reading ------------------------------------------------------------------------

    def _maybe_read(self, target: TargetKey, item: ListedObject) -> None:
        if not self.read_objects:
            return
        sampling = self.config.sample is not None and self.row_counter is None
        if not sampling:
            self.progress.to_read(1)
            self._submit(lambda: self._read(target, item))
            return
        # Reservoir sampling: a uniform sample of everything listed, in bounded memory.
        assert self.config.sample is not None
        self.sample_seen += 1
        if len(self.sample) < self.config.sample:
            self.sample.append((target, item))
        else:
            slot = self.random.randrange(self.sample_seen)
            if slot < self.config.sample:
                self.sample[slot] = (target, item)

    def _read_sample(self) -> None:
        self.progress.to_read(len(self.sample))
        for target, item in self.sample:
            self._submit(partial(self._read, target, item))
        self.sample = []

    def _read(self, target: TargetKey, item: ListedObject) -> Callable[[], None]:
        reading = read_object(
            self.s3,
            self.config.log_bucket,
            key=item.key,
            partition=partition_label(target.day, target.bucket),
            bucket=target.bucket,
            day=target.day,
            size=item.size,
            max_lag_days=self.config.max_lag_days,
        )
        return lambda: self._apply_reading(target, reading)

    def _apply_reading(self, target: TargetKey, reading: ObjectReading | None) -> None:
        self.progress.read(1)
        if reading is None:
            return
        self.report.objects_read += 1
        if self.config.deep:
            reading_findings(self.report, reading)
        if self.athena_counts is not None:
            if self.comparison is None:
                self.comparison = AthenaComparison(
                    self.config.log_bucket, self.athena_counts.result()
                )
            if (target.day, target.bucket) in self.unreachable:
                self.comparison.skip(reading.key)
            else:
                self.comparison.compare(self.report, reading)

    # -- tasks in the pool ------------------------------------------------------------------

    def _submit(self, work: Callable[[], Callable[[], None]]) -> None:
        """Run ``work`` in the pool; the update it returns is applied here, later. At most
        ``max_tasks`` in flight, so a million stragglers do not queue a million tasks."""
        while len(self.tasks) >= self.max_tasks:
            self._settle(wait(self.tasks, return_when=FIRST_COMPLETED).done)
        self.tasks.add(self.pool.submit(work))

    def _settle(self, done: set[Future[Callable[[], None]]]) -> None:
        for future in done:
            self.tasks.discard(future)
            future.result()()

    def _drain(self) -> None:
        while self.tasks:
            self._settle(wait(self.tasks, return_when=FIRST_COMPLETED).done)

    # -- projection and Athena --------------------------------------------------------------

    def _check_projection(self, found: Discovered) -> None:
        projection = self.config.projection
        if projection is None:
            return
        for bucket, days in found.partitions.items():
            for day in days:
                if projection.problem(day, bucket) is not None:
                    self.unreachable.add((day, bucket))

    def _start_athena(self, found: Discovered) -> None:
        assert self.row_counter is not None
        pairs = [
            (day, bucket)
            for bucket, days in found.partitions.items()
            for day in days
            if (day, bucket) not in self.unreachable
        ]
        if not pairs:
            self.comparison = AthenaComparison(self.config.log_bucket, {})
            self.athena_counts = self.pool.submit(dict)
            return
        counter = self.row_counter
        days = sorted({day for day, _ in pairs})
        buckets = sorted({bucket for _, bucket in pairs})
        self.athena_counts = self.pool.submit(counter.row_counts, days, buckets)

    def _finish(self, found: Discovered) -> None:
        projection = self.config.projection
        if projection is not None:
            location = projection.location_problem(self.config.log_bucket, self.layout)
            if location is not None:
                self.report.add(Kind.UNPROJECTED, None, None, location)
            for day, bucket in sorted(self.unreachable):
                problem = projection.problem(day, bucket)
                count = self.partition_sizes.get((day, bucket), 0)
                self.report.add(
                    Kind.UNPROJECTED,
                    None,
                    partition_label(day, bucket),
                    f"{problem}: its {count} objects are invisible to Athena",
                )
            if projection.bucket_values is not None:
                wanted = projection.bucket_values
                if self.config.buckets is not None:
                    wanted = wanted & self.config.buckets
                for bucket in sorted(wanted - set(found.partitions)):
                    self.report.add(
                        Kind.UNUSED_BUCKET_VALUE,
                        None,
                        None,
                        f"projection.bucket.values lists {bucket!r} but no partition from "
                        f"{self.config.first_day} to {self.config.last_day} holds data for it",
                    )
        if self.athena_counts is not None:
            if self.comparison is None:
                self.comparison = AthenaComparison(
                    self.config.log_bucket, self.athena_counts.result()
                )
            self.comparison.leftovers(self.report)
