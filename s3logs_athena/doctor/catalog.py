"""The Glue Data Catalog checks: the relations Athena queries need (``GetTable`` only).

For the raw table ``<table>`` (:mod:`s3logs_athena.table.names` derives the others):

``glue table``       the raw table: exists, partition projection on, located in the log bucket;
``typed view``       ``<table>_typed``: optional (``ddl --with-view``), a warning when absent;
``compacted table``  ``<table>_compacted``: exists, projection on, in the log bucket, and its
                     bucket/year projection the same as the raw table's (``ddl --alter``
                     keeps them in step);
``all view``         ``<table>_all``, the view every query template reads on Athena: exists
                     and is a view. Without it ``query run --engine athena`` fails, so its
                     absence is ``missing``, with the ``ddl --apply`` that creates it.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import Any

from ..layout import DEFAULT_DATABASE, DEFAULT_TABLE
from ..table.names import all_view, compacted_table, typed_view
from .base import DoctorCheck, DoctorConfig, error_code, failure

__all__ = ["catalog_checks", "ddl_hint"]

#: The projection settings the compacted table shares with the raw table.
SHARED_PROJECTION = ("projection.bucket.type", "projection.bucket.values", "projection.year.range")


def ddl_hint(config: DoctorConfig, *extra: str) -> str:
    """The ``s3logs-athena ddl ... --apply`` that creates the relations of ``config``."""
    bucket = config.log_bucket or "LOG_BUCKET"
    names = "".join(
        f" {option} {value}"
        for option, value, default in (
            ("--database", config.database, DEFAULT_DATABASE),
            ("--table", config.table, DEFAULT_TABLE),
        )
        if value != default
    )
    options = "".join(f" {option}" for option in extra)
    return (
        f"`s3logs-athena ddl --location s3://{bucket}/{config.partition_root} --buckets ..."
        f"{names}{options} --apply` (or deploy infra/template.yaml)"
    )


def _table_problems(table: dict[str, Any], config: DoctorConfig) -> list[str]:
    parameters = table.get("Parameters", {})
    location = table.get("StorageDescriptor", {}).get("Location", "")
    problems = []
    if parameters.get("projection.enabled", "").lower() != "true":
        problems.append("partition projection is off")
    if config.log_bucket and not location.startswith(f"s3://{config.log_bucket}/"):
        problems.append(f"its location {location} is not in s3://{config.log_bucket}/")
    return problems


def _get(glue: Any, database: str, name: str) -> dict[str, Any]:
    found: dict[str, Any] = glue.get_table(DatabaseName=database, Name=name)["Table"]
    return found


def _raw_table(
    glue: Any, config: DoctorConfig
) -> Generator[DoctorCheck, None, dict[str, Any] | None]:
    name = f"{config.database}.{config.table}"
    try:
        table = _get(glue, config.database, config.table)
    except Exception as exc:
        yield failure("glue table", exc, f"create it: {ddl_hint(config, '--with-view')}")
        return None
    location = table.get("StorageDescriptor", {}).get("Location", "")
    detail = f"{name} at {location}"
    problems = _table_problems(table, config)
    if problems:
        yield DoctorCheck(
            "glue table", "warn", f"{detail}: {'; '.join(problems)}", "rerun `ddl --alter`"
        )
    else:
        yield DoctorCheck("glue table", "ok", f"{detail}, partition projection on")
    return table


def _typed_view(glue: Any, config: DoctorConfig) -> DoctorCheck:
    view = typed_view(config.table)
    try:
        _get(glue, config.database, view)
    except Exception as exc:
        if error_code(exc) == "EntityNotFoundException":
            return DoctorCheck(
                "typed view",
                "warn",
                f"{config.database}.{view} is missing",
                "`s3logs-athena ddl ... --with-view --apply` creates it",
            )
        return failure("typed view", exc)
    return DoctorCheck("typed view", "ok", f"{config.database}.{view}")


def _compacted_table(glue: Any, config: DoctorConfig, raw: dict[str, Any] | None) -> DoctorCheck:
    name = compacted_table(config.table)
    qualified = f"{config.database}.{name}"
    try:
        table = _get(glue, config.database, name)
    except Exception as exc:
        return failure(
            "compacted table",
            exc,
            f"create it with the view over both tables: {ddl_hint(config)}",
            missing=f"{qualified} does not exist",
        )
    location = table.get("StorageDescriptor", {}).get("Location", "")
    problems = _table_problems(table, config)
    if raw is not None:
        ours, theirs = table.get("Parameters", {}), raw.get("Parameters", {})
        differing = [key for key in SHARED_PROJECTION if ours.get(key) != theirs.get(key)]
        if differing:
            problems.append(f"its {', '.join(differing)} differ from {config.table}'s")
    detail = f"{qualified} at {location}"
    if problems:
        hint = "rerun `ddl --alter` (it updates both tables' projection)"
        return DoctorCheck("compacted table", "warn", f"{detail}: {'; '.join(problems)}", hint)
    return DoctorCheck("compacted table", "ok", f"{detail}, partition projection on")


def _all_view(glue: Any, config: DoctorConfig) -> DoctorCheck:
    name = all_view(config.table)
    qualified = f"{config.database}.{name}"
    try:
        view = _get(glue, config.database, name)
    except Exception as exc:
        return failure(
            "all view",
            exc,
            f"the query templates read it on Athena; create it: {ddl_hint(config)}",
            missing=f"{qualified} does not exist",
        )
    if view.get("TableType") != "VIRTUAL_VIEW":
        return DoctorCheck(
            "all view",
            "error",
            f"{qualified} is a {view.get('TableType') or 'table'}, not a view",
            f"drop it, then {ddl_hint(config)}",
        )
    return DoctorCheck(
        "all view",
        "ok",
        f"{qualified}: what the query templates read (over {config.table} and "
        f"{compacted_table(config.table)})",
    )


def catalog_checks(glue: Any, config: DoctorConfig) -> Iterator[DoctorCheck]:
    """The raw table, its typed view, the compacted table and ``<table>_all``, in order."""
    raw = yield from _raw_table(glue, config)
    if raw is not None:
        yield _typed_view(glue, config)
    yield _compacted_table(glue, config, raw)
    yield _all_view(glue, config)
