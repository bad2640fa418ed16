"""How much a query can scan, before it runs: partitions, objects, bytes and the price.

For each table the query reads (:func:`~s3logs_athena.cost.predicate.find_scans`), the
partitions its partition predicate admits among those the table's projection enumerates,
exactly as Athena's partition projection picks them; then the objects and bytes stored under
exactly those partition folders, from concurrent listings. Athena bills the bytes each scan
reads, so the estimate sums over scans (a query that reads a day twice pays for it twice),
at Athena's price per TB, rounded up to the MB with its 10 MB minimum per query.

**An upper bound.** Athena reads every byte of a text log object, so for the raw table the
estimate is what Athena bills (compressed objects aside). From Parquet (the compacted table)
it reads only the columns a query uses, and a reused result reads nothing: there the real
figure is lower, often much lower. After a run, :meth:`Estimate.accuracy` says how far off
the estimate was from Athena's ``DataScannedInBytes``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from ..errors import InputError
from ..layout import PARTITION_COLUMNS
from .listing import Lister, LocalLister, S3Lister
from .predicate import (
    STRING_COLUMNS,
    PredicateEvaluator,
    Row,
    Scan,
    find_scans,
    only_static_equalities,
    static_values,
)
from .sizes import format_size, usd_per_tb
from .stores import PartitionStore, split_table_name, store_from_location, stores_from_glue

__all__ = [
    "UPPER_BOUND_NOTE",
    "Accuracy",
    "Estimate",
    "ScanEstimate",
    "estimate_query",
    "estimate_sql",
    "glue_resolver",
    "selected_partitions",
]

UPPER_BOUND_NOTE = (
    "an upper bound: every byte stored under the partitions the query can read; Athena reads "
    "all of a text (raw) log object but only the columns a query uses from Parquet, and "
    "nothing for a reused result"
)

StoreResolver = Callable[[Scan], Sequence[PartitionStore]]
_NAMES = tuple(c.name for c in PARTITION_COLUMNS)


@dataclass(frozen=True)
class ScanEstimate:
    """One read of a table: what its partition predicate admits, and what is stored there."""

    relation: str
    #: The partition predicate as Athena SQL (``TRUE``: none, every partition).
    predicate: str
    partitions: int
    objects: int
    bytes: int
    #: Where it reads (location templates' roots).
    locations: tuple[str, ...]


@dataclass(frozen=True)
class Accuracy:
    """An estimate next to what Athena reported scanning."""

    estimate_bytes: int
    actual_bytes: int
    actual_usd: float
    reused: bool = False

    @property
    def ratio(self) -> float | None:
        """Estimate / actual (``None`` when Athena scanned nothing)."""
        return self.estimate_bytes / self.actual_bytes if self.actual_bytes else None

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ratio": self.ratio}

    def describe(self) -> str:
        if self.reused:
            return (
                f"Athena reused an earlier result: scanned 0 B ($0) against an estimate of "
                f"{format_size(self.estimate_bytes)}"
            )
        ratio = self.ratio
        off = f", {ratio:.2f}x the actual" if ratio is not None else ""
        return (
            f"Athena scanned {format_size(self.actual_bytes)} (${self.actual_usd:.6f}); "
            f"the estimate was {format_size(self.estimate_bytes)}{off}"
        )


@dataclass(frozen=True)
class Estimate:
    """What a query can scan (see the module docstring: an upper bound)."""

    #: Distinct partition folders the query can read (a location's day and bucket).
    partitions: int
    #: Objects stored under them.
    objects: int
    #: Bytes the query's scans can read, summed over its scans.
    bytes: int
    #: Athena's price for ``bytes`` (rounded up to the MB, 10 MB minimum).
    usd: float
    usd_per_tb: float
    scans: tuple[ScanEstimate, ...]
    #: First and last day of the partitions read (``None`` when none).
    first_day: date | None
    last_day: date | None
    buckets: tuple[str, ...]
    #: ListObjectsV2 requests the estimate made.
    list_requests: int = 0
    query: str | None = None

    @property
    def upper_bound(self) -> bool:
        return True

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``partitions``, ``objects``, ``bytes``, ``usd`` and the details."""
        return {
            "query": self.query,
            "partitions": self.partitions,
            "objects": self.objects,
            "bytes": self.bytes,
            "usd": self.usd,
            "usd_per_tb": self.usd_per_tb,
            "upper_bound": True,
            "note": UPPER_BOUND_NOTE,
            "first_day": self.first_day.isoformat() if self.first_day else None,
            "last_day": self.last_day.isoformat() if self.last_day else None,
            "buckets": list(self.buckets),
            "list_requests": self.list_requests,
            "scans": [{**asdict(s), "locations": list(s.locations)} for s in self.scans],
        }

    def describe(self) -> str:
        """One line: ``12 partitions, 340 objects, 1.3 GB: at most $0.0059 ...``."""
        days = ""
        if self.first_day and self.last_day:
            count = len(self.buckets)
            days = f" ({self.first_day} to {self.last_day}, {count} bucket{'s' * (count != 1)})"
        return (
            f"{self.partitions:,} partitions{days}, {self.objects:,} objects, "
            f"{format_size(self.bytes)}: at most ${self.usd:.6f} at ${self.usd_per_tb:g}/TB "
            f"({UPPER_BOUND_NOTE})"
        )

    def accuracy(self, actual_bytes: int | None, *, reused: bool = False) -> Accuracy:
        """This estimate against Athena's ``DataScannedInBytes`` for the same query."""
        from ..engines.result import athena_cost_usd

        actual = actual_bytes or 0
        return Accuracy(
            self.bytes,
            actual,
            athena_cost_usd(actual, reused=reused, usd_per_tb=self.usd_per_tb),
            reused,
        )


def _injected_error(store: PartitionStore) -> InputError:
    return InputError(
        f"{store.source} projects the bucket as 'injected': Athena runs a query on it only "
        "when the query names its buckets with static equalities (-p buckets=a,b); this one "
        "does not, so Athena would refuse it (CONSTRAINT_VIOLATION)"
    )


def selected_partitions(
    scan: Scan,
    store: PartitionStore,
    evaluator: PredicateEvaluator,
    lister: Lister | None = None,
) -> list[Row]:
    """The partitions (rows in :data:`PARTITION_COLUMNS` order) of ``store`` that ``scan``
    can read: its projection's candidates that the partition predicate admits. Bucket values
    come from the predicate's static equalities, else the enum projection, else the folders
    ``lister`` finds under each candidate day (no ``lister``: :class:`InputError`)."""
    (column,) = STRING_COLUMNS  # the layout has one string partition column, the bucket
    position = _NAMES.index(column)
    predicate = scan.predicate
    if store.injected and not only_static_equalities(predicate, column):
        raise _injected_error(store)
    days = evaluator.select_grid(predicate, store.ranges)
    values = static_values(predicate, column)
    if store.bucket_values is not None:
        values = store.bucket_values if values is None else values & store.bucket_values
    candidates: list[Row] = []
    if values is not None:
        ordered = sorted(values)
        for row in days:
            candidates += [(*row[:position], v, *row[position + 1 :]) for v in ordered]
    elif days:
        if lister is None:
            raise InputError(f"{scan.relation}: the buckets to read are not known without listing")
        folders = {}
        for row in days:
            values_of = dict(zip(_NAMES, row, strict=True))
            folders[row] = store.folder_of(values_of, column)
        found = lister.folders(sorted({parent for parent, _, _ in folders.values()}))
        for row, (parent, before, after) in folders.items():
            for name in found.get(parent, ()):
                if name.startswith(before) and name.endswith(after) and name != before + after:
                    value = name[len(before) : len(name) - len(after)]
                    candidates.append((*row[:position], value, *row[position + 1 :]))
    return evaluator.select(predicate, candidates)


def _day(row: Row) -> date | None:
    values = dict(zip(_NAMES, row, strict=True))
    try:
        return date(int(values["year"]), int(values["month"]), int(values["day"]))
    except (KeyError, TypeError, ValueError):
        return None


def estimate_sql(
    sql: str,
    resolve: StoreResolver | Sequence[PartitionStore],
    lister: Lister,
    *,
    price_per_tb: float | None = None,
    query: str | None = None,
) -> Estimate:
    """The estimate for Athena SQL ``sql``. ``resolve`` gives the stores each scan reads
    (or is the stores every scan reads); ``lister`` lists them."""
    from ..engines.result import athena_cost_usd

    price = usd_per_tb(price_per_tb)
    scans = find_scans(sql)
    resolver: StoreResolver = resolve if callable(resolve) else (lambda _scan: tuple(resolve))
    plans: list[tuple[Scan, list[tuple[PartitionStore, Row, str]]]] = []
    with PredicateEvaluator() as evaluator:
        for scan in scans:
            read: list[tuple[PartitionStore, Row, str]] = []
            for store in resolver(scan):
                for row in selected_partitions(scan, store, evaluator, lister):
                    read.append((store, row, store.prefix(dict(zip(_NAMES, row, strict=True)))))
            plans.append((scan, read))
    folders = sorted({folder for _, read in plans for _, _, folder in read})
    totals = lister.totals(folders)
    scan_estimates = []
    for scan, read in plans:
        mine = {folder for _, _, folder in read}
        scan_estimates.append(
            ScanEstimate(
                relation=scan.relation,
                predicate=scan.sql(),
                partitions=len(mine),
                objects=sum(totals[f].objects for f in mine),
                bytes=sum(totals[f].bytes for f in mine),
                locations=tuple(dict.fromkeys(store.location for store, _, _ in read)),
            )
        )
    rows = [row for _, read in plans for _, row, _ in read]
    days = sorted(d for d in map(_day, rows) if d is not None)
    bucket_at = _NAMES.index(STRING_COLUMNS[0])
    scanned = sum(s.bytes for s in scan_estimates)
    return Estimate(
        partitions=len(folders),
        objects=sum(totals[f].objects for f in folders),
        bytes=scanned,
        usd=athena_cost_usd(scanned, usd_per_tb=price),
        usd_per_tb=price,
        scans=tuple(scan_estimates),
        first_day=days[0] if days else None,
        last_day=days[-1] if days else None,
        buckets=tuple(sorted({str(row[bucket_at]) for row in rows})),
        list_requests=getattr(lister, "requests", 0),
        query=query,
    )


def glue_resolver(
    glue: Any, default_database: str, tables: Sequence[str] | None = None
) -> StoreResolver:
    """Stores from Glue: those of ``tables`` (``DATABASE.TABLE``) for every scan, or, with no
    ``tables``, each scan's own table (a view: the tables it reads)."""
    cache: dict[tuple[str, str], list[PartitionStore]] = {}

    def stores_of(database: str, table: str) -> list[PartitionStore]:
        key = (database.lower(), table.lower())
        if key not in cache:
            cache[key] = stores_from_glue(glue, database, table)
        return cache[key]

    if tables:
        named = [split_table_name(t) for t in tables]
        return lambda _scan: [s for db, t in named for s in stores_of(db, t)]
    return lambda scan: stores_of(scan.database or default_database, scan.table)


def estimate_query(
    name: str,
    params: Mapping[str, Any] | None = None,
    *,
    location: str | Sequence[str] | None = None,
    table: str | Sequence[str] | None = None,
    s3: Any = None,
    glue: Any = None,
    region: str | None = None,
    usd_per_tb: float | None = None,
    concurrency: int = 32,
    now: datetime | None = None,
) -> Estimate:
    """What query template ``name`` with ``params`` can scan on Athena (an upper bound).

    Where the data is: ``location`` (``s3://BUCKET/PartitionedLogs/``, or several: raw and
    compacted, summed), else the Glue table(s) ``table`` (``DATABASE.TABLE``), else the
    tables the query itself reads, looked up in Glue. ``s3``/``glue`` are boto3 clients
    (made for ``region`` when not given). ``usd_per_tb``: Athena's price (default
    ``$S3LOGS_ATHENA_USD_PER_TB`` or $5)."""
    from ..templates.catalog import render_template

    rendered = render_template(name, dict(params or {}), dialect="athena", now=now)
    database = str(rendered.params.get("database") or "")
    resolve: StoreResolver | Sequence[PartitionStore]
    if location:
        locations = [location] if isinstance(location, str) else list(location)
        resolve = [store_from_location(loc) for loc in locations]
    else:
        if glue is None:
            import boto3

            glue = boto3.client("glue", region_name=region)
        tables = [table] if isinstance(table, str) else list(table) if table else None
        resolve = glue_resolver(glue, database, tables)
    if s3 is None:
        from ..check.client import make_s3_client

        s3 = make_s3_client(concurrency=concurrency, region_name=region)
    return estimate_sql(
        rendered.sql,
        resolve,
        S3Lister(s3, concurrency=concurrency),
        price_per_tb=usd_per_tb,
        query=rendered.name,
    )


def estimate_local(sql: str, parquet_root: str) -> Estimate:
    """What ``sql`` can read from the local cache's Parquet files under ``parquet_root``
    (its partitions' file sizes; DuckDB, like Athena, reads only the columns it needs)."""
    from .stores import store_for_cache

    return estimate_sql(sql, [store_for_cache(parquet_root)], LocalLister())
