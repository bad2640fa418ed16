"""Athena views as the Glue Data Catalog stores them, built without running Athena.

``CREATE VIEW`` on Athena writes a Glue table of type ``VIRTUAL_VIEW`` whose
``ViewOriginalText`` is ``/* Presto View: <base64 of a JSON document> */``. The document holds
the view's SQL (``originalSql``), the catalog and schema it resolves unqualified names in, and
its output columns with their Trino types; the Glue table repeats the columns with Hive types
in its storage descriptor (and carries an empty SerDe: Athena refuses a table without one).
Athena compares the stored columns with what the SQL produces when the view is read, so they
must be the SQL's real output columns, in order.

Building that entry directly lets a deployment create ``<table>_all`` before any compaction
(the SAM template, through ``infra/sync_template.py``) and lets tests on moto hold the catalog
a real account would have. Both use :func:`athena_view_input`, the one place that knows the
format; ``CREATE OR REPLACE VIEW`` on Athena later replaces such an entry like any view.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Sequence
from typing import Any

from ..layout import DEFAULT_COMPACTED_ROOT, PARTITION_COLUMNS
from .ddl import TableSpec
from .names import all_view
from .schema import TYPED_COLUMNS

__all__ = [
    "ATHENA_CATALOG",
    "PRESTO_VIEW_COMMENT",
    "ViewColumn",
    "all_view_columns",
    "all_view_input",
    "athena_view_input",
    "presto_view_payload",
    "presto_view_text",
]

#: The catalog Athena resolves unqualified names in (the account's Glue Data Catalog).
ATHENA_CATALOG = "awsdatacatalog"
#: The ``comment`` parameter Athena gives the views it writes.
PRESTO_VIEW_COMMENT = "Presto View"
PRESTO_VIEW_PREFIX = "/* Presto View: "
PRESTO_VIEW_SUFFIX = " */"

# Hive (Glue storage descriptor) names of the Trino types the typed relations use.
_HIVE_TYPES = {"varchar": "string", "integer": "int", "bigint": "bigint", "timestamp": "timestamp"}
_TRINO_TYPES = {hive: trino for trino, hive in _HIVE_TYPES.items()}

#: One output column of a view: its name, Trino type and Hive type.
ViewColumn = tuple[str, str, str]


def all_view_columns() -> list[ViewColumn]:
    """The output columns of ``<table>_all`` (and ``<table>_typed``): the typed columns, then
    the partition columns, each as ``(name, Trino type, Hive type)``."""
    columns = [(c.name, c.trino_type, c.athena_type) for c in TYPED_COLUMNS]
    columns += [(c.name, _TRINO_TYPES[c.athena_type], c.athena_type) for c in PARTITION_COLUMNS]
    return columns


def presto_view_payload(
    query: str, *, database: str | None = None, columns: Iterable[ViewColumn] = ()
) -> dict[str, Any]:
    """The JSON document inside ``ViewOriginalText``: the SQL, where unqualified names
    resolve, and the output columns with Trino types."""
    payload: dict[str, Any] = {"originalSql": query, "catalog": ATHENA_CATALOG}
    if database is not None:
        payload["schema"] = database
    payload["columns"] = [{"name": name, "type": trino} for name, trino, _ in columns]
    return payload


def presto_view_text(payload: dict[str, Any]) -> str:
    """``/* Presto View: <base64 of the JSON payload> */``."""
    encoded = base64.b64encode(json.dumps(payload).encode()).decode()
    return f"{PRESTO_VIEW_PREFIX}{encoded}{PRESTO_VIEW_SUFFIX}"


def athena_view_input(
    name: str,
    query: str,
    *,
    database: str | None = None,
    columns: Sequence[ViewColumn] = (),
    description: str | None = None,
) -> dict[str, Any]:
    """The Glue ``TableInput`` Athena writes for ``CREATE VIEW name AS query`` (``database``:
    the view's database; ``columns``: the query's output columns)."""
    table_input: dict[str, Any] = {"Name": name}
    if description:
        table_input["Description"] = description
    table_input.update(
        {
            "TableType": "VIRTUAL_VIEW",
            "Parameters": {"presto_view": "true", "comment": PRESTO_VIEW_COMMENT},
            "ViewOriginalText": presto_view_text(
                presto_view_payload(query, database=database, columns=columns)
            ),
            "ViewExpandedText": "/* Presto View */",
            "StorageDescriptor": {
                "Columns": [{"Name": column, "Type": hive} for column, _, hive in columns],
                "SerdeInfo": {},
            },
        }
    )
    return table_input


ALL_VIEW_DESCRIPTION = (
    "Amazon S3 server access logs, typed: the compacted table's rows for the days compaction "
    "covers, the raw table's for the others (the view the query templates read)."
)


def all_view_input(spec: TableSpec, compacted_root: str = DEFAULT_COMPACTED_ROOT) -> dict[str, Any]:
    """``<table>_all`` as a Glue ``TableInput`` with no day compacted yet: what the SAM
    template creates at deploy time (the compactor's ``CREATE OR REPLACE VIEW`` replaces it
    with the days its manifests cover)."""
    from .compacted import compacted_spec
    from .views import Coverage, all_view_query

    compacted = compacted_spec(spec, compacted_root)
    query = all_view_query(spec, Coverage(), compacted_table=compacted.table)
    return athena_view_input(
        all_view(spec.table),
        query,
        database=spec.database,
        columns=all_view_columns(),
        description=ALL_VIEW_DESCRIPTION,
    )
