"""The report shows what each query scanned and the total: on DuckDB estimated from the
cache's Parquet files under the partitions each query reads; on Athena Athena's figures,
next to the estimate when ``--max-bytes``/``--location`` made one, and the whole report is
refused before anything is sent when its estimate is over ``--max-bytes``."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from click.testing import CliRunner
from moto.athena.responses import AthenaResponse

from s3logs_athena.cache import ingest
from s3logs_athena.cli.main import cli
from s3logs_athena.generator import GeneratedDataset
from s3logs_athena.report.data import REPORT_QUERIES, ReportData, ReportOptions, run_report

from .report_support import small_dataset, write_partitions
from .test_report_athena import REGION, _queue_as_athena

LOG_BUCKET = "central-logs"


@pytest.fixture(scope="module")
def dataset() -> GeneratedDataset:
    return small_dataset()


@pytest.fixture(scope="module")
def cached(dataset: GeneratedDataset, tmp_path_factory: pytest.TempPathFactory) -> ReportData:
    cache = tmp_path_factory.mktemp("cache")
    ingest(write_partitions(dataset, tmp_path_factory.mktemp("bucket")), cache)
    truth = dataset.truth
    return run_report(ReportOptions(truth.start, truth.start, cache_dir=cache))


def _parquet_bytes(cache: Path, days: list[Any]) -> int:
    total = 0
    for day in days:
        folder = cache / "parquet" / f"year={day.year}" / f"month={day.month}" / f"day={day.day}"
        total += sum(p.stat().st_size for p in folder.glob("bucket=*/*.parquet"))
    return total


def test_on_duckdb_each_query_is_estimated_from_the_cache(cached: ReportData) -> None:
    section = cached.sections()["data-scanned"]
    frame = section.frame
    assert list(frame["template"]) == [*REPORT_QUERIES.values(), ""]
    assert frame["query"].iloc[-1] == "Total"
    day = cached.options.start
    expected = _parquet_bytes(Path(str(cached.options.cache_dir)), [day, day + timedelta(days=1)])
    assert expected > 0
    per_query = frame["bytes_estimated"].iloc[:-1]
    assert (per_query == expected).all()  # each reads the day and the next (delivery lag)
    assert frame["bytes_estimated"].iloc[-1] == expected * len(REPORT_QUERIES)
    assert frame["bytes_scanned"].iloc[-1] == cached.bytes_scanned
    assert section.note is not None and "upper bounds" in section.note
    page = cached.write_html(Path(str(cached.options.cache_dir)) / "r.html").read_text("utf-8")
    assert "Data scanned" in page and f"{expected * len(REPORT_QUERIES):,}" in page


@pytest.fixture
def athena(monkeypatch: pytest.MonkeyPatch, dataset: GeneratedDataset, cached: ReportData) -> Any:
    from moto import mock_aws

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
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=LOG_BUCKET)
        layout = dataset.config.layout
        for log_object in dataset.log_objects:
            s3.put_object(
                Bucket=LOG_BUCKET, Key=layout.target_key(log_object.key), Body=log_object.body
            )
        for key in REPORT_QUERIES:
            _queue_as_athena(cached.frame(key))
        yield sent


def _report(options: ReportOptions, out: Path, *extra: str) -> Any:
    return CliRunner().invoke(
        cli,
        ["report", "--engine", "athena", "--from", str(options.start), "--to",
         str(options.end), "--workgroup", "analysts", "--region", REGION, "--out", str(out),
         "--location", f"s3://{LOG_BUCKET}/PartitionedLogs/", *extra],
    )  # fmt: skip


def test_an_athena_report_over_the_limit_is_refused(
    athena: list[str], cached: ReportData, tmp_path: Path
) -> None:
    out = tmp_path / "report.html"
    result = _report(cached.options, out, "--max-bytes", "100KB")
    assert result.exit_code == 2, result.output
    assert "refused: the report's 11 queries can scan up to" in result.stderr
    assert "Narrow --from/--to" in result.stderr and "nothing was sent to Athena" in result.stderr
    assert athena == [] and not out.exists()


def test_an_athena_report_shows_the_estimate_next_to_the_actual(
    athena: list[str], cached: ReportData, tmp_path: Path
) -> None:
    out = tmp_path / "report.html"
    result = _report(cached.options, out, "--max-bytes", "1GB")
    assert result.exit_code == 0, result.output
    assert len(athena) == len(REPORT_QUERIES)
    page = out.read_text(encoding="utf-8")
    assert "Data scanned" in page and "bytes_estimated" in page
    assert "DataScannedInBytes" in page
