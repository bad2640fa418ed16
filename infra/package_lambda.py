#!/usr/bin/env python3
"""Stage the Lambda code: only what each function imports.

    python infra/package_lambda.py            # writes build/lambda/ and build/compactor/
    sam build -t infra/template.yaml && sam deploy --guided

The function needs the standard library and boto3 (the python3.12 runtime provides boto3),
so nothing from ``pyproject.toml``'s dependencies is installed into the package: no DuckDB,
pandas, pyarrow or pyathena. Copied are the package's top-level modules (``__init__``
imports ``errors``, ``fields``, ``layout``, ``parser``: all standard library) and the
``mover`` subpackage; the CLI, the test doubles and the query/DDL resources stay out.
``tests/test_mover_imports.py`` imports the handler from a staged copy and checks that.

The compactor's two functions (``s3logs_athena.table.compaction.lambda_handler.schedule`` and
``.worker``) get ``build/compactor/``: the same top-level modules, the ``table`` room (DDL,
views, compaction) and the two ``templates`` modules the view uses (quoting, partitions).
pyarrow comes from a layer (the template's ``PyArrowLayerArn``); no jinja2, no DuckDB.
``tests/test_compactor_imports.py`` checks it the same way.

Standard library only, so it runs before anything is installed.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "s3logs_athena"
DEFAULT_OUT = REPO / "build" / "lambda"
DEFAULT_COMPACTOR_OUT = REPO / "build" / "compactor"
#: Subpackages the Lambda needs; every other subpackage (cli, testing, ...) stays out.
SUBPACKAGES = ("mover",)
#: What the compactor needs: whole subpackages, and single modules of others.
COMPACTOR_SUBPACKAGES = ("table", "table/compaction")
COMPACTOR_MODULES = ("templates/__init__.py", "templates/quoting.py", "templates/partitions.py")


def stage(out: Path = DEFAULT_OUT) -> list[Path]:
    """Write the Lambda's code tree to ``out`` (replacing it); the files written."""
    if out.exists():
        shutil.rmtree(out)
    target = out / "s3logs_athena"
    target.mkdir(parents=True)
    written = []
    for module in sorted(PACKAGE.glob("*.py")):
        written.append(Path(shutil.copy2(module, target / module.name)))
    for name in SUBPACKAGES:
        sub = target / name
        sub.mkdir()
        for module in sorted((PACKAGE / name).glob("*.py")):
            written.append(Path(shutil.copy2(module, sub / module.name)))
    return written


def stage_compactor(out: Path = DEFAULT_COMPACTOR_OUT) -> list[Path]:
    """Write the compactor's code tree to ``out`` (replacing it); the files written."""
    if out.exists():
        shutil.rmtree(out)
    target = out / "s3logs_athena"
    target.mkdir(parents=True)
    written = [Path(shutil.copy2(m, target / m.name)) for m in sorted(PACKAGE.glob("*.py"))]
    for name in COMPACTOR_SUBPACKAGES:
        (target / name).mkdir(parents=True, exist_ok=True)
        for module in sorted((PACKAGE / name).glob("*.py")):
            written.append(Path(shutil.copy2(module, target / name / module.name)))
    for relative in COMPACTOR_MODULES:
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        written.append(Path(shutil.copy2(PACKAGE / relative, target / relative)))
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the mover's directory")
    parser.add_argument(
        "--compactor-out", type=Path, default=DEFAULT_COMPACTOR_OUT, help="the compactor's"
    )
    args = parser.parse_args(argv)
    for out, files in ((args.out, stage(args.out)),
                       (args.compactor_out, stage_compactor(args.compactor_out))):  # fmt: skip
        size = sum(f.stat().st_size for f in files)
        print(f"staged {len(files)} files ({size / 1024:.0f} KiB) in {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
