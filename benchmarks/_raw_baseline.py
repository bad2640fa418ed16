"""The named baseline for what typing once at ingest buys: the raw-string cache and queries.

Before the typed schema, the cache held the raw table's strings (``requestdatetime`` as
``06/Feb/2019:00:00:38 +0000``, ``httpstatus`` as ``'200'``...), partitioned by delivery day,
and every template parsed them in every query (``parse_datetime``, ``try_cast``). This module
keeps that path, verbatim where it matters, so the benchmarks measure both in one process on
the same data:

* :func:`raw_ingest`: the former ingest: the same DuckDB split (its SQL as it was, with no
  typing), the parser's ``split_line`` for the lines it declined, Parquet per delivery-day
  partition;
* :data:`RAW_TEMPLATES` and :func:`render_raw`: five templates as they were, over the raw
  columns, rendered with the same helpers as then;
* :class:`RawEngine`: the former engine: a view over the raw Parquet, the SQL transpiled by
  the same translator.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from s3logs_athena.cache.splitter import SourceFile, _duckdb_friendly, _line_table
from s3logs_athena.engines.result import frame_from_arrow
from s3logs_athena.errors import LogParseError
from s3logs_athena.fields import FIELD_NAMES, LOG_FIELDS, TRAILING_FIELD
from s3logs_athena.parser import decode_line, split_line
from s3logs_athena.templates import get_template
from s3logs_athena.templates.catalog import LIST_OPERATIONS, _environment
from s3logs_athena.templates.dialect import install_duckdb_macros, to_duckdb
from s3logs_athena.templates.partitions import RAW_REQUEST_TIME_SQL, range_predicate
from s3logs_athena.templates.quoting import Sql, in_list, quote_identifier

__all__ = ["RAW_TEMPLATES", "RawEngine", "raw_ingest", "render_raw"]

_OPTIONAL = [f.name for f in LOG_FIELDS if f.optional]
_OP_SHAPE = r"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)+|-"
_MIDDLE_SHAPE = r" (?:-|[0-9]{3}) [^ ]+ (?:-|[0-9]+) (?:-|[0-9]+) (?:-|[0-9]+) (?:-|[0-9]+) "
_TIME_HEAD = r"\[[0-9]{2}/[A-Za-z]{3}/[0-9]{4}:[0-9]{2}:[0-9]{2}:[0-9]{2}"
_TIME_TAIL = r"[+-][0-9]{4}\]"
_BIGINT = {f.name for f in LOG_FIELDS if f.athena_type == "bigint"}


def _raw_fast_sql() -> str:
    """The former fast path: raw strings, no typing (as it was before the typed schema)."""
    head = {
        "bucketowner": "h[1]",
        "bucket_name": "h[2]",
        "requestdatetime": "h[3][2:] || ' ' || h[4][:-2]",
        "remoteip": "h[5]",
        "requester": "CASE WHEN n = 9 THEN h[6] ELSE array_to_string(h[6:n-3], ' ') END",
        "requestid": "h[n-2]",
        "operation": "h[n-1]",
        "key": "h[n]",
        "request_uri": "p[2]",
        "httpstatus": "m[2]",
        "errorcode": "m[3]",
        "bytessent": "TRY_CAST(m[4] AS BIGINT)",
        "objectsize": "TRY_CAST(m[5] AS BIGINT)",
        "totaltime": "m[6]",
        "turnaroundtime": "m[7]",
        "referrer": "p[4]",
        "useragent": "p[6]",
    }
    head.update({name: f"o[{i}]" for i, name in enumerate(_OPTIONAL, start=2)})
    head["trailing_fields"] = "NULL::VARCHAR"
    select = ",\n  ".join(f"{expr} AS {name}" for name, expr in head.items())
    ok = f"""
    len(p) = 7 AND p[5] = ' ' AND regexp_full_match(p[3], '{_MIDDLE_SHAPE}')
    AND (t = '' OR (starts_with(t, ' ') AND NOT contains(t, '  ') AND NOT suffix(t, ' ')))
    AND len(o) <= {len(_OPTIONAL) + 1}
    AND n >= 9 AND list_position(h, '') = n + 1
    AND regexp_full_match(h[3], '{_TIME_HEAD}') AND regexp_full_match(h[4], '{_TIME_TAIL}')
    AND (n = 9 OR NOT list_contains(h[10:n], '-'))
    AND regexp_full_match(h[n-1], '{_OP_SHAPE}')"""
    return f"""
SELECT {select}, file, idx
FROM (
  SELECT *
  FROM (
    SELECT *, len(h) - 1 AS n, string_split(p[3], ' ') AS m, string_split(t, ' ') AS o
    FROM (
      SELECT *, string_split(p[1], ' ') AS h, rtrim(p[-1], E'\\r\\n') AS t
      FROM (SELECT line, file, idx, string_split(line, '"') AS p FROM lines)
    )
  )
  WHERE coalesce({ok}, false)
)"""


_RAW_FAST_SQL = _raw_fast_sql()


def _raw_schema() -> pa.Schema:
    fields = [
        pa.field(f.name, pa.int64() if f.name in _BIGINT else pa.string())
        for f in (*LOG_FIELDS, TRAILING_FIELD)
    ]
    return pa.schema([*fields, pa.field("_source_file", pa.string())])


def _declined_rows(lines: list[str]) -> list[tuple[Any, ...]]:
    rows = []
    for line in lines:
        if not line.strip():
            continue
        try:
            raw: list[Any] = list(split_line(line))
        except LogParseError:
            continue
        for i, name in enumerate(FIELD_NAMES):
            if name in _BIGINT:
                raw[i] = int(raw[i]) if (raw[i] or "").isdigit() else None
        rows.append(tuple(raw))
    return rows


def raw_ingest(files: Sequence[SourceFile], out: Path, *, batch_bytes: int = 256 << 20) -> int:
    """The former ingest of ``files`` into raw-string Parquet under ``out`` (hive partitions by
    delivery day); returns the rows written."""
    schema = _raw_schema()
    con = duckdb.connect()
    ordered = sorted(files, key=lambda s: (s.partition, s.name))
    written = 0
    start = 0
    while start < len(ordered):
        size, stop = 0, start
        while stop < len(ordered) and size < batch_bytes:
            size += ordered[stop].path.stat().st_size
            stop += 1
        batch = ordered[start:stop]
        start = stop
        chunks, indexes, declined_tables = [], [], []
        for index, source in enumerate(batch):
            data = source.path.read_bytes()
            if not _duckdb_friendly(data):
                rows = _declined_rows([decode_line(x) for x in data.split(b"\n")])
                declined_tables.append((index, rows))
                continue
            chunks.append(data if data.endswith(b"\n") else data + b"\n")
            indexes.append(index)
        lines = _line_table(chunks, indexes)
        con.register("lines", lines)
        result = con.sql(_RAW_FAST_SQL).to_arrow_table()
        con.unregister("lines")
        declined = np.ones(lines.num_rows, dtype=bool)
        declined[result["idx"].to_numpy()] = False
        rest = lines.filter(pa.array(declined))
        by_file: dict[int, list[str]] = {}
        for file, text in zip(rest["file"].to_pylist(), rest["line"].to_pylist(), strict=True):
            by_file.setdefault(file, []).append(decode_line(text))
        declined_tables += [(f, _declined_rows(texts)) for f, texts in by_file.items()]
        types = pa.schema([*(schema.field(n) for n in FIELD_NAMES), pa.field("file", pa.int32())])
        pieces = [result.select([*FIELD_NAMES, "file"]).cast(types)]
        for file, rows in declined_tables:
            columns = list(zip(*rows, strict=True)) if rows else [()] * len(FIELD_NAMES)
            arrays = [
                pa.array(c, types.field(n).type) for n, c in zip(FIELD_NAMES, columns, strict=True)
            ]
            arrays.append(pa.array([file] * len(rows), pa.int32()))
            pieces.append(pa.Table.from_arrays(arrays, schema=types))
        table = pa.concat_tables(pieces)
        file_index = table["file"].to_numpy()
        if np.any(np.diff(file_index) < 0):  # as then: put the rows in file order
            order = np.argsort(file_index, kind="stable")
            table, file_index = table.take(pa.array(order)), file_index[order]
        names = pa.array([s.name for s in batch])
        table = table.drop_columns(["file"]).append_column(
            "_source_file", pc.take(names, pa.array(file_index))
        )
        # Files are sorted by partition, so each partition is one run of rows: slice it.
        partitions = sorted({s.partition for s in batch})
        number = {partition: i for i, partition in enumerate(partitions)}
        partition_of_row = np.array([number[s.partition] for s in batch])[file_index]
        bounds = np.searchsorted(partition_of_row, np.arange(len(partitions) + 1))
        for i, (year, month, day, bucket) in enumerate(partitions):
            part = table.slice(int(bounds[i]), int(bounds[i + 1] - bounds[i]))
            folder = out / f"year={year}" / f"month={month}" / f"day={day}" / f"bucket={bucket}"
            folder.mkdir(parents=True, exist_ok=True)
            pq.write_table(
                part, folder / f"{start}.parquet", compression="zstd", row_group_size=1 << 18
            )
            written += part.num_rows
    con.close()
    return written


# -- the five templates as they were -----------------------------------------------------------

RAW_TEMPLATES: dict[str, str] = {
    "requests-by-operation": """
WITH priced AS (
  SELECT
    bucket,
    operation,
    bytessent,
    CASE
      WHEN operation LIKE 'REST.DELETE.%'
        OR operation = 'REST.POST.MULTI_OBJECT_DELETE'
        OR operation LIKE 'BATCH.DELETE.%' THEN 'free'
      WHEN operation LIKE 'REST.PUT.%'
        OR operation LIKE 'REST.POST.%'
        OR operation IN ('REST.COPY.OBJECT', 'REST.COPY.PART')
        OR operation IN {{ list_operations }} THEN 'put'
      WHEN operation LIKE 'REST.%' OR operation LIKE 'WEBSITE.%' THEN 'get'
      ELSE 'free'
    END AS tier
  FROM {{ logs }}
  WHERE {{ in_range() }}
)
SELECT
  bucket,
  operation,
  count(*) AS requests,
  coalesce(sum(bytessent), 0) AS bytes_sent,
  (count_if(tier = 'put') * CAST({{ put_price_per_1000 }} AS double)
    + count_if(tier = 'get') * CAST({{ get_price_per_1000 }} AS double)) / 1000
    AS est_request_cost_usd
FROM priced
GROUP BY bucket, operation
ORDER BY est_request_cost_usd DESC, requests DESC, bucket, operation
""",
    "top-ips": """
SELECT
  remoteip,
  count(*) AS requests,
  coalesce(sum(bytessent), 0) AS bytes_sent,
  count_if(try_cast(httpstatus AS integer) >= 400) AS errors,
  count(DISTINCT requester) AS distinct_requesters,
  min({{ request_time }}) AS first_seen,
  max({{ request_time }}) AS last_seen
FROM {{ logs }}
WHERE {{ in_range() }}
GROUP BY remoteip
{% if by == "bytes" %}
ORDER BY bytes_sent DESC, requests DESC, remoteip
{% else %}
ORDER BY requests DESC, bytes_sent DESC, remoteip
{% endif %}
LIMIT {{ limit }}
""",
    "top-requesters": """
SELECT
  requester,
  count(*) AS requests,
  coalesce(sum(bytessent), 0) AS bytes_sent,
  count(DISTINCT remoteip) AS distinct_ips,
  count(DISTINCT bucket) AS buckets,
  min({{ request_time }}) AS first_seen,
  max({{ request_time }}) AS last_seen
FROM {{ logs }}
WHERE {{ in_range() }}
GROUP BY requester
{% if by == "bytes" %}
ORDER BY bytes_sent DESC, requests DESC, requester
{% else %}
ORDER BY requests DESC, bytes_sent DESC, requester
{% endif %}
LIMIT {{ limit }}
""",
    "access-denied": """
SELECT
  date_trunc('hour', {{ request_time }}) AS hour,
  requester,
  remoteip,
  count(*) AS requests
FROM {{ logs }}
WHERE {{ in_range() }}
  AND httpstatus = '403'
GROUP BY 1, 2, 3
ORDER BY hour, requests DESC, requester, remoteip
""",
    "latency-hotspots": """
SELECT
  bucket,
  operation,
  count(*) AS requests,
  approx_percentile(try_cast(totaltime AS bigint), 0.5) AS p50_total_ms,
  approx_percentile(try_cast(totaltime AS bigint), 0.9) AS p90_total_ms,
  approx_percentile(try_cast(totaltime AS bigint), 0.99) AS p99_total_ms,
  max(try_cast(totaltime AS bigint)) AS max_total_ms,
  approx_percentile(try_cast(turnaroundtime AS bigint), 0.5) AS p50_turnaround_ms,
  approx_percentile(try_cast(turnaroundtime AS bigint), 0.99) AS p99_turnaround_ms
FROM {{ logs }}
WHERE {{ in_range() }}
GROUP BY bucket, operation
HAVING count(*) >= {{ min_requests }}
ORDER BY p99_total_ms DESC, requests DESC, bucket, operation
LIMIT {{ limit }}
""",
}


def render_raw(name: str, params: Mapping[str, Any]) -> str:
    """Template ``name`` as it was (raw columns, parsed per query), as Athena SQL."""
    values = get_template(name).resolve_params(params)

    def in_range() -> Sql:
        return range_predicate(
            values["start"], values["end"], values["buckets"], time_column=RAW_REQUEST_TIME_SQL
        )

    context = {
        **values,
        "logs": Sql(f"{quote_identifier(values['database'])}.{quote_identifier(values['table'])}"),
        "in_range": in_range,
        "request_time": RAW_REQUEST_TIME_SQL,
        "list_operations": in_list(LIST_OPERATIONS),
    }
    return str(_environment().from_string(RAW_TEMPLATES[name]).render(context)).strip()


@dataclass
class RawResult:
    frame: Any
    seconds: float
    bytes_scanned: int


class RawEngine:
    """The former DuckDB engine: the raw table as a view over the raw-string Parquet."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def run(self, athena_sql: str) -> RawResult:
        con = duckdb.connect()
        try:
            con.execute("SET TimeZone = 'UTC'")
            install_duckdb_macros(con)
            con.execute("CREATE SCHEMA s3_access_logs_db")
            glob = (self.root / "year=*/month=*/day=*/bucket=*/*.parquet").as_posix()
            con.execute(
                "CREATE VIEW s3_access_logs_db.s3_access_logs AS SELECT * EXCLUDE (_source_file) "
                f"FROM read_parquet('{glob}', hive_partitioning = true, hive_types = "
                "{'year': INTEGER, 'month': INTEGER, 'day': INTEGER, 'bucket': VARCHAR})"
            )
            sql = to_duckdb(athena_sql, pretty=False)
            started = time.perf_counter()
            con.execute("PRAGMA enable_profiling = 'no_output'")
            table = con.sql(sql).to_arrow_table()
            profile = json.loads(con.get_profiling_information(format="json"))
            seconds = time.perf_counter() - started
        finally:
            con.close()
        return RawResult(
            frame_from_arrow(table), seconds, int(profile.get("io", {}).get("total_bytes_read", 0))
        )
