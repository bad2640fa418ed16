#!/usr/bin/env python3
"""Stage the mover's Lambda code: only what ``s3logs_athena.mover.handler`` imports.

    python infra/package_lambda.py            # writes build/lambda/ (the template's CodeUri)
    sam build -t infra/template.yaml && sam deploy --guided

The function needs the standard library and boto3 (the python3.12 runtime provides boto3),
so nothing from ``pyproject.toml``'s dependencies is installed into the package: no DuckDB,
pandas, pyarrow or pyathena. Copied are the package's top-level modules (``__init__``
imports ``errors``, ``fields``, ``layout``, ``parser``: all standard library) and the
``mover`` subpackage; the CLI, the test doubles and the query/DDL resources stay out.
``tests/test_mover_imports.py`` imports the handler from a staged copy and checks that.

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
#: Subpackages the Lambda needs; every other subpackage (cli, testing, ...) stays out.
SUBPACKAGES = ("mover",)


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    args = parser.parse_args(argv)
    files = stage(args.out)
    size = sum(f.stat().st_size for f in files)
    print(f"staged {len(files)} files ({size / 1024:.0f} KiB) in {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
