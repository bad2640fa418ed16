"""The Athena engine: pyathena, with Athena's statistics turned into data scanned and cost.

Settings, first found wins:

* workgroup: the ``workgroup`` argument, ``$S3LOGS_ATHENA_WORKGROUP``, pyathena's own
  ``$AWS_ATHENA_WORK_GROUP``, else Athena's ``primary``;
* result location: ``output_location``, ``$S3LOGS_ATHENA_OUTPUT``, ``$AWS_ATHENA_S3_STAGING_DIR``,
  else the workgroup's configured location (none configured: a :class:`ConfigError` that
  says how to give one);
* region: ``region``, ``$AWS_REGION``/``$AWS_DEFAULT_REGION``, else the AWS config profile's;
* ``profile`` and ``endpoint_url``: as boto3 finds them unless given.

Result reuse (``reuse_minutes``) lets Athena answer from a result of the same query younger
than that many minutes; the result says whether it did (and then the query cost nothing).
Results are read with ``GetQueryResults`` and typed by pyathena from Athena's column types,
then normalised like DuckDB's (see :mod:`s3logs_athena.engines.result`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from ..errors import AwsError, ConfigError, QueryError
from ..layout import DEFAULT_DATABASE
from ..table.apply import RESULT_LOCATION_HINT
from .result import QueryResult, athena_cost_usd, frame_from_arrow

__all__ = ["DEFAULT_WORKGROUP", "OUTPUT_ENV", "WORKGROUP_ENV", "AthenaEngine", "arrow_type"]

WORKGROUP_ENV = "S3LOGS_ATHENA_WORKGROUP"
OUTPUT_ENV = "S3LOGS_ATHENA_OUTPUT"
#: Athena's own default workgroup, used when none is named.
DEFAULT_WORKGROUP = "primary"

_ARROW_TYPES: dict[str, pa.DataType] = {
    "boolean": pa.bool_(),
    "tinyint": pa.int8(),
    "smallint": pa.int16(),
    "integer": pa.int32(),
    "int": pa.int32(),
    "bigint": pa.int64(),
    "real": pa.float32(),
    "float": pa.float32(),
    "double": pa.float64(),
    "decimal": pa.float64(),
    "varchar": pa.string(),
    "char": pa.string(),
    "string": pa.string(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
    "timestamp with time zone": pa.timestamp("us", tz="UTC"),
}


def arrow_type(athena_type: str) -> pa.DataType | None:
    """The Arrow type for an Athena result column type (``None``: let Arrow infer)."""
    base = athena_type.lower().split("(")[0].strip()
    return _ARROW_TYPES.get(base)


def _first(*values: str | None) -> str | None:
    return next((v for v in values if v), None)


class AthenaEngine:
    """Runs Athena SQL on Athena."""

    name = "athena"

    def __init__(
        self,
        *,
        workgroup: str | None = None,
        output_location: str | None = None,
        region: str | None = None,
        database: str = DEFAULT_DATABASE,
        reuse_minutes: int | None = None,
        poll_interval: float = 1.0,
        profile: str | None = None,
        endpoint_url: str | None = None,
    ) -> None:
        self.workgroup = _first(
            workgroup,
            os.environ.get(WORKGROUP_ENV),
            os.environ.get("AWS_ATHENA_WORK_GROUP"),
            DEFAULT_WORKGROUP,
        )
        self.profile = profile
        self.endpoint_url = endpoint_url
        self.output_location = _first(
            output_location, os.environ.get(OUTPUT_ENV), os.environ.get("AWS_ATHENA_S3_STAGING_DIR")
        )
        if self.output_location and not self.output_location.startswith("s3://"):
            raise ConfigError("--output-location", f"{self.output_location!r} is not an s3:// URI")
        self.region = _first(
            region, os.environ.get("AWS_REGION"), os.environ.get("AWS_DEFAULT_REGION")
        )
        self.database = database
        if reuse_minutes is not None and not 1 <= reuse_minutes <= 10080:
            raise ConfigError("--reuse-minutes", "must be between 1 and 10080 (7 days)")
        self.reuse_minutes = reuse_minutes
        self.poll_interval = poll_interval

    def _connect(self) -> Any:
        import pyathena

        kwargs: dict[str, Any] = {"schema_name": self.database, "poll_interval": self.poll_interval}
        if self.workgroup:
            kwargs["work_group"] = self.workgroup
        if self.output_location:
            kwargs["s3_staging_dir"] = self.output_location
        if self.region:
            kwargs["region_name"] = self.region
        if self.profile:
            kwargs["profile_name"] = self.profile
        if self.endpoint_url:
            kwargs["endpoint_url"] = self.endpoint_url
        return pyathena.connect(**kwargs)

    def run(self, athena_sql: str, parameters: Sequence[Any] | None = None) -> QueryResult:
        """Run one query; ``parameters`` are Athena execution parameters for its ``?``s."""
        from pyathena.error import DatabaseError, OperationalError

        started = time.perf_counter()
        options: dict[str, Any] = {}
        if self.reuse_minutes:
            options.update(result_reuse_enable=True, result_reuse_minutes=self.reuse_minutes)
        if parameters:
            options.update(paramstyle="qmark")
        try:
            connection = self._connect()
            with connection.cursor() as cursor:
                cursor.execute(athena_sql, list(parameters) if parameters else None, **options)
                rows = cursor.fetchall()
                description = cursor.description or []
                execution = {
                    "query_id": cursor.query_id,
                    "bytes": cursor.data_scanned_in_bytes,
                    "engine_ms": cursor.engine_execution_time_in_millis,
                    "total_ms": cursor.total_execution_time_in_millis,
                    "reused": cursor.reused_previous_result,
                    "output": cursor.output_location,
                    "workgroup": cursor.work_group,
                }
        except OperationalError as exc:
            raise QueryError(f"Athena could not run the query: {exc}") from None
        except DatabaseError as exc:
            if "output location" in str(exc).lower():  # the workgroup has none configured
                raise ConfigError(
                    "--output-location",
                    f"workgroup {self.workgroup!r} has no query result location. "
                    + RESULT_LOCATION_HINT,
                ) from None
            raise AwsError("Athena StartQueryExecution", type(exc).__name__, str(exc)) from None
        except Exception as exc:  # botocore: credentials, endpoint, region
            if type(exc).__module__.startswith("botocore"):
                raise AwsError("Athena", type(exc).__name__, str(exc)) from None
            raise
        seconds = time.perf_counter() - started
        table = self._arrow(description, rows)
        reused = bool(execution["reused"])
        scanned = execution["bytes"]
        return QueryResult(
            frame=frame_from_arrow(table),
            engine=self.name,
            sql=athena_sql,
            seconds=seconds,
            bytes_scanned=scanned,
            cost_usd=athena_cost_usd(scanned, reused=reused),
            reused=reused,
            details={
                "query_id": execution["query_id"],
                "engine_seconds": (execution["engine_ms"] or 0) / 1000,
                "total_seconds": (execution["total_ms"] or 0) / 1000,
                "output_location": execution["output"],
                "workgroup": execution["workgroup"],
            },
        )

    @staticmethod
    def _arrow(description: Sequence[Sequence[Any]], rows: Sequence[Sequence[Any]]) -> pa.Table:
        names = [str(column[0]) for column in description]
        arrays = []
        for index, column in enumerate(description):
            values = [row[index] for row in rows]
            arrays.append(pa.array(values, type=arrow_type(str(column[1]))))
        return pa.Table.from_arrays(arrays, names=names)
