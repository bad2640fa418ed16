"""The table room: the Athena tables over the moved logs and their management.

``ddl``    the raw table (RegexSerDe over ``PartitionedLogs/``, partition projection), its
           typed view, Glue ``TableInput`` and ``ALTER`` statements, generated from the field
           list and the layout.
``apply``  sends statements to Athena (pyathena) and says what each one did.
``compacted``, ``compaction/``  the compacted Parquet table and how it is filled.
``views``  ``<table>_all``, the view over both tables that the query templates read.
``glue_view``  Athena views as Glue stores them (the SAM template's ``<table>_all``).

Importing this package is cheap: only the standard library and jinja2 (for the DDL text).
"""

from __future__ import annotations

from .ddl import (
    TableSpec,
    alter_statements,
    create_statements,
    glue_table_input,
    render_script,
    view_statement,
)

__all__ = [
    "TableSpec",
    "alter_statements",
    "create_statements",
    "glue_table_input",
    "render_script",
    "view_statement",
]
