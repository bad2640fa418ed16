"""Assemble log objects the way S3 delivers them, and upload them.

Each day of each bucket is cut into ``objects_per_day`` equal windows. The records of a window
(ordinary traffic following a day/night curve, plus any planted incident) go into one log
object that S3 "delivers" a few minutes after the window closes; so the object of the last
window of a day is written after midnight and named (and, for SimplePrefix or
``DeliveryTime``, partitioned) by the next day: records from before midnight in the next
day's object, as real S3 does.

Object keys are real ones: ``YYYY-MM-DD-hh-mm-ss-<16 hex>`` (delivery time) under
``<bucket>/`` (SimplePrefix with the configured pattern) or
``<account>/<region>/<bucket>/YYYY/MM/DD/`` (PartitionedPrefix).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from ..errors import InputError
from ..layout import KeyFormat
from ..parser import LogRecord
from .builders import emit
from .config import BucketSpec, GeneratorConfig
from .incidents import plant
from .lines import format_line
from .traffic import BucketTraffic, cumulative
from .truth import BucketInfo, GroundTruth, compute_truth
from .vocabulary import Actor, actors_for, build_catalog, build_pools

__all__ = ["GeneratedDataset", "LogObject", "generate", "upload"]


@dataclass(frozen=True, slots=True)
class LogObject:
    """One delivered log object."""

    key: str
    bucket: str
    delivered_at: datetime
    #: The day that partitions the object (``Layout.parse_source_key(key).day``).
    day: date
    field_count: int
    records: tuple[LogRecord, ...]
    body: bytes
    straggler: bool = False


@dataclass(frozen=True)
class GeneratedDataset:
    """Log objects in delivery order, and what they contain."""

    config: GeneratorConfig
    buckets: tuple[BucketSpec, ...]
    log_objects: tuple[LogObject, ...]
    truth: GroundTruth

    @property
    def objects(self) -> dict[str, bytes]:
        """Key -> body, in delivery order."""
        return {o.key: o.body for o in self.log_objects}

    @property
    def straggler_keys(self) -> tuple[str, ...]:
        return self.truth.stragglers

    def records(self) -> Iterator[tuple[LogObject, LogRecord]]:
        """Every record with the object it is in."""
        for log_object in self.log_objects:
            for record in log_object.records:
                yield log_object, record

    @property
    def total_bytes(self) -> int:
        return sum(len(o.body) for o in self.log_objects)


def _diurnal(hour: float) -> float:
    """Relative activity of people at ``hour`` UTC: lowest at 03:00, highest at 15:00."""
    return 0.25 + 0.75 * (1 - math.cos(2 * math.pi * (hour - 3) / 24)) / 2


_DIURNAL_MEAN = 0.625  # mean of _diurnal over a day


def _owner_id(rng: random.Random) -> str:
    return f"{rng.getrandbits(256):064x}"


def generate(config: GeneratorConfig | None = None) -> GeneratedDataset:
    """Generate a dataset. Pure and deterministic: same config, same bytes."""
    config = config or GeneratorConfig()
    seed = config.seed
    rng = random.Random(f"{seed}:dataset")
    pools = build_pools(rng)
    specs = config.bucket_specs()
    traffics = [
        BucketTraffic(
            spec,
            _owner_id(rng),
            actors_for(spec.kind, spec.account_id, random.Random(f"{seed}:{spec.name}"), pools),
            build_catalog(spec.kind, random.Random(f"{seed}:{spec.name}:catalog")),
        )
        for spec in specs
    ]
    days = [config.start + timedelta(days=n) for n in range(config.days)]
    planted: dict[tuple[str, date], list[LogRecord]] = {}
    placement = who = None
    if config.incidents:
        planted, placement, who = plant(traffics, days, random.Random(f"{seed}:incidents"))
    log_objects: list[LogObject] = []
    for traffic in traffics:
        for day in days:
            day_rng = random.Random(f"{seed}:{traffic.spec.name}:{day.isoformat()}")
            extra = planted.get((traffic.spec.name, day), [])
            log_objects.extend(_day_objects(config, traffic, day, day_rng, extra))
    log_objects.sort(key=lambda o: (o.delivered_at, o.key))
    log_objects = _mark_stragglers(log_objects, config, random.Random(f"{seed}:stragglers"))
    truth = compute_truth(
        ((o.bucket, o.day, r) for o in log_objects for r in o.records),
        seed=seed,
        start=config.start,
        days=config.days,
        buckets=tuple(
            BucketInfo(s.name, s.kind, s.key_format, s.field_count, s.region, s.account_id)
            for s in specs
        ),
        objects=len(log_objects),
        placement=placement,
        who=who,
        stragglers=tuple(o.key for o in log_objects if o.straggler),
    )
    return GeneratedDataset(config, specs, tuple(log_objects), truth)


def _day_objects(
    config: GeneratorConfig,
    traffic: BucketTraffic,
    day: date,
    rng: random.Random,
    extra: list[LogRecord],
) -> list[LogObject]:
    windows = config.objects_per_day
    width = 86_400 // windows
    day_start = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())
    actors = traffic.actors
    total_share = sum(share for _, share in actors)
    # Expected volume of each window relative to the day's mean, from the actor mix.
    shapes = []
    for window in range(windows):
        hour = (window + 0.5) * width / 3600
        weights = [
            share * (_diurnal(hour) / _DIURNAL_MEAN if actor.human else 1.0)
            for actor, share in actors
        ]
        shapes.append((sum(weights) / total_share, cumulative(weights)))
    mean_shape = sum(volume for volume, _ in shapes) / windows
    by_window: list[list[LogRecord]] = [[] for _ in range(windows)]
    actor_list: list[Actor] = [actor for actor, _ in actors]
    for window, (volume, actor_weights) in enumerate(shapes):
        start = day_start + window * width
        latest = start + width - 1
        expected = config.records_per_object * volume / mean_shape
        target = max(1, round(expected * rng.uniform(0.85, 1.15)))
        bucket = by_window[window]
        while len(bucket) < target:
            actor = rng.choices(actor_list, cum_weights=actor_weights)[0]
            bucket.extend(emit(traffic, actor, rng, start + rng.randrange(width), latest))
    for record in extra:
        assert record.requestdatetime is not None
        offset = int(record.requestdatetime.timestamp()) - day_start
        by_window[offset // width].append(record)
    out = []
    for window, records in enumerate(by_window):
        records.sort(key=_request_time)
        delivered = datetime.fromtimestamp(
            day_start + (window + 1) * width + rng.randint(120, 3300), UTC
        )
        out.append(_log_object(config, traffic.spec, day, delivered, records, rng))
    return out


def _request_time(record: LogRecord) -> datetime:
    assert record.requestdatetime is not None
    return record.requestdatetime


def _log_object(
    config: GeneratorConfig,
    spec: BucketSpec,
    event_day: date,
    delivered: datetime,
    records: list[LogRecord],
    rng: random.Random,
) -> LogObject:
    unique = f"{rng.getrandbits(64):016X}"
    file_name = f"{delivered:%Y-%m-%d-%H-%M-%S}-{unique}"
    if spec.key_format is KeyFormat.PARTITIONED:
        day = delivered.date()
        if config.partition_date_source == "EventTime":
            # As AWS documents it: one day per object, named after that day at 00-00-00.
            day = event_day
            file_name = f"{event_day:%Y-%m-%d}-00-00-00-{unique}"
        key = (
            f"{config.partitioned_prefix}{spec.account_id}/{spec.region}/{spec.name}/"
            f"{day:%Y/%m/%d}/{file_name}"
        )
    else:
        day = delivered.date()
        key = config.layout.source_prefix(spec.name) + file_name
    body = "".join(format_line(r, spec.field_count) + "\n" for r in records).encode()
    return LogObject(key, spec.name, delivered, day, spec.field_count, tuple(records), body)


def _mark_stragglers(
    objects: list[LogObject], config: GeneratorConfig, rng: random.Random
) -> list[LogObject]:
    if not config.stragglers:
        return objects
    chosen = set(rng.sample(range(len(objects)), min(config.stragglers, len(objects))))
    return [
        LogObject(o.key, o.bucket, o.delivered_at, o.day, o.field_count, o.records, o.body, True)
        if index in chosen
        else o
        for index, o in enumerate(objects)
    ]


def upload(
    s3: Any,
    bucket: str,
    dataset: GeneratedDataset | Iterable[LogObject],
    *,
    keys: Iterable[str] | None = None,
    max_workers: int = 8,
    on_uploaded: Callable[[LogObject], None] | None = None,
) -> int:
    """Put the dataset's objects (or only ``keys``) into ``bucket`` with a boto3 S3 client,
    ``max_workers`` at a time, as ``text/plain`` like S3's own deliveries. Returns how many
    were uploaded; ``on_uploaded`` is called (from worker threads) after each one."""
    objects = dataset.log_objects if isinstance(dataset, GeneratedDataset) else tuple(dataset)
    if keys is not None:
        wanted = set(keys)
        objects = tuple(o for o in objects if o.key in wanted)
        missing = wanted - {o.key for o in objects}
        if missing:
            raise InputError(f"keys not in the dataset: {sorted(missing)[:3]}")

    def put(log_object: LogObject) -> None:
        s3.put_object(
            Bucket=bucket, Key=log_object.key, Body=log_object.body, ContentType="text/plain"
        )
        if on_uploaded is not None:
            on_uploaded(log_object)

    with ThreadPoolExecutor(max_workers=max_workers) as pool:
        for _ in pool.map(put, objects):
            pass
    return len(objects)
