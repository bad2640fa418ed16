"""The built wheel carries the ``ddl/`` and ``queries/`` templates and works when installed.

Builds the wheel, installs it (non-editable, ``--no-deps``) into a fresh venv that borrows
this environment's third-party packages through a ``.pth`` line (so nothing is downloaded),
and runs ``s3logs-athena ddl`` from there. Paths in a ``.pth`` line are added to
``sys.path`` without processing the ``.pth`` files they contain, so this checkout's editable
install does not leak into the new venv: the test asserts the package is imported from it.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from .conftest import FIXTURES, REPO_ROOT

pytestmark = pytest.mark.slow


def _run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


def _shipped_files(directory: str) -> set[str]:
    root = REPO_ROOT / directory
    return {
        path.relative_to(root).as_posix()
        for path in root.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    # With the build backend installed (the test extra has it) nothing is downloaded.
    isolation = ["--no-isolation"] if importlib.util.find_spec("hatchling") else []
    result = _run(
        sys.executable, "-m", "build", "--wheel", *isolation, "--outdir", out, REPO_ROOT,
        cwd=out,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    (built,) = out.glob("s3logs_athena-*.whl")
    return built


def test_wheel_contains_the_templates(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    for directory in ("ddl", "queries"):
        shipped = _shipped_files(directory)
        assert shipped, f"{directory}/ is empty"
        inside = {
            name.removeprefix(f"s3logs_athena/_resources/{directory}/")
            for name in names
            if name.startswith(f"s3logs_athena/_resources/{directory}/")
        }
        assert shipped <= inside, shipped - inside
    assert "s3logs_athena/ddl.py" in names


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A venv with the wheel installed (non-editable); its directory and purelib."""
    tmp_path = tmp_path_factory.mktemp("installed")
    venv = tmp_path / "venv"
    result = _run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    python = venv / "bin" / "python"
    purelib = _run(
        python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=tmp_path
    ).stdout.strip()
    # This environment's dependencies (boto3, click, jinja2, ...), after the venv's own.
    Path(purelib, "borrowed-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    result = _run(
        sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-deps",
        "--no-index", wheel, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return venv, purelib


def test_installed_wheel_runs_ddl(installed: tuple[Path, str], tmp_path: Path) -> None:
    venv, purelib = installed
    python = venv / "bin" / "python"
    probe = _run(
        python,
        "-c",
        "import s3logs_athena, s3logs_athena.resources as r; "
        "print(s3logs_athena.__file__); print(r.resource_dir('ddl')); "
        "print(r.resource_dir('queries'))",
        cwd=tmp_path,
    )
    assert probe.returncode == 0, probe.stderr
    package_file, ddl_dir, queries_dir = probe.stdout.splitlines()
    assert Path(package_file).is_relative_to(venv), "imported the checkout, not the wheel"
    assert Path(ddl_dir) == Path(purelib, "s3logs_athena", "_resources", "ddl")
    assert Path(queries_dir) == Path(purelib, "s3logs_athena", "_resources", "queries")

    command = venv / "bin" / "s3logs-athena"
    location = "s3://central-logs/PartitionedLogs/"
    result = _run(
        command, "ddl", "--location", location, "--buckets", "app-assets,app-uploads",
        "--years", "2020,2035", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    # By default the raw table, the compacted table and <table>_all (what `ddl` prints).
    expected = (FIXTURES / "ddl" / "create_all_enum.sql").read_text(encoding="utf-8")
    assert result.stdout == expected

    result = _run(command, "ddl", "--location", "not-a-uri", "--buckets", "a-b", cwd=tmp_path)
    assert result.returncode == 2
    assert "not an s3:// URI" in result.stderr and "Traceback" not in result.stderr


def test_installed_wheel_runs_the_demo(installed: tuple[Path, str], tmp_path: Path) -> None:
    """The quick start from an installed wheel: nothing read from the checkout (the deploy
    definitions, templates and test doubles the demo uses all ship in the package)."""
    venv, _ = installed
    out = tmp_path / "demo"
    result = _run(
        venv / "bin" / "s3logs-athena", "demo", "--buckets", "2", "--days", "1",
        "--objects-per-day", "4", "--out", out, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Demo summary" in result.stdout and "check again: ✓" in result.stdout
    assert (out / "report.html").is_file() and (out / "table.sql").is_file()
