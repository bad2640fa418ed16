"""The checker's compaction findings: is every closed raw partition compacted, and does the
compacted table hold what the manifests say?

* ``uncompacted``: a closed raw partition (day D+1 over, plus the grace) that has no
  manifest, an unreadable one, or one that no longer matches its raw objects (a raw object
  not in the manifest - delivered late, moved in by ``check --fix`` or ``backfill`` - one
  gone, or one changed). The detail says how many and names one.
* ``compaction_mismatch``: a manifest whose outputs are missing or whose Parquet row
  counts (read from each object's footer: two ranged GETs) differ from the manifest's; a
  manifest that contradicts itself; a data object under the compacted root that no manifest
  claims (left by a crash, or by hand); and with ``--deep`` a raw partition whose lines no
  longer add up to the manifest's.

Compaction is checked when the bucket has manifests (or when asked). Every finding names the
*raw* partition to compact again, which is what ``check --fix`` does (the same code as
``s3logs-athena compact``).
"""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterator
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..errors import AwsError
from ..parser import iter_line_batches
from ..table.compaction.keys import CompactedKeys
from ..table.compaction.manifest import Manifest, ManifestError
from ..table.compaction.partition import CompactionSettings, PartitionState, partition_state
from ..table.compaction.runner import DEFAULT_GRACE, last_closed_day
from ..table.compaction.s3io import get_bytes, list_objects
from .findings import CheckReport, Kind, partition_label

if TYPE_CHECKING:
    from .scan import CheckConfig

__all__ = ["CompactionCheck", "check_compaction", "uses_compaction"]

_FOOTER = 8  # a Parquet file ends with the footer length (4 bytes) and "PAR1"


@dataclass(frozen=True)
class CompactionCheck:
    """Whether and how to check compaction."""

    #: ``None``: when the bucket has manifests.
    enabled: bool | None = None
    grace: timedelta = DEFAULT_GRACE


def uses_compaction(s3: Any, log_bucket: str, keys: CompactedKeys) -> bool:
    """Whether any raw partition of the bucket was ever compacted."""
    page = s3.list_objects_v2(Bucket=log_bucket, Prefix=keys.manifests_root, MaxKeys=1)
    return bool(page.get("Contents"))


def _parquet_rows(s3: Any, bucket: str, key: str) -> int | None:
    """The row count in a Parquet object's footer, ``None`` if it is gone."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        tail = s3.get_object(Bucket=bucket, Key=key, Range=f"bytes=-{_FOOTER}")["Body"].read()
    except Exception as exc:
        code = str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))
        if code in ("NoSuchKey", "404", "NotFound"):
            return None
        raise AwsError(
            f"GetObject s3://{bucket}/{key}", code or type(exc).__name__, str(exc)
        ) from None
    if len(tail) < _FOOTER or tail[4:] != b"PAR1":
        return -1
    length = int.from_bytes(tail[:4], "little")
    footer = s3.get_object(Bucket=bucket, Key=key, Range=f"bytes=-{length + _FOOTER}")
    metadata = pq.read_metadata(pa.BufferReader(footer["Body"].read()))
    return int(metadata.num_rows)


def _object_list(s3: Any, bucket: str, key: str) -> dict[str, tuple[str, int]]:
    got = get_bytes(s3, bucket, key)
    if got is None:
        return {}
    entries = {}
    for line in gzip.decompress(got[0]).decode("utf-8").splitlines():
        item = json.loads(line)
        entries[str(item["name"])] = (str(item["etag"]), int(item["size"]))
    return entries


def _stale_detail(s3: Any, bucket: str, state: PartitionState, prefix: str) -> str:
    """How the raw objects differ from the manifest's list."""
    assert state.manifest is not None
    listed = _object_list(s3, bucket, state.manifest.objects_key)
    now = {o.key[len(prefix) :]: (o.etag, o.size) for o in list_objects(s3, bucket, prefix)}
    new = sorted(set(now) - set(listed))
    gone = sorted(set(listed) - set(now))
    changed = sorted(n for n in set(now) & set(listed) if now[n] != listed[n])
    parts = []
    for count, what, names in (
        (len(new), "not in its manifest", new),
        (len(gone), "in its manifest but gone", gone),
        (len(changed), "changed since", changed),
    ):
        if count:
            parts.append(f"{count} raw object{'s' if count > 1 else ''} {what} (e.g. {names[0]})")
    return "; ".join(parts) or "its manifest does not match the raw objects"


def _raw_lines(s3: Any, bucket: str, prefix: str) -> int:
    lines = 0
    for item in list_objects(s3, bucket, prefix):
        got = get_bytes(s3, bucket, item.key)
        if got is not None:
            lines += sum(len(batch) for batch in iter_line_batches(io.BytesIO(got[0])))
    return lines


def _check_one(
    s3: Any, bucket: str, day: date, source: str, settings: CompactionSettings, deep: bool
) -> list[tuple[Kind, str | None, str]]:
    """Findings (kind, key, detail) of one closed raw partition."""
    state = partition_state(s3, bucket, day, source, settings)
    prefix = settings.layout.partition_prefix(day, source)
    if state.manifest is None:
        if state.manifest_problem:
            detail = f"its manifest is unreadable: {state.manifest_problem}"
            return [(Kind.UNCOMPACTED, None, detail)]
        return [
            (
                Kind.UNCOMPACTED,
                None,
                f"closed, {state.listing.count} raw objects, no manifest: not compacted",
            )
        ]
    manifest = state.manifest
    if state.status == "stale":
        return [(Kind.UNCOMPACTED, None, _stale_detail(s3, bucket, state, prefix))]
    found: list[tuple[Kind, str | None, str]] = [
        (Kind.COMPACTION_MISMATCH, None, f"manifest: {p}") for p in manifest.problems()
    ]
    for output in manifest.outputs:
        rows = _parquet_rows(s3, bucket, output.key)
        if rows is None:
            found.append((Kind.COMPACTION_MISMATCH, output.key, "in the manifest but missing"))
        elif rows != output.rows:
            what = "not a Parquet file" if rows < 0 else f"{rows} rows"
            found.append(
                (Kind.COMPACTION_MISMATCH, output.key, f"{what}; the manifest says {output.rows}")
            )
    if deep:
        lines = _raw_lines(s3, bucket, prefix)
        if lines != manifest.lines:
            found.append(
                (
                    Kind.COMPACTION_MISMATCH,
                    None,
                    f"the raw objects hold {lines} lines; the manifest says {manifest.lines}",
                )
            )
    return found


def _orphans(
    s3: Any,
    bucket: str,
    keys: CompactedKeys,
    days: list[date],
    manifests: dict[tuple[date, str], Manifest | None],
) -> Iterator[tuple[date, date, str, str]]:
    """Data objects in the request days ``days`` that no manifest lists: (request day, raw
    day, bucket, key)."""
    for day in days:
        for item in list_objects(s3, bucket, keys.partition_prefix(day)):
            parsed = keys.parse_output_key(item.key)
            if parsed is None:
                continue
            source = (parsed.raw_day, parsed.bucket)
            if source not in manifests:
                document = get_bytes(s3, bucket, keys.manifest_key(*source))
                try:
                    manifests[source] = (
                        None if document is None else Manifest.from_json(json.loads(document[0]))
                    )
                except (ValueError, ManifestError):
                    manifests[source] = None
            manifest = manifests[source]
            if manifest is None or item.key not in manifest.output_keys:
                yield parsed.request_day, parsed.raw_day, parsed.bucket, item.key


def check_compaction(s3: Any, report: CheckReport, pool: Executor, config: CheckConfig) -> None:
    """Add the compaction findings of the closed raw partitions the check found
    (``report.partition_days``) to ``report``."""
    check, in_scope, deep = config.compaction, config.in_scope, config.deep
    partitions = report.partition_days
    now = config.now
    keys = CompactedKeys(config.layout.compacted_root)
    bucket = report.log_bucket
    enabled = check.enabled
    if enabled is None:
        enabled = uses_compaction(s3, bucket, keys)
    report.compaction = enabled
    if not enabled:
        return
    settings = CompactionSettings(layout=config.layout)
    closed = last_closed_day(now or datetime.now(UTC), check.grace)
    work = [
        (day, source)
        for source, days in sorted(partitions.items())
        for day in sorted(days)
        if day <= closed and in_scope(day, source)
    ]
    futures = {pair: pool.submit(_check_one, s3, bucket, *pair, settings, deep) for pair in work}
    for (day, source), future in futures.items():
        for kind, key, detail in future.result():
            report.add(kind, key, partition_label(day, source), detail)
    # Orphans: request days of the checked raw partitions (a day's late records are in the
    # previous request day).
    checked = set(work)
    days = sorted({day for day, _ in work} | {day - timedelta(days=1) for day, _ in work})
    manifests: dict[tuple[date, str], Manifest | None] = {}
    for request_day, raw_day, source, key in _orphans(s3, bucket, keys, days, manifests):
        if (raw_day, source) in checked or in_scope(request_day, source):
            report.add(
                Kind.COMPACTION_MISMATCH,
                key,
                partition_label(raw_day, source),
                "a compacted object no manifest claims (left by an interrupted compaction?)",
            )
