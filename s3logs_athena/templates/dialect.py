"""Athena (Trino) SQL -> DuckDB SQL, for the query templates.

sqlglot does the transpiling. A few Trino constructs have no DuckDB equivalent, or one sqlglot
gets wrong; they are rewritten on the syntax tree here. The templates read typed columns and
parse nothing per query; the time rewrite serves hand-written SQL on the raw table's text:

* ``parse_datetime(x, 'dd/MMM/yyyy:HH:mm:ss Z')`` (a Joda pattern): sqlglot keeps the Joda
  pattern, which DuckDB's ``strptime`` does not read; it becomes
  ``strptime(x, '%d/%b/%Y:%H:%M:%S %z')`` (``try_strptime`` inside ``try(...)``).
* ``contains('<cidr>', try_cast(x AS IPADDRESS))``: sqlglot reads ``contains`` as an array
  function and DuckDB has no IP type without an extension; it becomes a comparison on the
  address as 32 hex digits (or, for an IPv4 network, as an integer), computed by the SQL
  macros in :data:`DUCKDB_MACROS`.
* ``url_decode(x)``: Trino's decodes ``+`` as a space (S3 logs write a space in a key as
  ``+``), DuckDB's does not; it becomes ``url_decode(replace(x, '+', ' '))``. DuckDB's never
  fails, so a ``try(...)`` around it is dropped.
* ``approx_percentile``: becomes DuckDB's exact ``quantile_disc``, so local answers are
  exact and reproducible (Athena's are approximations of them).

Everything else (``date_trunc``, ``regexp_like``, ``count_if``, ``arbitrary``, ``max_by``,
``try_cast``, ``starts_with``, ``split_part``, ``AT TIME ZONE``...) transpiles as is.
Run :data:`DUCKDB_MACROS` (see :func:`install_duckdb_macros`) on a DuckDB connection before
running transpiled SQL.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any, Protocol

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from ..errors import TemplateError

__all__ = [
    "DUCKDB_MACROS",
    "install_duckdb_macros",
    "ip_network_predicate",
    "parse_athena",
    "to_duckdb",
]

# -- DuckDB macros (plain SQL, no extension, no lambdas: they work on DuckDB 1.1 and up) --

_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = rf"{_OCTET}(\.{_OCTET}){{3}}"
_H = "[0-9a-f]{1,4}"
# Every textual IPv6 form without an embedded IPv4 part, by where "::" stands (RFC 4291).
_IPV6 = "|".join(
    (
        f"({_H}:){{7}}{_H}",
        f"({_H}:){{1,7}}:",
        f"({_H}:){{1,6}}:{_H}",
        f"({_H}:){{1,5}}(:{_H}){{1,2}}",
        f"({_H}:){{1,4}}(:{_H}){{1,3}}",
        f"({_H}:){{1,3}}(:{_H}){{1,4}}",
        f"({_H}:){{1,2}}(:{_H}){{1,5}}",
        f"{_H}:(:{_H}){{1,6}}",
        f":((:{_H}){{1,7}}|:)",
    )
)

#: ``CREATE MACRO`` statements the transpiled SQL may call:
#: ``s3logs_ipv4_int(text)`` -> BIGINT or NULL, ``s3logs_ip_hex(text)`` -> the 128-bit
#: address as 32 lowercase hex digits (IPv4 as IPv4-mapped ``::ffff:a.b.c.d``, as Trino's
#: IPADDRESS stores it) or NULL when the text is not an address.
DUCKDB_MACROS: tuple[str, ...] = (
    f"""CREATE OR REPLACE MACRO s3logs_ipv4_int(ip) AS (
  CASE WHEN regexp_full_match(ip, '{_IPV4}') THEN
    CAST(split_part(ip, '.', 1) AS BIGINT) * 16777216
    + CAST(split_part(ip, '.', 2) AS BIGINT) * 65536
    + CAST(split_part(ip, '.', 3) AS BIGINT) * 256
    + CAST(split_part(ip, '.', 4) AS BIGINT)
  END)""",
    # An IPv6 text with an embedded IPv4 tail (::ffff:1.2.3.4) -> all-hex groups.
    """CREATE OR REPLACE MACRO s3logs_ipv6_text(ip) AS (
  CASE WHEN NOT contains(ip, '.') THEN ip
    ELSE regexp_extract(ip, '^(.*:)', 1)
      || printf('%04x:%04x', s3logs_ipv4_int(regexp_extract(ip, '[^:]*$')) // 65536,
                s3logs_ipv4_int(regexp_extract(ip, '[^:]*$')) % 65536)
  END)""",
    # Expand "::" to the missing zero groups (8 groups = colons + 1 once expanded), then
    # left-pad every group to 4 digits by prefixing 0000 and keeping the last 4.
    f"""CREATE OR REPLACE MACRO s3logs_ipv6_hex(ip) AS (
  CASE WHEN regexp_full_match(ip, '{_IPV6}') THEN regexp_replace(
    replace(
      ':' || replace(ip, '::',
                     ':' || repeat('0:', 8 - (length(ip) - length(replace(ip, ':', ''))))),
      ':', ':0000'),
    ':0*([0-9a-f]{{4}})', '\\1', 'g')
  END)""",
    """CREATE OR REPLACE MACRO s3logs_ip_hex(ip) AS (
  CASE
    WHEN NOT contains(ip, ':')
      THEN '00000000000000000000ffff' || printf('%08x', s3logs_ipv4_int(ip))
    ELSE s3logs_ipv6_hex(s3logs_ipv6_text(lower(ip)))
  END)""",
)


class _Executes(Protocol):
    def execute(self, query: str, /) -> Any: ...


def install_duckdb_macros(connection: _Executes) -> None:
    """Create :data:`DUCKDB_MACROS` on a DuckDB connection (idempotent)."""
    for statement in DUCKDB_MACROS:
        connection.execute(statement)


# -- parsing and rewriting ------------------------------------------------------------------

_JODA_TO_STRFTIME = {
    "dd": "%d",
    "MMM": "%b",
    "yyyy": "%Y",
    "HH": "%H",
    "mm": "%M",
    "ss": "%S",
    "Z": "%z",
}
_JODA_TOKEN = re.compile(r"([A-Za-z])\1*")
_IPV4_MAPPED_BASE = 0xFFFF << 32


def parse_athena(sql: str) -> exp.Query:
    """Parse one Athena statement; :class:`TemplateError` unless it is exactly one query."""
    try:
        statements = sqlglot.parse(sql, read="athena")
    except ParseError as exc:
        raise TemplateError(f"rendered SQL does not parse as Athena SQL: {exc}") from None
    if len(statements) != 1 or statements[0] is None:
        raise TemplateError(f"rendered SQL holds {len(statements)} statements, not one query")
    statement = statements[0]
    if not isinstance(statement, exp.Query):
        raise TemplateError(f"rendered SQL is a {statement.key.upper()}, not a query")
    return statement


def _strftime_pattern(joda: str) -> str:
    def replace(match: re.Match[str]) -> str:
        token = match[0]
        if token not in _JODA_TO_STRFTIME:
            raise TemplateError(f"parse_datetime pattern token {token!r} has no DuckDB mapping")
        return _JODA_TO_STRFTIME[token]

    return _JODA_TOKEN.sub(replace, joda.replace("%", "%%"))


def _strptime(node: exp.ParseDatetime, *, safe: bool) -> exp.Expr:
    fmt = node.args.get("format")
    if not isinstance(fmt, exp.Literal) or not fmt.is_string or node.args.get("zone"):
        raise TemplateError(f"parse_datetime needs a literal pattern: {node.sql('athena')}")
    pattern = exp.Literal.string(_strftime_pattern(fmt.this))
    return exp.Anonymous(
        this="TRY_STRPTIME" if safe else "STRPTIME", expressions=[_rewritten(node.this), pattern]
    )


def _hex(value: int) -> exp.Literal:
    return exp.Literal.string(f"{value:032x}")


def ip_network_predicate(column: exp.Expr, cidr: str) -> exp.Expr:
    """DuckDB predicate: the address text in ``column`` lies in network ``cidr`` (what
    Trino's ``contains(cidr, CAST(column AS IPADDRESS))`` tells), using the macros."""
    try:
        network = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        raise TemplateError(f"{cidr!r} is not a CIDR network") from None
    low, high = int(network.network_address), int(network.broadcast_address)

    def call(name: str) -> exp.Expr:
        return exp.Anonymous(this=name, expressions=[column.copy()])

    def has(text: exp.Expr, needle: str) -> exp.Expr:
        return exp.Anonymous(this="CONTAINS", expressions=[text, exp.Literal.string(needle)])

    if network.version == 4:
        # Dotted quads, pre-filtered on the octets every address of the network shares...
        fixed = min(network.prefixlen // 8, 3)  # whole octets shared, short of the last one
        octets = str(network.network_address).split(".")[:fixed]
        dotted: exp.Expr = exp.Between(
            this=call("s3logs_ipv4_int"),
            low=exp.Literal.number(low),
            high=exp.Literal.number(high),
        )
        if octets:
            prefix = exp.Literal.string(".".join(octets) + ".")
            dotted = exp.and_(
                exp.Anonymous(this="STARTS_WITH", expressions=[column.copy(), prefix]), dotted
            )
        # ...or IPv4-mapped IPv6 (::ffff:a.b.c.d), which Trino's IPADDRESS equates with them.
        mapped = exp.and_(
            has(exp.Lower(this=column.copy()), ":ffff:"),
            exp.Between(
                this=call("s3logs_ip_hex"),
                low=_hex(_IPV4_MAPPED_BASE | low),
                high=_hex(_IPV4_MAPPED_BASE | high),
            ),
        )
        return exp.paren(exp.or_(exp.paren(dotted), exp.paren(mapped)), copy=False)
    in_hex = exp.Between(this=call("s3logs_ip_hex"), low=_hex(low), high=_hex(high))
    mapped_space = ipaddress.ip_network("::ffff:0:0/96")
    if network.overlaps(mapped_space):
        return exp.paren(in_hex, copy=False)
    first_group = low >> 112
    if network.prefixlen >= 16 and first_group:
        # Every textual form of such an address starts with its first group (maybe with
        # leading zeros, in either case): a cheap pre-filter before the macro.
        pattern = exp.Literal.string(f"^(?i)0*{first_group:x}:")
        guard: exp.Expr = exp.Anonymous(this="REGEXP_MATCHES", expressions=[column.copy(), pattern])
    else:
        guard = has(column.copy(), ":")
    return exp.paren(exp.and_(guard, in_hex), copy=False)


def _rewritten(node: exp.Expr) -> exp.Expr:
    """A rewritten copy of a subtree (``transform`` does not descend into replacements)."""
    return node.copy().transform(_rewrite, copy=False)


def _rewrite(node: exp.Expr) -> exp.Expr:
    if isinstance(node, exp.CountIf) and not isinstance(node.this, exp.Coalesce):
        # Trino's count_if is 0 when the condition is never true; DuckDB's is NULL when the
        # condition is NULL on every row of a group (a status of '-', say).
        return exp.CountIf(this=exp.Coalesce(this=_rewritten(node.this), expressions=[exp.false()]))
    if isinstance(node, exp.Try):
        inner = node.this
        if isinstance(inner, exp.ParseDatetime):
            return _strptime(inner, safe=True)
        if isinstance(inner, exp.Anonymous) and inner.name.lower() == "url_decode":
            return _rewrite(inner)
        return node
    if isinstance(node, exp.ParseDatetime):
        return _strptime(node, safe=False)
    if isinstance(node, exp.Anonymous) and node.name.lower() == "url_decode":
        (argument,) = node.expressions
        plus_as_space = exp.Replace(
            this=_rewritten(argument),
            expression=exp.Literal.string("+"),
            replacement=exp.Literal.string(" "),
        )
        return exp.Anonymous(this="URL_DECODE", expressions=[plus_as_space])
    if isinstance(node, exp.ArrayContains):
        network, address = node.this, node.expression
        if (
            isinstance(address, exp.Cast)  # TryCast is a Cast
            and address.to.is_type(exp.DataType.Type.IPADDRESS)
            and isinstance(network, exp.Literal)
            and network.is_string
        ):
            return ip_network_predicate(_rewritten(address.this), network.this)
        return node
    if isinstance(node, exp.ApproxQuantile):
        return exp.PercentileDisc(
            this=_rewritten(node.this), expression=_rewritten(node.args["quantile"])
        )
    return node


def to_duckdb(sql: str | exp.Expr, *, pretty: bool = True) -> str:
    """Athena SQL (text or a parsed tree) as DuckDB SQL; :class:`TemplateError` if some
    construct has no DuckDB form."""
    tree = parse_athena(sql) if isinstance(sql, str) else sql.copy()
    rewritten = tree.transform(_rewrite, copy=False)
    for node in rewritten.find_all(exp.DataType):
        if node.is_type(exp.DataType.Type.IPADDRESS):
            raise TemplateError("IPADDRESS is only supported in contains('<cidr>', ...)")
    return rewritten.sql(dialect="duckdb", pretty=pretty)
