"""An Athena double for DDL: what ``CREATE``/``ALTER`` statements leave in a Glue catalog.

moto's Athena records queries but runs no DDL, so after ``s3logs-athena ddl --apply`` on moto
the Glue catalog is still empty. :class:`GlueDdlConnection` is a pyathena-like connection (what
:func:`s3logs_athena.table.apply.apply_statements` takes) that parses each statement with
sqlglot and does to a Glue client what Athena would: ``CREATE DATABASE``, ``CREATE EXTERNAL
TABLE`` (columns, partition keys, location, table properties), ``CREATE [OR REPLACE] VIEW``
(a ``VIRTUAL_VIEW`` entry as Athena writes it) and ``ALTER TABLE ... SET TBLPROPERTIES``.
With ``inner`` (a real pyathena connection, e.g. against moto) each statement also runs
there, so query ids come back as from Athena.

It reads only the statements this toolkit writes; anything else raises, so a new kind of
statement is noticed rather than silently ignored.
"""

from __future__ import annotations

import contextlib
from typing import Any

__all__ = ["GlueDdlConnection", "GlueDdlCursor"]


def _name(node: Any) -> str:
    return str(node.name)


def _properties(properties: Any) -> dict[str, str]:
    from sqlglot import exp

    found = {}
    for item in properties.expressions if properties is not None else ():
        if type(item) is exp.Property:  # not its subclasses (SerDe, location...)
            found[_name(item.this)] = _name(item.args["value"])
    return found


class GlueDdlCursor:
    """Runs one statement at a time against ``glue`` (and ``inner``'s cursor, if any)."""

    def __init__(self, glue: Any, inner: Any = None) -> None:
        self.glue = glue
        self.inner = inner.cursor() if inner is not None else None
        self.query_id: str | None = None
        self.executed: list[str] = []

    def execute(self, operation: str) -> GlueDdlCursor:
        self._apply(operation)
        self.executed.append(operation)
        if self.inner is not None:
            self.inner.execute(operation)
            self.query_id = self.inner.query_id
        return self

    def _apply(self, statement: str) -> None:
        import sqlglot
        from sqlglot import exp

        parsed = sqlglot.parse_one(statement, read="athena")
        if isinstance(parsed, exp.Create) and parsed.kind == "DATABASE":
            with contextlib.suppress(self.glue.exceptions.AlreadyExistsException):
                self.glue.create_database(DatabaseInput={"Name": _name(parsed.this)})
        elif isinstance(parsed, exp.Create) and parsed.kind == "TABLE":
            self._create_table(parsed)
        elif isinstance(parsed, exp.Create) and parsed.kind == "VIEW":
            self._create_view(parsed, statement)
        elif isinstance(parsed, exp.Alter) and parsed.kind == "TABLE":
            self._alter_table(parsed)
        else:
            raise NotImplementedError(f"not a statement this double knows: {statement[:80]}")

    def _create_table(self, parsed: Any) -> None:
        from sqlglot import exp

        table = parsed.this.this
        columns = [
            {"Name": c.name, "Type": c.args["kind"].sql("hive").lower()}
            for c in parsed.this.expressions
        ]
        properties = parsed.args.get("properties")
        partition_keys: list[dict[str, str]] = []
        location = ""
        for item in properties.expressions if properties is not None else ():
            if isinstance(item, exp.PartitionedByProperty):
                partition_keys = [
                    {"Name": c.name, "Type": c.args["kind"].sql("hive").lower()}
                    for c in item.this.expressions
                ]
            elif isinstance(item, exp.LocationProperty):
                location = _name(item.this)
        table_input = {
            "Name": _name(table),
            "TableType": "EXTERNAL_TABLE",
            "Parameters": {"EXTERNAL": "TRUE", **_properties(properties)},
            "PartitionKeys": partition_keys,
            "StorageDescriptor": {"Columns": columns, "Location": location},
        }
        try:
            self.glue.create_table(DatabaseName=_name(table.args["db"]), TableInput=table_input)
        except self.glue.exceptions.AlreadyExistsException:
            if not parsed.args.get("exists"):
                raise

    def _create_view(self, parsed: Any, statement: str) -> None:
        from ..table.glue_view import athena_view_input

        view, database = _name(parsed.this), _name(parsed.this.args["db"])
        query = statement.split(" AS\n", 1)[1]  # the SQL as written: Athena keeps it so
        table_input = athena_view_input(view, query, database=database)
        try:
            self.glue.create_table(DatabaseName=database, TableInput=table_input)
        except self.glue.exceptions.AlreadyExistsException:
            if not parsed.args.get("replace"):
                raise
            self.glue.update_table(DatabaseName=database, TableInput=table_input)

    def _alter_table(self, parsed: Any) -> None:
        database, name = _name(parsed.this.args["db"]), _name(parsed.this)
        found = self.glue.get_table(DatabaseName=database, Name=name)["Table"]
        parameters = dict(found.get("Parameters", {}))
        for action in parsed.args["actions"]:  # SET TBLPROPERTIES (...)
            for properties in action.expressions:
                parameters.update(_properties(properties))
        table_input = {
            key: found[key]
            for key in ("Name", "TableType", "PartitionKeys", "StorageDescriptor")
            if key in found
        }
        self.glue.update_table(
            DatabaseName=database, TableInput={**table_input, "Parameters": parameters}
        )


class GlueDdlConnection:
    """A pyathena-like connection whose statements change ``glue`` as Athena would."""

    def __init__(self, glue: Any, inner: Any = None) -> None:
        self.glue = glue
        self.inner = inner
        self.cursors: list[GlueDdlCursor] = []

    def cursor(self) -> GlueDdlCursor:
        cursor = GlueDdlCursor(self.glue, self.inner)
        self.cursors.append(cursor)
        return cursor
