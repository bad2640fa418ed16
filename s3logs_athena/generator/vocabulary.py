"""Who calls S3 in the synthetic logs, from where, with what, and on which objects.

Everything here is data plus small seeded builders. The values imitate real server access logs
(the third-party corpus was the reference): IAM user and assumed-role ARNs, a CloudFront origin
access identity (a requester with spaces), ``AmazonS3`` for lifecycle expiry,
``svc:delivery.logs.amazonaws.com``, canonical user IDs, SDK and browser user agents, a user
agent with double quotes, VPC endpoint (private) and internet (IPv4 and IPv6) addresses.

Addresses come from the documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24,
2001:db8::/32), 10.0.0.0/8 for VPC endpoints, and CloudFront's 130.176.0.0/16 and
64.252.64.0/18, so no real third party is named. The planted incidents' addresses are reserved:
no ordinary actor ever uses them (see :data:`RESERVED_IPS`).
"""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = [
    "BUCKET_KINDS",
    "RESERVED_IPS",
    "TLS_MODERN",
    "Actor",
    "CatalogEntry",
    "actors_for",
    "build_catalog",
]

TlsChoice = tuple[str, str]  # (tls version, cipher suite)

TLS_MODERN: tuple[TlsChoice, ...] = (
    ("TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256"),
    ("TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256"),
    ("TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384"),
    ("TLSv1.3", "TLS_AES_128_GCM_SHA256"),
    ("TLSv1.3", "TLS_AES_256_GCM_SHA384"),
)
TLS_OLD_CIPHER: tuple[TlsChoice, ...] = (("TLSv1.2", "ECDHE-RSA-AES128-SHA"),)
PLAIN_HTTP: tuple[TlsChoice, ...] = ()

# The planted incidents' addresses (see incidents.py); pools below never contain them.
BULK_DOWNLOAD_IP = "203.0.113.77"
DENIED_BURST_IP = "198.51.100.23"
UNUSUAL_DELETER_IP = "2001:db8:4f1e:7a00::c0de"
LEGACY_TLS_IP = "192.0.2.200"
RESERVED_IPS = frozenset({BULK_DOWNLOAD_IP, DENIED_BURST_IP, UNUSUAL_DELETER_IP, LEGACY_TLS_IP})

#: What a bucket is used for decides who calls it (see ``_MIX``); buckets cycle through these.
BUCKET_KINDS = ("web-assets", "user-uploads", "data-lake", "backups")

BROWSER_UAS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/122.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.3.1 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_3_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.3 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/122.0.0.0 Safari/537.36 Edg/122.0.2365.66",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/122.0.6261.105 Mobile Safari/537.36",
)
BOT_UAS = (
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
)
#: A synthetic monitor whose user agent holds double quotes: the parser must keep them.
QUOTED_UA = 'Mozilla/5.0 (compatible; "UptimeProbe"/2.1; +https://status.example.net/"about")'
BOTO3_UAS = (
    "Boto3/1.34.52 md/Botocore#1.34.52 ua/2.0 os/linux#5.10.210-201.852.amzn2.x86_64 "
    "md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#standard "
    "Botocore/1.34.52",
    "Boto3/1.33.13 md/Botocore#1.33.13 ua/2.0 os/linux#6.1.77-99.164.amzn2023.x86_64 "
    "md/arch#x86_64 lang/python#3.12.2 md/pyimpl#CPython cfg/retry-mode#legacy "
    "Botocore/1.33.13",
)
JAVA_UAS = (
    "aws-sdk-java/2.25.6 Linux/5.10.210-201.852.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/"
    "17.0.10+7-LTS Java/17.0.10 vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/legacy",
)
GLUE_UAS = (
    "aws-sdk-java/1.12.655 Linux/5.10.210-201.852.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/"
    "25.402-b06 java/1.8.0_402 scala/2.12.15 vendor/Amazon.com_Inc. cfg/retry-mode/standard, "
    "AWS-Glue/4.0",
)
GO_UAS = (
    "aws-sdk-go-v2/1.25.2 os/linux lang/go#1.22.0 md/GOOS#linux md/GOARCH#amd64 api/s3#1.51.1",
)
CLI_UAS = (
    "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0-1014-aws exe/x86_64.ubuntu.22 prompt/off "
    "command/s3.cp",
    "aws-cli/2.15.30 Python/3.11.8 Darwin/23.3.0 exe/x86_64 prompt/off command/s3.ls",
    "aws-cli/2.13.25 Python/3.11.5 Windows/10 exe/AMD64 prompt/off command/s3api.get-object",
)
SYNC_UAS = (
    "aws-cli/2.15.17 Python/3.11.6 Linux/6.5.0-1015-azure exe/x86_64.ubuntu.22 prompt/off "
    "command/s3.sync",
)
CONSOLE_UAS = (
    "S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.488 Linux/5.10.210-178.855.amzn2int.x86_64 "
    "OpenJDK_64-Bit_Server_VM/25.402-b08 java/1.8.0_402 vendor/Oracle_Corporation "
    "cfg/retry-mode/standard",
)
PHP_SIGV2_UAS = ("aws-sdk-php/2.8.31 Guzzle/3.9.3 curl/7.29.0 PHP/5.4.16",)


@dataclass(frozen=True, slots=True)
class Actor:
    """One kind of caller: its principal, where it calls from, and what it does.

    ``actions`` are weighted names of the request builders in ``builders.py``. ``human``
    actors follow the day/night curve; machines do not.
    """

    name: str
    requester: str | None
    ips: tuple[str | None, ...]
    user_agents: tuple[str | None, ...]
    actions: tuple[tuple[str, float], ...]
    human: bool = True
    sigv: str | None = "SigV4"
    auth: str | None = "AuthHeader"
    tls: tuple[TlsChoice, ...] = TLS_MODERN
    path_style: bool = False
    in_aws: bool = False  # calls from inside the bucket's region (source region is set)
    referrers: tuple[str | None, ...] = (None,)
    acl_required: bool = False
    access_point_share: float = 0.0
    error_rate: float = 0.002  # share of 403 AccessDenied among its object requests
    sigv2_share: float = 0.0  # presigned URLs signed with SigV2 (legacy links)
    internal: bool = False  # S3 itself (lifecycle): no address, endpoint or TLS


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    key: str
    size: int


@dataclass
class Pools:
    """Seeded address pools shared by every bucket of a dataset."""

    internet: list[str] = field(default_factory=list)
    vpc: list[str] = field(default_factory=list)
    cloudfront: list[str] = field(default_factory=list)
    ci: list[str] = field(default_factory=list)
    office: list[str] = field(default_factory=list)


def _v4(rng: random.Random, networks: Sequence[str], count: int) -> list[str]:
    hosts = [
        str(address)
        for net in networks
        for address in ipaddress.ip_network(net).hosts()
        if str(address) not in RESERVED_IPS
    ]
    return rng.sample(hosts, min(count, len(hosts)))


def _v6(rng: random.Random, count: int) -> list[str]:
    base = int(ipaddress.IPv6Address("2001:db8::"))
    out: list[str] = []
    while len(out) < count:
        address = str(
            ipaddress.IPv6Address(base + (rng.getrandbits(80) << 16 | rng.getrandbits(8)))
        )
        if address not in RESERVED_IPS:
            out.append(address)
    return out


def build_pools(rng: random.Random) -> Pools:
    docs = ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")
    internet = _v4(rng, docs, 260) + _v6(rng, 110)
    rng.shuffle(internet)  # the order sets who is "popular" (Zipf weights below)
    return Pools(
        internet=internet,
        vpc=_v4(rng, ("10.0.16.0/24", "10.0.17.0/24"), 12),
        cloudfront=_v4(rng, ("130.176.0.0/20", "64.252.64.0/20"), 48),
        ci=_v4(rng, ("198.51.100.128/25",), 10),
        office=[*_v4(rng, ("203.0.113.0/26",), 4), *_v6(rng, 2)],
    )


def _hex(rng: random.Random, digits: int) -> str:
    return f"{rng.getrandbits(4 * digits):0{digits}x}"


def actors_for(
    kind: str, account: str, rng: random.Random, pools: Pools
) -> list[tuple[Actor, float]]:
    """The callers of a bucket of ``kind`` with their share of its requests."""
    sts = f"arn:aws:sts::{account}:assumed-role"
    instance = f"i-0{_hex(rng, 16)}"
    actors = {
        "browser": Actor(
            "browser", None, tuple(pools.internet), BROWSER_UAS,
            (("get", 88), ("head", 6), ("options", 2), ("get_missing", 4)),
            referrers=(None, "https://www.example.com/", "https://www.example.com/products/"),
            acl_required=True, error_rate=0.015, sigv=None, auth=None,
        ),
        "website": Actor(
            "website", None, tuple(pools.internet), BROWSER_UAS + BOT_UAS,
            (("website_get", 92), ("website_head", 8)), sigv=None, auth=None, tls=PLAIN_HTTP,
            referrers=(None, "http://www.example.com/"), error_rate=0.01,
        ),
        "monitor": Actor(
            "monitor", None, tuple(pools.internet[:3]), (QUOTED_UA,),
            (("head", 70), ("get", 30)), human=False, sigv=None, auth=None, acl_required=True,
        ),
        "cloudfront": Actor(
            "cloudfront",
            "arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2QWRUHAPOMQZL",
            tuple(pools.cloudfront), ("Amazon CloudFront",),
            (("get", 80), ("head", 14), ("get_missing", 6)),
        ),
        "presigned": Actor(
            "presigned", f"{sts}/app-server-role/{instance}", tuple(pools.internet),
            BROWSER_UAS, (("presigned_get", 75), ("presigned_put", 25)), auth="QueryString",
            referrers=(None, "https://app.example.com/"), error_rate=0.01, sigv2_share=0.05,
        ),
        "app": Actor(
            "app", f"{sts}/app-server-role/{instance}", tuple(pools.vpc[:6]),
            BOTO3_UAS + JAVA_UAS,
            (("get", 38), ("head", 20), ("put", 24), ("multipart", 3), ("list", 8),
             ("delete", 5), ("get_missing", 2)),
            human=False, in_aws=True,
        ),
        "etl": Actor(
            "etl", f"{sts}/glue-etl-role/GlueJobRunnerSession", tuple(pools.vpc[6:]), GLUE_UAS,
            (("list", 22), ("get_range", 50), ("put", 14), ("multipart", 5),
             ("multi_delete", 0.6), ("head", 7)),
            human=False, in_aws=True, access_point_share=0.3,
        ),
        "analyst": Actor(
            "analyst", f"arn:aws:iam::{account}:user/alice", tuple(pools.office), CLI_UAS,
            (("list", 40), ("get", 40), ("head", 12), ("get_missing", 8)),
        ),
        "deploy": Actor(
            "deploy", f"{sts}/github-actions-deploy/GitHubActions", tuple(pools.ci), SYNC_UAS,
            (("put", 55), ("list", 20), ("delete", 10), ("head", 15)),
        ),
        "console": Actor(
            "console",
            f"{sts}/AWSReservedSSO_AdministratorAccess_{_hex(rng, 16)}/bob@example.com",
            tuple(pools.office), CONSOLE_UAS,
            (("list", 40), ("config_read", 45), ("get", 10), ("config_write", 5)),
        ),
        "aws-config": Actor(
            "aws-config", f"{sts}/AWSServiceRoleForConfig/AWSConfig-BucketConfigHandler",
            tuple(pools.vpc[:2]), ("AWSConfig",), (("config_read", 100),), human=False, in_aws=True,
        ),
        "trusted-advisor": Actor(
            "trusted-advisor",
            f"{sts}/AWSServiceRoleForTrustedAdvisor/TrustedAdvisor_{account}_{_hex(rng, 8)}",
            tuple(pools.vpc[2:4]),
            ("AWS-Support-TrustedAdvisor, aws-internal/3 aws-sdk-java/1.12.488",),
            (("list", 50), ("config_read", 50)), human=False, in_aws=True,
        ),
        "log-delivery": Actor(
            "log-delivery", "svc:delivery.logs.amazonaws.com", (None,), (None,),
            (("put_logs", 100),), human=False,
        ),
        "lifecycle": Actor(
            "lifecycle", "AmazonS3", (None,), (None,), (("expire", 100),), human=False,
            sigv=None, auth=None, tls=PLAIN_HTTP,
            internal=True,
        ),
        "owner": Actor(
            "owner", None, tuple(pools.office), CLI_UAS,
            (("list", 50), ("get", 30), ("config_read", 20)),
        ),  # requester filled in with the bucket owner's canonical ID
        "legacy-php": Actor(
            "legacy-php", f"arn:aws:iam::{account}:user/legacy-php-app",
            tuple(pools.internet[-4:]), PHP_SIGV2_UAS, (("get", 50), ("put", 40), ("head", 10)),
            sigv="SigV2", tls=TLS_OLD_CIPHER, path_style=True,
        ),
        "partner": Actor(
            "partner", "arn:aws:sts::210987654321:assumed-role/partner-ingest/partner-sync",
            tuple(pools.internet[10:14]), GO_UAS, (("get", 65), ("list", 35)), human=False,
            error_rate=0.02,
        ),
        "backup-agent": Actor(
            "backup-agent", f"{sts}/backup-writer/i-0{_hex(rng, 16)}", tuple(pools.vpc[8:10]),
            BOTO3_UAS, (("multipart", 55), ("put", 20), ("list", 15), ("head", 10)),
            human=False, in_aws=True,
        ),
    }  # fmt: skip
    return [(actors[name], share) for name, share in _MIX[kind].items()]


# Share of each bucket kind's requests per actor (relative weights).
_MIX: dict[str, dict[str, float]] = {
    "web-assets": {
        "cloudfront": 40, "browser": 28, "website": 9, "monitor": 2, "deploy": 2.5,
        "console": 0.6, "aws-config": 0.4, "trusted-advisor": 0.2, "owner": 0.1,
    },
    "user-uploads": {
        "presigned": 40, "app": 40, "legacy-php": 4, "lifecycle": 5, "console": 0.6,
        "aws-config": 0.4, "trusted-advisor": 0.2, "owner": 0.1,
    },
    "data-lake": {
        "etl": 55, "analyst": 14, "partner": 10, "log-delivery": 8, "app": 10, "console": 0.8,
        "aws-config": 0.4, "trusted-advisor": 0.2,
    },
    "backups": {
        "backup-agent": 60, "lifecycle": 15, "analyst": 6, "console": 1, "aws-config": 0.5,
        "trusted-advisor": 0.2, "owner": 0.2,
    },
}  # fmt: skip

_EXTENSIONS = {
    "web-assets": (
        ("static/js/app.{h}.js", 40_000, 400_000),
        ("static/css/site.{h}.css", 8_000, 90_000),
        ("img/products/{n}.jpg", 30_000, 1_800_000),
        ("img/banners/{n}.webp", 60_000, 600_000),
        ("video/promo-{n}.mp4", 8_000_000, 120_000_000),
        ("index.html", 3_000, 40_000),
        ("favicon.ico", 1_000, 15_000),
    ),
    "user-uploads": (
        ("uploads/2024/{m}/{u}/{h}.jpg", 80_000, 9_000_000),
        ("uploads/2024/{m}/{u}/{h}.pdf", 40_000, 15_000_000),
        ("uploads/2024/{m}/{u}/Scan {n} (final).pdf", 200_000, 4_000_000),
        ("uploads/2024/{m}/{u}/café-menü-{n}.png", 50_000, 2_000_000),
        ("avatars/{u}.png", 5_000, 200_000),
    ),
    "data-lake": (
        ("raw/events/dt=2024-{m}-{d}/part-{n:05d}.json.gz", 1_000_000, 20_000_000),
        ("curated/orders/dt=2024-{m}-{d}/part-{n:05d}.snappy.parquet", 10_000_000, 120_000_000),
        ("reference/countries.csv", 20_000, 40_000),
    ),
    "backups": (
        ("db/orders/2024-{m}-{d}/dump-{n:03d}.sql.gz", 100_000_000, 900_000_000),
        ("files/home/{u}/archive-{n:03d}.tar.zst", 5_000_000, 300_000_000),
    ),
}


def build_catalog(kind: str, rng: random.Random, size: int = 240) -> list[CatalogEntry]:
    """Objects a bucket of ``kind`` holds, most popular first (requests pick them Zipf-wise)."""
    seen: set[str] = set()
    entries: list[CatalogEntry] = []
    templates = _EXTENSIONS[kind]
    while len(entries) < size:
        template, low, high = rng.choice(templates)
        key = template.format(
            h=_hex(rng, 8), n=rng.randrange(1, 400), m=f"{rng.randrange(1, 4):02d}",
            d=f"{rng.randrange(1, 29):02d}", u=f"user-{rng.randrange(1, 90):04d}",
        )  # fmt: skip
        if key in seen:
            continue
        seen.add(key)
        # Log-uniform sizes: many small objects, a few large ones.
        size_bytes = int(low * (high / low) ** rng.random())
        entries.append(CatalogEntry(key, size_bytes))
    return entries
