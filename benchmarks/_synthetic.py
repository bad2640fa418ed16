"""Synthetic partitioned S3 access logs for the benchmarks (fast, seeded, varied enough).

Mostly canonical lines, plus the awkward kinds real logs have, about 2% together: CloudFront
origin access identities (a requester with spaces), lifecycle expirations with unquoted
``-`` fields, user agents with quotes inside, 18-field lines from before 2018, and a little
garbage. Files hold a few thousand lines each, as S3 delivers them for a busy bucket.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

__all__ = ["write_partitioned_logs"]

_OWNER = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"
_OPS = ["REST.GET.OBJECT"] * 12 + [
    "REST.PUT.OBJECT",
    "REST.HEAD.OBJECT",
    "REST.GET.BUCKET",
    "REST.DELETE.OBJECT",
    "REST.COPY.OBJECT",
    "REST.GET.ACL",
]
_AGENTS = [
    "aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64.amzn.2 prompt/off command/s3.cp",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0",
    "aws-sdk-java/1.12.500 Linux/5.10 OpenJDK_64-Bit_Server_VM/17.0.8+7-LTS java/17.0.8",
    "Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux#6.1 md/arch#x86_64 lang/python#3.12.1",
    "S3Console/0.4",
    "curl/8.4.0",
]
_REQUESTERS = [
    "arn:aws:iam::111122223333:user/alice",
    "arn:aws:sts::111122223333:assumed-role/app/i-0abc123",
    "arn:aws:iam::111122223333:user/bob",
    "-",
    _OWNER,
]
_OAI = "arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2QWRUHAPOMQZL"
_STATUS = ["200"] * 16 + ["304", "403", "404", "503"]


def _canonical(
    rng: random.Random,
    when: str,
    bucket: str,
    hosts: list[str],
    *,
    requester: str | None = None,
    ip: str | None = None,
) -> str:
    status = rng.choice(_STATUS)
    key = f"data/{rng.randrange(2000)}/part-{rng.randrange(50000):05d}.parquet"
    sent = str(rng.randrange(1, 5_000_000)) if status == "200" else "-"
    error = {"403": "AccessDenied", "404": "NoSuchKey", "503": "SlowDown"}.get(status, "-")
    ip = ip or f"10.{rng.randrange(4)}.{rng.randrange(256)}.{rng.randrange(256)}"
    return (
        f"{_OWNER} {bucket} [{when} +0000] {ip} {requester or rng.choice(_REQUESTERS)} "
        f"{rng.getrandbits(64):016X} {rng.choice(_OPS)} {key} "
        f'"GET /{bucket}/{key} HTTP/1.1" {status} {error} {sent} '
        f'{rng.randrange(1, 5_000_000)} {rng.randrange(1, 900)} {rng.randrange(1, 90)} "-" '
        f'"{rng.choice(_AGENTS)}" - {rng.choice(hosts)} SigV4 TLS_AES_128_GCM_SHA256 '
        f"AuthHeader {bucket}.s3.us-east-1.amazonaws.com TLSv1.3 - - us-east-1"
    )


def _awkward(rng: random.Random, when: str, bucket: str, hosts: list[str]) -> str:
    kind = rng.randrange(5)
    if kind == 0:  # CloudFront origin access identity: spaces in the requester
        return _canonical(rng, when, bucket, hosts, requester=_OAI, ip="2001:db8::7")
    if kind == 1:  # lifecycle expiration: unquoted - for the quoted fields
        return (
            f"{_OWNER} {bucket} [{when} +0000] - AmazonS3 {rng.getrandbits(64):016X} "
            f"S3.EXPIRE.OBJECT logs/old-{rng.randrange(9999)}.txt - - - - {rng.randrange(99999)} "
            "- - - - - - - - - - - - - - -"
        )
    line = _canonical(rng, when, bucket, hosts, requester="-")
    if kind == 2:  # quotes inside the user agent
        return line.replace('"-" "', '"-" ""quoted" ', 1)
    if kind == 3:  # the 18 fields of logs from before 2018
        return line.rsplit('" - ', 1)[0] + '"'
    return "garbage line that is not a log record"


def write_partitioned_logs(
    root: Path,
    lines: int,
    *,
    days: int = 30,
    buckets: tuple[str, ...] = ("app-assets", "app-uploads"),
    lines_per_file: int = 4000,
    awkward_share: float = 0.02,
    first_day: date = date(2024, 3, 1),
    seed: int = 7,
) -> int:
    """Write about ``lines`` lines under ``root/PartitionedLogs/``; return the bytes written."""
    rng = random.Random(seed)
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789+/"
    hosts = ["".join(rng.choices(alphabet, k=76)) + "=" for _ in range(64)]
    files = max(1, lines // lines_per_file)
    per_partition = max(1, files // (days * len(buckets)))
    written = 0
    produced = 0
    for number in range(files):
        partition = number // per_partition
        day = first_day + timedelta(days=(partition // len(buckets)) % days)
        bucket = buckets[partition % len(buckets)]
        start = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(
            minutes=number % 1440
        )
        count = min(lines_per_file, lines - produced) if number < files - 1 else lines - produced
        produced += count
        when = start.strftime("%d/%b/%Y:%H:%M:%S")
        body = [
            _awkward(rng, when, bucket, hosts)
            if rng.random() < awkward_share
            else _canonical(rng, when, bucket, hosts)
            for _ in range(count)
        ]
        name = f"{start:%Y-%m-%d-%H-%M-%S}-{rng.getrandbits(64):016X}"
        directory = (
            root / "PartitionedLogs" / f"Year={day.year:04d}" / f"Month={day.month:02d}"
            / f"Day={day.day:02d}" / bucket
        )  # fmt: skip
        directory.mkdir(parents=True, exist_ok=True)
        data = ("\n".join(body) + "\n").encode()
        (directory / name).write_bytes(data)
        written += len(data)
    return written
