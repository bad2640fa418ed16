"""The query templates: catalog, rendering, structure, DuckDB execution, injection safety."""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
import sqlglot
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlglot import exp

from s3logs_athena.errors import InputError, ParameterError, TemplateError
from s3logs_athena.parser import parse_columns
from s3logs_athena.table.names import all_view
from s3logs_athena.table.schema import TYPED_COLUMNS, typed_record_batch
from s3logs_athena.templates import (
    QueryTemplate,
    get_template,
    list_templates,
    load_templates,
    render_template,
)
from s3logs_athena.templates.dialect import install_duckdb_macros, parse_athena
from s3logs_athena.templates.partitions import partition_days

from .conftest import FIXTURES

NOW = datetime(2024, 5, 10, 12)
TEMPLATES = list_templates()
NAMES = [t.name for t in TEMPLATES]
REQUIRED = {
    "cost": {
        "requests-by-operation",
        "egress-by-day",
        "top-requesters",
        "hot-objects",
        "list-heavy-callers",
    },
    "access": {
        "top-ips",
        "object-history",
        "anonymous-access",
        "insecure-transport",
        "presigned-url-usage",
        "acl-required",
        "user-agents",
        "latency-hotspots",
        "requests-by-day",
    },
    "incident": {
        "who-deleted",
        "ip-activity",
        "principal-activity",
        "access-denied",
        "server-errors",
        "bulk-downloads",
        "new-ips",
        "bucket-config-changes",
    },
}
GOLDEN_DIR = FIXTURES / "sql"
GOLDEN = ["requests-by-operation", "who-deleted", "ip-activity", "new-ips", "principal-activity"]


# -- catalog ------------------------------------------------------------------------------


def test_catalog_has_every_required_template() -> None:
    for category, names in REQUIRED.items():
        assert names <= {t.name for t in list_templates(category)}, category
    assert len(NAMES) == len(set(NAMES))


@pytest.mark.parametrize("template", TEMPLATES, ids=NAMES)
def test_metadata_is_complete(template: QueryTemplate) -> None:
    assert template.path == Path(template.path).parent / f"{template.name}.sql"
    assert template.title and template.description and template.columns
    assert [p.name for p in template.params[:5]] == ["start", "end", "buckets", "database", "table"]
    assert all(p.help for p in template.params)
    assert "{#" not in template.source
    assert {"start", "end"} <= set(template.example)


def test_get_template_suggests() -> None:
    assert get_template("who-deleted").name == "who-deleted"
    assert get_template("incident/who-deleted").name == "who-deleted"
    with pytest.raises(InputError, match="Did you mean 'who-deleted'"):
        get_template("who-delted")
    with pytest.raises(InputError, match="no query template called 'cost/who-deleted'"):
        get_template("cost/who-deleted")
    with pytest.raises(InputError, match="unknown category"):
        list_templates("security")


# -- rendering, parsing, transpiling, running on DuckDB -------------------------------------------


@pytest.fixture(scope="module")
def duck() -> Iterator[duckdb.DuckDBPyConnection]:
    """The smoke log lines in a table shaped like Athena's ``<table>_all`` (the typed
    columns), partitioned as its raw side is, by delivery day: the request's day, the next day
    for request IDs starting with LATE."""
    con = duckdb.connect()
    install_duckdb_macros(con)
    columns = ", ".join(f'"{c.name}" {c.duckdb_type}' for c in TYPED_COLUMNS)
    con.execute("CREATE SCHEMA s3_access_logs_db")
    con.execute(
        f"CREATE TABLE s3_access_logs_db.s3_access_logs_all ({columns}, year INTEGER, "
        "month INTEGER, day INTEGER, bucket VARCHAR)"
    )
    for line in (FIXTURES / "logs" / "query-smoke.log").read_text().splitlines():
        insert_line(con, line)
    yield con
    con.close()


def insert_line(con: duckdb.DuckDBPyConnection, line: str) -> None:
    (typed,) = typed_record_batch(parse_columns([line])).to_pylist()
    assert typed["request_time"] is not None and typed["request_id"] is not None
    day = typed["request_time"].date() + timedelta(days=typed["request_id"].startswith("LATE"))
    values: list[Any] = [*typed.values(), day.year, day.month, day.day, typed["bucket_name"]]
    con.execute(
        f"INSERT INTO s3_access_logs_db.s3_access_logs_all VALUES ({', '.join('?' * len(values))})",
        values,
    )


def run(
    con: duckdb.DuckDBPyConnection, name: str, params: dict[str, object]
) -> list[dict[str, Any]]:
    sql = render_template(name, params, dialect="duckdb", now=NOW).sql
    result = con.execute(sql)
    names = [c[0] for c in result.description]
    assert names == list(get_template(name).columns)
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


@pytest.mark.parametrize("template", TEMPLATES, ids=NAMES)
def test_renders_parses_transpiles_and_runs(
    template: QueryTemplate, duck: duckdb.DuckDBPyConnection
) -> None:
    athena = template.render(template.example, now=NOW)
    assert athena.dialect == "athena" and not athena.sql.rstrip().endswith(";")
    statements = sqlglot.parse(athena.sql, read="athena")
    assert len(statements) == 1 and isinstance(statements[0], exp.Query)
    duck_sql = template.render(template.example, dialect="duckdb", now=NOW).sql
    assert isinstance(sqlglot.parse_one(duck_sql, read="duckdb"), exp.Query)
    # Over the smoke data's day, with the example's other parameters.
    params = {**template.example, "start": "2024-05-01", "end": "2024-05-02", "buckets": None}
    run(duck, template.name, params)


def test_rendered_params_are_typed() -> None:
    rendered = render_template("top-requesters", {"start": "-7d", "limit": "5"}, now=NOW)
    assert rendered.params["start"] == NOW - timedelta(days=7)
    assert rendered.params["end"] == NOW
    assert rendered.params["limit"] == 5
    assert rendered.name == "top-requesters"
    with pytest.raises(InputError, match="dialect"):
        render_template("top-requesters", dialect="postgres")  # type: ignore[arg-type]


def test_late_record_is_found_and_end_is_exclusive(duck: duckdb.DuckDBPyConnection) -> None:
    rows = run(duck, "who-deleted", {"start": "2024-05-01", "end": "2024-05-02"})
    assert [(r["requestid"], r["deletion"]) for r in rows] == [
        ("REQ00003", "lifecycle expiry"),
        ("REQ00004", "multi-object delete"),
        ("REQ00004", "BATCH.DELETE"),
        ("LATE0002", "DELETE"),  # 23:59:59, delivered in the next day's partition
    ]
    assert rows[-1]["request_time"] == datetime(2024, 5, 1, 23, 59, 59)
    history = run(
        duck, "object-history", {"start": "2024-05-01", "end": "2024-05-03", "key": "reports/a.csv"}
    )
    assert [r["requestid"] for r in history] == ["REQ00004", "REQ00010", "REQ00012"]
    history = run(
        duck, "object-history", {"start": "2024-05-01", "end": "2024-05-02", "key": "reports/a.csv"}
    )
    assert [r["requestid"] for r in history] == ["REQ00004", "REQ00010"]


def test_quote_in_parameter_and_decoded_keys(duck: duckdb.DuckDBPyConnection) -> None:
    rows = run(
        duck,
        "principal-activity",
        {
            "start": "2024-05-01",
            "end": "2024-05-02",
            "requester": "arn:aws:iam::123456789012:user/o'brien",
        },
    )
    assert [r["requestid"] for r in rows] == ["REQ00001", "REQ00009", "REQ00010", "LATE0002"]
    assert rows[0]["key"] == "reports/2024/Q1 summary (final).pdf"
    rows = run(
        duck,
        "object-history",
        {"start": "2024-05-01", "end": "2024-05-02", "key": "reports/2024/Q1 summary (final).pdf"},
    )
    assert [r["requestid"] for r in rows] == ["REQ00001"]
    rows = run(
        duck,
        "principal-activity",
        {
            "start": "2024-05-01",
            "end": "2024-05-02",
            "requester": f"arn:aws:iam::cloudfront:user/{OAI}",
        },
    )
    assert [r["requestid"] for r in rows] == ["REQ00007"]


def test_ip_activity_address_and_networks(duck: duckdb.DuckDBPyConnection) -> None:
    def ids(ip: str) -> list[str]:
        rows = run(duck, "ip-activity", {"start": "2024-05-01", "end": "2024-05-02", "ip": ip})
        return [r["requestid"] for r in rows]

    assert ids("203.0.113.7") == ["REQ00001", "REQ00010"]
    assert ids("203.0.113.0/24") == ["REQ00001", "REQ00007", "REQ00010"]
    assert ids("2001:db8::/32") == ["LATE0002"]
    assert ids("2001:0db8:0000::7") == ["LATE0002"]
    assert ids("10.0.0.0/8") == []


def test_failed_attempts_are_optional(duck: duckdb.DuckDBPyConnection) -> None:
    params: dict[str, object] = {"start": "2024-05-01", "end": "2024-05-02"}
    rows = run(duck, "bucket-config-changes", params)
    assert [(r["requestid"], r["change"], r["action"]) for r in rows] == [
        ("REQ00008", "policy", "PUT")
    ]
    rows = run(duck, "bucket-config-changes", {**params, "include_failed": "true"})
    assert [r["requestid"] for r in rows] == ["REQ00008", "REQ00009"]


def test_new_ips_uses_the_baseline(duck: duckdb.DuckDBPyConnection) -> None:
    params = {"start": "2024-05-01", "end": "2024-05-02"}
    new = {r["remoteip"] for r in run(duck, "new-ips", {**params, "baseline_days": 1})}
    assert "203.0.113.8" not in new  # seen on April 30
    assert {"203.0.113.7", "2001:db8::7", "198.51.100.9"} <= new
    assert "-" not in new


def test_access_denied_columns(duck: duckdb.DuckDBPyConnection) -> None:
    rows = run(duck, "access-denied", {"start": "2024-05-01", "end": "2024-05-02"})
    assert rows == [
        {
            "hour": datetime(2024, 5, 1, 14),
            "requester": "-",
            "remoteip": "198.51.100.9",
            "requests": 1,
        },
        {
            "hour": datetime(2024, 5, 1, 16),
            "requester": "arn:aws:iam::123456789012:user/o'brien",
            "remoteip": "192.0.2.45",
            "requests": 1,
        },
    ]


# -- structure: every scan of the table is pruned and filtered on the request time ------------


def _conjuncts(node: exp.Expr) -> list[exp.Expr]:
    """The top-level AND terms of a WHERE (a parenthesised group stays one term)."""
    return list(node.flatten()) if isinstance(node, exp.And) else [node]


def _columns(node: exp.Expr) -> set[str]:
    return {c.name for c in node.find_all(exp.Column)}


def _timestamp(node: exp.Expr) -> datetime:
    assert isinstance(node, exp.Cast) and node.to.is_type(exp.DataType.Type.TIMESTAMP)
    return datetime.fromisoformat(node.this.this)


def _is_request_time(node: exp.Expr) -> bool:
    return isinstance(node, exp.Column) and node.name == "request_time"


@functools.cache
def _calendar() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE days AS SELECT CAST(d AS DATE) AS d, year(d) AS year, month(d) AS month, "
        "day(d) AS day FROM range(DATE '2019-01-01', DATE '2032-01-01', INTERVAL 1 DAY) t(d)"
    )
    return con


def _days_selected(predicate: exp.Expr, first: date, last: date) -> list[date]:
    """The days the predicate selects, within 40 days either side of first..last."""
    sql = f"SELECT d FROM days WHERE {predicate.sql('duckdb')} AND d BETWEEN ? AND ? ORDER BY d"
    window = [first - timedelta(days=40), last + timedelta(days=40)]
    return [row[0] for row in _calendar().execute(sql, window).fetchall()]


def assert_pruned(sql: str, params: dict[str, Any]) -> None:
    tree = parse_athena(sql)
    scans = [
        t
        for t in tree.find_all(exp.Table)
        if t.name == all_view(params["table"]) and t.db == params["database"]
    ]
    assert scans, "the template does not read the logs table"
    windows = []
    for scan in scans:
        select = scan.find_ancestor(exp.Select)
        assert select is not None and select.args.get("where") is not None
        conjuncts = _conjuncts(select.args["where"].this)
        on_days = [c for c in conjuncts if _columns(c) and _columns(c) <= {"year", "month", "day"}]
        partition = exp.and_(*on_days) if on_days else None
        assert partition is not None and _columns(partition) == {"year", "month", "day"}
        lower = [c for c in conjuncts if isinstance(c, exp.GTE) and _is_request_time(c.this)]
        upper = [c for c in conjuncts if isinstance(c, exp.LT) and _is_request_time(c.this)]
        assert len(lower) == 1 and len(upper) == 1, "an exact filter on the request time"
        start, end = _timestamp(lower[0].expression), _timestamp(upper[0].expression)
        windows.append((start, end))
        first, last = partition_days(start, end)
        expected = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        assert _days_selected(partition, first, last) == expected
        buckets = [c for c in conjuncts if "bucket" in _columns(c)]
        if params["buckets"]:
            assert len(buckets) == 1 and isinstance(buckets[0], exp.In)
            assert [e.this for e in buckets[0].expressions] == list(params["buckets"])
        else:
            assert not buckets
    assert (params["start"], params["end"]) in windows


@pytest.mark.parametrize("template", TEMPLATES, ids=NAMES)
@pytest.mark.parametrize("buckets", [None, "app-assets,logs.example.com"])
def test_every_scan_is_pruned(template: QueryTemplate, buckets: str | None) -> None:
    for start, end in [("2024-05-01", "2024-05-02"), ("2023-12-30T06:00", "2024-03-02T00:00:01")]:
        params = {**template.example, "start": start, "end": end, "buckets": buckets}
        rendered = template.render(params, now=NOW)
        assert_pruned(rendered.sql, dict(rendered.params))


# -- golden SQL ------------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", ["athena", "duckdb"])
@pytest.mark.parametrize("name", GOLDEN)
def test_golden_sql(name: str, dialect: str) -> None:
    template = get_template(name)
    sql = template.render(template.example, dialect=dialect, now=NOW).sql + "\n"  # type: ignore[arg-type]
    path = GOLDEN_DIR / f"{name}.{dialect}.sql"
    if os.environ.get("S3LOGS_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(sql, encoding="utf-8")
    assert sql == path.read_text(encoding="utf-8"), (
        f"regenerate with S3LOGS_UPDATE_GOLDEN=1: {path}"
    )


# -- injection -----------------------------------------------------------------------------

FRAGMENTS = [
    "'",
    "''",
    "\\",
    "\\'",
    "--",
    "/*",
    "*/",
    ";",
    "\n",
    "\r\n",
    '"',
    "`",
    "%",
    "_",
    "+",
    "{{ logs }}",
    "{% if true %}",
    "#}",
    "$$",
    " OR 1=1",
    "DROP TABLE x",
    "é",
    "\u2028",
    "🙂",
    "\t",
    "a",
]
PAYLOADS = st.one_of(
    st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=8).map("".join),
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
        min_size=1,
        max_size=40,
    ),
)
STRING_PARAMS = [(t.name, p.name) for t in TEMPLATES for p in t.own_params if p.type == "string"]
MARKER = "\u2603marker\u2603"
OAI = "CloudFront Origin Access Identity E2QWRUHAPOMQZL"


def _params_with(template: QueryTemplate, name: str, value: str) -> dict[str, object]:
    params = {**template.example, "start": "2024-05-01", "end": "2024-05-02", name: value}
    for group in (*template.one_of, *template.at_most_one_of):
        if name in group:
            params.update({other: None for other in group if other != name})
    return params


def _swap(tree: exp.Expr, payload: str) -> exp.Expr:
    def swap(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Literal) and node.is_string and node.this == payload:
            return exp.Literal.string(MARKER)
        return node

    return tree.transform(swap)


@pytest.fixture
def inject(duck: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    return duck


@pytest.mark.parametrize(("name", "param"), STRING_PARAMS)
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(payload=PAYLOADS)
def test_payload_stays_inside_a_literal(
    inject: duckdb.DuckDBPyConnection, name: str, param: str, payload: str
) -> None:
    template = get_template(name)
    marked = parse_athena(template.render(_params_with(template, param, MARKER), now=NOW).sql)
    assume(all(lit.this != payload for lit in marked.find_all(exp.Literal)))
    rendered = template.render(_params_with(template, param, payload), now=NOW)
    tree = parse_athena(rendered.sql)  # exactly one query, or TemplateError
    assert any(
        isinstance(n, exp.Literal) and n.is_string and n.this == payload for n in tree.walk()
    )
    # Nothing but the literal's text changed: the query is the same tree as with a marker.
    assert _swap(tree, payload) == marked
    # DuckDB reads the literal back byte for byte: a request carrying the payload is found.
    column = "requester" if param == "requester" else "key"
    line_values = {"requester": "INJECTED", "key": "INJECTED", column: payload}
    duck_sql = template.render(
        _params_with(template, param, payload), dialect="duckdb", now=NOW
    ).sql
    statements = sqlglot.parse(duck_sql, read="duckdb")
    assert len(statements) == 1 and isinstance(statements[0], exp.Query)
    inject.execute("BEGIN")
    try:
        inject.execute(
            "INSERT INTO s3_access_logs_db.s3_access_logs_all (bucket_name, request_time, "
            "remote_ip, requester, request_id, operation, key, http_status, year, month, day, "
            "bucket) VALUES ('app-assets', TIMESTAMP '2024-05-01 08:00:00', '192.0.2.1', ?, "
            "'INJECT01', 'REST.DELETE.OBJECT', ?, 204, 2024, 5, 1, 'app-assets')",
            [line_values["requester"], line_values["key"]],
        )
        result = inject.execute(duck_sql)
        position = [c[0] for c in result.description].index("requestid")
        request_ids = [row[position] for row in result.fetchall()]
    finally:
        inject.execute("ROLLBACK")
    assert "INJECT01" in request_ids


INJECTIONS = ["x' OR '1'='1", "a;DROP TABLE t", "a--", "a/*", '"x"', "\x00", "bytes'"]
TYPED_PARAMS = [(t.name, p.name) for t in TEMPLATES for p in t.params if p.type not in ("string",)]


@pytest.mark.parametrize(("name", "param"), TYPED_PARAMS)
def test_typed_parameters_refuse_injections(name: str, param: str) -> None:
    template = get_template(name)
    for payload in INJECTIONS:
        with pytest.raises(ParameterError, match=repr(param)):
            template.render(_params_with(template, param, payload), now=NOW)


# -- loading: broken templates are caught ----------------------------------------------------------

GOOD = """{#-
title = "T"
category = "cost"
description = "D"
columns = ["n"]
[params.key]
type = "string"
help = "k"
[example]
start = "2024-05-01"
end = "2024-05-02"
-#}
SELECT count(*) AS n FROM {{ logs }} WHERE {{ in_range() }} AND key = {{ key or "-" }}
"""


def write(tmp_path: Path, text: str, name: str = "cost/t.sql") -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return tmp_path


def test_loads_a_template_directory(tmp_path: Path) -> None:
    (template,) = load_templates(write(tmp_path, GOOD)).values()
    sql = template.render({"start": "2024-05-01", "end": "2024-05-02", "key": "it's"}).sql
    assert sql.endswith("AND key = 'it''s'")  # {{ }} quotes: the template never pastes text


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("{#-", "", "must start with"),
        ('title = "T"', 'title = T"', "not valid TOML"),
        ('category = "cost"', 'category = "access"', "differs from its folder"),
        ('columns = ["n"]', "", "columns"),
        ('type = "string"', 'type = "text"', "unknown type"),
        ('help = "k"', 'help = ""', "help"),
        ('end = "2024-05-02"', 'end = "2024-04-02"', "invalid example"),
        ("[params.key]", "[params.start]", "common to every template"),
        ("[params.key]", "[params.logs]", "not allowed"),
        ('description = "D"', 'description = "D"\nowner = "me"', "unknown metadata keys"),
    ],
)
def test_broken_metadata(tmp_path: Path, old: str, new: str, message: str) -> None:
    with pytest.raises(TemplateError, match=message):
        load_templates(write(tmp_path, GOOD.replace(old, new, 1)))


def test_duplicate_names(tmp_path: Path) -> None:
    write(tmp_path, GOOD)
    write(tmp_path, GOOD.replace('"cost"', '"access"'), "access/t.sql")
    with pytest.raises(TemplateError, match="also called 't'"):
        load_templates(tmp_path)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("SELECT 1; SELECT 2", "2 statements"),
        ("DELETE FROM {{ logs }}", "not a query"),
        ("SELECT {{ nothing }}", "broken"),
        ("SELECT {{ object() }}", "broken"),
    ],
)
def test_rendering_refuses_non_queries(tmp_path: Path, body: str, message: str) -> None:
    text = GOOD.split("-#}\n")[0] + "-#}\n" + body
    (template,) = load_templates(write(tmp_path, text)).values()
    with pytest.raises(TemplateError, match=message):
        template.render({"start": "2024-05-01", "end": "2024-05-02"})


def test_readme_catalog_lists_every_template() -> None:
    readme = (FIXTURES.parent.parent / "README.md").read_text(encoding="utf-8")
    catalog = readme.split("### Catalog", 1)[1].split("###", 1)[0]
    assert [t.name for t in TEMPLATES if f"| `{t.name}` |" not in catalog] == []


def test_as_logged_renders_typed_columns_back_as_logged(tmp_path: Path) -> None:
    body = "SELECT {{ as_logged('http_status') }} AS httpstatus, {{ as_logged('requester') }} AS r"
    text = GOOD.split("-#}\n")[0] + "-#}\n" + body + " FROM {{ logs }} WHERE {{ in_range() }}"
    (template,) = load_templates(write(tmp_path, text)).values()
    sql = template.render({"start": "2024-05-01", "end": "2024-05-02"}).sql
    assert "coalesce(CAST(http_status AS varchar), '-') AS httpstatus" in sql
    assert "coalesce(requester, '-') AS r" in sql
    for wrong in ("remoteip", "request_time", "x) OR (1=1"):
        broken = text.replace("'requester'", repr(wrong))
        (template,) = load_templates(write(tmp_path, broken)).values()
        with pytest.raises(TemplateError, match="as_logged"):
            template.render({"start": "2024-05-01", "end": "2024-05-02"})
