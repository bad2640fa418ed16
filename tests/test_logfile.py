"""Log files as people keep them: gzipped copies read transparently, other binaries refused."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pytest
from click.testing import CliRunner

from s3logs_athena.cache import ingest
from s3logs_athena.cli.main import cli
from s3logs_athena.errors import InputError
from s3logs_athena.logfile import BinaryFileError, looks_binary, open_log, read_log_bytes

from .conftest import FIXTURES
from .hostile_support import log_line

LOG = (FIXTURES / "logs" / "formats.log").read_bytes()
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4


def test_text_gzip_and_binary_are_told_apart() -> None:
    assert not looks_binary(LOG[:8192])
    assert looks_binary(PNG)
    assert not looks_binary(b"")
    # A NUL inside a real log line (a hostile User-Agent) does not make the file binary.
    assert not looks_binary(log_line("a\x00b").encode())


def test_open_log_gunzips_and_refuses_binary() -> None:
    assert open_log(io.BytesIO(gzip.compress(LOG)), "x.gz").read() == LOG
    two_members = gzip.compress(LOG[:100]) + gzip.compress(LOG[100:])  # `cat a.gz b.gz`
    assert open_log(io.BytesIO(two_members), "x.gz").read() == LOG
    assert open_log(io.BytesIO(LOG), "x").read() == LOG
    with pytest.raises(BinaryFileError, match=r"x\.png: binary, not a log"):
        open_log(io.BytesIO(PNG), "x.png")
    with pytest.raises(BinaryFileError, match="gzip of binary data"):
        open_log(io.BytesIO(gzip.compress(PNG)), "x.gz")


def test_a_damaged_gzip_is_one_error(tmp_path: Path) -> None:
    path = tmp_path / "cut.gz"
    path.write_bytes(gzip.compress(LOG * 50)[:-40])
    with pytest.raises(InputError, match="damaged or cut-short gzip"):
        read_log_bytes(path)


def test_parse_reads_gzip_like_text(tmp_path: Path) -> None:
    plain = CliRunner().invoke(cli, ["parse", str(FIXTURES / "logs" / "formats.log")])
    zipped = tmp_path / "formats.log.gz"
    zipped.write_bytes(gzip.compress(LOG))
    result = CliRunner().invoke(cli, ["parse", str(zipped)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == plain.stdout and result.stderr == ""
    piped = CliRunner().invoke(cli, ["parse"], input=gzip.compress(LOG))
    assert piped.exit_code == 0 and piped.stdout == plain.stdout


def test_parse_refuses_a_binary_file_before_writing(tmp_path: Path) -> None:
    image = tmp_path / "photo.png"
    image.write_bytes(PNG)
    result = CliRunner().invoke(cli, ["parse", str(FIXTURES / "logs" / "formats.log"), str(image)])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"Error: {image}: binary, not a log\n"


def test_ingest_reads_gzipped_copies_and_lists_binaries(tmp_path: Path) -> None:
    source = FIXTURES / "logs" / "partitioned"
    zipped = tmp_path / "zipped"
    for path in source.rglob("*"):
        if path.is_file():
            target = zipped / path.relative_to(source).with_name(path.name + ".gz")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(gzip.compress(path.read_bytes()))
    day = next(p for p in zipped.rglob("Day=*") if p.is_dir())
    bucket = next(day.iterdir())
    (bucket / "2024-03-01-00-00-00-FFFFFFFFFFFFFFFF").write_bytes(PNG)
    plain = ingest(source, tmp_path / "plain")
    report = ingest(zipped, tmp_path / "zipped-cache")
    assert (report.parse.records, report.parse.failed) == (plain.parse.records, plain.parse.failed)
    assert report.files_ingested == plain.files_ingested
    assert len(report.binary_files) == 1 and report.binary_files[0].endswith("FFFFFFFFFFFFFFFF")
    result = CliRunner().invoke(cli, ["ingest", str(zipped), "--cache", str(tmp_path / "c2")])
    assert result.exit_code == 0
    assert "binary, not logs" in result.stderr
