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
    assert data.bulk_downloads.empty
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


# -- bulk downloads: judged day by day ------------------------------------------------------


@pytest.fixture(scope="module", params=[(7, 1), (3, 2)], ids=["7-days-seed-1", "3-days-seed-2"])
def week(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[GeneratedDataset, Path]:
    """The demo's traffic (3 buckets, 24 log objects per bucket and day) over 7 or 3 days:
    a CloudFront origin identity pulls GBs every day from one address."""
    days, seed = request.param
    dataset = small_dataset(days=days, seed=seed, objects_per_day=24, records_per_object=200)
    cache = tmp_path_factory.mktemp("cache")
    ingest(write_partitions(dataset, tmp_path_factory.mktemp("bucket")), cache)
    return dataset, cache


def test_the_planted_download_is_the_only_bulk_download_over_days(
    week: tuple[GeneratedDataset, Path],
) -> None:
    """Only the planted download is found, on its day, against a typical day of 0; a range
    total threshold (the old rule, --bulk-min-bytes) lets steady traffic in as the range
    grows."""
    dataset, cache = week
    bulk = dataset.truth.bulk_download
    assert bulk is not None
    data = run_report(whole_range(dataset, cache))
    rows = data.bulk_downloads
    assert list(zip(rows["requester"], rows["remoteip"], strict=True)) == [
        (bulk.requester, bulk.remote_ip)
    ]
    assert rows.loc[0, "day"] == bulk.start.date() and rows.loc[0, "typical_day_bytes"] == 0
    assert data.findings()["bulk downloads"] == 1
    if dataset.config.days == 7:
        total = run_report(whole_range(dataset, cache, bulk_min_bytes="10GiB"))
        assert len(total.bulk_downloads) > 1  # a CDN's week outgrows the threshold
        assert "CloudFront" in " ".join(total.bulk_downloads["requester"])


def test_the_report_says_how_bulk_downloads_were_judged(
    data: ReportData, dataset: GeneratedDataset, cache: Path, tmp_path: Path
) -> None:
    note = data.sections()["bulk-downloads"].note or ""
    assert "at least 10 GB in one UTC day" in note and "4 times its typical day" in note
    assert "median of its other days" in note and "--bulk-min-bytes" in note
    page = data.write_html(tmp_path / "r.html").read_text(encoding="utf-8")
    assert "at least 10 GB in one UTC day" in page and "GiB" not in page.split("<script>")[0]
    one_day = ReportOptions(dataset.truth.start, dataset.truth.start, cache_dir=cache)
    assert "One day has no other day" in (
        run_report(one_day).sections()["bulk-downloads"].note or ""
    )
    total = run_report(whole_range(dataset, cache, bulk_min_bytes="50GB"))
    assert (total.sections()["bulk-downloads"].note or "").startswith(
        "A requester and address whose GETs received at least 50 GB in total over the range"
    )
    assert set(total.results["bulk_downloads"].frame.columns) >= {"requester", "bytes_sent"}
    assert "day" not in total.bulk_downloads.columns  # the template's rows, as they came


def test_bulk_thresholds_are_checked() -> None:
    with pytest.raises(InputError, match="--bulk-per-day 'x'"):
        ReportOptions(date(2024, 3, 4), date(2024, 3, 4), bulk_min_bytes_per_day="x")
    with pytest.raises(InputError, match=r"--bulk-factor 0\.5"):
        ReportOptions(date(2024, 3, 4), date(2024, 3, 4), bulk_baseline_factor=0.5)
    options = ReportOptions(date(2024, 3, 4), date(2024, 3, 4))
    assert options.bulk_min_bytes_per_day == 10 * 10**9 and options.bulk_min_bytes is None
    assert options.templates()["bulk_downloads"] == "bulk-download-days"
    explicit = ReportOptions(date(2024, 3, 4), date(2024, 3, 4), bulk_min_bytes="1GB")
    assert explicit.templates()["bulk_downloads"] == "bulk-downloads"
    assert explicit.query_params("bulk_downloads")["min_bytes"] == 10**9


# -- what the page says about the range -----------------------------------------------------


def test_an_empty_range_says_why_and_what_the_cache_holds(cache: Path, tmp_path: Path) -> None:
    data = run_report(ReportOptions(date(2020, 1, 1), date(2020, 1, 2), cache_dir=cache))
    notice = data.notice() or ""
    assert "No log records from 2020-01-01 to 2020-01-02" in notice
    assert "2 days" in notice and "no row matched" in notice
    # the typed cache files records by request day: the dataset's two days
    assert f"The cache at {cache} holds records of 2024-03-04 to 2024-03-05" in notice
    page = data.write_html(tmp_path / "empty.html").read_text(encoding="utf-8")
    assert '<p class="notice">No log records from 2020-01-01' in page
    assert "No rows. No log records in this range" in page


def test_an_unknown_bucket_and_an_empty_cache_are_explained(cache: Path, tmp_path: Path) -> None:
    other = run_report(
        ReportOptions(date(2024, 3, 4), date(2024, 3, 4), cache_dir=cache, buckets=("nope",))
    )
    assert "No log records for nope from 2024-03-04" in (other.notice() or "")
    assert ", of the buckets " in (other.notice() or "")
    empty_cache = tmp_path / "cache"
    (empty_cache / "parquet").mkdir(parents=True)
    from s3logs_athena.report.sections import coverage_notice

    other.options = ReportOptions(date(2024, 3, 4), date(2024, 3, 4), cache_dir=empty_cache)
    assert "holds no log partitions: fill it with s3logs-athena sync" in (
        coverage_notice(other) or ""
    )


def test_days_without_records_are_named(
    data: ReportData, dataset: GeneratedDataset, cache: Path
) -> None:
    assert data.notice() is None
    start = dataset.truth.start
    wider = run_report(
        ReportOptions(start - timedelta(days=3), start + timedelta(days=4), cache_dir=cache)
    )
    assert wider.notice() == (
        f"No log records on {start - timedelta(days=3)} to {start - timedelta(days=1)}, "
        f"{start + timedelta(days=2)} to {start + timedelta(days=4)} (6 of the 8 days asked): "
        "the figures cover the other days only."
    )


def test_the_tls_finding_is_coloured_by_its_reason(data: ReportData) -> None:
    section = data.sections()["insecure-transport"]
    assert section.chart is not None and section.chart.color == "reason"
    assert section.chart_frame is not None
    assert set(section.chart_frame["reason"]) <= {"plain HTTP", "TLSv1", "TLSv1.1", "SigV2",
                                                  "TLSv1 + SigV2", "TLSv1.1 + SigV2"}  # fmt: skip
    assert int(section.chart_frame["requests"].sum()) == int(section.frame["requests"].sum())
    assert section.frame.columns[0] == "reason"


def test_costs_under_a_cent_keep_their_digits(data: ReportData, tmp_path: Path) -> None:
    page = data.write_html(tmp_path / "r.html").read_text(encoding="utf-8")
    costs = data.frame("operations")["est_request_cost_usd"]
    small = float(costs[(costs > 0) & (costs < 0.01)].iloc[0])
    from s3logs_athena.report.cells import format_value

    shown = format_value(small, "est_request_cost_usd")
    assert shown != "$0.00" and abs(float(shown.lstrip("$")) - small) / small < 0.01
    assert f">{shown}<" in page


# -- in a browser, at 1400 and 800 pixels ------------------------------------------------------


@pytest.mark.browser
@pytest.mark.parametrize("width", [1400, 800])
def test_the_report_reads_well_in_chromium(data: ReportData, tmp_path: Path, width: int) -> None:
    """No cell or header wider than its box, no word broken across lines, no axis title on
    its labels, no page wider than the window; the unusual deleter in the highlight colour."""
    from s3logs_athena.report import HIGHLIGHT, MUTED

    from .browser import visit

    path = data.write_html(tmp_path / "report.html")
    seen = visit(path, width=width, height=1200, layout=True)
    assert seen.charts_state == "ok", seen.console_errors
    assert seen.console_errors == []
    assert seen.layout_problems == []
    assert sorted(seen.chart_fills["chart-deleters"]) == sorted([HIGHLIGHT, MUTED])
