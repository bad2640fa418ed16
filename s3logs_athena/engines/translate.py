"""Athena (Trino) SQL to DuckDB SQL: sqlglot, plus what sqlglot leaves to us.

sqlglot transpiles most of Trino's dialect. The rest is rewritten here on the syntax tree,
before DuckDB SQL is generated, or supplied as functions registered on the connection
(:func:`register_functions`):

* ``parse_datetime(text, 'joda pattern')`` and ``format_datetime(ts, 'joda pattern')`` ->
  ``strptime``/``strftime`` with the pattern translated (sqlglot keeps the Joda pattern);
* ``contains(cidr, CAST(ip AS IPADDRESS))`` (an address in a network, v4 or v6) ->
  ``s3l_cidr_contains(cidr, ip)``; other casts to ``IPADDRESS`` -> ``s3l_ip`` (the address in
  canonical text form, so comparisons of addresses work);
* ``approx_percentile`` -> ``quantile_disc``: DuckDB's ``approx_quantile`` approximates
  differently from Athena; the exact percentile is within Athena's error bound and makes the
  local answer deterministic;
* ``to_iso8601`` and ``from_unixtime`` variants sqlglot does not map, as macros.

Only a single ``SELECT`` (or ``WITH ... SELECT``) statement is accepted.
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from typing import Any, cast

import duckdb
import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from ..errors import QueryError

__all__ = ["joda_to_strftime", "referenced_tables", "register_functions", "to_duckdb_sql"]

# Joda-Time pattern letters (what Trino's parse_datetime/format_datetime take) -> strftime.
_JODA = [
    ("yyyy", "%Y"),
    ("yy", "%y"),
    ("MMMM", "%B"),
    ("MMM", "%b"),
    ("MM", "%m"),
    ("M", "%-m"),
    ("dd", "%d"),
    ("d", "%-d"),
    ("HH", "%H"),
    ("H", "%-H"),
    ("hh", "%I"),
    ("mm", "%M"),
    ("ss", "%S"),
    ("SSSSSS", "%f"),
    ("SSS", "%g"),
    ("EEEE", "%A"),
    ("EEE", "%a"),
    ("a", "%p"),
    ("ZZ", "%z"),
    ("Z", "%z"),
]
_JODA_TOKEN = re.compile("|".join(re.escape(joda) for joda, _ in _JODA) + r"|'[^']*'|.", re.S)


def joda_to_strftime(pattern: str) -> str:
    """``dd/MMM/yyyy:HH:mm:ss Z`` -> ``%d/%b/%Y:%H:%M:%S %z``."""
    mapping = dict(_JODA)
    out = []
    for token in _JODA_TOKEN.findall(pattern):
        if token in mapping:
            out.append(mapping[token])
        elif token.startswith("'") and len(token) >= 2:
            out.append(token[1:-1].replace("%", "%%") or "'")
        elif token.isalpha():
            raise QueryError(f"date pattern {pattern!r}: letter {token!r} is not supported locally")
        else:
            out.append(token.replace("%", "%%"))
    return "".join(out)


def _literal_pattern(node: exp.Expression | None, function: str) -> str:
    if not isinstance(node, exp.Literal) or not node.is_string:
        raise QueryError(f"{function}: only a literal pattern can run on DuckDB")
    return str(node.this)


def _is_ip_cast(node: exp.Expression) -> bool:
    return isinstance(node, (exp.Cast, exp.TryCast)) and node.to.this == exp.DataType.Type.IPADDRESS


def _rewrite(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.ParseDatetime):
        pattern = joda_to_strftime(_literal_pattern(node.args.get("format"), "parse_datetime"))
        return exp.Anonymous(this="strptime", expressions=[node.this, exp.Literal.string(pattern)])
    if isinstance(node, exp.Anonymous) and str(node.this).lower() == "format_datetime":
        value, pattern_node = node.expressions
        pattern = joda_to_strftime(_literal_pattern(pattern_node, "format_datetime"))
        return exp.Anonymous(this="strftime", expressions=[value, exp.Literal.string(pattern)])
    if isinstance(node, exp.ArrayContains):
        network, address = node.this, node.expression
        if _is_ip_cast(address) or _is_ip_cast(network):
            address = address.this if _is_ip_cast(address) else address
            return exp.Anonymous(this="s3l_cidr_contains", expressions=[network, address])
    if _is_ip_cast(node):
        return exp.Anonymous(this="s3l_ip", expressions=[node.this])
    if isinstance(node, exp.ApproxQuantile):
        return exp.Anonymous(this="quantile_disc", expressions=[node.this, node.args["quantile"]])
    return node


def _parse(sql: str) -> exp.Expression:
    try:
        statements = [s for s in sqlglot.parse(sql, read="athena") if s is not None]
    except ParseError as exc:
        raise QueryError(f"the query is not valid Athena SQL: {exc}") from None
    if len(statements) != 1 or not isinstance(statements[0], exp.Query):
        raise QueryError("expected exactly one SELECT statement")
    return cast(exp.Expression, statements[0])


def to_duckdb_sql(athena_sql: str) -> str:
    """The DuckDB SQL for one Athena ``SELECT`` (see the module docstring)."""
    tree = _parse(athena_sql)
    # transform() does not descend into a node it replaced: repeat until nothing changes
    # (nested calls, e.g. format_datetime(parse_datetime(...))).
    for _ in range(10):
        rewritten = tree.transform(_rewrite)
        if rewritten == tree:
            break
        tree = rewritten
    return tree.sql(dialect="duckdb")


def referenced_tables(athena_sql: str) -> list[tuple[str | None, str]]:
    """The ``(database, table)`` pairs a query reads, CTE names excluded."""
    tree = _parse(athena_sql)
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    seen: list[tuple[str | None, str]] = []
    for table in tree.find_all(exp.Table):
        if not table.db and table.name.lower() in ctes:
            continue
        if isinstance(table.this, exp.Identifier):
            pair = (table.db or None, table.name)
            if pair not in seen:
                seen.append(pair)
    return seen


@lru_cache(maxsize=65536)
def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # Trino's IPADDRESS stores v4 as v4-mapped v6
    return address


@lru_cache(maxsize=1024)
def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


def _cidr_contains(network: str | None, address: str | None) -> bool | None:
    if network is None or address is None:
        return None
    net, ip = _network(network), _address(address)
    if net is None or ip is None:
        return None
    if ip.version != net.version:
        return False
    return ip in net


def _canonical_ip(text: str | None) -> str | None:
    address = None if text is None else _address(text)
    return None if address is None else str(address)


_MACROS = [
    # Trino's to_iso8601 of a timestamp: 2024-03-01T10:01:02.000
    "CREATE OR REPLACE MACRO to_iso8601(ts) AS strftime(ts::TIMESTAMP, '%Y-%m-%dT%H:%M:%S.%g')",
]


def register_functions(con: duckdb.DuckDBPyConnection) -> None:
    """Register the functions the rewritten SQL calls (they handle NULL themselves)."""
    special: Any = "special"  # FunctionNullHandling.SPECIAL, by name across duckdb versions
    con.create_function(
        "s3l_cidr_contains",
        _cidr_contains,
        ["varchar", "varchar"],
        "boolean",
        null_handling=special,
        side_effects=False,
    )
    con.create_function(
        "s3l_ip", _canonical_ip, ["varchar"], "varchar", null_handling=special, side_effects=False
    )
    for macro in _MACROS:
        con.execute(macro)
