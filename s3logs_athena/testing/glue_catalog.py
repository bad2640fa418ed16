"""The Glue Data Catalog as ``ddl --apply`` leaves it, for tests on moto.

Athena keeps a view it created in Glue as a ``VIRTUAL_VIEW`` whose ``ViewOriginalText`` is
``/* Presto View: <base64 JSON with originalSql> */`` (built by
:func:`s3logs_athena.table.glue_view.athena_view_input`, re-exported here). moto's Athena runs
no DDL, so tests that need the catalog a real account would have (the raw table, the compacted
table, the typed view and ``<table>_all``) build it here from the same generators ``ddl`` uses.
"""

from __future__ import annotations

import contextlib
from typing import Any

from ..layout import DEFAULT_COMPACTED_ROOT
from ..table.compacted import compacted_glue_table_input, compacted_spec
from ..table.ddl import TableSpec, glue_table_input, view_statement
from ..table.glue_view import all_view_columns, athena_view_input
from ..table.names import all_view
from ..table.views import Coverage, all_view_query

__all__ = ["athena_view_input", "create_catalog"]


def create_catalog(
    glue: Any,
    spec: TableSpec,
    *,
    coverage: Coverage | None = None,
    compacted_root: str | None = None,
) -> None:
    """Database, raw table, typed view, compacted table and ``<table>_all`` (for
    ``coverage``, default: nothing compacted yet) in ``glue``."""
    with contextlib.suppress(glue.exceptions.AlreadyExistsException):
        glue.create_database(DatabaseInput={"Name": spec.database})
    glue.create_table(DatabaseName=spec.database, TableInput=glue_table_input(spec))
    typed_query = view_statement(spec).split(" AS\n", 1)[1]
    glue.create_table(
        DatabaseName=spec.database,
        TableInput=athena_view_input(
            spec.view, typed_query, database=spec.database, columns=all_view_columns()
        ),
    )
    root = compacted_root or DEFAULT_COMPACTED_ROOT
    compacted = compacted_spec(spec, root)
    glue.create_table(DatabaseName=spec.database, TableInput=compacted_glue_table_input(spec, root))
    glue.create_table(
        DatabaseName=spec.database,
        TableInput=athena_view_input(
            all_view(spec.table),
            all_view_query(spec, coverage or Coverage(), compacted_table=compacted.table),
            database=spec.database,
            columns=all_view_columns(),
        ),
    )
