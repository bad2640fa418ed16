"""The DuckDB engine over the typed fixture cache: the typed relations (``_all``, ``_typed``,
``_compacted``), the raw table's columns rendered back, partition pruning."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from s3logs_athena.cache import find_log_files, ingest
from s3logs_athena.engines import make_engine
from s3logs_athena.engines.duckdb import DuckDBEngine
from s3logs_athena.errors import InputError, QueryError
from s3logs_athena.fields import FIELD_NAMES
from s3logs_athena.parser import LogRecord, parse_line, split_line

from .conftest import FIXTURES

PARTITIONED = FIXTURES / "logs" / "partitioned"
TABLE = "s3_access_logs_db.s3_access_logs"


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("cache")
    ingest(PARTITIONED, directory)
    return directory


@pytest.fixture
def engine(cache: Path) -> Iterator[DuckDBEngine]:
    with DuckDBEngine(cache) as engine:
        yield engine


def _records() -> list[tuple[object, ...]]:
    rows = []
    for source in find_log_files(PARTITIONED)[0]:
        for line in source.path.read_text().splitlines():
            try:
                record = parse_line(line)
            except ValueError:
                continue
            rows.append((record, source))
    return rows


def _records_with_lines() -> list[tuple[LogRecord, str]]:
    rows = []
    for source in find_log_files(PARTITIONED)[0]:
        for line in source.path.read_text().splitlines():
            try:
                rows.append((parse_line(line), line))
            except ValueError:
                continue
    return rows


def test_the_table_has_athenas_columns_in_order(engine: DuckDBEngine) -> None:
    result = engine.run(f"SELECT * FROM {TABLE} LIMIT 1")
    assert list(result.frame.columns) == [*FIELD_NAMES, "year", "month", "day", "bucket"]
    assert str(result.frame["bytessent"].dtype) == "Int64"
    assert str(result.frame["year"].dtype) == "Int64"


def test_raw_values_are_what_the_serde_yields(engine: DuckDBEngine) -> None:
    frame = engine.run(
        f"SELECT requester, request_uri, bytessent, referrer, versionid FROM {TABLE} "
        "WHERE operation = 'S3.EXPIRE.OBJECT'"
    ).frame
    assert frame.to_dict("records") == [
        {
            "requester": "AmazonS3",
            "request_uri": "-",
            "bytessent": None,
            "referrer": "-",
            "versionid": "-",
        }
    ]
    oai = engine.run(f"SELECT requester FROM {TABLE} WHERE remoteip = '2001:db8::1'").frame
    assert oai["requester"].tolist() == [
        "arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2QWRUHAPOMQZL"
    ]


def test_partition_filters_prune_files(engine: DuckDBEngine, cache: Path) -> None:
    query = (
        f"SELECT count(*) AS n FROM {TABLE} "
        "WHERE year = 2024 AND month = 3 AND day = 2 AND bucket = 'app-uploads'"
    )
    plan = engine.explain(query)
    files = len(list(cache.rglob("*.parquet")))
    assert re.search(rf"Scanning Files:\s*1/{files}", plan), plan
    one = engine.run(query)
    assert one.frame["n"].tolist() == [4]
    everything = engine.run(f"SELECT count(*) AS n FROM {TABLE} WHERE requestdatetime IS NOT NULL")
    assert everything.frame["n"].tolist() == [39]
    assert one.bytes_scanned is not None and everything.bytes_scanned is not None
    assert 0 < one.bytes_scanned < everything.bytes_scanned


@pytest.mark.parametrize("relation", ["_all", "_typed", "_compacted"])
def test_typed_relations_hold_the_parsers_values(engine: DuckDBEngine, relation: str) -> None:
    frame = engine.run(
        "SELECT request_time, http_status, bytes_sent, remote_ip, request_id "
        f"FROM s3_access_logs_db.s3_access_logs{relation}"
    ).frame
    expected = {
        record.requestid: (
            record.requestdatetime,
            record.httpstatus,
            record.bytessent,
            record.remoteip,
        )
        for record, _ in _records()
    }
    got = {
        row.request_id: (
            row.request_time.to_pydatetime(),
            None if pd.isna(row.http_status) else row.http_status,
            None if pd.isna(row.bytes_sent) else row.bytes_sent,
            None if pd.isna(row.remote_ip) else row.remote_ip,
        )
        for row in frame.itertuples()
    }
    assert got == {k: (v[0].replace(tzinfo=None), *v[1:]) for k, v in expected.items()}  # type: ignore[union-attr]
    assert str(frame["request_time"].dtype).startswith("datetime64")


def test_the_raw_columns_are_rendered_back_from_the_typed_ones(engine: DuckDBEngine) -> None:
    raw = {
        record.requestid: dict(zip(FIELD_NAMES, split_line(line), strict=True))
        for record, line in _records_with_lines()
    }
    frame = engine.run(f"SELECT * FROM {TABLE}").frame
    assert len(frame) == len(raw) == 39
    for row in frame.to_dict("records"):
        expected = raw[row["requestid"]]
        for name in FIELD_NAMES:
            got = None if pd.isna(row[name]) else row[name]
            want = expected[name]
            if name in ("bytessent", "objectsize"):
                want = None if want == "-" else int(want)
            assert got == want, (row["requestid"], name)


def test_trino_functions_run_locally(engine: DuckDBEngine) -> None:
    frame = engine.run(
        "SELECT remoteip, contains('198.51.100.0/24', try_cast(remoteip AS IPADDRESS)) AS inside, "
        "date_trunc('hour', parse_datetime(requestdatetime, 'dd/MMM/yyyy:HH:mm:ss Z') "
        "AT TIME ZONE 'UTC') AS hour "
        f"FROM {TABLE} WHERE requestid = 'REQ0000000000004'"
    ).frame
    assert frame["remoteip"].tolist() == ["198.51.100.7"] and frame["inside"].tolist() == [True]
    assert frame["hour"].tolist() == [pd.Timestamp("2024-03-01 10:00:00")]


def test_parameters_and_results(engine: DuckDBEngine) -> None:
    result = engine.run(f"SELECT count(*) AS n FROM {TABLE} WHERE key = ?", ["reports/o'brien.csv"])
    assert result.frame["n"].tolist() == [2]
    assert result.engine == "duckdb" and result.cost_usd == 0.0 and result.seconds > 0
    frame = result.attach()
    assert frame.attrs["engine"] == "duckdb" and frame.attrs["bytes_scanned"] > 0
    assert datetime  # keeps the import honest for type checkers


def test_errors_say_what_to_do(tmp_path: Path, engine: DuckDBEngine) -> None:
    with DuckDBEngine(tmp_path) as empty, pytest.raises(InputError, match="holds no data"):
        empty.run(f"SELECT 1 FROM {TABLE}")
    with pytest.raises(QueryError, match="one SELECT"):
        engine.run(f"DROP TABLE {TABLE}")
    with pytest.raises(QueryError, match="DuckDB could not run"):
        engine.run(f"SELECT no_such_column FROM {TABLE}")
    with pytest.raises(InputError, match="unknown engine"):
        make_engine("spark")


def test_notebook_api_runs_sql_on_the_cache(cache: Path) -> None:
    import s3logs_athena

    frame = s3logs_athena.run_sql(
        f"SELECT bucket, count(*) AS n FROM {TABLE} GROUP BY bucket ORDER BY bucket",
        cache_dir=cache,
    )
    assert frame.to_dict("records") == [
        {"bucket": "app-assets", "n": 35},
        {"bucket": "app-uploads", "n": 4},
    ]
    assert frame.attrs["engine"] == "duckdb" and frame.attrs["bytes_scanned"] > 0
    assert frame.attrs["cost_usd"] == 0.0
