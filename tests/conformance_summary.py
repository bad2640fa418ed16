"""Print the conformance numbers: ``python -m tests.conformance_summary [CORPUS_DIR]``.

Files, lines, lines parsed and rejected, expected values compared and agreeing (per source),
and every disagreement with the reason recorded for it in
``tests/fixtures/conformance-known-differences.json``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from . import conformance
from .conftest import CORPUS_DIR


def _short(value: object, width: int = 70) -> str:
    text = repr(conformance.jsonable(value))
    return text if len(text) <= width else text[: width - 3] + "..."


def main(argv: list[str]) -> int:
    root = Path(argv[0]) if argv else CORPUS_DIR
    if not root.is_dir():
        print(f"corpus not found at {root}", file=sys.stderr)
        return 2
    result = conformance.run(root)
    known = conformance.load_known_differences()
    reasons = {conformance.known_difference_key(e): e["reason"] for e in known["differences"]}
    why_rejected = {(e["file"], e["line"]): e["why"] for e in known["rejected_lines"]}

    print(f"corpus: {root}")
    print(f"files: {result.files}")
    print(f"lines: {result.lines}")
    print(f"lines parsed: {result.parsed}")
    print(f"lines rejected: {len(result.rejected)}")
    for (file, line), reason in sorted(result.rejected.items()):
        print(f"  {file}:{line}: {reason}")
        print(f"      why: {why_rejected.get((file, line), '(NOT IN THE KNOWN LIST)')}")
    print(
        f"lines with expected outputs: {result.lines_with_expectations} "
        f"({result.expectations} expectations from {len(result.by_source)} sources)"
    )
    print(f"expected values compared: {result.compared} (the parse outcome counts as one)")
    print(f"values that agree: {result.agreed}")
    print(f"values that disagree: {len(result.differences)}")
    width = max(len(source) for source in result.by_source)
    for source, (compared, agreed) in result.by_source.items():
        print(f"  {source:{width}}  {agreed:4d} / {compared:4d} agree")
    print("disagreements:")
    for d in result.differences:
        print(f"  {d.file}:{d.line} [{d.source}] {d.field}")
        print(f"      expected {_short(d.expected)}, ours {_short(d.actual)}")
        print(f"      reason: {reasons.get(d.key, '(NOT IN THE KNOWN LIST: a regression?)')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
