"""What S3 logs for each kind of request: the builders behind the actors' actions.

Each builder takes ``(traffic, rng, client, when, latest)`` and returns the records of one
request, or of a group S3 logs together: a multipart upload (initiate, parts, complete, sharing
an upload ID, spread over the seconds the parts take, never past ``latest``), a multi-object
delete (the POST, then one ``BATCH.DELETE.OBJECT`` line per key with the POST's request and
host IDs and no URI, referrer or agent). Shapes follow real logs: presigned query strings
(SigV4 and legacy SigV2), ranges answered with 206, browser revalidations with 304, missing
keys answered 403 to anonymous callers and 404 to others, configuration reads that 404 when a
bucket lacks that configuration, lifecycle expiry by ``AmazonS3`` without address or status.
Keys are logged URL-encoded (spaces as ``+``).
"""

from __future__ import annotations

import base64
import random
from collections.abc import Callable
from urllib.parse import quote, quote_plus

from ..parser import LogRecord
from .traffic import BucketTraffic, Client, host_id, moment, request_id, timing
from .vocabulary import Actor, CatalogEntry

__all__ = [
    "CONFIG_READS",
    "CONFIG_WRITES",
    "DELETE_OPERATIONS",
    "delete_key",
    "delete_keys",
    "emit",
    "list_objects",
]

#: Bucket configuration reads and writes: (operation, sub-resource).
CONFIG_READS = (
    ("REST.GET.BUCKETPOLICY", "policy"), ("REST.GET.ACL", "acl"),
    ("REST.GET.PUBLIC_ACCESS_BLOCK", "publicAccessBlock"), ("REST.GET.LIFECYCLE", "lifecycle"),
    ("REST.GET.LOGGING_STATUS", "logging"), ("REST.GET.ENCRYPTION", "encryption"),
    ("REST.GET.VERSIONING", "versioning"), ("REST.GET.LOCATION", "location"),
    ("REST.GET.TAGGING", "tagging"), ("REST.GET.POLICY_STATUS", "policyStatus"),
)  # fmt: skip
CONFIG_WRITES = (
    ("REST.PUT.BUCKETPOLICY", "policy"), ("REST.PUT.ACL", "acl"),
    ("REST.PUT.PUBLIC_ACCESS_BLOCK", "publicAccessBlock"), ("REST.PUT.LIFECYCLE", "lifecycle"),
    ("REST.PUT.LOGGING_STATUS", "logging"), ("REST.PUT.ENCRYPTION", "encryption"),
    ("REST.DELETE.PUBLIC_ACCESS_BLOCK", "publicAccessBlock"),
)  # fmt: skip
DELETE_OPERATIONS = frozenset({"REST.DELETE.OBJECT", "BATCH.DELETE.OBJECT", "S3.EXPIRE.OBJECT"})

# Configuration a bucket of each kind lacks (reading it is a 404 with this error code).
_MISSING_CONFIG = {
    "web-assets": {"lifecycle": "NoSuchLifecycleConfiguration", "tagging": "NoSuchTagSet"},
    "user-uploads": {"policy": "NoSuchBucketPolicy"},
    "data-lake": {"lifecycle": "NoSuchLifecycleConfiguration"},
    "backups": {"policy": "NoSuchBucketPolicy", "tagging": "NoSuchTagSet"},
}
_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

Records = list[LogRecord]
Builder = Callable[[BucketTraffic, random.Random, Client, int, int], Records]


def _logged(key: str) -> str:
    return quote_plus(key, safe="/")


def emit(
    traffic: BucketTraffic, actor: Actor, rng: random.Random, when: int, latest: int
) -> Records:
    """The records of one request (or request group) by ``actor`` at epoch second ``when``;
    none later than ``latest``."""
    weights = traffic.action_weights[actor.name]
    action = rng.choices(actor.actions, cum_weights=weights)[0][0]
    client = traffic.client(actor, rng)
    if actor.sigv2_share and rng.random() < actor.sigv2_share:
        client.sigv = "SigV2"
        client.requester = f"arn:aws:iam::{traffic.spec.account_id}:user/legacy-link-signer"
    return _BUILDERS[action](traffic, rng, client, when, latest)


# -- reads ----------------------------------------------------------------------------------


def _read(
    t: BucketTraffic,
    rng: random.Random,
    client: Client,
    when: int,
    method: str,
    entry: CatalogEntry,
    query: str = "",
    version: str | None = None,
) -> LogRecord:
    operation = f"REST.{method}.OBJECT"
    key, uri = _logged(entry.key), t.uri(client, method, entry.key, query)
    status, code = t.outcome(rng, client)
    if status != 200:
        return t.error(rng, client, when, operation, key, uri, status, code)
    size = entry.size
    if method == "HEAD":
        times = timing(rng, 0, 2, 40)
        return t.record(rng, client, when, operation, key, uri, 200, size=size, times=times,
                        version_id=version)  # fmt: skip
    if client.referrer is not None and rng.random() < 0.1:  # a browser revalidating
        total = timing(rng, 0, 2, 40)[0]
        return t.record(rng, client, when, operation, key, uri, 304, size=size, times=(total, None),
                        version_id=version)  # fmt: skip
    sent = size
    if size > 5_000_000 and rng.random() < 0.6:  # media players and readers ask for ranges
        status, sent = 206, min(size, rng.randint(65_536, 8_388_608))
    times = timing(rng, sent, 2, 40)
    return t.record(rng, client, when, operation, key, uri, status, sent=sent, size=size,
                    times=times, version_id=version)  # fmt: skip


def get(t: BucketTraffic, rng: random.Random, client: Client, when: int, latest: int) -> Records:
    entry = t.pick(rng)
    if t.spec.kind == "backups" and rng.random() < 0.2:  # restoring an older version
        version = "".join(rng.choices(_ALNUM + "abcdefghijklmnopqrstuvwxyz._", k=32))
        return [_read(t, rng, client, when, "GET", entry, f"versionId={version}", version)]
    return [_read(t, rng, client, when, "GET", entry)]


def head(t: BucketTraffic, rng: random.Random, client: Client, when: int, latest: int) -> Records:
    entry = t.pick(rng)
    if rng.random() < 0.04:
        missing = entry.key + ".tmp"
        uri = t.uri(client, "HEAD", missing)
        return [t.error(rng, client, when, "REST.HEAD.OBJECT", _logged(missing), uri, 404,
                        "NoSuchKey")]  # fmt: skip
    return [_read(t, rng, client, when, "HEAD", entry)]


def get_range(
    t: BucketTraffic, rng: random.Random, client: Client, when: int, latest: int
) -> Records:
    entry = t.pick(rng)
    sent = min(entry.size, rng.randint(16_384, 8_388_608))
    uri = t.uri(client, "GET", entry.key)
    return [t.record(rng, client, when, "REST.GET.OBJECT", _logged(entry.key), uri, 206,
                     sent=sent, size=entry.size, times=timing(rng, sent, 3, 60))]  # fmt: skip


def get_missing(
    t: BucketTraffic, rng: random.Random, client: Client, when: int, latest: int
) -> Records:
    stem, _, extension = t.pick(rng).key.rpartition(".")
    missing = f"{stem}-old.{extension}" if stem else f"{extension}-old"
    # Without s3:ListBucket, S3 answers a missing key with 403, not 404.
    status, code = (403, "AccessDenied") if client.requester is None else (404, "NoSuchKey")
    uri = t.uri(client, "GET", missing)
    return [t.error(rng, client, when, "REST.GET.OBJECT", _logged(missing), uri, status, code)]


def options(
    t: BucketTraffic, rng: random.Random, client: Client, when: int, latest: int
) -> Records:
    key = t.pick(rng).key
    return [t.record(rng, client, when, "REST.OPTIONS.PREFLIGHT", _logged(key),
                     t.uri(client, "OPTIONS", key), 200, times=timing(rng, 0, 1, 6))]  # fmt: skip


def presigned_get(
    t: BucketTraffic, rng: random.Random, client: Client, when: int, latest: int
) -> Records:
    return [_read(t, rng, client, when, "GET", t.pick(rng), _presign(t, rng, when, client))]


def _website(
    t: BucketTraffic, rng: random.Random, client: Client, when: int, method: str
) -> LogRecord:
    client.host = t.website_host
    entry = t.pick(rng)
    operation = f"WEBSITE.{method}.OBJECT"
    if rng.random() < 0.04:
        missing = entry.key + "-old"
        uri = f"{method} /{quote(missing, safe='/')} HTTP/1.1"
        return t.error(rng, client, when, operation, _logged(missing), uri, 404, "NoSuchKey")
    path = "/" if entry.key == "index.html" else "/" + quote(entry.key, safe="/")
    sent = entry.size if method == "GET" else None
    uri = f"{method} {path} HTTP/1.1"
    return t.record(rng, client, when, operation, _logged(entry.key), uri, 200, sent=sent,
                    size=entry.size, times=timing(rng, sent or 0, 2, 30))  # fmt: skip


def website_get(
    t: BucketTraffic, rng: random.Random, client: Client, when: int, latest: int
) -> Records:
    return [_website(t, rng, client, when, "GET")]


def website_head(
    t: BucketTraffic, rng: random.Random, client: Client, when: int, latest: int
) -> Records:
    return [_website(t, rng, client, when, "HEAD")]


# -- writes ---------------------------------------------------------------------------------


def _new_key(t: BucketTraffic, rng: random.Random) -> tuple[str, int]:
    """A new key next to an existing one, of a similar size."""
    template = t.pick(rng)
    folder, _, name = template.key.rpartition("/")
    extension = name.rpartition(".")[2]
    key = f"{folder}/{rng.getrandbits(48):012x}.{extension}" if folder else f"{name}.new"
    return key, int(template.size * rng.uniform(0.5, 1.5)) + 1


def put(t: BucketTraffic, rng: random.Random, client: Client, when: int, latest: int) -> Records:
    key, size = _new_key(t, rng)
    uri = t.uri(client, "PUT", key)
    status, code = t.outcome(rng, client)
    if status != 200:
        return [t.error(rng, client, when, "REST.PUT.OBJECT", _logged(key), uri, status, code)]
    return [t.record(rng, client, when, "REST.PUT.OBJECT", _logged(key), uri, 200, size=size,
                     times=timing(rng, size, 8, 90))]  # fmt: skip


def presigned_put(
    t: BucketTraffic, rng: random.Random, client: Client, when: int, latest: int
) -> Records:
    key, size = _new_key(t, rng)
    uri = t.uri(client, "PUT", key, _presign(t, rng, when, client))
    return [t.record(rng, client, when, "REST.PUT.OBJECT", _logged(key), uri, 200, size=size,
                     times=timing(rng, size, 10, 80))]  # fmt: skip


def _presign(t: BucketTraffic, rng: random.Random, when: int, client: Client) -> str:
    signed = moment(when - rng.randint(5, 3000))
    access_key = "".join(rng.choices(_ALNUM, k=16))
    if client.sigv == "SigV2":
        signature = quote(base64.b64encode(rng.randbytes(20)).decode(), safe="")
        expires = int(signed.timestamp()) + 86_400
        return f"AWSAccessKeyId=AKIA{access_key}&Expires={expires}&Signature={signature}"
    return (
        f"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIA{access_key}%2F{signed:%Y%m%d}"
        f"%2F{t.spec.region}%2Fs3%2Faws4_request&X-Amz-Date={signed:%Y%m%dT%H%M%SZ}"
        f"&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature={rng.getrandbits(256):064x}"
    )


def multipart(
    t: BucketTraffic, rng: random.Random, client: Client, when: int, latest: int
) -> Records:
    key, _ = _new_key(t, rng)
    logged = _logged(key)
    upload_id = base64.urlsafe_b64encode(rng.randbytes(48)).decode().rstrip("=")
    part_size = rng.choice((8, 16, 64, 100)) * 1_048_576
    parts = rng.randint(2, 8)
    initiate = t.uri(client, "POST", key, "uploads")
    out = [t.record(rng, client, when, "REST.POST.UPLOADS", logged, initiate, 200,
                    sent=rng.randint(380, 460), times=timing(rng, 0, 10, 60))]  # fmt: skip
    for number in range(1, parts + 1):
        size = part_size if number < parts else rng.randint(1_048_576, part_size)
        times = timing(rng, size, 5, 40)
        when = min(latest, when + max(1, times[0] // 1000))
        uri = t.uri(client, "PUT", key, f"partNumber={number}&uploadId={upload_id}")
        out.append(t.record(rng, client, when, "REST.PUT.PART", logged, uri, 200, size=size,
                            times=times))  # fmt: skip
    complete = t.uri(client, "POST", key, f"uploadId={upload_id}")
    when = min(latest, when + 1)
    out.append(t.record(rng, client, when, "REST.POST.UPLOAD", logged, complete, 200,
                        sent=rng.randint(300, 360), times=timing(rng, 0, 30, 800)))  # fmt: skip
    return out


def put_logs(
    t: BucketTraffic, rng: random.Random, client: Client, when: int, latest: int
) -> Records:
    """Log delivery (VPC flow logs) writing into the bucket."""
    at = moment(when)
    account, region = t.spec.account_id, t.spec.region
    flow = f"fl-0{rng.getrandbits(64):016x}"
    key = (
        f"AWSLogs/{account}/vpcflowlogs/{region}/{at:%Y/%m/%d}/{account}_vpcflowlogs_{region}_"
        f"{flow}_{at:%Y%m%dT%H%M}Z_{rng.getrandbits(32):08x}.log.gz"
    )
    size = rng.randint(600, 60_000)
    return [t.record(rng, client, when, "REST.PUT.OBJECT", key, t.uri(client, "PUT", key), 200,
                     size=size, times=timing(rng, size, 8, 40))]  # fmt: skip


# -- listing, deleting, configuration ---------------------------------------------------------


def list_objects(
    t: BucketTraffic, rng: random.Random, client: Client, when: int, latest: int
) -> Records:
    folder = t.pick(rng).key.rpartition("/")[0]
    prefix = quote(folder + "/" if folder else "", safe="")
    uri = t.uri(client, "GET", None, f"list-type=2&prefix={prefix}&delimiter=%2F&encoding-type=url")
    sent = rng.randint(600, 60_000)
    return [t.record(rng, client, when, "REST.GET.BUCKET", None, uri, 200, sent=sent,
                     times=timing(rng, sent, 10, 250))]  # fmt: skip


def delete(t: BucketTraffic, rng: random.Random, client: Client, when: int, latest: int) -> Records:
    return [delete_key(t, rng, client, when, t.pick(rng).key)]


def delete_key(
    t: BucketTraffic, rng: random.Random, client: Client, when: int, key: str
) -> LogRecord:
    """A single DELETE of ``key`` (unencoded)."""
    return t.record(rng, client, when, "REST.DELETE.OBJECT", _logged(key),
                    t.uri(client, "DELETE", key), 204, times=timing(rng, 0, 5, 30))  # fmt: skip


def multi_delete(
    t: BucketTraffic, rng: random.Random, client: Client, when: int, latest: int
) -> Records:
    """A Spark/Glue job cleaning up its temporary files."""
    attempt = f"{rng.getrandbits(32):08x}"
    folder = f"curated/_temporary/0/_attempt_{attempt}"
    keys = [f"{folder}/part-{n:05d}.snappy.parquet" for n in range(rng.randint(3, 30))]
    return delete_keys(t, rng, client, when, keys)


def delete_keys(
    t: BucketTraffic, rng: random.Random, client: Client, when: int, keys: list[str]
) -> Records:
    """A multi-object delete of ``keys`` (unencoded), logged as S3 does (module docstring)."""
    ids = (request_id(rng), host_id(rng))
    uri = t.uri(client, "POST", None, "delete")
    out = [t.record(rng, client, when, "REST.POST.MULTI_OBJECT_DELETE", None, uri, 200,
                    sent=116 + 60 * len(keys), times=timing(rng, 0, 20, 200), ids=ids)]  # fmt: skip
    out.extend(
        t.record(
            rng,
            client,
            when,
            "BATCH.DELETE.OBJECT",
            _logged(key),
            None,
            204,
            ids=ids,
            anonymous_agent=True,
        )
        for key in keys
    )
    return out


def expire(t: BucketTraffic, rng: random.Random, client: Client, when: int, latest: int) -> Records:
    """Lifecycle expiry by ``AmazonS3``: no address, URI, status or agent."""
    key, size = _new_key(t, rng)
    return [t.record(rng, client, when, "S3.EXPIRE.OBJECT", _logged(key), None, None, size=size)]


def config_read(
    t: BucketTraffic, rng: random.Random, client: Client, when: int, latest: int
) -> Records:
    operation, resource = rng.choice(CONFIG_READS)
    uri = t.uri(client, "GET", None, resource)
    missing = _MISSING_CONFIG.get(t.spec.kind, {}).get(resource)
    if missing:
        return [t.error(rng, client, when, operation, None, uri, 404, missing)]
    sent = rng.randint(120, 1800)
    return [t.record(rng, client, when, operation, None, uri, 200, sent=sent,
                     times=timing(rng, sent, 3, 40))]  # fmt: skip


def config_write(
    t: BucketTraffic, rng: random.Random, client: Client, when: int, latest: int
) -> Records:
    operation, resource = rng.choice(CONFIG_WRITES)
    method = operation.split(".")[1]
    uri = t.uri(client, method, None, resource)
    status = 204 if method == "DELETE" else 200
    return [t.record(rng, client, when, operation, None, uri, status,
                     times=timing(rng, 0, 20, 300))]  # fmt: skip


_BUILDERS: dict[str, Builder] = {
    "get": get, "get_missing": get_missing, "get_range": get_range, "head": head,
    "options": options, "put": put, "presigned_get": presigned_get,
    "presigned_put": presigned_put, "multipart": multipart, "list": list_objects,
    "delete": delete, "multi_delete": multi_delete, "config_read": config_read,
    "config_write": config_write, "website_get": website_get, "website_head": website_head,
    "put_logs": put_logs, "expire": expire,
}  # fmt: skip
