"""``s3logs-athena report``: writes the HTML, and says clearly what is wrong (exit 2)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from s3logs_athena.cache import ingest
from s3logs_athena.cli.main import cli

from .report_support import small_dataset, write_partitions


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dataset = small_dataset(buckets=2, days=1)
    cache = tmp_path_factory.mktemp("cache")
    ingest(write_partitions(dataset, tmp_path_factory.mktemp("bucket")), cache)
    return cache


def report(*args: str) -> Result:
    return CliRunner().invoke(cli, ["report", *args])


def test_writes_the_report_and_prints_its_path(cache: Path, tmp_path: Path) -> None:
    out = tmp_path / "sub" / "r.html"
    result = report("--from", "2024-03-04", "--to", "2024-03-04", "--cache", str(cache),
                    "--out", str(out), "--top", "3")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(out)
    assert "Report summary" in result.stderr and "11 queries on duckdb" in result.stderr
    page = out.read_text(encoding="utf-8")
    assert "Top 3 requesters by bytes" in page and "2024-03-04 to 2024-03-04" in page


def test_the_cache_comes_from_the_environment(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("S3LOGS_ATHENA_CACHE", str(cache))
    monkeypatch.chdir(tmp_path)
    result = report("--from", "2024-03-04", "--to", "2024-03-04")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "report.html").is_file()


DAY = ["--from", "2024-03-04", "--to", "2024-03-04"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2024-03-05", "--to", "2024-03-04"], "--from 2024-03-05 is after --to"),
        (["--from", "March", "--to", "2024-03-04"], "--from 'March' is not a date"),
        ([*DAY, "--buckets", "Bad_Name"], "invalid bucket name 'Bad_Name'"),
        ([*DAY, "--buckets", ","], "give at least one bucket name"),
        ([*DAY, "--bulk-min-bytes", "10XB"], "--bulk-min-bytes '10XB'"),
        ([*DAY, "--bulk-per-day", "lots"], "--bulk-per-day 'lots'"),
        ([*DAY, "--bulk-factor", "0.5"], "0.5 is not in the range x>=1"),
        ([*DAY, "--engine", "sqlite"], "'sqlite' is not one of"),
        ([*DAY, "--deletion-share", "0"], "--deletion-share"),
        (["--to", "2024-03-04"], "Missing option '--from'"),
    ],
)
def test_mistakes_exit_2_with_a_message(
    cache: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    result = report(*args, "--cache", str(cache), "--out", str(tmp_path / "r.html"))
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert not (tmp_path / "r.html").exists()


def test_an_empty_cache_says_how_to_fill_it(tmp_path: Path) -> None:
    result = report("--from", "2024-03-04", "--to", "2024-03-04", "--cache", str(tmp_path / "none"),
                    "--out", str(tmp_path / "r.html"))  # fmt: skip
    assert result.exit_code == 2
    assert "holds no data" in result.stderr and "s3logs-athena sync" in result.stderr


def test_a_directory_is_not_an_output_file(cache: Path, tmp_path: Path) -> None:
    result = report("--from", "2024-03-04", "--to", "2024-03-04", "--cache", str(cache),
                    "--out", str(tmp_path))  # fmt: skip
    assert result.exit_code == 2
    assert "is a directory" in result.stderr


def test_the_bulk_options_reach_the_report(cache: Path, tmp_path: Path) -> None:
    """--bulk-per-day/--bulk-factor tune the per-day rule; --bulk-min-bytes replaces it with a
    total over the range; the command's defaults are the library's."""
    from s3logs_athena.cli import report_cmd
    from s3logs_athena.report.options import ReportOptions

    defaults = ReportOptions(date(2024, 3, 4), date(2024, 3, 4))
    assert report_cmd.DEFAULT_BULK_MIN_BYTES_PER_DAY == "10GB"
    assert defaults.bulk_min_bytes_per_day == 10 * 10**9
    assert report_cmd.DEFAULT_BULK_BASELINE_FACTOR == defaults.bulk_baseline_factor
    out = tmp_path / "r.html"
    result = report(*DAY, "--cache", str(cache), "--out", str(out), "--bulk-per-day", "1MB",
                    "--bulk-factor", "2.5")  # fmt: skip
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert "at least 1 MB in one UTC day" in page and "2.5 times its typical day" in page
    result = report(*DAY, "--cache", str(cache), "--out", str(out), "--bulk-min-bytes", "1MB")
    assert result.exit_code == 0, result.output
    assert "at least 1 MB in total over the range" in out.read_text(encoding="utf-8")
