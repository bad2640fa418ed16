"""The query templates: find them, read their metadata, render them to SQL.

A template is one file ``queries/<category>/<name>.sql``: Athena (Trino) SQL with jinja2
placeholders, starting with a jinja comment that holds its metadata in TOML::

    {#-
    title = "Requests and estimated request cost by operation"
    category = "cost"
    description = "One row per bucket and operation ..."
    columns = ["bucket", "operation", "requests", "bytes_sent", "est_request_cost_usd"]
    one_of = [["key", "prefix"]]          # optional: exactly one of these is required
    at_most_one_of = [["key", "prefix"]]  # optional: these exclude each other

    [params.limit]
    type = "int"           # see s3logs_athena.templates.params.PARAM_TYPES
    default = 20
    min = 1
    max = 10000
    help = "Rows to return."

    [example]              # values the tests and `query show` use
    limit = 5
    -#}
    SELECT ... FROM {{ logs }} WHERE {{ in_range() }} ... LIMIT {{ limit }}

Every template also takes the common parameters
(:data:`~s3logs_athena.templates.params.COMMON_PARAMS`: ``start``, ``end``, ``buckets``,
``database``, ``table``).

**Templates read typed columns.** ``{{ logs }}`` is ``"<database>"."<table>_all"``
(:func:`~s3logs_athena.table.names.all_view`: compacted rows where compaction ran, the typed
view over the raw table elsewhere; the DuckDB engine serves the same name over the typed
cache). Its columns are :data:`~s3logs_athena.table.schema.TYPED_COLUMNS` (``request_time``
timestamp UTC, ``http_status`` integer, ``bytes_sent`` bigint, ``remote_ip``, ``user_agent``...,
``NULL`` for ``-``) plus ``year``, ``month``, ``day``, ``bucket``: nothing is parsed per query.

**Values never become SQL by accident.** Every ``{{ expression }}`` goes through
:func:`~s3logs_athena.templates.quoting.sql_literal` unless it is
:class:`~s3logs_athena.templates.quoting.Sql` (text the helpers below built from
literals): ``{{ key }}`` renders ``'it''s'``, never ``it's``. Control flow
(``{% if by == 'bytes' %}``) sees the typed values. Helpers:

``logs``           the typed relation the templates read, ``"<database>"."<table>_all"``
``in_range()``     partition predicates for the range (and buckets) AND the exact time filter;
                   ``in_range(start=..., end=...)`` for another window (a baseline)
``request_time``   the request time (UTC timestamp), kept for older templates
``object_key``     the object key, URL-decoded (S3 logs it encoded); ``'-'`` when absent
``as_logged('c')`` typed column ``c`` as the text S3 logged: ``'-'`` for NULL (output columns
                   that keep the raw table's names and values: ``httpstatus``, ``remoteip``...)
``key_matches(key, prefix)``  the key equals ``key`` or starts with ``prefix`` (TRUE if neither)
``ip_in(network)`` the remote IP lies in an ``ipaddress`` network
``days_before(t, n)``  ``t`` minus ``n`` days
``list_operations``  ``(...)``, the operations S3 bills as LIST requests
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, get_args

import jinja2

from ..errors import InputError, TemplateError
from ..resources import resource_dir
from ..table.names import all_view, qualified
from ..table.schema import TYPED_COLUMNS
from .dialect import parse_athena, to_duckdb
from .params import COMMON_PARAMS, PARAM_TYPES, IpNetwork, TemplateParam, did_you_mean
from .params import resolve_params as _resolve
from .partitions import REQUEST_TIME_SQL, range_predicate
from .quoting import Sql, in_list, sql_literal

__all__ = [
    "CATEGORIES",
    "Dialect",
    "QueryTemplate",
    "RenderedQuery",
    "get_template",
    "list_templates",
    "load_templates",
    "render_template",
]

Dialect = Literal["athena", "duckdb"]
CATEGORIES = ("cost", "access", "incident")

_METADATA = re.compile(r"\A\{#-?(?P<meta>.*?)-?#\}\n?", re.DOTALL)
_NAME = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
_PARAM_NAME = re.compile(r"[a-z][a-z0-9_]*")
_META_KEYS = {
    "title",
    "category",
    "description",
    "columns",
    "params",
    "example",
    "one_of",
    "at_most_one_of",
}
_PARAM_KEYS = {"type", "help", "default", "required", "choices", "min", "max"}
_HELPERS = {
    "logs",
    "in_range",
    "request_time",
    "object_key",
    "as_logged",
    "key_matches",
    "ip_in",
    "days_before",
    "list_operations",
}

#: Operations S3 bills as LIST requests: ListObjects(V2), ListObjectVersions,
#: ListMultipartUploads, ListParts.
LIST_OPERATIONS = (
    "REST.GET.BUCKET",
    "REST.GET.BUCKETVERSIONS",
    "REST.GET.UPLOADS",
    "REST.GET.UPLOAD",
)

#: The object key as written in the logs is URL-encoded (a space is ``+``); decoded here,
#: falling back to the raw text when it is not valid encoding, and to ``-`` (as logged) when
#: the request had no key.
OBJECT_KEY_SQL = Sql("coalesce(try(url_decode(key)), key, '-')")

#: S3's text for an absent value, which the typed columns hold as NULL.
ABSENT = "-"
_TYPED_TYPES = {column.name: column.trino_type for column in TYPED_COLUMNS}


@dataclass(frozen=True)
class QueryTemplate:
    """One query template: its metadata and jinja source (``source``, metadata removed)."""

    name: str
    category: str
    title: str
    description: str
    params: tuple[TemplateParam, ...]
    columns: tuple[str, ...]
    example: Mapping[str, object]
    path: Path
    source: str = field(repr=False)
    one_of: tuple[tuple[str, ...], ...] = ()
    at_most_one_of: tuple[tuple[str, ...], ...] = ()

    @property
    def own_params(self) -> tuple[TemplateParam, ...]:
        """The parameters particular to this template (not the common ones)."""
        return tuple(p for p in self.params if not p.common)

    def resolve_params(
        self, params: Mapping[str, object] | None = None, *, now: datetime | None = None
    ) -> dict[str, Any]:
        """Typed values of every parameter (defaults filled in); :class:`ParameterError`."""
        return _resolve(
            self.params, params, now=now, one_of=self.one_of, at_most_one_of=self.at_most_one_of
        )

    def render(
        self,
        params: Mapping[str, object] | None = None,
        *,
        dialect: Dialect = "athena",
        now: datetime | None = None,
    ) -> RenderedQuery:
        """The SQL of this query for ``params`` in ``dialect`` (see :func:`render_template`)."""
        if dialect not in get_args(Dialect):
            raise InputError(f"unknown SQL dialect {dialect!r}: use athena or duckdb")
        values = self.resolve_params(params, now=now)
        athena_sql = _render_athena(self, values)
        tree = parse_athena(athena_sql)
        sql = athena_sql if dialect == "athena" else to_duckdb(tree)
        return RenderedQuery(template=self, sql=sql, dialect=dialect, params=values)


@dataclass(frozen=True)
class RenderedQuery:
    """A template rendered for one set of parameters."""

    template: QueryTemplate
    #: One SELECT statement, no trailing semicolon, in ``dialect``.
    sql: str
    dialect: Dialect
    #: The typed value of every parameter, defaults and relative times resolved.
    params: Mapping[str, Any]

    @property
    def name(self) -> str:
        return self.template.name


# -- rendering ------------------------------------------------------------------------------


def _finalize(value: object) -> str:
    """Every ``{{ ... }}`` output: SQL fragments as they are, anything else as a literal."""
    if isinstance(value, Sql):
        return value
    if isinstance(value, jinja2.Undefined):
        return str(value)  # StrictUndefined: raises UndefinedError
    return sql_literal(value)


@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        autoescape=False,  # SQL, not HTML: _finalize does the quoting
        undefined=jinja2.StrictUndefined,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )


def _key_matches(key: str | None = None, prefix: str | None = None) -> Sql:
    if key is not None and prefix is not None:
        raise TemplateError("key_matches() takes a key or a prefix, not both")
    if key is not None:
        literal = sql_literal(key)
        return Sql(f"({OBJECT_KEY_SQL} = {literal} OR key = {literal})")
    if prefix is not None:
        literal = sql_literal(prefix)
        return Sql(f"(starts_with({OBJECT_KEY_SQL}, {literal}) OR starts_with(key, {literal}))")
    return Sql("TRUE")


def _ip_in(network: IpNetwork) -> Sql:
    return Sql(f"contains({sql_literal(network)}, try_cast(remote_ip AS IPADDRESS))")


def _as_logged(column: str) -> Sql:
    """Typed column ``column`` as the text S3 logged: ``'-'`` for NULL, numbers as text.

    The templates' output columns keep the raw table's names and values (``httpstatus`` is
    ``'403'``, an anonymous ``requester`` is ``'-'``), so reports and scripts written against
    them keep working; ``count(DISTINCT ...)`` and ``min(...)`` over it count ``'-'`` as a value,
    as they did over the raw text."""
    kind = _TYPED_TYPES.get(column)
    if kind is None or kind == "timestamp":
        raise TemplateError(f"as_logged({column!r}): not a typed text or integer column")
    value = column if kind == "varchar" else f"CAST({column} AS varchar)"
    return Sql(f"coalesce({value}, {sql_literal(ABSENT)})")


def _days_before(moment: datetime, days: int) -> datetime:
    return moment - timedelta(days=days)


def _context(values: Mapping[str, Any]) -> dict[str, Any]:
    def in_range(start: datetime | None = None, end: datetime | None = None) -> Sql:
        return range_predicate(
            start if start is not None else values["start"],
            end if end is not None else values["end"],
            values["buckets"],
        )

    return {
        **values,
        "logs": Sql(qualified(values["database"], all_view(values["table"]))),
        "in_range": in_range,
        "request_time": REQUEST_TIME_SQL,
        "object_key": OBJECT_KEY_SQL,
        "as_logged": _as_logged,
        "key_matches": _key_matches,
        "ip_in": _ip_in,
        "days_before": _days_before,
        "list_operations": in_list(LIST_OPERATIONS),
    }


def _render_athena(template: QueryTemplate, values: Mapping[str, Any]) -> str:
    try:
        compiled = _environment().from_string(template.source)
        # Only the ends are trimmed: a literal may hold any whitespace, line breaks included.
        return compiled.render(_context(values)).strip()
    except jinja2.TemplateError as exc:
        raise TemplateError(f"query template {template.name!r} is broken: {exc}") from exc


# -- loading --------------------------------------------------------------------------------


def _fail(path: Path, message: str) -> TemplateError:
    return TemplateError(f"{path}: {message}")


def _param_from_toml(path: Path, name: str, spec: object) -> TemplateParam:
    if not _PARAM_NAME.fullmatch(name) or name in _HELPERS:
        raise _fail(path, f"parameter name {name!r} is not allowed")
    if not isinstance(spec, dict) or set(spec) - _PARAM_KEYS:
        raise _fail(path, f"parameter {name!r}: expected a table with keys {sorted(_PARAM_KEYS)}")
    kind = spec.get("type")
    if kind not in PARAM_TYPES:
        raise _fail(path, f"parameter {name!r}: unknown type {kind!r}")
    help_text = spec.get("help")
    if not isinstance(help_text, str) or not help_text:
        raise _fail(path, f"parameter {name!r} needs a help text")
    choices = tuple(spec.get("choices", ()))
    if (kind == "enum") != bool(choices):
        raise _fail(path, f"parameter {name!r}: choices go with type 'enum', and only there")

    def bound(key: str) -> int | Decimal | None:
        value = spec.get(key)
        if value is None:
            return None
        return Decimal(str(value)) if isinstance(value, float) else value

    param = TemplateParam(
        name=name,
        type=str(kind),
        help=help_text,
        default=spec.get("default"),
        required=bool(spec.get("required", False)),
        choices=choices,
        minimum=bound("min"),
        maximum=bound("max"),
    )
    if param.default is not None:
        try:
            param.parse(param.default)
        except InputError as exc:
            raise _fail(path, f"invalid default: {exc}") from None
    return param


def _groups(
    path: Path, meta: dict[str, Any], key: str, names: set[str]
) -> tuple[tuple[str, ...], ...]:
    groups = tuple(tuple(group) for group in meta.get(key, ()))
    for group in groups:
        if len(group) < 2 or not set(group) <= names:
            raise _fail(path, f"{key}: {list(group)} must name two or more parameters")
    return groups


def load_template(path: Path) -> QueryTemplate:
    """Read one template file; :class:`TemplateError` if its metadata is wrong."""
    text = path.read_text(encoding="utf-8")
    match = _METADATA.match(text)
    if match is None:
        raise _fail(path, "must start with a {# ... #} block holding the metadata (TOML)")
    try:
        meta = tomllib.loads(match["meta"].strip("-"))
    except tomllib.TOMLDecodeError as exc:
        raise _fail(path, f"metadata is not valid TOML: {exc}") from None
    unknown = set(meta) - _META_KEYS
    if unknown:
        raise _fail(path, f"unknown metadata keys {sorted(unknown)}")
    name, category = path.stem, path.parent.name
    if not _NAME.fullmatch(name):
        raise _fail(path, "template names are lowercase words joined by '-'")
    if meta.get("category") != category:
        raise _fail(path, f"category {meta.get('category')!r} differs from its folder {category!r}")
    for key in ("title", "description"):
        if not isinstance(meta.get(key), str) or not meta[key].strip():
            raise _fail(path, f"metadata needs a {key}")
    columns = meta.get("columns")
    if not isinstance(columns, list) or not columns or not all(isinstance(c, str) for c in columns):
        raise _fail(path, "metadata needs columns, the list of output column names")
    own = tuple(_param_from_toml(path, n, s) for n, s in meta.get("params", {}).items())
    common_names = {p.name for p in COMMON_PARAMS}
    clash = common_names & {p.name for p in own}
    if clash:
        raise _fail(path, f"parameters {sorted(clash)} are common to every template")
    params = (*COMMON_PARAMS, *own)
    names = {p.name for p in params}
    template = QueryTemplate(
        name=name,
        category=category,
        title=meta["title"].strip(),
        description=" ".join(meta["description"].split()),
        params=params,
        columns=tuple(columns),
        example=dict(meta.get("example", {})),
        path=path,
        source=text[match.end() :],
        one_of=_groups(path, meta, "one_of", names),
        at_most_one_of=_groups(path, meta, "at_most_one_of", names),
    )
    try:
        template.resolve_params(template.example, now=datetime(2024, 1, 1))
    except InputError as exc:
        raise _fail(path, f"invalid example: {exc}") from None
    return template


def load_templates(directory: Path | None = None) -> dict[str, QueryTemplate]:
    """Every template under ``directory`` (default: the shipped ``queries/``), by name,
    ordered by category then name."""
    if directory is None:
        return dict(_shipped_templates())
    found: dict[str, QueryTemplate] = {}
    for category in CATEGORIES:
        for path in sorted((directory / category).glob("*.sql")):
            template = load_template(path)
            if template.name in found:
                raise _fail(path, f"another template is also called {template.name!r}")
            found[template.name] = template
    return found


@functools.cache
def _shipped_templates() -> tuple[tuple[str, QueryTemplate], ...]:
    return tuple(load_templates(resource_dir("queries")).items())


def list_templates(category: str | None = None) -> list[QueryTemplate]:
    """The shipped query templates (of one category, if given), by category and name."""
    if category is not None and category not in CATEGORIES:
        raise InputError(f"unknown category {category!r}: use one of {', '.join(CATEGORIES)}")
    return [t for _, t in _shipped_templates() if category in (None, t.category)]


def get_template(name: str) -> QueryTemplate:
    """The shipped template called ``name`` (or ``category/name``); :class:`InputError`
    with a "did you mean" if there is none."""
    templates = dict(_shipped_templates())
    bare = name.split("/", 1)[1] if name.count("/") == 1 else name
    template = templates.get(bare)
    if template is None or (bare != name and name != f"{template.category}/{bare}"):
        raise InputError(
            f"no query template called {name!r}.{did_you_mean(bare, templates)} "
            "'s3logs-athena query list' shows them all."
        )
    return template


def render_template(
    name: str | QueryTemplate,
    params: Mapping[str, object] | None = None,
    *,
    dialect: Dialect = "athena",
    now: datetime | None = None,
) -> RenderedQuery:
    """Render a query template to one SQL SELECT for Athena or DuckDB.

    ``params`` maps parameter names to values: text as typed on the command line
    (``{"start": "-7d", "limit": "10"}``) or Python values (``datetime``, ``int``, a list
    of buckets). ``now`` (UTC) anchors relative times; default: the current time.
    Raises :class:`~s3logs_athena.errors.ParameterError` for a missing, unknown or invalid
    parameter and :class:`~s3logs_athena.errors.InputError` for an unknown template.
    The DuckDB form needs :data:`~s3logs_athena.templates.dialect.DUCKDB_MACROS` on the connection.
    """
    template = name if isinstance(name, QueryTemplate) else get_template(name)
    return template.render(params, dialect=dialect, now=now)


def describe_params(params: Sequence[TemplateParam]) -> list[dict[str, str]]:
    """Rows describing parameters (name, type, default, required, help) for display."""
    rows = []
    for param in params:
        kind = param.type if not param.choices else "|".join(param.choices)
        rows.append(
            {
                "name": param.name,
                "type": kind,
                "default": "" if param.default is None else str(param.default),
                "required": "yes" if param.required else "",
                "help": param.help,
            }
        )
    return rows
