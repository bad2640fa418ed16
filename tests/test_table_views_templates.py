"""Every query template answers the same through ``<table>_all`` whatever part of the data is
compacted: on DuckDB, the view's own SQL (transpiled) over the raw table's strings and the
compacted Parquet, against the same view with nothing compacted (the typed raw table)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import boto3
import pandas as pd
import pytest
from moto import mock_aws

from s3logs_athena.engines.result import frame_from_arrow
from s3logs_athena.generator import GeneratorConfig
from s3logs_athena.layout import DEFAULT_DATABASE, DEFAULT_TABLE
from s3logs_athena.table.compaction import CompactionSettings, compact_partition
from s3logs_athena.table.names import all_view
from s3logs_athena.table.views import Coverage, all_view_query, read_coverage
from s3logs_athena.templates import QueryTemplate, list_templates
from s3logs_athena.templates.dialect import to_duckdb

from .compaction_support import LAYOUT, LOG_BUCKET, moved_dataset
from .test_table_views import SPEC, duckdb_over

CONFIG = GeneratorConfig(buckets=3, days=3, objects_per_day=24, records_per_object=60, seed=13)
D = CONFIG.start
TEMPLATES = list_templates()


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Coverage, list]]:
    """DuckDB with the raw and the compacted table of three generated days, everything
    compacted (the coverage the manifests give, and the compacted raw partitions)."""
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=LOG_BUCKET)
        dataset = moved_dataset(s3, CONFIG)
        settings = CompactionSettings(row_group_rows=4096, read_concurrency=8)
        pairs = [(D + timedelta(days=n), spec.name) for n in range(4) for spec in dataset.buckets]
        for day, bucket in pairs:
            compact_partition(s3, LOG_BUCKET, day, bucket, settings)
        con = duckdb_over(s3, tmp_path_factory.mktemp("views"))
        yield con, read_coverage(s3, LOG_BUCKET, LAYOUT), pairs
        con.close()


def _answer(con: Any, coverage: Coverage, template: QueryTemplate, params: dict[str, Any]) -> Any:
    relation = f'"{DEFAULT_DATABASE}"."{all_view(DEFAULT_TABLE)}"'
    con.execute(f"CREATE OR REPLACE VIEW {relation} AS {to_duckdb(all_view_query(SPEC, coverage))}")
    sql = template.render(params, dialect="duckdb", now=_now()).sql
    frame = frame_from_arrow(con.sql(sql).to_arrow_table())
    # Rows that tie in a template's ORDER BY may come in any order: compare as sets of rows.
    return frame.sort_values(list(frame.columns)).reset_index(drop=True) if len(frame) else frame


def _now() -> Any:
    from datetime import datetime

    return datetime(D.year, D.month, D.day) + timedelta(days=10)


WINDOWS = [
    {"start": D.isoformat(), "end": (D + timedelta(days=3)).isoformat()},
    {"start": f"{D + timedelta(days=1)}T21:30", "end": f"{D + timedelta(days=2)}T02:00"},
]


@pytest.mark.parametrize("template", TEMPLATES, ids=[t.name for t in TEMPLATES])
def test_the_view_answers_every_template_as_the_raw_table(
    template: QueryTemplate, tables: tuple[Any, Coverage, list]
) -> None:
    con, full, pairs = tables
    partial = Coverage.of(random.Random(template.name).sample(pairs, len(pairs) // 2))
    for window in WINDOWS:
        params = {**template.example, **window}
        raw = _answer(con, Coverage(), template, params)
        for coverage in (full, partial):
            pd.testing.assert_frame_equal(
                _answer(con, coverage, template, params), raw, check_dtype=False
            )


def test_the_templates_find_rows_in_the_generated_days(tables: tuple[Any, Coverage, list]) -> None:
    con, full, _ = tables
    answered = [
        t.name for t in TEMPLATES if len(_answer(con, full, t, {**t.example, **WINDOWS[0]}))
    ]
    assert len(answered) >= len(TEMPLATES) * 2 // 3, answered
    assert full.covered_days == 3 * 3  # three buckets, days 0-2 (day 3 awaits raw day 4)
