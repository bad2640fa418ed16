"""The Athena table: DDL text, escaping, partition projection, the view and the Glue TableInput.

Golden files live in ``tests/fixtures/ddl/``. After an intended change to the DDL, regenerate
them with ``S3LOGS_UPDATE_GOLDEN=1 python -m pytest tests/test_ddl.py -k golden`` and review
the diff before committing.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
import sqlglot
from hypothesis import given
from hypothesis import strategies as st
from moto import mock_aws
from sqlglot import exp

from s3logs_athena.errors import InputError, LogParseError
from s3logs_athena.fields import (
    FIELD_NAMES,
    LOG_FIELDS,
    TRAILING_FIELD,
    LogField,
    ValueType,
    record_regex,
)
from s3logs_athena.layout import DEFAULT_DATABASE, DEFAULT_TABLE, PARTITION_COLUMNS
from s3logs_athena.parser import parse_line, split_line
from s3logs_athena.table.ddl import (
    DEFAULT_YEARS,
    TableSpec,
    alter_statements,
    create_statements,
    glue_table_input,
    hive_string_literal,
    render_script,
    table_properties,
    view_statement,
)

from .conftest import FIXTURES, corpus_log_files

GOLDEN = FIXTURES / "ddl"
LOCATION = "s3://central-logs/PartitionedLogs/"
ENUM = TableSpec(LOCATION, buckets=("app-assets", "app-uploads"), years=(2020, 2035))
INJECTED = TableSpec(LOCATION, bucket_projection="injected", years=(2020, 2035))
# The enum after a bucket was added and the year range extended.
ALTERED = TableSpec(LOCATION, buckets=("app-assets", "app-uploads", "www"), years=(2020, 2040))


# -- an independent reading of Athena DDL string literals --------------------------------
#
# Written from Hive's lexer rule for string literals and BaseSemanticAnalyzer.unescapeSQLString
# (which Athena's DDL follows), not from s3logs_athena.table.ddl.hive_string_literal.

# A single-quoted literal: any character but a quote or backslash, or a backslash pair.
_HIVE_LITERAL = r"'((?:[^'\\]|\\.)*)'"
_HIVE_SIMPLE_ESCAPES = {
    "0": "\0",
    "'": "'",
    '"': '"',
    "b": "\b",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "Z": "\x1a",
    "\\": "\\",
    "%": "\\%",  # Hive keeps these two backslashes (MySQL's LIKE escapes)
    "_": "\\_",
}


def hive_unescape(body: str) -> str:
    """The value of a Hive string literal whose text between the quotes is ``body``."""
    out: list[str] = []
    i = 0
    while i < len(body):
        char = body[i]
        if char != "\\":
            out.append(char)
            i += 1
            continue
        following = body[i + 1]
        if following == "u" and re.fullmatch(r"[0-9A-Fa-f]{4}", body[i + 2 : i + 6]):
            out.append(chr(int(body[i + 2 : i + 6], 16)))
            i += 6
        elif re.fullmatch(r"[01][0-7][0-7]", body[i + 1 : i + 4]):
            out.append(chr(int(body[i + 1 : i + 4], 8)))
            i += 4
        else:
            out.append(_HIVE_SIMPLE_ESCAPES.get(following, following))
            i += 2
    return "".join(out)


def ddl_property(statement: str, name: str) -> str:
    """The unescaped value of ``'name' = '...'`` in a DDL statement's text."""
    pattern = re.escape(hive_string_literal(name)) + r"\s*=\s*" + _HIVE_LITERAL
    matches = re.findall(pattern, statement, flags=re.DOTALL)
    assert len(matches) == 1, f"{name} appears {len(matches)} times"
    return hive_unescape(matches[0])


@given(st.text())
def test_hive_string_literal_round_trips(value: str) -> None:
    literal = hive_string_literal(value)
    assert re.fullmatch(_HIVE_LITERAL, literal, flags=re.DOTALL)
    assert hive_unescape(literal[1:-1]) == value


def test_unescaper_reads_hive_escapes() -> None:
    # Guards the test helper itself: an unknown escape drops its backslash (why a regex's
    # backslashes must be doubled), known ones translate.
    assert hive_unescape(r"\d\[x\]") == "d[x]"
    assert hive_unescape(r"\\d\'\n") == "\\d'\n"


# -- TableSpec ------------------------------------------------------------------------------


def test_spec_defaults_and_derived_values() -> None:
    spec = TableSpec("s3://central-logs/logs/partitioned", buckets=("a-b", "a-b", "c.d"))
    assert spec.database == DEFAULT_DATABASE and spec.table == DEFAULT_TABLE
    assert spec.location == "s3://central-logs/logs/partitioned/"
    assert spec.partition_root == "logs/partitioned/"
    assert spec.log_bucket == "central-logs"
    assert spec.buckets == ("a-b", "c.d")
    assert spec.bucket_projection == "enum"
    assert spec.years == DEFAULT_YEARS
    assert spec.view == "s3_access_logs_typed"
    assert spec.location_template == (
        "s3://central-logs/logs/partitioned/Year=${year}/Month=${month}/Day=${day}/${bucket}/"
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"location": "central-logs/PartitionedLogs/"}, "not an s3:// URI"),
        ({"location": "https://central-logs/PartitionedLogs/"}, "not an s3:// URI"),
        ({"location": "s3://central-logs"}, "partition root"),
        ({"location": "s3://central-logs/"}, "partition root"),
        ({"location": "s3://Central_Logs/PartitionedLogs/"}, "invalid bucket name"),
        ({"location": "s3://central-logs/Partitioned Logs/"}, "key prefix may contain only"),
        ({"location": "s3://central-logs/${year}/"}, "key prefix may contain only"),
        ({"location": "s3://central-logs//PartitionedLogs/"}, "partition root"),
        ({"buckets": ()}, "needs the source buckets"),
        ({"buckets": ("ok-bucket", "Not_OK")}, "invalid bucket name 'Not_OK'"),
        ({"buckets": ("a,b",)}, "invalid bucket name"),
        ({"buckets": "app-assets"}, "expected a tuple of bucket names"),
        ({"buckets": ("abc",), "bucket_projection": "injected"}, "not both"),
        ({"bucket_projection": "dynamic"}, "expected 'enum' or 'injected'"),
        ({"years": (2035, 2020)}, "reversed"),
        ({"years": (1970, 2020)}, "out of bounds"),
        ({"years": (2020, 9999)}, "out of bounds"),
        ({"database": "My-Logs"}, "database name 'My-Logs'"),
        ({"database": ""}, "database name ''"),
        ({"table": "logs.table"}, "table name"),
        ({"table": "Logs"}, "try 'logs'"),
        ({"table": "x" * 256}, "table name"),
        ({"table": "x" * 250}, "view name"),
    ],
)
def test_spec_rejects_bad_input(kwargs: dict[str, Any], message: str) -> None:
    arguments: dict[str, Any] = {"location": LOCATION, "buckets": ("abc",), **kwargs}
    with pytest.raises(InputError, match=re.escape(message)):
        TableSpec(**arguments)


# -- the SQL --------------------------------------------------------------------------------


def all_statements(spec: TableSpec) -> list[str]:
    return [*create_statements(spec), *alter_statements(spec), view_statement(spec)]


@pytest.mark.parametrize("spec", [ENUM, INJECTED, ALTERED], ids=["enum", "injected", "altered"])
def test_generated_sql_parses_with_sqlglot(spec: TableSpec) -> None:
    statements = all_statements(spec)
    for statement in statements:
        parsed = sqlglot.parse(statement, read="athena")
        assert len(parsed) == 1
        # A statement sqlglot cannot read falls back to an opaque Command: not good enough.
        assert isinstance(parsed[0], exp.Create | exp.Alter), statement[:60]
    script = sqlglot.parse(render_script(statements), read="athena")
    assert len(script) == len(statements)


def _create_table(spec: TableSpec) -> exp.Create:
    parsed = sqlglot.parse_one(create_statements(spec)[1], read="athena")
    assert isinstance(parsed, exp.Create)
    return parsed


def _literal_properties(node: exp.Expression, kind: type[exp.Expression]) -> dict[str, str]:
    container = node.find(kind)
    assert container is not None
    return {
        prop.this.name: prop.args["value"].name
        for prop in container.find_all(exp.Property)
        if type(prop) is exp.Property  # not LOCATION, EXTERNAL and the like
    }


def test_table_columns_types_and_partitions_as_sqlglot_reads_them() -> None:
    create = _create_table(ENUM)
    schema = create.this
    assert isinstance(schema, exp.Schema)
    assert schema.this.name == DEFAULT_TABLE and schema.this.db == DEFAULT_DATABASE
    # Types as Athena DDL (Hive) spells them.
    columns = [(c.name, c.args["kind"].sql("hive").lower()) for c in schema.expressions]
    expected = [(f.name, f.athena_type) for f in (*LOG_FIELDS, TRAILING_FIELD)]
    assert [name for name, _ in columns] == list(FIELD_NAMES)
    assert columns == expected
    partitioned = create.find(exp.PartitionedByProperty)
    assert partitioned is not None
    assert [(c.name, c.args["kind"].sql("hive").lower()) for c in partitioned.this.expressions] == [
        (c.name, c.athena_type) for c in PARTITION_COLUMNS
    ]
    serde = create.find(exp.RowFormatSerdeProperty)
    assert serde is not None and serde.this.name == "org.apache.hadoop.hive.serde2.RegexSerDe"


def test_regex_survives_ddl_escaping_by_two_independent_readings() -> None:
    statement = create_statements(ENUM)[1]
    # Our own reading of Hive's escapes, and sqlglot's.
    assert ddl_property(statement, "input.regex") == record_regex()
    assert _literal_properties(_create_table(ENUM), exp.SerdeProperties)["input.regex"] == (
        record_regex()
    )


@pytest.mark.parametrize("spec", [ENUM, INJECTED], ids=["enum", "injected"])
def test_every_partition_column_is_projected_and_in_the_location_template(
    spec: TableSpec,
) -> None:
    create = _create_table(spec)
    properties = _literal_properties(create, exp.Properties)
    partitioned = create.find(exp.PartitionedByProperty)
    assert partitioned is not None
    partition_names = [c.name for c in partitioned.this.expressions]
    assert partition_names == [c.name for c in PARTITION_COLUMNS]
    assert properties["projection.enabled"] == "true"
    template = properties["storage.location.template"]
    assert template.startswith(spec.location) and template.endswith("/")
    for column in PARTITION_COLUMNS:
        kind = properties[f"projection.{column.name}.type"]
        assert template.count(f"${{{column.name}}}") == 1, column.name
        if kind == "integer":
            first, last = map(int, properties[f"projection.{column.name}.range"].split(","))
            assert first <= last
            assert properties[f"projection.{column.name}.digits"] == str(column.digits)
        elif kind == "enum":
            assert properties[f"projection.{column.name}.values"].split(",") == list(spec.buckets)
        else:
            assert kind == "injected" and column.name == "bucket"
    # No placeholder names a column that is not a partition column.
    assert set(re.findall(r"\$\{(\w+)\}", template)) == set(partition_names)
    # Month and day keys are zero-padded in S3 (Month=03): digits 2.
    assert properties["projection.month.digits"] == properties["projection.day.digits"] == "2"
    assert properties["projection.month.range"] == "1,12"
    assert properties["projection.day.range"] == "1,31"
    assert properties["projection.year.range"] == "2020,2035"


def test_location_template_matches_the_keys_the_layout_builds() -> None:
    # The mover writes keys with Layout.partition_prefix; the template must project onto them.
    template = ENUM.location_template
    day = datetime(2024, 3, 7, tzinfo=UTC).date()
    key = ENUM.layout.partition_prefix(day, "app-assets")
    projected = (
        template.replace("${year}", "2024")
        .replace("${month}", "03")  # digits 2
        .replace("${day}", "07")
        .replace("${bucket}", "app-assets")
    )
    assert projected == f"s3://{ENUM.log_bucket}/{key}"


def test_alter_updates_bucket_values_and_year_range_only() -> None:
    (statement,) = alter_statements(ALTERED)
    parsed = sqlglot.parse_one(statement, read="athena")
    assert isinstance(parsed, exp.Alter)
    assert parsed.this.name == DEFAULT_TABLE and parsed.this.db == DEFAULT_DATABASE
    properties = _literal_properties(parsed, exp.Properties)
    assert properties["projection.bucket.type"] == "enum"
    assert properties["projection.bucket.values"] == "app-assets,app-uploads,www"
    assert properties["projection.year.range"] == "2020,2040"
    assert "storage.location.template" not in properties
    assert not any(name.startswith(("projection.month", "projection.day")) for name in properties)
    (injected,) = alter_statements(INJECTED)
    assert ddl_property(injected, "projection.bucket.type") == "injected"


def test_table_properties_are_what_the_ddl_says() -> None:
    statement = create_statements(ENUM)[1]
    for name, value in table_properties(ENUM).items():
        assert ddl_property(statement, name) == value


# -- golden files -------------------------------------------------------------------------


def _default_script(spec: TableSpec) -> list[str]:
    """What ``s3logs-athena ddl`` prints by default: the raw table, the compacted table and
    ``<table>_all`` with no day compacted."""
    from s3logs_athena.table.compacted import compacted_create_statement
    from s3logs_athena.table.views import Coverage, all_view_statement

    return [
        *create_statements(spec),
        compacted_create_statement(spec),
        all_view_statement(spec, Coverage()),
    ]


GOLDEN_CASES = {
    "create_enum.sql": lambda: create_statements(ENUM),
    "create_all_enum.sql": lambda: _default_script(ENUM),
    "create_injected.sql": lambda: create_statements(INJECTED),
    "view.sql": lambda: [view_statement(ENUM)],
    "alter_enum.sql": lambda: alter_statements(ALTERED),
}


@pytest.mark.parametrize("name", sorted(GOLDEN_CASES))
def test_golden(name: str) -> None:
    text = render_script(GOLDEN_CASES[name]())
    path = GOLDEN / name
    if os.environ.get("S3LOGS_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        pytest.skip(f"regenerated {path}")
    assert path.read_text(encoding="utf-8") == text, (
        f"{name} differs from the generated DDL; if the change is intended, regenerate "
        "(see this module's docstring) and review the diff"
    )


# -- the regex inside the DDL versus the Python parser, on the whole corpus -------------------


def _log_lines() -> list[str]:
    """Every non-blank line of the corpus (when present) and of ``tests/fixtures/logs``."""
    lines: list[str] = []
    for path in [*corpus_log_files(), *sorted((FIXTURES / "logs").glob("*.log"))]:
        text = path.read_bytes().decode("utf-8", "replace")
        lines += [line.removesuffix("\r") for line in text.split("\n") if line.strip()]
    return lines


def _typed(f: LogField, text: str | None) -> Any:
    """Athena-side conversion (the typed view's), written independently of the parser's."""
    if text is None or text == "-" or (text == "" and f is TRAILING_FIELD):
        return None  # an empty quoted field ("", an empty header) stays ''
    if f.value_type is ValueType.INT:
        return int(text)
    if f.value_type is ValueType.TIMESTAMP:
        if text[18:20] == "60":  # Joda's secondOfMinute is 0-59: try(parse_datetime) is NULL
            datetime.strptime(text[:18] + "59" + text[20:], "%d/%b/%Y:%H:%M:%S %z")
            return None
        return datetime.strptime(text, "%d/%b/%Y:%H:%M:%S %z").astimezone(UTC)
    return text


def test_ddl_regex_splits_every_corpus_line_like_the_parser(corpus_dir: Path) -> None:
    regex = re.compile(ddl_property(create_statements(ENUM)[1], "input.regex"))
    fields = (*LOG_FIELDS, TRAILING_FIELD)
    lines = _log_lines()
    compared = rejected = 0
    for line in lines:
        match = regex.fullmatch(line)  # Java's Matcher.matches(), as RegexSerDe calls it
        try:
            raw = split_line(line)
        except LogParseError:
            assert match is None, line
            rejected += 1
            continue
        assert match is not None, line
        assert match.groups() == raw, line
        try:
            record = parse_line(line)
        except LogParseError:
            with pytest.raises(ValueError):  # e.g. an impossible date: both must reject it
                [_typed(f, v) for f, v in zip(fields, match.groups(), strict=True)]
            continue
        typed = [_typed(f, v) for f, v in zip(fields, match.groups(), strict=True)]
        assert typed == list(record), line
        compared += 1
    assert compared > 1000, (compared, rejected, len(lines))


# -- the view ------------------------------------------------------------------------------


def test_view_columns_names_and_types_come_from_the_field_list() -> None:
    parsed = sqlglot.parse_one(view_statement(ENUM), read="athena")
    assert isinstance(parsed, exp.Create) and parsed.kind == "VIEW"
    assert parsed.this.name == ENUM.view and parsed.this.db == ENUM.database
    select = parsed.expression
    assert isinstance(select, exp.Select)
    names = [projection.alias for projection in select.expressions]
    fields = (*LOG_FIELDS, TRAILING_FIELD)
    assert names == [f.view_name for f in fields] + [c.name for c in PARTITION_COLUMNS]
    by_name = dict(zip(names, select.expressions, strict=True))
    assert by_name["http_status"].find(exp.Cast).to.sql("athena") == "INTEGER"
    for name in ("bytes_sent", "object_size", "total_time_ms", "turnaround_time_ms"):
        assert by_name[name].find(exp.Cast).to.sql("athena") == "BIGINT"
    request_time = by_name["request_time"]
    assert "parse_datetime" in request_time.sql("athena").lower()
    assert request_time.find(exp.Cast).to.sql("athena") == "TIMESTAMP"
    table = select.find(exp.Table)
    assert table is not None and table.name == DEFAULT_TABLE and table.db == DEFAULT_DATABASE


def test_view_yields_the_parsers_typed_values() -> None:
    """Run the view's SQL on DuckDB over a table holding what Athena's SerDe returns for each
    line (corpus and fixtures), and compare with ``parse_line``. DuckDB stands in for Athena's
    engine; only ``parse_datetime`` (a Trino function) is supplied, as a macro for the Joda
    pattern the view uses."""
    duckdb = pytest.importorskip("duckdb")
    regex = re.compile(record_regex())
    fields = (*LOG_FIELDS, TRAILING_FIELD)
    rows: list[tuple[Any, ...]] = []
    expected: list[dict[str, Any]] = []
    for line in _log_lines():
        match = regex.fullmatch(line)
        if match is None:
            continue
        try:
            record = parse_line(line)
        except LogParseError:
            continue
        # The SerDe gives NULL where a bigint column's text is not a number ('-').
        values = [
            (int(text) if text and text.isdigit() else None) if f.athena_type == "bigint" else text
            for f, text in zip(fields, match.groups(), strict=True)
        ]
        rows.append((*values, 2024, 3, 7, "app-assets"))
        row = {f.view_name: value for f, value in zip(fields, record, strict=True)}
        if row["request_time"] is not None:
            row["request_time"] = row["request_time"].replace(tzinfo=None)  # timestamp, UTC
        expected.append(row | {"year": 2024, "month": 3, "day": 7, "bucket": "app-assets"})
    assert len(rows) > (1000 if corpus_log_files() else 5)

    connection = duckdb.connect()
    # Not UTC, so that a timestamp read without converting to UTC would show.
    connection.execute("SET TimeZone = 'America/New_York'")
    connection.execute(
        # Another pattern yields NULL times, so the comparison below fails.
        "CREATE MACRO parse_datetime(text, pattern) AS CASE "
        "WHEN pattern = 'dd/MMM/yyyy:HH:mm:ss Z' THEN strptime(text, '%d/%b/%Y:%H:%M:%S %z') "
        "END"
    )
    connection.execute(f'CREATE SCHEMA "{ENUM.database}"')
    columns = [
        f'"{f.name}" {"BIGINT" if f.athena_type == "bigint" else "VARCHAR"}' for f in fields
    ] + ['"year" INTEGER', '"month" INTEGER', '"day" INTEGER', '"bucket" VARCHAR']
    connection.execute(f'CREATE TABLE "{ENUM.database}"."{ENUM.table}" ({", ".join(columns)})')
    placeholders = ", ".join("?" for _ in columns)
    connection.executemany(
        f'INSERT INTO "{ENUM.database}"."{ENUM.table}" VALUES ({placeholders})', rows
    )
    connection.execute(view_statement(ENUM))  # the generated statement, verbatim
    result = connection.execute(f'SELECT * FROM "{ENUM.database}"."{ENUM.view}"')
    names = [d[0] for d in result.description]
    actual = [dict(zip(names, values, strict=True)) for values in result.fetchall()]
    assert actual == expected


# -- Glue ------------------------------------------------------------------------------------


def _subset(actual: Any, expected: Any) -> Any:
    """``actual`` reduced to the keys ``expected`` has (services add their own keys)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        return {key: _subset(actual.get(key), value) for key, value in expected.items()}
    if isinstance(expected, list) and isinstance(actual, list):
        return [_subset(a, e) for a, e in zip(actual, expected, strict=False)] + actual[
            len(expected) :
        ]
    return actual


@pytest.mark.parametrize("spec", [ENUM, INJECTED], ids=["enum", "injected"])
def test_glue_table_input_round_trips_through_moto(spec: TableSpec) -> None:
    table_input = glue_table_input(spec)
    with mock_aws():
        glue = boto3.client("glue", region_name="us-east-1")
        glue.create_database(DatabaseInput={"Name": spec.database})
        glue.create_table(DatabaseName=spec.database, TableInput=table_input)
        table = glue.get_table(DatabaseName=spec.database, Name=spec.table)["Table"]
    assert _subset(table, table_input) == table_input


def test_glue_table_input_is_the_same_table_as_the_ddl() -> None:
    table_input = glue_table_input(ENUM)
    descriptor = table_input["StorageDescriptor"]
    statement = create_statements(ENUM)[1]
    # The raw regex, not the DDL-escaped one.
    assert descriptor["SerdeInfo"]["Parameters"]["input.regex"] == record_regex()
    assert ddl_property(statement, "input.regex") == record_regex()
    assert [c["Name"] for c in descriptor["Columns"]] == list(FIELD_NAMES)
    assert [c["Type"] for c in descriptor["Columns"]] == [
        f.athena_type for f in (*LOG_FIELDS, TRAILING_FIELD)
    ]
    assert [(k["Name"], k["Type"]) for k in table_input["PartitionKeys"]] == [
        (c.name, c.athena_type) for c in PARTITION_COLUMNS
    ]
    assert descriptor["Location"] == ENUM.location
    assert table_input["Parameters"] == {"EXTERNAL": "TRUE", **table_properties(ENUM)}
    create = _create_table(ENUM)
    assert _literal_properties(create, exp.Properties).items() >= table_properties(ENUM).items()
