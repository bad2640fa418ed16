"""Ground truth of a generated dataset: the facts a correct pipeline must report.

Everything is computed from the records the generator wrote (the same values a parser reads
back), grouped by *request* time, so a query over a day range must find exactly these numbers
however the records were spread over log objects. Incident facts select records by the
incident's own address or principal, which no ordinary actor uses.

Keys in :class:`Deletion` are as logged (URL-encoded: spaces as ``+``); ``object_key`` is the
decoded object name.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import unquote_plus

from ..layout import KeyFormat
from ..parser import LogRecord
from .builders import CONFIG_WRITES, DELETE_OPERATIONS
from .incidents import IncidentActors, Placement

__all__ = [
    "AccessDeniedBurst",
    "BucketInfo",
    "BulkDownload",
    "ConfigChange",
    "DayBucketStats",
    "Deletion",
    "GroundTruth",
    "LegacyTlsClient",
    "PrincipalStats",
    "UnusualDeletions",
    "compute_truth",
]

_CONFIG_WRITE_OPERATIONS = frozenset(operation for operation, _ in CONFIG_WRITES)


@dataclass(frozen=True, slots=True)
class BucketInfo:
    name: str
    kind: str
    key_format: KeyFormat
    field_count: int
    region: str
    account_id: str


@dataclass(frozen=True, slots=True)
class DayBucketStats:
    """Requests of one bucket on one UTC day (by request time)."""

    day: date
    bucket: str
    requests: int
    errors: int  # HTTP status >= 400
    access_denied: int  # 403
    server_errors: int  # >= 500
    bytes_sent: int


@dataclass(frozen=True, slots=True)
class PrincipalStats:
    """Requests and bytes of one requester or remote address (``None`` = ``-``)."""

    name: str | None
    requests: int
    bytes_sent: int


@dataclass(frozen=True, slots=True)
class Deletion:
    bucket: str
    key: str
    object_key: str
    operation: str  # REST.DELETE.OBJECT, BATCH.DELETE.OBJECT or S3.EXPIRE.OBJECT
    requester: str | None
    remote_ip: str | None
    time: datetime
    request_id: str | None


@dataclass(frozen=True, slots=True)
class ConfigChange:
    bucket: str
    operation: str
    requester: str | None
    remote_ip: str | None
    time: datetime
    http_status: int | None


@dataclass(frozen=True, slots=True)
class BulkDownload:
    bucket: str
    requester: str
    remote_ip: str
    user_agent: str
    start: datetime  # first request
    end: datetime  # last request
    requests: int  # every request from remote_ip (listings included)
    get_requests: int
    objects: int  # distinct keys downloaded
    bytes_sent: int


@dataclass(frozen=True, slots=True)
class AccessDeniedBurst:
    bucket: str
    remote_ip: str
    requester: str | None  # None: anonymous
    user_agent: str
    start: datetime
    end: datetime
    requests: int
    access_denied: int
    by_hour: dict[datetime, int]  # hour (UTC) -> 403 responses


@dataclass(frozen=True, slots=True)
class UnusualDeletions:
    requester: str
    remote_ip: str
    user_agent: str
    requests: int  # every request by the requester
    deletions: tuple[Deletion, ...]
    #: Deletions whose record arrived in a log object of the day after the request.
    delivered_next_day: int


@dataclass(frozen=True, slots=True)
class LegacyTlsClient:
    remote_ip: str
    requester: str
    user_agent: str
    tls_version: str
    cipher_suite: str
    requests: int
    buckets: tuple[str, ...]
    days: tuple[date, ...]


@dataclass(frozen=True)
class GroundTruth:
    """What the generated logs contain (see the module docstring)."""

    seed: int
    start: date
    end: date  # exclusive: the day after the last day with requests
    buckets: tuple[BucketInfo, ...]
    objects: int
    records: int
    #: Records in a log object whose partition day is later than the request day.
    late_records: int
    total_bytes_sent: int
    per_day_bucket: tuple[DayBucketStats, ...]
    requests_by_operation: dict[str, int]
    errors_by_code: dict[str, int]
    requests_by_tls_version: dict[str | None, int]
    requesters: tuple[PrincipalStats, ...]  # most bytes first
    remote_ips: tuple[PrincipalStats, ...]  # most bytes first
    deletions: tuple[Deletion, ...]
    config_changes: tuple[ConfigChange, ...]
    bulk_download: BulkDownload | None = None
    access_denied_burst: AccessDeniedBurst | None = None
    unusual_deletions: UnusualDeletions | None = None
    legacy_tls_client: LegacyTlsClient | None = None
    stragglers: tuple[str, ...] = field(default=())

    def day_bucket(self, day: date, bucket: str) -> DayBucketStats:
        for row in self.per_day_bucket:
            if row.day == day and row.bucket == bucket:
                return row
        raise KeyError((day, bucket))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy (dates and times as ISO strings, ``None`` keys as ``"-"``)."""
        data: dict[str, Any] = _jsonable(asdict(self))
        return data


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {("-" if k is None else _key(k)): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, KeyFormat):
        return value.value
    return value


def _key(key: Any) -> str:
    return key.isoformat() if isinstance(key, date | datetime) else str(key)


def _stats(counts: Mapping[str | None, list[int]]) -> tuple[PrincipalStats, ...]:
    rows = [PrincipalStats(name, n, sent) for name, (n, sent) in counts.items()]
    rows.sort(key=lambda r: (-r.bytes_sent, -r.requests, r.name or ""))
    return tuple(rows)


def compute_truth(
    located: Iterable[tuple[str, date, LogRecord]],
    *,
    seed: int,
    start: date,
    days: int,
    buckets: tuple[BucketInfo, ...],
    objects: int,
    placement: Placement | None,
    who: IncidentActors | None,
    stragglers: tuple[str, ...],
) -> GroundTruth:
    """Aggregate ``(bucket, partition day of its object, record)`` triples."""
    per_day: dict[tuple[date, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    operations: Counter[str] = Counter()
    codes: Counter[str] = Counter()
    tls: Counter[str | None] = Counter()
    requesters: dict[str | None, list[int]] = defaultdict(lambda: [0, 0])
    ips: dict[str | None, list[int]] = defaultdict(lambda: [0, 0])
    deletions: list[Deletion] = []
    changes: list[ConfigChange] = []
    incident: dict[str, list[tuple[str, date, LogRecord]]] = defaultdict(list)
    records = late = total_bytes = 0
    watched = {} if who is None else {
        who.bulk_ip: "bulk", who.scanner_ip: "burst", who.legacy_ip: "legacy",
    }  # fmt: skip
    for bucket, partition_day, r in located:
        assert r.requestdatetime is not None and r.operation is not None
        records += 1
        day = r.requestdatetime.date()
        late += day < partition_day
        sent = r.bytessent or 0
        total_bytes += sent
        status = r.httpstatus or 0
        row = per_day[(day, bucket)]
        row[0] += 1
        row[1] += status >= 400
        row[2] += status == 403
        row[3] += status >= 500
        row[4] += sent
        operations[r.operation] += 1
        if r.errorcode:
            codes[r.errorcode] += 1
        tls[r.tlsversion] += 1
        for table, name in ((requesters, r.requester), (ips, r.remoteip)):
            entry = table[name]
            entry[0] += 1
            entry[1] += sent
        if r.operation in DELETE_OPERATIONS and r.key:
            deletions.append(
                Deletion(
                    bucket,
                    r.key,
                    unquote_plus(r.key),
                    r.operation,
                    r.requester,
                    r.remoteip,
                    r.requestdatetime,
                    r.requestid,
                )
            )
        elif r.operation in _CONFIG_WRITE_OPERATIONS:
            changes.append(ConfigChange(bucket, r.operation, r.requester, r.remoteip,
                                        r.requestdatetime, r.httpstatus))  # fmt: skip
        if r.remoteip in watched:
            incident[watched[r.remoteip]].append((bucket, partition_day, r))
        if who is not None and r.requester == who.deleter:
            incident["deleter"].append((bucket, partition_day, r))
    deletions.sort(key=lambda d: (d.time, d.bucket, d.key))
    changes.sort(key=lambda c: (c.time, c.bucket))
    truth = GroundTruth(
        seed=seed,
        start=start,
        end=start + timedelta(days=days),
        buckets=buckets,
        objects=objects,
        records=records,
        late_records=late,
        total_bytes_sent=total_bytes,
        per_day_bucket=tuple(
            DayBucketStats(day, bucket, *values)
            for (day, bucket), values in sorted(per_day.items())
        ),
        requests_by_operation=dict(sorted(operations.items())),
        errors_by_code=dict(sorted(codes.items())),
        requests_by_tls_version=dict(sorted(tls.items(), key=lambda kv: kv[0] or "")),
        requesters=_stats(requesters),
        remote_ips=_stats(ips),
        deletions=tuple(deletions),
        config_changes=tuple(changes),
        stragglers=stragglers,
    )
    if who is None or placement is None:
        return truth
    return _with_incidents(truth, incident, who, placement)


def _with_incidents(
    truth: GroundTruth,
    incident: Mapping[str, list[tuple[str, date, LogRecord]]],
    who: IncidentActors,
    placement: Placement,
) -> GroundTruth:
    from dataclasses import replace

    bulk = [r for _, _, r in incident["bulk"]]
    gets = [r for r in bulk if r.operation == "REST.GET.OBJECT"]
    burst = [r for _, _, r in incident["burst"]]
    hours: Counter[datetime] = Counter()
    for r in burst:
        if r.httpstatus == 403:
            assert r.requestdatetime is not None
            hours[r.requestdatetime.replace(minute=0, second=0)] += 1
    deleter = incident["deleter"]
    deleted = tuple(d for d in truth.deletions if d.requester == who.deleter)
    next_day = sum(
        1
        for _, partition_day, r in deleter
        if r.operation in DELETE_OPERATIONS
        and r.requestdatetime is not None
        and r.requestdatetime.date() < partition_day
    )
    legacy = incident["legacy"]
    legacy_days = sorted({r.requestdatetime.date() for _, _, r in legacy if r.requestdatetime})
    return replace(
        truth,
        bulk_download=BulkDownload(
            bucket=placement.bulk_bucket, requester=who.bulk_requester, remote_ip=who.bulk_ip,
            user_agent=who.bulk_user_agent, start=_first(bulk), end=_last(bulk),
            requests=len(bulk), get_requests=len(gets), objects=len({r.key for r in gets}),
            bytes_sent=sum(r.bytessent or 0 for r in bulk),
        ),
        access_denied_burst=AccessDeniedBurst(
            bucket=placement.burst_bucket, remote_ip=who.scanner_ip, requester=None,
            user_agent=who.scanner_user_agent, start=_first(burst), end=_last(burst),
            requests=len(burst), access_denied=sum(hours.values()),
            by_hour=dict(sorted(hours.items())),
        ),
        unusual_deletions=UnusualDeletions(
            requester=who.deleter, remote_ip=who.deleter_ip, user_agent=who.deleter_user_agent,
            requests=len(deleter), deletions=deleted, delivered_next_day=next_day,
        ),
        legacy_tls_client=LegacyTlsClient(
            remote_ip=who.legacy_ip, requester=who.legacy_requester,
            user_agent=who.legacy_user_agent, tls_version=who.legacy_tls[0],
            cipher_suite=who.legacy_tls[1], requests=len(legacy),
            buckets=tuple(sorted({bucket for bucket, _, _ in legacy})),
            days=tuple(legacy_days),
        ),
    )  # fmt: skip


def _first(records: list[LogRecord]) -> datetime:
    return min(r.requestdatetime for r in records if r.requestdatetime is not None)


def _last(records: list[LogRecord]) -> datetime:
    return max(r.requestdatetime for r in records if r.requestdatetime is not None)
