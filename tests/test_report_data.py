"""The report's queries and findings on a generated dataset, against its ground truth."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from s3logs_athena.cache import ingest
from s3logs_athena.errors import InputError
from s3logs_athena.generator import GeneratedDataset
from s3logs_athena.report.data import REPORT_QUERIES, ReportData, ReportOptions, run_report

from .report_support import assert_report_matches_truth, small_dataset, write_partitions


@pytest.fixture(scope="module")
def dataset() -> GeneratedDataset:
    return small_dataset()


@pytest.fixture(scope="module")
def cache(dataset: GeneratedDataset, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("bucket")
    cache = tmp_path_factory.mktemp("cache")
    ingest(write_partitions(dataset, root), cache)
    return cache


def whole_range(dataset: GeneratedDataset, cache: Path, **options: object) -> ReportOptions:
    truth = dataset.truth
    return ReportOptions(truth.start, truth.end - timedelta(days=1), cache_dir=cache, **options)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def data(dataset: GeneratedDataset, cache: Path) -> ReportData:
    return run_report(whole_range(dataset, cache))


def test_the_report_agrees_with_the_ground_truth(
    data: ReportData, dataset: GeneratedDataset, tmp_path: Path
) -> None:
    path = data.write_html(tmp_path / "report.html")
    assert_report_matches_truth(data, dataset, path.read_text(encoding="utf-8"))


def test_every_query_ran_and_every_section_has_its_chart(data: ReportData) -> None:
    assert set(data.results) == set(REPORT_QUERIES)
    assert all(r.engine == "duckdb" for r in data.results.values())
    sections = data.sections()
    charted = [key for key, section in sections.items() if section.chart is not None]
    assert all(not sections[key].frame.empty for key in charted), charted
    assert {"requests", "errors", "egress", "bulk-downloads", "deleters"} <= set(charted)


def test_progress_names_each_template(dataset: GeneratedDataset, cache: Path) -> None:
    seen: list[tuple[str, int, int]] = []
    run_report(whole_range(dataset, cache), progress=lambda *event: seen.append(event))
    total = len(REPORT_QUERIES)
    assert seen[0] == ("requests-by-day", 0, total)
    assert seen[-1] == ("done", total, total)


def test_thresholds_change_the_findings(dataset: GeneratedDataset, cache: Path) -> None:
    loose = run_report(
        whole_range(dataset, cache, bulk_min_bytes="1MB", burst_min_requests=1,
                    unusual_deletion_share=0.0001)
    )  # fmt: skip
    assert len(loose.bulk_downloads) > 1
    assert len(loose.access_denied_bursts) == len(loose.frame("access_denied"))
    assert len(loose.unusual_deleters) == len(loose.deleters) > 1


def test_a_bucket_filter_keeps_to_that_bucket(dataset: GeneratedDataset, cache: Path) -> None:
    bucket = dataset.truth.buckets[0].name
    data = run_report(whole_range(dataset, cache, buckets=(bucket,)))
    assert set(data.frame("requests")["bucket"]) == {bucket}
    assert data.summary()["requests"] == sum(
        s.requests for s in dataset.truth.per_day_bucket if s.bucket == bucket
    )


def test_a_range_without_data_gives_an_empty_report(cache: Path, tmp_path: Path) -> None:
    data = run_report(ReportOptions(date(2020, 1, 1), date(2020, 1, 2), cache_dir=cache))
    assert data.summary()["requests"] == 0
    assert data.deleters.empty and data.unusual_deletions.empty
    page = data.write_html(tmp_path / "empty.html").read_text(encoding="utf-8")
    assert "No rows." in page


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"start": date(2024, 3, 5), "end": date(2024, 3, 4)}, "is after --to"),
        ({"buckets": ("Not_A_Bucket",)}, "invalid bucket name"),
        ({"top": 0}, "--top 0"),
        ({"burst_min_requests": 0}, "--burst-min 0"),
        ({"unusual_deletion_share": 1.5}, "--deletion-share"),
        ({"bulk_min_bytes": "lots"}, "--bulk-min-bytes 'lots': 'lots' is not a byte count"),
    ],
)
def test_options_are_checked(changes: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {"start": date(2024, 3, 4), "end": date(2024, 3, 5), **changes}
    with pytest.raises(InputError, match=message):
        ReportOptions(**arguments)  # type: ignore[arg-type]


def test_byte_thresholds_take_units() -> None:
    options = ReportOptions(date(2024, 3, 4), date(2024, 3, 4), bulk_min_bytes="2GiB")
    assert options.bulk_min_bytes == 2 * 1024**3


def test_writing_onto_a_directory_is_refused(data: ReportData, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a directory"):
        data.write_html(tmp_path)
