"""The command as a process: Ctrl-C prints "Interrupted." and exits 130 leaving nothing a
rerun cannot recover, and a closed stdout (``| head``) ends quietly with 0."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from s3logs_athena.cache import ingest
from s3logs_athena.cli.main import cli

from .conftest import FIXTURES, REPO_ROOT
from .hostile_support import log_line

LOGS = FIXTURES / "logs" / "partitioned"


def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", "s3logs_athena", *args]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO_ROOT), "COLUMNS": "120"}


def test_ctrl_c_prints_interrupted_and_exits_130() -> None:
    """SIGINT while ``parse`` waits for more input on stdin."""
    process = subprocess.Popen(
        _command("parse"),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(),
    )
    assert process.stdin is not None and process.stdout is not None
    lines = "".join(
        log_line(time=f"01/Mar/2024:10:00:{n % 60:02d} +0000") + "\n" for n in range(900)
    )

    # More than one read's worth, written from a thread (the pipes are small): the first batch
    # is parsed and printed, then parse waits for the rest of its second read.
    def feed() -> None:
        assert process.stdin is not None
        with contextlib.suppress(BrokenPipeError):  # parse stops reading when interrupted
            process.stdin.write(lines.encode())

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    assert process.stdout.readline().startswith(b"{")  # it is running, past its imports
    process.send_signal(signal.SIGINT)
    try:
        _, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
        feeder.join(timeout=5)
    assert process.returncode == 130
    assert stderr.decode().strip() == "Interrupted."


def _interrupt_after(calls: int) -> Any:
    """A progress callback that raises KeyboardInterrupt (Ctrl-C) on its ``calls``-th call."""
    seen = {"n": 0}

    def progress(*_: Any) -> None:
        seen["n"] += 1
        if seen["n"] >= calls:
            raise KeyboardInterrupt

    return progress


def test_an_interrupted_ingest_is_completed_by_a_rerun(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import s3logs_athena.cache.local as local

    monkeypatch.setattr(local, "BATCH_BYTES", 1)  # one file per batch: interrupt between them
    real = local.ingest_files

    def interrupted(store: Any, files: Any, *, progress: Any = None) -> Any:
        return real(store, files, progress=_interrupt_after(2))

    monkeypatch.setattr(local, "ingest_files", interrupted)
    cache = tmp_path / "cache"
    result = CliRunner().invoke(cli, ["ingest", str(LOGS), "--cache", str(cache)])
    assert result.exit_code == 130
    assert "Interrupted." in result.stderr and "Traceback" not in result.output
    monkeypatch.setattr(local, "ingest_files", real)
    again = CliRunner().invoke(
        cli, ["ingest", str(LOGS), "--cache", str(cache), "--format", "json"]
    )
    assert again.exit_code == 0, again.output
    clean = ingest(LOGS, tmp_path / "clean")
    import json

    document = json.loads(again.stdout)
    assert document["files_ingested"] + document["files_unchanged"] == clean.files_ingested
    rows = CliRunner().invoke(
        cli,
        ["query", "run", "requests-by-day", "--cache", str(cache), "--format", "json",
         "-p", "start=2024-02-28", "-p", "end=2024-03-04"],
    )  # fmt: skip
    reference = CliRunner().invoke(
        cli,
        ["query", "run", "requests-by-day", "--cache", str(tmp_path / "clean"), "--format",
         "json", "-p", "start=2024-02-28", "-p", "end=2024-03-04"],
    )  # fmt: skip
    assert rows.stdout == reference.stdout  # nothing lost, nothing twice


def test_an_interrupted_report_leaves_the_previous_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from s3logs_athena.report.data import ReportData

    cache = tmp_path / "cache"
    ingest(LOGS, cache)
    out = tmp_path / "report.html"
    out.write_text("the previous report")

    def half_written(self: ReportData, path: Path, **_: Any) -> Path:
        Path(path).write_text("<html><body>half")
        raise KeyboardInterrupt

    monkeypatch.setattr(ReportData, "write_html", half_written)
    args = ["report", "--cache", str(cache), "--from", "2024-03-01", "--to", "2024-03-02"]
    result = CliRunner().invoke(cli, [*args, "--out", str(out)])
    assert result.exit_code == 130 and "Interrupted." in result.stderr
    assert out.read_text() == "the previous report"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no leftovers


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("cache")
    ingest(LOGS, directory)
    return directory


@pytest.mark.parametrize("output", ["table", "csv", "json"])
def test_a_closed_stdout_ends_quietly(cache: Path, output: str) -> None:
    """``query run ... | head -1``, at its worst: the reader is gone before the first write."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        process = subprocess.run(
            _command(
                "query",
                "run",
                "top-ips",
                "--cache",
                str(cache),
                "--format",
                output,
                "-p",
                "start=2024-03-01",
                "-p",
                "end=2024-03-03",
            ),
            stdout=write_end,
            stderr=subprocess.PIPE,
            env=_env(),
            timeout=120,
        )
    finally:
        os.close(write_end)
    stderr = process.stderr.decode()
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr and "Exception" not in stderr


def test_head_of_parse_ends_quietly() -> None:
    log = FIXTURES / "logs" / "formats.log"
    shell = f"{' '.join(_command('parse', '--format', 'csv', str(log)))} | head -1"
    process = subprocess.run(
        ["bash", "-o", "pipefail", "-c", shell], capture_output=True, env=_env(), timeout=120
    )
    assert process.returncode == 0, process.stderr
    assert process.stdout.decode().startswith("bucketowner,")
    assert process.stderr == b""
