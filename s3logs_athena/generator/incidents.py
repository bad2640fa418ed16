"""Planted incidents: what the report and the incident queries must find.

Each incident is made by one actor nobody else in the dataset is (a reserved address and a
principal of its own), so its ground truth is exact: every record from that address or
principal belongs to it.

* **bulk download**: a contractor role pulls ~160 large export files (tens of GB) at night;
* **AccessDenied burst**: an anonymous scanner probes ~400 keys from one IPv4 address in one
  hour and is refused every time;
* **unusual deletions**: an IAM user seen nowhere else lists a bucket from an IPv6 address,
  deletes a dozen objects one by one and 25 more with a multi-object delete just before
  midnight (so those records arrive in the next day's log object);
* **TLS 1.0 client**: an old backup agent that still negotiates TLSv1, a few times a day.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from ..parser import LogRecord
from .builders import delete_key, delete_keys, list_objects
from .traffic import BucketTraffic, Client, timing
from .vocabulary import (
    BULK_DOWNLOAD_IP,
    CLI_UAS,
    DENIED_BURST_IP,
    LEGACY_TLS_IP,
    UNUSUAL_DELETER_IP,
)

__all__ = ["IncidentActors", "Placement", "plant"]


@dataclass(frozen=True, slots=True)
class IncidentActors:
    """Who each incident is (the same in every dataset of an account)."""

    bulk_requester: str
    bulk_user_agent: str
    deleter: str
    deleter_user_agent: str
    scanner_user_agent: str
    legacy_requester: str
    legacy_user_agent: str
    bulk_ip: str = BULK_DOWNLOAD_IP
    scanner_ip: str = DENIED_BURST_IP
    deleter_ip: str = UNUSUAL_DELETER_IP
    legacy_ip: str = LEGACY_TLS_IP
    legacy_tls: tuple[str, str] = ("TLSv1", "ECDHE-RSA-AES128-SHA")


def incident_actors(account: str) -> IncidentActors:
    return IncidentActors(
        bulk_requester=f"arn:aws:sts::{account}:assumed-role/contractor-readonly/jdoe-laptop",
        bulk_user_agent=CLI_UAS[1].replace("command/s3.ls", "command/s3.sync"),
        deleter=f"arn:aws:iam::{account}:user/temp-contractor",
        deleter_user_agent=CLI_UAS[0].replace("command/s3.cp", "command/s3.rm"),
        scanner_user_agent="python-requests/2.31.0",
        legacy_requester=f"arn:aws:iam::{account}:user/legacy-backup-agent",
        legacy_user_agent=(
            "aws-sdk-java/1.11.24 Windows_Server_2008_R2/6.1 "
            "Java_HotSpot(TM)_64-Bit_Server_VM/24.80-b11/1.7.0_80"
        ),
    )


@dataclass(frozen=True, slots=True)
class Placement:
    """Which bucket and day each incident went to."""

    bulk_bucket: str
    bulk_day: date
    burst_bucket: str
    burst_day: date
    deletion_bucket: str
    deletion_day: date
    legacy_bucket: str


def _by_kind(traffics: Sequence[BucketTraffic], *kinds: str) -> BucketTraffic:
    for kind in kinds:
        for traffic in traffics:
            if traffic.spec.kind == kind:
                return traffic
    return traffics[0]


def _epoch(day: date, hour: int, minute: int, second: int = 0) -> int:
    return int(datetime.combine(day, time(hour, minute, second), UTC).timestamp())


def plant(
    traffics: Sequence[BucketTraffic], days: Sequence[date], rng: random.Random
) -> tuple[dict[tuple[str, date], list[LogRecord]], Placement, IncidentActors]:
    """Every incident's records, by (bucket, request day)."""
    who = incident_actors(traffics[0].spec.account_id)
    out: dict[tuple[str, date], list[LogRecord]] = {}

    def add(traffic: BucketTraffic, records: list[LogRecord]) -> None:
        for record in records:
            assert record.requestdatetime is not None
            out.setdefault((traffic.spec.name, record.requestdatetime.date()), []).append(record)

    bulk = _by_kind(traffics, "data-lake", "backups")
    burst = _by_kind(traffics, "user-uploads", "web-assets")
    deletion = _by_kind(traffics, "backups", "user-uploads")
    legacy = _by_kind(traffics, "backups", "data-lake", "user-uploads")
    placement = Placement(
        bulk.spec.name, days[len(days) // 2], burst.spec.name, days[0],
        deletion.spec.name, days[-1], legacy.spec.name,
    )  # fmt: skip
    add(bulk, _bulk_download(bulk, who, placement.bulk_day, rng))
    add(burst, _denied_burst(burst, who, placement.burst_day, rng))
    add(deletion, _deletions(deletion, who, placement.deletion_day, rng))
    for day in days:
        add(legacy, _legacy_tls(legacy, who, day, rng))
    return out, placement, who


def _client(traffic: BucketTraffic, requester: str | None, ip: str, agent: str,
            tls: tuple[str, str], sigv: str | None = "SigV4") -> Client:  # fmt: skip
    return Client(
        requester=requester, ip=ip, user_agent=agent, tls=tls, host=traffic.virtual_host,
        sigv=sigv, auth="AuthHeader" if sigv else None,
    )  # fmt: skip


def _bulk_download(
    traffic: BucketTraffic, who: IncidentActors, day: date, rng: random.Random
) -> list[LogRecord]:
    client = _client(traffic, who.bulk_requester, who.bulk_ip, who.bulk_user_agent,
                     ("TLSv1.3", "TLS_AES_128_GCM_SHA256"))  # fmt: skip
    folder = f"exports/customer-snapshot/{day:%Y-%m-%d}/"
    t = _epoch(day, 2, 5, rng.randrange(60))
    records = []
    for _ in range(4):
        records.extend(list_objects(traffic, rng, client, t, t))
        t += rng.randint(1, 3)
    for number in range(160):
        key = f"{folder}part-{number:05d}.snappy.parquet"
        size = rng.randint(150_000_000, 650_000_000)
        turnaround = rng.randint(5, 30)
        times = (turnaround + size // rng.randint(20_000, 40_000), turnaround)  # 20-40 MB/s
        uri = traffic.uri(client, "GET", key)
        records.append(
            traffic.record(
                rng, client, t, "REST.GET.OBJECT", key, uri, 200, sent=size, size=size, times=times
            )
        )
        t += max(1, times[0] // 4000)  # four downloads in flight
    return records


def _denied_burst(
    traffic: BucketTraffic, who: IncidentActors, day: date, rng: random.Random
) -> list[LogRecord]:
    client = _client(traffic, None, who.scanner_ip, who.scanner_user_agent,
                     ("TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256"), sigv=None)  # fmt: skip
    guesses = (".env", "config.json", "backup.zip", "db.sql", "wp-config.php", ".git/config",
               "admin/credentials.csv", "export.csv", "id_rsa", "users.json")  # fmt: skip
    t = _epoch(day, 13, 5, rng.randrange(30))
    records = []
    for number in range(400):
        if number % 50 == 0:
            uri = traffic.uri(client, "GET", None, "list-type=2")
            operation, key = "REST.GET.BUCKET", None
        else:
            key = f"{rng.choice(('', 'uploads/', 'private/', 'tmp/'))}{rng.choice(guesses)}"
            uri = traffic.uri(client, "GET", key)
            operation = "REST.GET.OBJECT"
        times = timing(rng, 0, 1, 6)
        records.append(
            traffic.record(
                rng, client, t, operation, key, uri, 403, "AccessDenied", sent=243, times=times
            )
        )
        t += rng.randint(3, 9)  # about 40 minutes in all: inside one hour
    return records


def _deletions(
    traffic: BucketTraffic, who: IncidentActors, day: date, rng: random.Random
) -> list[LogRecord]:
    client = _client(traffic, who.deleter, who.deleter_ip, who.deleter_user_agent,
                     ("TLSv1.3", "TLS_AES_256_GCM_SHA384"))  # fmt: skip
    keys = sorted({entry.key for entry in rng.sample(traffic.catalog, 37)})
    t = _epoch(day, 23, 40, rng.randrange(30))
    records = list_objects(traffic, rng, client, t, t)
    for key in keys[:12]:
        t += rng.randint(40, 60)
        records.append(delete_key(traffic, rng, client, t, key))
    records.extend(delete_keys(traffic, rng, client, _epoch(day, 23, 57, 30), keys[12:]))
    return records


def _legacy_tls(
    traffic: BucketTraffic, who: IncidentActors, day: date, rng: random.Random
) -> list[LogRecord]:
    client = _client(traffic, who.legacy_requester, who.legacy_ip, who.legacy_user_agent,
                     who.legacy_tls)  # fmt: skip
    records = []
    for hour in range(1, 24, 3):
        key = f"legacy-backup/{day:%Y%m%d}/host-{hour:02d}.bak"
        size = rng.randint(1_000_000, 40_000_000)
        times = timing(rng, size, 20, 80)
        when = _epoch(day, hour, rng.randrange(60), rng.randrange(60))
        uri = traffic.uri(client, "PUT", key)
        records.append(
            traffic.record(
                rng, client, when, "REST.PUT.OBJECT", key, uri, 200, size=size, times=times
            )
        )
    return records
