"""Is everything this toolkit needs reachable? Read-only checks, one finding per setting.

What a platform engineer runs before a long backfill or a first ``report --engine athena``:
credentials (STS ``GetCallerIdentity``), the region, the log bucket (``HeadBucket`` and one
``ListObjectsV2`` page under the partition root), the mover's queue and its DLQ
(``GetQueueAttributes``; the DLQ from the queue's redrive policy when not named), the Glue
tables and views Athena queries need (``GetTable``: the raw table, its typed view, the
compacted table and ``<table>_all``; :mod:`.catalog`), and the Athena workgroup and its query
result location (``GetWorkGroup``, ``HeadBucket``). Nothing is created, changed or deleted.

Each check yields a :class:`DoctorCheck` whose ``status`` is ``ok``, ``warn`` (works, but
worth knowing), ``missing`` (a setting or a resource is absent: ``hint`` says what to do),
``error`` (AWS refused or failed) or ``skipped`` (not asked for, or blocked by an earlier
failure). Clients come from ``client_for(service)``, so the checks run on any endpoint.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..errors import REGION_HINT
from .base import ClientFor, DoctorCheck, DoctorConfig, failure
from .catalog import catalog_checks

__all__ = ["run_doctor"]


class _Doctor:
    def __init__(self, client_for: ClientFor, config: DoctorConfig) -> None:
        self.client_for = client_for
        self.config = config
        self.credentials_ok = False

    def _client(self, service: str) -> Any:
        return self.client_for(service)

    # -- the checks -----------------------------------------------------------------------

    def credentials(self) -> DoctorCheck:
        try:
            identity = self._client("sts").get_caller_identity()
        except Exception as exc:  # every failure is a finding
            return failure("credentials", exc)
        self.credentials_ok = True
        return DoctorCheck(
            "credentials", "ok", f"account {identity.get('Account')}, {identity.get('Arn')}"
        )

    def region(self) -> DoctorCheck:
        if self.config.region:
            return DoctorCheck("region", "ok", self.config.region)
        return DoctorCheck("region", "missing", "no AWS region is configured", REGION_HINT)

    def log_bucket(self) -> Iterator[DoctorCheck]:
        bucket = self.config.log_bucket
        if not bucket:
            yield DoctorCheck("log bucket", "skipped", "pass --log-bucket to check it")
            return
        s3 = self._client("s3")
        try:
            head = s3.head_bucket(Bucket=bucket)
        except Exception as exc:
            yield failure(
                "log bucket",
                exc,
                "check --log-bucket, the account and the endpoint",
                missing=f"s3://{bucket}/ does not exist",
            )
            return
        headers = head.get("ResponseMetadata", {}).get("HTTPHeaders", {})
        where = headers.get("x-amz-bucket-region") or head.get("BucketRegion")
        detail = f"s3://{bucket}/ exists" + (f" (in {where})" if where else "")
        status = "ok"
        if where and self.config.region and where != self.config.region:
            status = "warn"
            detail += f"; the configured region is {self.config.region}"
        yield DoctorCheck("log bucket", status, detail)
        root = self.config.partition_root
        try:
            page = s3.list_objects_v2(Bucket=bucket, Prefix=root, MaxKeys=1)
        except Exception as exc:
            yield failure("partitions", exc)
            return
        if page.get("KeyCount", 0):
            yield DoctorCheck("partitions", "ok", f"objects under s3://{bucket}/{root}")
        else:
            yield DoctorCheck(
                "partitions",
                "warn",
                f"no objects under s3://{bucket}/{root} yet",
                "deploy the mover, or run `s3logs-athena backfill --log-bucket "
                f"{bucket} --dry-run` to see what it would move",
            )

    def _queue(self, name: str, url: str) -> tuple[DoctorCheck, dict[str, str]]:
        try:
            attributes = self._client("sqs").get_queue_attributes(
                QueueUrl=url, AttributeNames=["All"]
            )["Attributes"]
        except Exception as exc:
            hint = f"check --{name} (a queue URL)"
            return failure(name, exc, hint, missing=f"{url} does not exist"), {}
        waiting = int(attributes.get("ApproximateNumberOfMessages", 0))
        in_flight = int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0))
        detail = f"{url}: {waiting:,} messages waiting, {in_flight:,} in flight"
        if name == "dlq" and waiting:
            return DoctorCheck(
                name,
                "warn",
                detail,
                "fix their cause, then `s3logs-athena redrive --dlq ... --queue ...`",
            ), attributes
        return DoctorCheck(name, "ok", detail), attributes

    def queues(self) -> Iterator[DoctorCheck]:
        queue_url, dlq_url = self.config.queue_url, self.config.dlq_url
        if not queue_url and not dlq_url:
            yield DoctorCheck("queue", "skipped", "pass --queue (and --dlq) to check them")
            return
        attributes: dict[str, str] = {}
        if queue_url:
            check, attributes = self._queue("queue", queue_url)
            yield check
        if not dlq_url and "RedrivePolicy" in attributes:
            dlq_url = self._dlq_url(attributes["RedrivePolicy"])
        if dlq_url:
            yield self._queue("dlq", dlq_url)[0]
        elif queue_url and attributes:
            yield DoctorCheck(
                "dlq",
                "warn",
                "the queue has no redrive policy: a message that keeps failing is retried "
                "until it expires",
                "deploy infra/template.yaml (it sets a DLQ)",
            )

    def _dlq_url(self, redrive_policy: str) -> str | None:
        import json

        try:
            arn = str(json.loads(redrive_policy)["deadLetterTargetArn"])
            _, _, _, _, account, name = arn.split(":", 5)
            response = self._client("sqs").get_queue_url(
                QueueName=name, QueueOwnerAWSAccountId=account
            )
            return str(response["QueueUrl"])
        except Exception:  # then the DLQ is reported as not checked
            return None

    def glue(self) -> Iterator[DoctorCheck]:
        try:
            glue = self._client("glue")
        except Exception as exc:
            yield failure("glue table", exc)
            return
        yield from catalog_checks(glue, self.config)

    def athena(self) -> Iterator[DoctorCheck]:
        from ..table.apply import RESULT_LOCATION_HINT

        workgroup = self.config.workgroup
        try:
            group = self._client("athena").get_work_group(WorkGroup=workgroup)["WorkGroup"]
        except Exception as exc:
            yield failure("athena workgroup", exc, "check --workgroup")
            return
        state = group.get("State", "ENABLED")
        configured = group.get("Configuration", {}).get("ResultConfiguration", {})
        workgroup_location = configured.get("OutputLocation")
        if state != "ENABLED":
            yield DoctorCheck(
                "athena workgroup",
                "error",
                f"{workgroup} is {state}",
                "enable it or pass another --workgroup",
            )
        else:
            yield DoctorCheck("athena workgroup", "ok", f"{workgroup} ({state.lower()})")
        location = self.config.output_location or workgroup_location
        if not location:
            yield DoctorCheck(
                "athena output location",
                "missing",
                f"workgroup {workgroup} has no query result location",
                RESULT_LOCATION_HINT,
            )
            return
        if not location.startswith("s3://"):
            yield DoctorCheck("athena output location", "error", f"{location} is not s3://...")
            return
        bucket = location[len("s3://") :].split("/", 1)[0]
        try:
            self._client("s3").head_bucket(Bucket=bucket)
        except Exception as exc:
            yield failure(
                "athena output location",
                exc,
                f"create bucket {bucket} or choose another location",
                missing=f"{location}: bucket {bucket} does not exist",
            )
            return
        yield DoctorCheck("athena output location", "ok", location)


def run_doctor(client_for: ClientFor, config: DoctorConfig) -> list[DoctorCheck]:
    """Every check, in order; never raises for what it finds."""
    doctor = _Doctor(client_for, config)
    checks = [doctor.credentials(), doctor.region()]
    if not doctor.credentials_ok:
        blocked = "needs credentials"
        names = ("log bucket", "queue", "glue table", "athena workgroup")
        return checks + [DoctorCheck(name, "skipped", blocked) for name in names]
    checks.extend(doctor.log_bucket())
    needs_region = ("queue", "glue table", "athena workgroup")
    if not config.region:
        if config.queue_url or config.dlq_url:
            checks.extend(doctor.queues())
        else:
            checks.append(DoctorCheck("queue", "skipped", "pass --queue (and --dlq)"))
        checks.extend(
            DoctorCheck(name, "skipped", "needs a region", REGION_HINT) for name in needs_region[1:]
        )
        return checks
    checks.extend(doctor.queues())
    checks.extend(doctor.glue())
    checks.extend(doctor.athena())
    return checks
