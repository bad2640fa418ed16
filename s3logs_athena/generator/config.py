"""What to generate: :class:`GeneratorConfig` and the per-bucket :class:`BucketSpec` it implies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from ..errors import ConfigError
from ..layout import DEFAULT_SOURCE_PATTERN, KeyFormat, Layout, validate_bucket_name
from .lines import MAX_FIELDS, MIN_FIELDS
from .vocabulary import BUCKET_KINDS

__all__ = ["BucketSpec", "GeneratorConfig", "PartitionDateSource"]

PartitionDateSource = Literal["DeliveryTime", "EventTime"]

_REGIONS = ("us-east-1", "eu-west-1", "us-west-2", "ap-southeast-2")
# Lines of today's buckets have all 27 fields; older deliveries end earlier. Cycled per bucket.
_FIELD_COUNTS = (27, 26, 25, 24)


@dataclass(frozen=True, slots=True)
class BucketSpec:
    """One source bucket: its name, use, log key format, line length and home."""

    name: str
    kind: str
    key_format: KeyFormat
    field_count: int
    region: str
    account_id: str


@dataclass(frozen=True)
class GeneratorConfig:
    """Size, shape and seed of a synthetic dataset. Same config, same bytes.

    ``buckets`` source buckets (named ``<name_prefix>-<kind>[-<n>]``) over ``days`` days from
    ``start``; each day each bucket gets ``objects_per_day`` log objects (one per equal time
    window) holding about ``records_per_object`` records on average, more by day than by night.
    ``key_formats`` picks SimplePrefix/PartitionedPrefix per bucket (default: alternating,
    SimplePrefix first); ``stragglers`` marks that many objects for the checker demo.
    """

    buckets: int = 3
    days: int = 3
    objects_per_day: int = 24
    records_per_object: int = 200
    seed: int = 7
    start: date = date(2024, 3, 4)
    account_id: str = "123456789012"
    name_prefix: str = "acme"
    source_pattern: str = DEFAULT_SOURCE_PATTERN
    #: Prefix before ``<account>/<region>/<bucket>/...`` of PartitionedPrefix keys.
    partitioned_prefix: str = ""
    partition_date_source: PartitionDateSource = "DeliveryTime"
    key_formats: tuple[KeyFormat, ...] | None = None
    field_counts: tuple[int, ...] | None = None
    incidents: bool = True
    stragglers: int = 0

    def __post_init__(self) -> None:
        for name in ("buckets", "days", "objects_per_day", "records_per_object"):
            if getattr(self, name) < 1:
                raise ConfigError(name, f"must be at least 1, got {getattr(self, name)}")
        if 86_400 % self.objects_per_day:
            raise ConfigError(
                "objects_per_day", "must divide a day into whole seconds (e.g. 24, 48, 96, 288)"
            )
        if self.stragglers < 0:
            raise ConfigError("stragglers", "must not be negative")
        if not (len(self.account_id) == 12 and self.account_id.isdigit()):
            raise ConfigError("account_id", f"{self.account_id!r} is not a 12-digit account ID")
        if self.partitioned_prefix and not self.partitioned_prefix.endswith("/"):
            raise ConfigError("partitioned_prefix", "must be empty or end with '/'")
        if self.partition_date_source not in ("DeliveryTime", "EventTime"):
            raise ConfigError("partition_date_source", "must be DeliveryTime or EventTime")
        for count in self.field_counts or ():
            if not MIN_FIELDS <= count <= MAX_FIELDS:
                raise ConfigError("field_counts", f"{count} is not in {MIN_FIELDS}..{MAX_FIELDS}")
        Layout(source_pattern=self.source_pattern)  # validates the pattern

    @property
    def layout(self) -> Layout:
        """The layout whose ``parse_source_key`` reads the generated keys."""
        return Layout(source_pattern=self.source_pattern)

    def bucket_specs(self) -> tuple[BucketSpec, ...]:
        formats = self.key_formats or (KeyFormat.SIMPLE, KeyFormat.PARTITIONED)
        counts = self.field_counts or _FIELD_COUNTS
        specs = []
        for index in range(self.buckets):
            kind = BUCKET_KINDS[index % len(BUCKET_KINDS)]
            round_ = index // len(BUCKET_KINDS)
            name = f"{self.name_prefix}-{kind}" + (f"-{round_ + 1}" if round_ else "")
            specs.append(
                BucketSpec(
                    name=validate_bucket_name(name),
                    kind=kind,
                    key_format=formats[index % len(formats)],
                    field_count=counts[index % len(counts)],
                    region=_REGIONS[index % len(_REGIONS)],
                    account_id=self.account_id,
                )
            )
        return tuple(specs)
