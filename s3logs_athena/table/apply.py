"""Run DDL statements on Athena (``s3logs-athena ddl --apply``), for deploy pipelines.

A thin adapter over pyathena: :func:`connect_athena` opens a connection from explicit settings
(the CLI reads them from options or pyathena's own environment variables), and
:func:`apply_statements` runs statements one at a time, in order, waiting for each, and stops
at the first failure with a message that says which statement failed and which had already
run. It accepts any DB-API-like connection, so tests can hand it one backed by moto.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from ..errors import AwsError, ConfigError, QueryError

__all__ = [
    "RESULT_LOCATION_HINT",
    "AthenaConnection",
    "AthenaCursor",
    "apply_statements",
    "connect_athena",
]

#: What to do when Athena has nowhere to write query results.
RESULT_LOCATION_HINT = (
    "Athena needs a query result location: pass --output-location s3://BUCKET/PREFIX/ "
    "(or set AWS_ATHENA_S3_STAGING_DIR), or --workgroup naming a workgroup that has one "
    "(or set AWS_ATHENA_WORK_GROUP)"
)


class AthenaCursor(Protocol):
    """The part of a pyathena cursor this module uses."""

    @property
    def query_id(self) -> str | None: ...

    def execute(self, operation: str) -> Any: ...


class AthenaConnection(Protocol):
    """The part of a pyathena connection this module uses."""

    def cursor(self) -> Any: ...


def connect_athena(
    *,
    region: str | None = None,
    workgroup: str | None = None,
    output_location: str | None = None,
    session: Any = None,
    endpoint_url: str | None = None,
) -> AthenaConnection:
    """A pyathena connection. Athena needs a place for query results: ``output_location``
    (``s3://...``), or a ``workgroup`` that has one configured. ``session`` (a boto3 session,
    for a profile) and ``endpoint_url`` say how to reach AWS; by default as boto3 finds it."""
    if output_location is not None and not output_location.startswith("s3://"):
        raise ConfigError(
            "--output-location", f"{output_location!r} is not an s3:// URI (s3://bucket/prefix/)"
        )
    if output_location is None and workgroup is None:
        raise ConfigError("--output-location", RESULT_LOCATION_HINT)
    import botocore.exceptions  # heavy; only when applying
    import pyathena

    reach: dict[str, Any] = {}
    if session is not None:
        reach["session"] = session
    if endpoint_url:
        reach["endpoint_url"] = endpoint_url
    try:
        connection: AthenaConnection = pyathena.connect(
            region_name=region,
            work_group=workgroup,
            s3_staging_dir=output_location,
            poll_interval=0.5,
            **reach,
        )
    except botocore.exceptions.NoRegionError:
        raise ConfigError(
            "--region", "no AWS region: pass --region or set AWS_REGION / AWS_DEFAULT_REGION"
        ) from None
    except botocore.exceptions.BotoCoreError as exc:
        raise AwsError("athena connect", type(exc).__name__, str(exc)) from None
    return connection


def _summary(statement: str) -> str:
    first_line = statement.strip().splitlines()[0] if statement.strip() else ""
    return first_line if len(first_line) <= 100 else first_line[:97] + "..."


def apply_statements(
    statements: Sequence[str],
    connection: AthenaConnection,
    *,
    on_done: Callable[[str, str | None], None] | None = None,
) -> list[str | None]:
    """Run ``statements`` in order, each to completion; return their query ids.

    ``on_done(statement, query_id)`` is called after each success (for progress output).
    A failed statement raises :class:`QueryError` naming it and the statements that ran.
    """
    import pyathena.error

    query_ids: list[str | None] = []
    cursor: AthenaCursor = connection.cursor()
    for number, statement in enumerate(statements, 1):
        try:
            cursor.execute(statement)
        except pyathena.error.Error as exc:
            ran = f"statements 1 to {number - 1} had run" if number > 1 else "no statement had run"
            raise QueryError(
                f"Athena statement {number} of {len(statements)} failed "
                f"({_summary(statement)}): {exc}; {ran}"
            ) from None
        query_ids.append(cursor.query_id)
        if on_done is not None:
            on_done(statement, cursor.query_id)
    return query_ids
