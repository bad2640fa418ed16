"""``examples/notebook.ipynb`` runs, top to bottom, against the demo's output."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from s3logs_athena.demo import run_demo

from .conftest import REPO_ROOT
from .test_demo import CONFIG

NOTEBOOK = REPO_ROOT / "examples" / "notebook.ipynb"


@pytest.mark.slow
def test_the_notebook_runs_against_the_demo_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    out = tmp_path / "demo"
    run_demo(replace(CONFIG, days=1, objects_per_day=4, out=out))
    monkeypatch.setenv("S3LOGS_DEMO_DIR", str(out))
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")
    client = nbclient.NotebookClient(
        notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": tmp_path}}
    )
    client.execute()  # raises CellExecutionError, with the cell, if any cell fails
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("image/svg+xml" in o.get("data", {}) for o in outputs)  # the chart was drawn
    printed = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "temp-contractor made" in printed and "bytes read" in printed
