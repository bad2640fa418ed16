"""The report on Athena (moto's Athena API): the templates' Athena SQL is what is sent, and the
results Athena returns make the same report as DuckDB's.

moto runs no SQL, so the rows each query returns are DuckDB's answers over the same logs,
turned into Athena's GetQueryResults format (strings plus column types) and queued in the
order the report runs its queries. The Athena engine's parsing and type normalisation and the
report's findings then have to come out exactly as on DuckDB, and as the ground truth says.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pandas as pd
import pytest
from click.testing import CliRunner
from moto import mock_aws
from moto.athena import athena_backends
from moto.athena.models import QueryResults
from moto.athena.responses import AthenaResponse
from moto.core import DEFAULT_ACCOUNT_ID

from s3logs_athena.cache import ingest
from s3logs_athena.cli.main import cli
from s3logs_athena.engines.athena import AthenaEngine
from s3logs_athena.generator import GeneratedDataset
from s3logs_athena.report.data import REPORT_QUERIES, ReportData, ReportOptions, run_report
from s3logs_athena.templates import render_template

from .report_support import assert_report_matches_truth, small_dataset, write_partitions

REGION = "us-east-1"


@pytest.fixture(scope="module")
def dataset() -> GeneratedDataset:
    return small_dataset()


@pytest.fixture(scope="module")
def options(dataset: GeneratedDataset, tmp_path_factory: pytest.TempPathFactory) -> ReportOptions:
    cache = tmp_path_factory.mktemp("cache")
    ingest(write_partitions(dataset, tmp_path_factory.mktemp("bucket")), cache)
    truth = dataset.truth
    return ReportOptions(truth.start, truth.end - timedelta(days=1), cache_dir=cache)


@pytest.fixture(scope="module")
def on_duckdb(options: ReportOptions) -> ReportData:
    return run_report(options)


def _athena_type(series: pd.Series) -> str:
    if pd.api.types.is_integer_dtype(series):
        return "bigint"
    if pd.api.types.is_float_dtype(series):
        return "double"
    if pd.api.types.is_datetime64_any_dtype(series):
        return "timestamp"
    if any(isinstance(v, date) for v in series.dropna()):
        return "date"
    return "varchar"


def _text(value: Any) -> str | None:
    if value is None or value is pd.NA or value is pd.NaT or value != value:
        return None
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _queue_as_athena(frame: pd.DataFrame) -> None:
    columns = [(str(name), _athena_type(frame[name])) for name in frame.columns]
    header = {"Data": [{"VarCharValue": name} for name, _ in columns]}
    rows = [
        {"Data": [{} if (t := _text(v)) is None else {"VarCharValue": t} for v in row]}
        for row in frame.astype(object).itertuples(index=False)
    ]
    info = [
        {"Name": n, "Label": n, "Type": kind, "Nullable": "UNKNOWN", "CatalogName": "hive",
         "SchemaName": "", "TableName": "", "Precision": 0, "Scale": 0, "CaseSensitive": False}
        for n, kind in columns
    ]  # fmt: skip
    backend = athena_backends[DEFAULT_ACCOUNT_ID][REGION]
    backend.query_results_queue.append(QueryResults(rows=[header, *rows], column_info=info))


@pytest.fixture
def athena(monkeypatch: pytest.MonkeyPatch, on_duckdb: ReportData) -> Iterator[list[str]]:
    """moto's Athena, answering the report's queries with DuckDB's rows; yields the SQL sent."""
    sent: list[str] = []
    start = AthenaResponse.start_query_execution

    def recording_start(self: AthenaResponse) -> Any:
        sent.append(json.loads(self.body)["QueryString"])
        return start(self)

    monkeypatch.setattr(AthenaResponse, "start_query_execution", recording_start)
    with mock_aws():
        boto3.client("athena", region_name=REGION).create_work_group(
            Name="analysts",
            Configuration={"ResultConfiguration": {"OutputLocation": "s3://results/"}},
        )
        for key in REPORT_QUERIES:
            _queue_as_athena(on_duckdb.frame(key))
        yield sent


def test_the_report_on_athena_is_the_report_on_duckdb(
    athena: list[str], options: ReportOptions, on_duckdb: ReportData,
    dataset: GeneratedDataset, tmp_path: Path,
) -> None:  # fmt: skip
    engine = AthenaEngine(workgroup="analysts", region=REGION, poll_interval=0.01)
    data = run_report(options, engine=engine)
    assert athena == [
        render_template(name, options.query_params(key)).sql for key, name in REPORT_QUERIES.items()
    ]
    for key in REPORT_QUERIES:
        pd.testing.assert_frame_equal(data.frame(key), on_duckdb.frame(key), check_dtype=False)
    page = data.write_html(tmp_path / "athena.html").read_text(encoding="utf-8")
    assert_report_matches_truth(data, dataset, page)


def test_the_command_runs_on_athena(
    athena: list[str], options: ReportOptions, tmp_path: Path
) -> None:
    out = tmp_path / "report.html"
    result = CliRunner().invoke(
        cli,
        ["report", "--engine", "athena", "--from", str(options.start), "--to", str(options.end),
         "--workgroup", "analysts", "--output-location", "s3://results/report/",
         "--region", REGION, "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert len(athena) == len(REPORT_QUERIES)
    assert "queries on athena" in result.stderr and "est. cost $" in result.stderr
    assert out.is_file()
