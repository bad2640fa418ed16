"""What a cache holds, in days: so that "no data" can say what there is instead.

Read from the partition directories alone (``parquet/year=Y/month=M/day=D/bucket=B/``), which
is instant and needs no manifest. The typed cache files every record under its own request
day (UTC), so the partition days are the days the cache has records of.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .schema import PARQUET_DIR

__all__ = ["CacheContents", "cache_contents", "day_runs"]


def day_runs(days: list[date] | tuple[date, ...], *, most: int = 8) -> str:
    """Days as runs: ``2024-03-04 to 2024-03-06, 2024-03-09`` (at most ``most`` runs shown)."""
    runs: list[tuple[date, date]] = []
    for day in sorted(days):
        if runs and (day - runs[-1][1]).days == 1:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    shown = ", ".join(str(a) if a == b else f"{a} to {b}" for a, b in runs[:most])
    return shown + (f" and {len(runs) - most} more runs of days" if len(runs) > most else "")


_PART = re.compile(r"year=(\d{4})/month=(\d{1,2})/day=(\d{1,2})/bucket=([^/]+)")


@dataclass(frozen=True)
class CacheContents:
    """The partition days and source buckets present in a cache directory."""

    cache_dir: Path
    days: tuple[date, ...]
    buckets: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return not self.days

    def describe(self) -> str:
        """``the cache DIR holds records of 2024-03-01 to 2024-03-05 (UTC request days: 5 days;
        buckets a, b)``, naming gaps when the days are not one run."""
        if self.empty:
            return (
                f"the cache {self.cache_dir} holds no data yet: fill it with `s3logs-athena "
                "sync` or `s3logs-athena ingest`"
            )
        spans = day_runs(self.days, most=5)
        count = len(self.days)
        buckets = ", ".join(self.buckets[:5]) + (" ..." if len(self.buckets) > 5 else "")
        return (
            f"the cache {self.cache_dir} holds records of {spans} "
            f"(UTC request days: {count} day{'' if count == 1 else 's'}; buckets {buckets})"
        )


def cache_contents(cache_dir: Path | str) -> CacheContents:
    """The days and buckets with at least one Parquet file under ``cache_dir``."""
    root = Path(cache_dir).expanduser()
    days: set[date] = set()
    buckets: set[str] = set()
    parquet = root / PARQUET_DIR
    if parquet.is_dir():
        for file in parquet.glob("year=*/month=*/day=*/bucket=*/*.parquet"):
            match = _PART.search(file.relative_to(parquet).as_posix())
            if match is None:
                continue
            try:
                days.add(date(int(match[1]), int(match[2]), int(match[3])))
            except ValueError:
                continue
            buckets.add(match[4])
    return CacheContents(root, tuple(sorted(days)), tuple(sorted(buckets)))
