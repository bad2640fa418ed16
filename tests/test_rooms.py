"""The package's rooms: moved modules stay importable by their old names, and no module
grows past what a reader can hold (the house rule is ~500 lines)."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

import s3logs_athena

PACKAGE = Path(s3logs_athena.__file__).parent

#: old top-level module -> its room
MOVED = {
    "ddl": "table.ddl",
    "ddl_apply": "table.apply",
    "params": "templates.params",
    "partitions": "templates.partitions",
    "sqldialect": "templates.dialect",
    "sqlquote": "templates.quoting",
    "report_data": "report.data",
    "record_output": "cli.record_output",
    "deploy_spec": "demo.deploy_spec",
}

MAX_LINES = 520


@pytest.mark.parametrize(("old", "new"), sorted(MOVED.items()))
def test_old_module_name_is_the_moved_module(old: str, new: str) -> None:
    assert importlib.import_module(f"s3logs_athena.{old}") is importlib.import_module(
        f"s3logs_athena.{new}"
    )


def test_rooms_reexport_their_public_names() -> None:
    from s3logs_athena.doctor import DoctorCheck, run_doctor
    from s3logs_athena.report import Chart, run_report
    from s3logs_athena.table import TableSpec
    from s3logs_athena.templates import get_template

    assert Chart.__module__ == "s3logs_athena.report.charts"
    assert run_report.__module__ == "s3logs_athena.report.data"
    assert TableSpec.__module__ == "s3logs_athena.table.ddl"
    assert get_template.__module__ == "s3logs_athena.templates.catalog"
    assert run_doctor.__module__ == "s3logs_athena.doctor.run"
    assert DoctorCheck.__module__ == "s3logs_athena.doctor.base"


def test_no_module_is_too_long_to_read() -> None:
    too_long = {
        str(path.relative_to(PACKAGE)): n
        for path in PACKAGE.rglob("*.py")
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not too_long, f"split these modules into smaller ones: {too_long}"
