"""Parameter types and validation."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from s3logs_athena.errors import InputError, ParameterError
from s3logs_athena.templates.params import COMMON_PARAMS, TemplateParam, parse_time, resolve_params

NOW = datetime(2024, 5, 10, 13, 45, 30)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-01", datetime(2024, 5, 1)),
        ("2024-05-01T12:00", datetime(2024, 5, 1, 12)),
        ("2024-05-01 12:00:05", datetime(2024, 5, 1, 12, 0, 5)),
        ("2024-05-01T12:00:00Z", datetime(2024, 5, 1, 12)),
        ("2024-05-01T12:00:00+02:00", datetime(2024, 5, 1, 10)),
        ("now", NOW),
        ("NOW", NOW),
        ("today", datetime(2024, 5, 10)),
        ("yesterday", datetime(2024, 5, 9)),
        ("-7d", NOW - timedelta(days=7)),
        ("-24h", NOW - timedelta(hours=24)),
        ("-30m", NOW - timedelta(minutes=30)),
        ("-2w", NOW - timedelta(weeks=2)),
        (" -1d ", NOW - timedelta(days=1)),
    ],
)
def test_time_forms(text: str, expected: datetime) -> None:
    assert parse_time(text, now=NOW) == expected


def test_time_python_values() -> None:
    assert parse_time(datetime(2024, 5, 1, 12, tzinfo=timezone(timedelta(hours=-5)))) == datetime(
        2024, 5, 1, 17
    )
    assert parse_time(datetime(2024, 5, 1, 12, tzinfo=UTC)) == datetime(2024, 5, 1, 12)
    assert parse_time(datetime(2024, 5, 1).date()) == datetime(2024, 5, 1)


@pytest.mark.parametrize(
    "text", ["2024-13-01", "2024-02-30", "7d", "+7d", "-7y", "soon", "", "1714560000"]
)
def test_bad_times(text: str) -> None:
    with pytest.raises(ValueError, match=r"2024|time|date"):
        parse_time(text, now=NOW)


def resolve(
    params: list[TemplateParam], given: dict[str, object], **kw: object
) -> dict[str, object]:
    return resolve_params([*COMMON_PARAMS, *params], given, now=NOW, **kw)  # type: ignore[arg-type]


def test_common_defaults_cover_the_last_day() -> None:
    values = resolve([], {})
    assert values["start"] == NOW - timedelta(days=1)
    assert values["end"] == NOW
    assert values["buckets"] is None
    assert values["database"] == "s3_access_logs_db"
    assert values["table"] == "s3_access_logs"


def test_fractions_of_a_second_round_up() -> None:
    # Log times are whole seconds: t >= 10.5 selects what t >= 11 selects.
    values = resolve([], {"start": "2024-05-01T00:00:10.5", "end": "2024-05-01T00:00:20.000001"})
    assert values["start"] == datetime(2024, 5, 1, 0, 0, 11)
    assert values["end"] == datetime(2024, 5, 1, 0, 0, 21)


def test_empty_range_is_an_error() -> None:
    with pytest.raises(ParameterError, match=r"end.*not after start"):
        resolve([], {"start": "2024-05-02", "end": "2024-05-02"})
    with pytest.raises(ParameterError, match="'end'"):
        resolve([], {"start": "2024-05-02", "end": "2024-05-01"})


def test_unknown_parameter_suggests() -> None:
    with pytest.raises(ParameterError, match="Did you mean 'start'") as info:
        resolve([], {"strat": "2024-05-01"})
    assert info.value.parameter == "strat"
    assert isinstance(info.value, InputError)


def test_none_means_not_given() -> None:
    assert resolve([], {"buckets": None})["buckets"] is None


def test_required() -> None:
    param = TemplateParam("requester", "string", "who", required=True)
    with pytest.raises(ParameterError, match="'requester': is required"):
        resolve([param], {})


def test_strings_are_kept_verbatim() -> None:
    param = TemplateParam("key", "string", "k")
    for text in ["it's", "a b", "--x", "/*", ";", "é\n\t\\", '"quoted"', "{{ x }}"]:
        assert resolve([param], {"key": text})["key"] == text
    for bad in ["", "a\x00b", 5, "\ud800"]:
        with pytest.raises(ParameterError, match="'key'"):
            resolve([param], {"key": bad})


def test_ints() -> None:
    param = TemplateParam("limit", "int", "n", minimum=1, maximum=100)
    assert resolve([param], {"limit": "20"})["limit"] == 20
    assert resolve([param], {"limit": 5})["limit"] == 5
    for bad in ["0", "101", "1.5", "ten", True, "1e3", 2.0]:
        with pytest.raises(ParameterError, match="'limit'"):
            resolve([param], {"limit": bad})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1073741824", 2**30),
        ("1GiB", 2**30),
        ("500MB", 500 * 10**6),
        ("1.5KiB", 1536),
        ("2 tb", 2 * 10**12),
        (1024, 1024),
    ],
)
def test_bytes(text: object, expected: int) -> None:
    param = TemplateParam("min_bytes", "bytes", "b", minimum=0)
    assert resolve([param], {"min_bytes": text})["min_bytes"] == expected


@pytest.mark.parametrize("text", ["1.5B", "-1", "1 GB of data", "GiB"])
def test_bad_bytes(text: str) -> None:
    with pytest.raises(ParameterError, match="'min_bytes'"):
        resolve([TemplateParam("min_bytes", "bytes", "b", minimum=0)], {"min_bytes": text})


def test_decimals() -> None:
    param = TemplateParam("price", "decimal", "p", minimum=0)
    assert resolve([param], {"price": "0.0004"})["price"] == Decimal("0.0004")
    assert resolve([param], {"price": 0.005})["price"] == Decimal("0.005")
    for bad in ["-1", "abc", "inf", "nan", True]:
        with pytest.raises(ParameterError, match="'price'"):
            resolve([param], {"price": bad})


def test_bools() -> None:
    param = TemplateParam("include_failed", "bool", "b", default=False)
    assert resolve([param], {})["include_failed"] is False
    for text, expected in [
        ("true", True),
        ("YES", True),
        ("1", True),
        ("off", False),
        (True, True),
    ]:
        assert resolve([param], {"include_failed": text})["include_failed"] is expected
    with pytest.raises(ParameterError, match="not true or false"):
        resolve([param], {"include_failed": "maybe"})


def test_enums() -> None:
    param = TemplateParam("by", "enum", "b", default="requests", choices=("bytes", "requests"))
    assert resolve([param], {"by": "Bytes"})["by"] == "bytes"
    with pytest.raises(ParameterError, match="Did you mean 'bytes'"):
        resolve([param], {"by": "byte"})


@pytest.mark.parametrize(
    ("text", "network"),
    [
        ("203.0.113.7", "203.0.113.7/32"),
        ("203.0.113.0/24", "203.0.113.0/24"),
        ("203.0.113.9/24", "203.0.113.0/24"),
        ("2001:db8::1", "2001:db8::1/128"),
        ("2001:DB8::/32", "2001:db8::/32"),
    ],
)
def test_ip_networks(text: str, network: str) -> None:
    param = TemplateParam("ip", "ip_network", "ip", required=True)
    assert resolve([param], {"ip": text})["ip"] == ipaddress.ip_network(network)


@pytest.mark.parametrize("text", ["203.0.113", "10.0.0.0/33", "localhost", "1.2.3.4'--", "::g"])
def test_bad_ip_networks(text: str) -> None:
    with pytest.raises(ParameterError, match="not an IP address or CIDR"):
        resolve([TemplateParam("ip", "ip_network", "ip")], {"ip": text})


def test_buckets() -> None:
    values = resolve([], {"buckets": " app-assets, app-uploads,app-assets,"})
    assert values["buckets"] == ("app-assets", "app-uploads")
    assert resolve([], {"buckets": ["a-b-c"]})["buckets"] == ("a-b-c",)
    assert resolve([], {"buckets": ""})["buckets"] is None
    for bad in ["Bad_Bucket", "x", "a'b", "192.168.1.1", ["ok-bucket", "no"]]:
        with pytest.raises(ParameterError, match=r"'buckets'.*invalid bucket name"):
            resolve([], {"buckets": bad})


def test_identifiers() -> None:
    assert resolve([], {"database": "my_db", "table": "Logs2"})["table"] == "Logs2"
    for bad in ['a"b', "a.b", "1x", "a b", ""]:
        with pytest.raises(ParameterError, match="'table'"):
            resolve([], {"table": bad})


def test_one_of_and_at_most_one_of() -> None:
    key = TemplateParam("key", "string", "k")
    prefix = TemplateParam("prefix", "string", "p")
    with pytest.raises(ParameterError, match="give one of key, prefix"):
        resolve([key, prefix], {}, one_of=[("key", "prefix")])
    with pytest.raises(ParameterError, match="only one of key, prefix"):
        resolve([key, prefix], {"key": "a", "prefix": "b"}, one_of=[("key", "prefix")])
    with pytest.raises(ParameterError, match="only one of key, prefix"):
        resolve([key, prefix], {"key": "a", "prefix": "b"}, at_most_one_of=[("key", "prefix")])
    assert resolve([key, prefix], {}, at_most_one_of=[("key", "prefix")])["key"] is None
