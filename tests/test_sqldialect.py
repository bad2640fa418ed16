"""Athena -> DuckDB rewrites and the DuckDB macros, checked against Python."""

from __future__ import annotations

import ipaddress
from datetime import datetime

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from s3logs_athena.errors import TemplateError
from s3logs_athena.templates.dialect import install_duckdb_macros, parse_athena, to_duckdb
from s3logs_athena.templates.partitions import RAW_REQUEST_TIME_SQL


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    install_duckdb_macros(connection)
    install_duckdb_macros(connection)  # idempotent
    return connection


def python_hex(text: str) -> str | None:
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if "%" in text:  # scoped IPv6: not an address to Trino either
        return None
    if address.version == 4:
        return f"{0xFFFF << 32 | int(address):032x}"
    return f"{int(address):032x}"


ADDRESS_TEXTS = [
    "1.2.3.4",
    "255.255.255.255",
    "0.0.0.0",
    "01.2.3.4",
    "256.1.1.1",
    "1.2.3",
    "-",
    "",
    "::",
    "::1",
    "1::",
    "2001:db8::1",
    "2001:DB8::A",
    "::ffff:1.2.3.4",
    "1:2:3:4:5:6:7:8",
    "1:2:3:4:5:6:7::",
    "::2:3:4:5:6:7:8",
    "1:2:3:4::5:6:7:8",
    "1:2:3:4:5:6:7:8:9",
    "1::2::3",
    "1:::2",
    "12345::",
    "g::1",
    ":1:2:3:4:5:6:7",
    "1:2:3:4:5:6:7:",
    "1:2:3:4:5:6:1.2.3.4",
    "1:2:3:4:5:6:7:1.2.3.4",
    "::1.2.3.256",
    "fe80::1%eth0",
]


@pytest.mark.parametrize("text", ADDRESS_TEXTS)
def test_ip_hex_macro(con: duckdb.DuckDBPyConnection, text: str) -> None:
    assert con.execute("SELECT s3logs_ip_hex(?)", [text]).fetchone() == (python_hex(text),)


def ip_hex_all(con: duckdb.DuckDBPyConnection, texts: list[str]) -> list[str | None]:
    """s3logs_ip_hex of many texts in one query (binding the macros is the slow part)."""
    sql = (
        "SELECT s3logs_ip_hex(t) FROM unnest(CAST(? AS VARCHAR[])) WITH ORDINALITY u(t, i) "
        "ORDER BY i"
    )
    return [row[0] for row in con.execute(sql, [texts]).fetchall()]


IPV6_TEXTS = st.builds(
    lambda address, form: (
        address.exploded
        if form == "exploded"
        else address.compressed.upper()
        if form == "upper"
        else address.compressed
    ),
    st.ip_addresses(v=6),
    st.sampled_from(["compressed", "exploded", "upper"]),
)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.one_of(IPV6_TEXTS, st.ip_addresses(v=4).map(str)), min_size=1, max_size=60))
def test_ip_hex_macro_any_address(con: duckdb.DuckDBPyConnection, texts: list[str]) -> None:
    assert ip_hex_all(con, texts) == [python_hex(t) for t in texts]


NETWORKS = st.one_of(
    st.builds(
        lambda a, p: ipaddress.ip_network(f"{a}/{p}", strict=False),
        st.ip_addresses(v=4),
        st.integers(0, 32),
    ),
    st.builds(
        lambda a, p: ipaddress.ip_network(f"{a}/{p}", strict=False),
        st.ip_addresses(v=6),
        st.integers(0, 128),
    ),
)


@settings(max_examples=60, deadline=None)
@given(NETWORKS, st.lists(st.one_of(st.ip_addresses(), st.just("-")), min_size=1, max_size=30))
def test_contains_matches_python(
    con: duckdb.DuckDBPyConnection,
    network: ipaddress.IPv4Network | ipaddress.IPv6Network,
    addresses: list[object],
) -> None:
    # Addresses near the network too, so that both outcomes occur.
    texts = [str(a) for a in addresses] + [
        str(network.network_address),
        str(network.broadcast_address),
        network.broadcast_address.exploded.upper(),
    ]
    sql = to_duckdb(
        f"SELECT remoteip FROM t WHERE contains('{network}', try_cast(remoteip AS IPADDRESS))"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE t AS SELECT unnest(CAST(? AS VARCHAR[])) AS remoteip", [texts]
    )
    got = sorted(row[0] for row in con.execute(sql).fetchall())

    def inside(text: str) -> bool:
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            return False
        mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
        return (
            address in network
            or (mapped is not None and mapped in network)
            or (
                address.version == 4
                and network.version == 6
                and ipaddress.IPv6Address(0xFFFF << 32 | int(address)) in network
            )
        )

    assert got == sorted(t for t in texts if inside(t))


def test_request_time_parses_to_utc(con: duckdb.DuckDBPyConnection) -> None:
    sql = to_duckdb(
        f"SELECT {RAW_REQUEST_TIME_SQL} AS t FROM (VALUES ('06/Feb/2019:00:00:38 +0000'), "
        "('06/Feb/2019:23:59:59 +0200'), ('-')) v(requestdatetime)",
        pretty=False,
    )
    assert "TRY_STRPTIME(requestdatetime, '%d/%b/%Y:%H:%M:%S %z')" in sql
    assert [r[0] for r in con.execute(sql).fetchall()] == [
        datetime(2019, 2, 6, 0, 0, 38),
        datetime(2019, 2, 6, 21, 59, 59),
        None,
    ]


def test_url_decode_reads_plus_as_space(con: duckdb.DuckDBPyConnection) -> None:
    sql = to_duckdb(
        "SELECT coalesce(try(url_decode(k)), k) FROM (VALUES ('a+b%2Bc%20d'), ('%zz')) v(k)"
    )
    assert "TRY(" not in sql
    assert [r[0] for r in con.execute(sql).fetchall()] == ["a b+c d", "%zz"]


def test_approx_percentile_becomes_exact(con: duckdb.DuckDBPyConnection) -> None:
    sql = to_duckdb("SELECT approx_percentile(x, 0.5) FROM (VALUES (1), (2), (3), (10)) v(x)")
    assert "QUANTILE_DISC" in sql
    assert con.execute(sql).fetchone() == (2,)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 1; SELECT 2",
        "DROP TABLE x",
        "SELECT (",
        "SELECT parse_datetime(x, 'yyyy-MM-dd''T''HH') FROM t",
        "SELECT CAST(x AS IPADDRESS) FROM t",
    ],
)
def test_refused(sql: str) -> None:
    with pytest.raises(TemplateError):
        to_duckdb(parse_athena(sql) if sql.startswith("SELECT CAST") else sql)
