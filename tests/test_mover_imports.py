"""The Lambda code path imports only the standard library and boto3."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from .conftest import REPO_ROOT

HEAVY = ["duckdb", "pandas", "pyathena", "pyarrow", "jinja2", "sqlglot", "click", "rich"]
TEST_EVENT = (REPO_ROOT / "tests" / "fixtures" / "events" / "s3-test-event.json").read_text()

# Imports the handler, runs it on a test event, then reports what was imported from where.
PROBE = textwrap.dedent(
    """
    import json, sys
    import s3logs_athena.mover
    from s3logs_athena.mover import handler
    event = {"Records": [{"messageId": "t", "receiptHandle": "h", "body": sys.argv[1],
                          "attributes": {"ApproximateReceiveCount": "1"}}]}
    response = handler(event, None)
    heavy = sorted(name for name in sys.modules if name.split(".")[0] in sys.argv[2:])
    print(json.dumps({"response": response, "heavy": heavy,
                      "package": s3logs_athena.mover.__file__}))
    """
)


def run_probe(cwd: Path, extra_path: Path | None = None) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOVER_")}
    env["AWS_DEFAULT_REGION"] = "us-east-1"
    if extra_path is not None:
        env["PYTHONPATH"] = str(extra_path)
    done = subprocess.run(
        [sys.executable, "-c", PROBE, TEST_EVENT, *HEAVY],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_the_installed_handler_imports_no_heavy_dependency(tmp_path: Path) -> None:
    result = run_probe(tmp_path)
    assert result["response"] == {"batchItemFailures": []}
    assert result["heavy"] == []


def test_the_staged_lambda_package_holds_only_the_mover_path(tmp_path: Path) -> None:
    sys.path.insert(0, str(REPO_ROOT / "infra"))
    try:
        import package_lambda
    finally:
        sys.path.pop(0)
    out = tmp_path / "lambda"
    files = package_lambda.stage(out)
    shipped = {f.relative_to(out).as_posix() for f in files}
    assert "s3logs_athena/mover/runtime.py" in shipped
    assert not any(p.startswith(("s3logs_athena/cli/", "s3logs_athena/testing/")) for p in shipped)
    result = run_probe(tmp_path, extra_path=out)
    assert str(result["package"]).startswith(str(out))  # the staged copy, not the checkout
    assert result["response"] == {"batchItemFailures": []}
    assert result["heavy"] == []


def test_the_core_move_is_public_and_lazy() -> None:
    import s3logs_athena
    from s3logs_athena import mover

    assert s3logs_athena.move_object is mover.move_object
    assert s3logs_athena.MoveOutcome is mover.MoveOutcome
    done = subprocess.run(
        [sys.executable, "-c", "import sys, s3logs_athena; print('botocore' in sys.modules)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == "False"
