"""The scheduled compactor's two Lambda functions (``infra/template.yaml``).

``schedule`` (an EventBridge schedule, hourly by default) fans the work out: for each closed
raw day of the last ``COMPACTOR_LOOKBACK_DAYS`` it lists the day's ``<bucket>/`` folders and
sends one SQS message per (day, bucket) - including the quiet days inside a bucket's active
span, which get an empty manifest - then re-applies the view over both tables with the
coverage the manifests give (so the view never needs manual DDL).

``worker`` (the queue's event source, partial batch responses, a DLQ behind the queue)
takes one unit at a time: it compares the raw partition with its manifest and compacts it
when there is none or it no longer matches; an up-to-date partition costs one listing and
one GET. A unit that fails is reported as a batch item failure: SQS redelivers it after the
visibility timeout and parks it in the DLQ after ``maxReceiveCount`` attempts (the raw
objects are never touched). A unit is not started when too little of the invocation is left
to finish it.

Imports: the standard library, boto3, pyarrow (from a layer, in the worker only) and the
package modules compaction needs; ``tests/test_compactor_imports.py`` checks it.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from ...env_settings import env_int, env_text
from ...errors import ConfigError, InputError, S3LogsError
from ...layout import (
    DEFAULT_COMPACTED_ROOT,
    DEFAULT_DATABASE,
    DEFAULT_PARTITION_ROOT,
    DEFAULT_TABLE,
    Layout,
    validate_bucket_name,
)
from .keys import CompactedKeys
from .partition import DEFAULT_ROW_GROUP_ROWS, CompactionSettings, partition_state
from .runner import DEFAULT_GRACE, compact_one, last_closed_day
from .s3io import list_folders, make_client_config

__all__ = ["CompactorSettings", "load_compactor_settings", "schedule", "worker"]

_PREFIX = "COMPACTOR_"


@dataclass(frozen=True)
class CompactorSettings:
    """The functions' environment, validated once per container."""

    log_bucket: str | None = None
    layout: Layout = field(default_factory=Layout)
    queue_url: str | None = None
    lookback_days: int = 3
    grace: timedelta = DEFAULT_GRACE
    row_group_rows: int = DEFAULT_ROW_GROUP_ROWS
    read_concurrency: int = 64
    database: str = DEFAULT_DATABASE
    table: str = DEFAULT_TABLE
    workgroup: str | None = None
    athena_output: str | None = None
    update_view: bool = True
    #: A unit is not started with less than this much of the invocation left.
    reserve_seconds: float = 300.0

    @property
    def compaction(self) -> CompactionSettings:
        return CompactionSettings(
            layout=self.layout,
            row_group_rows=self.row_group_rows,
            read_concurrency=self.read_concurrency,
        )


_KNOWN = {
    "COMPACTOR_LOG_BUCKET",
    "COMPACTOR_PARTITION_ROOT",
    "COMPACTOR_COMPACTED_ROOT",
    "COMPACTOR_QUEUE_URL",
    "COMPACTOR_LOOKBACK_DAYS",
    "COMPACTOR_GRACE_MINUTES",
    "COMPACTOR_ROW_GROUP_ROWS",
    "COMPACTOR_READ_CONCURRENCY",
    "COMPACTOR_DATABASE",
    "COMPACTOR_TABLE",
    "COMPACTOR_WORKGROUP",
    "COMPACTOR_ATHENA_OUTPUT",
    "COMPACTOR_UPDATE_VIEW",
    "COMPACTOR_RESERVE_SECONDS",
}


def load_compactor_settings(environ: Mapping[str, str]) -> CompactorSettings:
    """Settings from the environment; :class:`ConfigError` naming the first bad variable."""
    unknown = sorted(n for n in environ if n.startswith(_PREFIX) and n not in _KNOWN)
    if unknown:
        raise ConfigError(unknown[0], f"unknown setting; known: {', '.join(sorted(_KNOWN))}")

    def text(name: str) -> str | None:
        return env_text(environ, name)

    bucket = text("COMPACTOR_LOG_BUCKET")
    if bucket is not None:
        try:
            validate_bucket_name(bucket)
        except InputError as exc:
            raise ConfigError("COMPACTOR_LOG_BUCKET", str(exc)) from None
    try:
        layout = Layout(
            partition_root=text("COMPACTOR_PARTITION_ROOT") or DEFAULT_PARTITION_ROOT,
            compacted_root=text("COMPACTOR_COMPACTED_ROOT") or DEFAULT_COMPACTED_ROOT,
        ).check_roots_apart()
    except InputError as exc:
        raise ConfigError("COMPACTOR_COMPACTED_ROOT", str(exc)) from None
    output = text("COMPACTOR_ATHENA_OUTPUT")
    if output is not None and not output.startswith("s3://"):
        raise ConfigError("COMPACTOR_ATHENA_OUTPUT", f"must be an s3:// URI, got {output!r}")
    flag = (text("COMPACTOR_UPDATE_VIEW") or "true").lower()
    if flag not in ("true", "false"):
        raise ConfigError("COMPACTOR_UPDATE_VIEW", f"must be true or false, got {flag!r}")
    return CompactorSettings(
        log_bucket=bucket,
        layout=layout,
        queue_url=text("COMPACTOR_QUEUE_URL"),
        lookback_days=env_int(environ, "COMPACTOR_LOOKBACK_DAYS", default=3, low=1, high=400),
        grace=timedelta(
            minutes=env_int(environ, "COMPACTOR_GRACE_MINUTES", default=180, low=0, high=7 * 1440)
        ),
        row_group_rows=env_int(
            environ,
            "COMPACTOR_ROW_GROUP_ROWS",
            default=DEFAULT_ROW_GROUP_ROWS,
            low=1024,
            high=4_194_304,
        ),
        read_concurrency=env_int(
            environ, "COMPACTOR_READ_CONCURRENCY", default=64, low=1, high=256
        ),
        database=text("COMPACTOR_DATABASE") or DEFAULT_DATABASE,
        table=text("COMPACTOR_TABLE") or DEFAULT_TABLE,
        workgroup=text("COMPACTOR_WORKGROUP"),
        athena_output=output,
        update_view=flag == "true",
        reserve_seconds=float(
            env_int(environ, "COMPACTOR_RESERVE_SECONDS", default=300, low=0, high=900)
        ),
    )


def _log(level: str, message: str, **fields: Any) -> None:
    """One JSON line per event (CloudWatch Logs Insights reads the fields)."""
    record = {"level": level, "message": message, **fields}
    print(json.dumps(record, default=str, ensure_ascii=False), file=sys.stdout, flush=True)


# -- the scheduler ---------------------------------------------------------------------


def plan_units(s3: Any, settings: CompactorSettings, now: datetime) -> list[tuple[str, date, str]]:
    """(log bucket, raw day, bucket) for every unit of the lookback window: each bucket's
    days from its first day with objects in the window to the day after its last."""
    log_bucket = settings.log_bucket
    if log_bucket is None:
        raise ConfigError("COMPACTOR_LOG_BUCKET", "is required by the scheduler")
    last = last_closed_day(now, settings.grace)
    days = [last - timedelta(days=n) for n in range(settings.lookback_days)][::-1]
    seen: dict[str, list[date]] = {}
    for day in days:
        prefix = settings.layout.partition_prefix(day)
        for folder in list_folders(s3, log_bucket, prefix):
            seen.setdefault(folder[len(prefix) :].rstrip("/"), []).append(day)
    units: list[tuple[str, date, str]] = []
    for bucket, active in sorted(seen.items()):
        first, final = min(active), max(active) + timedelta(days=1)
        units.extend((log_bucket, day, bucket) for day in days if first <= day <= final)
    return units


def send_units(sqs: Any, queue_url: str, units: list[tuple[str, date, str]]) -> int:
    """One message per unit, ten per request; the number sent (failures raise)."""
    sent = 0
    for start in range(0, len(units), 10):
        entries = [
            {
                "Id": str(index),
                "MessageBody": json.dumps(
                    {"log_bucket": log_bucket, "day": day.isoformat(), "bucket": bucket}
                ),
            }
            for index, (log_bucket, day, bucket) in enumerate(units[start : start + 10])
        ]
        response = sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)
        failed = response.get("Failed") or []
        if failed:
            raise S3LogsError(f"SQS refused {len(failed)} compaction units: {failed[0]}")
        sent += len(entries)
    return sent


def run_schedule(
    s3: Any, sqs: Any, athena: Any, settings: CompactorSettings, now: datetime
) -> dict[str, Any]:
    """Send the window's units, then re-apply the view; what was done."""
    if settings.queue_url is None:
        raise ConfigError("COMPACTOR_QUEUE_URL", "is required by the scheduler")
    units = plan_units(s3, settings, now)
    sent = send_units(sqs, settings.queue_url, units)
    outcome: dict[str, Any] = {"units": sent}
    if settings.update_view:
        from ..ddl import TableSpec
        from ..views import all_view_statement, apply_with_athena_client, read_coverage

        assert settings.log_bucket is not None
        spec = TableSpec(
            location=f"s3://{settings.log_bucket}/{settings.layout.partition_root}",
            database=settings.database,
            table=settings.table,
            bucket_projection="injected",
        )
        coverage = read_coverage(s3, settings.log_bucket, settings.layout)
        statement = all_view_statement(spec, coverage)
        outcome["view_query_id"] = apply_with_athena_client(
            athena,
            statement,
            workgroup=settings.workgroup,
            output_location=settings.athena_output,
        )
        outcome["covered_days"] = coverage.covered_days
    return outcome


# -- the worker ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Unit:
    message_id: str
    log_bucket: str
    day: date
    bucket: str


def _decode(record: Mapping[str, Any]) -> _Unit | str:
    """A unit, or why the message is not one."""
    message_id = record.get("messageId")
    if not isinstance(message_id, str) or not message_id:
        raise ValueError("an SQS record without a messageId: not a Lambda SQS event")
    try:
        body = json.loads(record.get("body") or "")
        unit = _Unit(message_id, str(body["log_bucket"]), date.fromisoformat(body["day"]),
                     str(body["bucket"]))  # fmt: skip
        validate_bucket_name(unit.log_bucket)
        CompactedKeys().manifest_key(unit.day, unit.bucket)  # a bucket name, not a path
    except (ValueError, KeyError, TypeError, InputError) as exc:
        return f"not a compaction unit ({type(exc).__name__}: {exc})"
    return unit


def run_worker(
    s3: Any, event: Mapping[str, Any], settings: CompactorSettings, deadline: float | None
) -> dict[str, list[dict[str, str]]]:
    """Compact the units of one SQS batch; the partial batch response."""
    records = event.get("Records")
    if not isinstance(records, list):
        raise ValueError("not an SQS event: no 'Records' list")
    failed: list[str] = []
    for record in records:
        unit = _decode(record)
        if isinstance(unit, str):
            _log("ERROR", unit, message_id=record.get("messageId"))
            failed.append(str(record["messageId"]))
            continue
        if deadline is not None and time.monotonic() > deadline - settings.reserve_seconds:
            _log("WARNING", "not started: the invocation is out of time", **_fields(unit))
            failed.append(unit.message_id)
            continue
        try:
            state = partition_state(s3, unit.log_bucket, unit.day, unit.bucket, settings.compaction)
        except S3LogsError as exc:
            _log("ERROR", f"listing failed: {exc}", **_fields(unit))
            failed.append(unit.message_id)
            continue
        result = compact_one(s3, unit.log_bucket, state, settings.compaction)
        _log("ERROR" if not result.ok else "INFO", result.status,
             **{**result.to_json(), **_fields(unit)})  # fmt: skip
        if not result.ok:
            failed.append(unit.message_id)
    return {"batchItemFailures": [{"itemIdentifier": m} for m in failed]}


def _fields(unit: _Unit) -> dict[str, str]:
    return {"message_id": unit.message_id, "day": unit.day.isoformat(), "bucket": unit.bucket}


# -- entry points ----------------------------------------------------------------------

_clients: dict[str, Any] = {}


def _client(service: str, settings: CompactorSettings) -> Any:
    if service not in _clients:
        import boto3

        config = make_client_config(settings.read_concurrency)
        _clients[service] = boto3.session.Session().client(service, config=config)  # type: ignore[call-overload]
    return _clients[service]


def _event_time(event: Mapping[str, Any]) -> datetime:
    """The scheduled event's ``time`` (when the schedule fired), else now."""
    stamp = event.get("time") if isinstance(event, Mapping) else None
    if isinstance(stamp, str):
        try:
            moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        except ValueError:
            return datetime.now(UTC)
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return datetime.now(UTC)


def schedule(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    """Entry point of the scheduler (an EventBridge scheduled event; its ``time`` is the
    moment the closed days are counted from)."""
    settings = load_compactor_settings(os.environ)
    outcome = run_schedule(
        _client("s3", settings),
        _client("sqs", settings),
        _client("athena", settings) if settings.update_view else None,
        settings,
        _event_time(event),
    )
    _log("INFO", "scheduled", **outcome)
    return outcome


def worker(event: Mapping[str, Any], context: Any) -> dict[str, list[dict[str, str]]]:
    """Entry point of the worker (SQS batches); a partial batch response."""
    settings = load_compactor_settings(os.environ)
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    deadline = None if remaining is None else time.monotonic() + float(remaining()) / 1000
    return run_worker(_client("s3", settings), event, settings, deadline)
