"""One source bucket's callers and how a request of theirs becomes a typed record.

:class:`BucketTraffic` holds what is fixed per bucket (owner, endpoints, object catalog, the
actor mix) and assembles :class:`~s3logs_athena.parser.LogRecord` values: the caller's
transport and identity fields from a :class:`Client`, the request's own fields from the
builders in ``builders.py``, and ``None`` for every field past the bucket's line length.
"""

from __future__ import annotations

import base64
import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

from ..parser import LogRecord
from .config import BucketSpec
from .lines import MAX_FIELDS
from .vocabulary import Actor, CatalogEntry

__all__ = ["BucketTraffic", "Client", "moment", "timing"]


@dataclass(slots=True)
class Client:
    """One caller as seen in a record: principal, address, agent, transport, endpoint."""

    requester: str | None
    ip: str | None
    user_agent: str | None
    tls: tuple[str, str] | None
    host: str | None
    sigv: str | None
    auth: str | None
    path_style: bool = False
    referrer: str | None = None
    access_point: str | None = None
    acl_required: str | None = None
    source_region: str | None = None
    denied_rate: float = 0.002


def cumulative(weights: list[float]) -> list[float]:
    total = 0.0
    out = []
    for weight in weights:
        total += weight
        out.append(total)
    return out


def zipf(count: int, exponent: float = 1.1) -> list[float]:
    """Cumulative Zipf weights: rank 1 is the most popular."""
    return cumulative([1 / rank**exponent for rank in range(1, count + 1)])


_MOMENTS: dict[int, datetime] = {}


def moment(epoch: int) -> datetime:
    """The UTC datetime of an epoch second (memoised: requests share seconds)."""
    value = _MOMENTS.get(epoch)
    if value is None:
        if len(_MOMENTS) > 200_000:
            _MOMENTS.clear()
        value = _MOMENTS[epoch] = datetime.fromtimestamp(epoch, UTC)
    return value


def request_id(rng: random.Random) -> str:
    return f"{rng.getrandbits(64):016X}"


def host_id(rng: random.Random) -> str:
    return base64.b64encode(rng.randbytes(56)).decode()


def timing(rng: random.Random, moved: int, low: int, high: int) -> tuple[int, int]:
    """(total, turn-around) milliseconds: S3 works ``low``-``high`` ms, then moves ``moved``
    bytes at 5 to 100 MB/s."""
    turnaround = rng.randint(low, high)
    return turnaround + math.ceil(moved / rng.uniform(5_000, 100_000)), turnaround


class BucketTraffic:
    """What is fixed for one bucket, and record assembly (see the module docstring)."""

    def __init__(
        self,
        spec: BucketSpec,
        owner_id: str,
        actors: list[tuple[Actor, float]],
        catalog: list[CatalogEntry],
    ) -> None:
        self.spec = spec
        self.owner_id = owner_id
        self.actors = actors
        self.catalog = catalog
        self._catalog_weights = zipf(len(catalog))
        self._ip_weights: dict[int, list[float]] = {}
        self.action_weights = {a.name: cumulative([w for _, w in a.actions]) for a, _ in actors}
        region, name, account = spec.region, spec.name, spec.account_id
        self.virtual_host = f"{name}.s3.{region}.amazonaws.com"
        self.path_host = f"s3.{region}.amazonaws.com"
        self.website_host = f"{name}.s3-website-{region}.amazonaws.com"
        self.access_point_arn = f"arn:aws:s3:{region}:{account}:accesspoint/analytics-ap"
        self.access_point_host = f"analytics-ap-{account}.s3-accesspoint.{region}.amazonaws.com"

    def client(self, actor: Actor, rng: random.Random) -> Client:
        """A concrete caller for one request of ``actor``."""
        ips = actor.ips
        if len(ips) > 8:  # a crowd: a few addresses make most requests
            weights = self._ip_weights.get(len(ips))
            if weights is None:
                weights = self._ip_weights.setdefault(len(ips), zipf(len(ips), 0.9))
            ip = rng.choices(ips, cum_weights=weights)[0]
        else:
            ip = rng.choice(ips)
        via_access_point = (
            bool(actor.access_point_share) and rng.random() < actor.access_point_share
        )
        if actor.internal:
            host = None
        elif via_access_point:
            host = self.access_point_host
        else:
            host = self.path_host if actor.path_style else self.virtual_host
        return Client(
            requester=self.owner_id if actor.name == "owner" else actor.requester,
            ip=ip,
            user_agent=rng.choice(actor.user_agents),
            tls=rng.choice(actor.tls) if actor.tls else None,
            host=host,
            sigv=actor.sigv,
            auth=actor.auth,
            path_style=actor.path_style,
            referrer=rng.choice(actor.referrers),
            access_point=self.access_point_arn if via_access_point else None,
            acl_required="Yes" if actor.acl_required else None,
            source_region=self.spec.region if actor.in_aws else None,
            denied_rate=actor.error_rate,
        )

    def record(
        self,
        rng: random.Random,
        client: Client,
        when: int,
        operation: str,
        key: str | None,
        uri: str | None,
        status: int | None,
        error: str | None = None,
        *,
        sent: int | None = None,
        size: int | None = None,
        times: tuple[int | None, int | None] = (None, None),
        version_id: str | None = None,
        ids: tuple[str, str] | None = None,
        anonymous_agent: bool = False,
    ) -> LogRecord:
        """One record at epoch second ``when``. ``times`` is (total, turn-around) ms; ``ids``
        (request ID, host ID) for records that share them; ``anonymous_agent`` drops the
        referrer and user agent (multi-object delete lines)."""
        tls_version, cipher = client.tls or (None, None)
        request, host = ids or (request_id(rng), host_id(rng))
        referrer, agent = (None, None) if anonymous_agent else (client.referrer, client.user_agent)
        values = [
            self.owner_id, self.spec.name, moment(when), client.ip, client.requester, request,
            operation, key, uri, status, error, sent, size, times[0], times[1], referrer, agent,
            version_id, host, client.sigv, cipher, client.auth, client.host, tls_version,
            client.access_point, client.acl_required, client.source_region, None,
        ]  # fmt: skip
        for index in range(self.spec.field_count, MAX_FIELDS):
            values[index] = None
        return LogRecord._make(values)

    def uri(self, client: Client, method: str, key: str | None, query: str = "") -> str:
        """The request line, virtual-hosted or path style, for ``key`` (unencoded)."""
        path = quote(key, safe="/") if key else ""
        if client.path_style:
            path = f"/{self.spec.name}/{path}" if key else f"/{self.spec.name}"
        else:
            path = "/" + path
        return f"{method} {path}{'?' + query if query else ''} HTTP/1.1"

    def pick(self, rng: random.Random) -> CatalogEntry:
        """An existing object, popular ones more often."""
        return rng.choices(self.catalog, cum_weights=self._catalog_weights)[0]

    def outcome(self, rng: random.Random, client: Client) -> tuple[int, str | None]:
        """Status and error code of an object request: mostly 200, a few 403/503/500."""
        roll = rng.random()
        denied = client.denied_rate
        if roll < denied:
            return 403, "AccessDenied"
        if roll < denied + 0.0015:
            return 503, "SlowDown"
        if roll < denied + 0.002:
            return 500, "InternalError"
        return 200, None

    def error(
        self,
        rng: random.Random,
        client: Client,
        when: int,
        operation: str,
        key: str | None,
        uri: str,
        status: int,
        code: str | None,
    ) -> LogRecord:
        """An error response: a small XML body, quick."""
        sent = rng.randint(231, 420)
        return self.record(
            rng, client, when, operation, key, uri, status, code, sent=sent,
            times=timing(rng, 0, 1, 12),
        )  # fmt: skip
