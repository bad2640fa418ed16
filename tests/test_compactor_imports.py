"""The compactor's Lambda path imports the standard library, boto3 and (to write) pyarrow:
no DuckDB, pandas, pyathena, jinja2, sqlglot, click or rich."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from .conftest import REPO_ROOT

HEAVY = ["duckdb", "pandas", "pyathena", "jinja2", "sqlglot", "click", "rich", "numpy"]

# Imports both entry points, renders the view and runs the worker on a message that is not
# a unit (no AWS call), then reports what was imported from where.
PROBE = textwrap.dedent(
    """
    import json, sys
    from datetime import date
    import s3logs_athena.table.compaction.lambda_handler as handler
    from s3logs_athena.table.ddl import TableSpec
    from s3logs_athena.table.views import Coverage, all_view_statement
    spec = TableSpec("s3://central-logs/PartitionedLogs/", bucket_projection="injected")
    view = all_view_statement(spec, Coverage.of([(date(2024, 1, 1), "b"), (date(2024, 1, 2), "b")]))
    event = {"Records": [{"messageId": "t", "body": "not a unit"}]}
    response = handler.worker(event, None)
    heavy = sorted(name for name in sys.modules if name.split(".")[0] in sys.argv[1:])
    print(json.dumps({"response": response, "heavy": heavy, "view": view[:40],
                      "package": handler.__file__, "schedule": callable(handler.schedule)}))
    """
)


def run_probe(cwd: Path, extra_path: Path | None = None) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPACTOR_")}
    env["AWS_DEFAULT_REGION"] = "us-east-1"
    if extra_path is not None:
        env["PYTHONPATH"] = str(extra_path)
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *HEAVY],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_the_installed_handlers_import_no_heavy_dependency(tmp_path: Path) -> None:
    result = run_probe(tmp_path)
    assert result["response"] == {"batchItemFailures": [{"itemIdentifier": "t"}]}
    assert result["heavy"] == []
    assert result["schedule"] is True
    assert str(result["view"]).startswith("CREATE OR REPLACE VIEW")


def test_the_staged_compactor_package_holds_only_its_path(tmp_path: Path) -> None:
    sys.path.insert(0, str(REPO_ROOT / "infra"))
    try:
        import package_lambda
    finally:
        sys.path.pop(0)
    out = tmp_path / "compactor"
    files = package_lambda.stage_compactor(out)
    shipped = {f.relative_to(out).as_posix() for f in files}
    assert "s3logs_athena/table/compaction/lambda_handler.py" in shipped
    assert "s3logs_athena/templates/quoting.py" in shipped
    assert not any(
        p.startswith(("s3logs_athena/cli/", "s3logs_athena/mover/", "s3logs_athena/cache/"))
        or p == "s3logs_athena/templates/catalog.py"
        for p in shipped
    )
    result = run_probe(tmp_path, extra_path=out)
    assert str(result["package"]).startswith(str(out))
    assert result["response"] == {"batchItemFailures": [{"itemIdentifier": "t"}]}
    assert result["heavy"] == []
