"""The table's regex before and after issue 9, on the JVM and in Python, on the same lines.

``python benchmarks/regex_jvm.py [--quick]``

The baseline is the regex the table had before issue 9 (:data:`BASELINE_REGEX`, kept here
verbatim); "new" is :func:`s3logs_athena.fields.record_regex`. Java runs them the way Hive's
and Trino's RegexSerDe do (``Pattern.compile(regex, DOTALL).matcher(line).matches()``, via
``tests/jvm/RegexCheck.java``), in a thread with a 512 KiB or 1 MiB stack. Printed:

1. Java: the longest user agent of only double quotes (in an otherwise valid line) that is
   decided without ``StackOverflowError``, each probe in a fresh JVM (cold, as a query's
   first lines are);
2. Java, 512 KiB stack: the outcome and milliseconds for hostile lines of 16, 32 and 64 KB
   (fastest of several runs, after warm-up): linear growth, or the overflow;
3. Java: characters the matcher reads per character of the line (counted, so independent of
   the machine) on lines cut short after record fragments: constant, or growing;
4. Java: microseconds per corpus line (the everyday cost in Athena);
5. Python: seconds per cut-short line of several lengths (the parser's path; the baseline
   is capped where it would take minutes);
6. Python: peak memory of a process matching a 1 MB and a 2 MB all-quote user agent.

Needs ``java`` and ``javac`` (JDK 11+). ``--quick`` uses small sizes (a smoke run).
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from _report import header
from parse import default_corpus, log_files

from s3logs_athena.fields import record_regex
from s3logs_athena.parser import RECORD_PATTERN, iter_line_batches
from s3logs_athena.testing import hostile_lines
from s3logs_athena.testing.jvm_regex import JavaMissing, compile_checker, java_tools, run_checker

REPO = Path(__file__).resolve().parent.parent
CHECKER = REPO / "tests" / "jvm" / "RegexCheck.java"

#: The table's ``input.regex`` before issue 9: quoted fields ``(?:"[^"]*+)*?``, requester words
#: ``(?: ++[^ ]++)*?`` (repeated groups: one Java stack frame set per repetition).
BASELINE_REGEX = (
    r"([^ ]++) ++([^ ]++) ++\[?((?<=\[)[^\]]*+(?=\])|-)\]? ++([^ ]++) ++([^ ]++(?: ++[^ ]++)*?)"
    r" ++([^ ]++) ++([A-Za-z0-9_-]++(?:\.[A-Za-z0-9_-]++)++|-) ++([^ ]++) ++"
    r'"?((?<=")[^"]*+(?:"[^"]*+)*?(?=")|-)"? ++(-|[0-9]{3}) ++([^ ]++) ++(-|[0-9]++) ++'
    r'(-|[0-9]++) ++(-|[0-9]++) ++(-|[0-9]++) ++"?((?<=")[^"]*+(?:"[^"]*+)*?(?=")|-)"? ++'
    r'"?((?<=")[^"]*+(?:"[^"]*+)*(?=")|-)"?(?: ++([^ ]++)(?: ++([^ ]++)(?: ++([^ ]++)'
    r"(?: ++([^ ]++)(?: ++([^ ]++)(?: ++([^ ]++)(?: ++([^ ]++)(?: ++([^ ]++)(?: ++([^ ]++)"
    r"(?: ++([^ ]++)(?: ++(.*?))?)?)?)?)?)?)?)?)?)?)? *+"
)
REGEXES = {"baseline (before issue 9)": BASELINE_REGEX, "new": record_regex()}

_HOSTILE_JAVA = [
    "all-quote user agent",
    "requester of many words",
    "requester of record fragments, cut short",
    "request URI of record fragments, cut short",
    "cut short in a user agent of quotes",
    "garbled after the first fields",
    "spaces inside",
]
_CUT_SHORT = [
    "requester of record fragments, cut short",
    "request URI of record fragments, cut short",
    "cut short in a user agent of quotes",
]


class Jvm:
    """Compiled RegexCheck and a scratch directory."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.class_path = compile_checker(CHECKER, work / "classes")

    def run(
        self, regex: str, lines: Sequence[str], *, stack_kib: int = 512, repeat: int = 1
    ) -> list[tuple[str, float, int]]:
        """(outcome, milliseconds, reads) per line."""
        result = run_checker(
            self.class_path,
            regex,
            lines,
            work_dir=self.work / "run",
            stack_kib=stack_kib,
            repeat=repeat,
        )
        return [(r.outcome, r.nanos / 1e6, r.reads) for r in result.lines]


def longest_passing(jvm: Jvm, regex: str, stack_kib: int, limit: int) -> str:
    """The longest all-quote user agent decided without overflow, one fresh JVM per probe."""

    def passes(quotes: int) -> bool:
        line = hostile_lines.with_user_agent('"' * quotes)
        return jvm.run(regex, [line], stack_kib=stack_kib)[0][0] != "stack overflow"

    if passes(limit):
        return f">= {limit:,} (all tried)"
    low, high = 0, limit  # passes(low), not passes(high)
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if passes(middle) else (low, middle)
    return f"{low:,} ({high:,} overflows)"


def longest_passing_in_one_run(jvm: Jvm, regex: str, stack_kib: int, limit: int) -> str:
    """The same in one JVM, on lengths doubling up to ``limit`` (a quick, warmer estimate)."""
    lengths = [2**power for power in range(6, limit.bit_length()) if 2**power <= limit]
    lines = [hostile_lines.with_user_agent('"' * quotes) for quotes in lengths]
    results = jvm.run(regex, lines, stack_kib=stack_kib)
    passed = 0
    for quotes, (outcome, _, _) in zip(lengths, results, strict=True):
        if outcome == "stack overflow":
            return f"{passed:,} ({quotes:,} overflows)"
        passed = quotes
    return f">= {passed:,} (all tried)"


def java_thresholds(jvm: Jvm, limit: int, *, cold: bool) -> None:
    print("\n## Java: longest all-quote user agent decided without StackOverflowError")
    if cold:
        print("## (a fresh JVM per probe; the line is otherwise valid)")
    else:
        print("## (one JVM, lengths doubling: a coarse estimate; the line is otherwise valid)")
    probe = longest_passing if cold else longest_passing_in_one_run
    print(f"{'regex':28}  {'512 KiB stack':>24}  {'1 MiB stack':>24}")
    for name, regex in REGEXES.items():
        small = probe(jvm, regex, 512, limit)
        large = probe(jvm, regex, 1024, limit)
        print(f"{name:28}  {small:>24}  {large:>24}")


def java_hostile(jvm: Jvm, sizes: Sequence[int], repeat: int) -> None:
    print("\n## Java, 512 KiB stack: hostile lines, outcome and ms (fastest of the runs)")
    warm = [hostile_lines.VALID_LINE] * 2_000
    for name, regex in REGEXES.items():
        lines = [hostile_lines.HOSTILE[family](size) for family in _HOSTILE_JAVA for size in sizes]
        results = jvm.run(regex, warm + lines, repeat=repeat)[len(warm) :]
        print(f"\n{name}:")
        print(f"{'line':44}" + "".join(f"  {size // 1024:>5} KB          " for size in sizes))
        for index, family in enumerate(_HOSTILE_JAVA):
            row = results[index * len(sizes) : (index + 1) * len(sizes)]
            cells = "".join(f"  {outcome[:14]:>14} {ms:7.2f}" for outcome, ms, _ in row)
            print(f"{family:44}{cells}")


def java_work(jvm: Jvm, sizes: Sequence[int]) -> None:
    print("\n## Java: characters read per character of the line (lines cut short)")
    print("## (the baseline runs with a 256 MiB stack here, so that it finishes)")
    print(f"{'line':44}  {'regex':28}" + "".join(f"  {size:>7,}" for size in sizes))
    lines = [hostile_lines.HOSTILE[family](size) for family in _CUT_SHORT for size in sizes]
    ratios = {}
    for name, regex in REGEXES.items():
        results = jvm.run(regex, lines, stack_kib=256 * 1024)
        pairs = zip(results, lines, strict=True)
        ratios[name] = [reads / len(line) for (_, _, reads), line in pairs]
    for index, family in enumerate(_CUT_SHORT):
        for name in REGEXES:
            row = ratios[name][index * len(sizes) : (index + 1) * len(sizes)]
            print(f"{family:44}  {name:28}" + "".join(f"  {ratio:7.1f}" for ratio in row))


def corpus_lines(limit: int) -> list[str]:
    lines: list[str] = []
    for path in log_files([default_corpus()]):
        with path.open("rb") as stream:
            lines += [line for batch in iter_line_batches(stream) for line in batch]
    good = [line for line in lines if RECORD_PATTERN.fullmatch(line)]
    return good[:limit] or [hostile_lines.VALID_LINE]


def java_everyday(jvm: Jvm, lines: list[str], repeat: int) -> None:
    print("\n## Java: a corpus line (median over the lines of the fastest of the runs)")
    medians = {}
    for name, regex in REGEXES.items():
        results = jvm.run(regex, lines, repeat=repeat)
        medians[name] = statistics.median(ms for _, ms, _ in results) * 1000
    base = medians["baseline (before issue 9)"]
    for name, micros in medians.items():
        print(f"{name:28}  {micros:8.2f} us/line  {micros / base:5.2f}x the baseline's time")


def _seconds(work: Callable[[], object], rounds: int = 3) -> float:
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best


def python_cut_short(sizes: Sequence[int], baseline_limit: int) -> None:
    print("\n## Python: seconds to decide a cut-short line (fastest of 3)")
    baseline = re.compile(BASELINE_REGEX).fullmatch
    parser = RECORD_PATTERN.fullmatch  # what split_line and parse_columns run

    print(f"{'line':44}  {'chars':>7}  {'baseline':>10}  {'new':>10}  {'ratio':>8}")
    for family in _CUT_SHORT:
        for size in sizes:
            line = hostile_lines.HOSTILE[family](size)
            new = _seconds(lambda line=line: parser(line))  # type: ignore[misc]
            if size <= baseline_limit:
                old = _seconds(lambda line=line: baseline(line), rounds=1)  # type: ignore[misc]
                old_text, ratio = f"{old:10.4f}", f"{old / new:7.0f}x"
            else:
                old_text, ratio = "(skipped)", ""
            print(f"{family:44}  {len(line):7,}  {old_text:>10}  {new:10.4f}  {ratio:>8}")


_MEMORY_SCRIPT = textwrap.dedent(
    """
    import re, resource, sys
    from s3logs_athena.testing.hostile_lines import all_quote_user_agent
    pattern = re.compile(open(sys.argv[1], encoding="utf-8").read())
    line = all_quote_user_agent(int(sys.argv[2]))
    start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert pattern.fullmatch(line)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(start, peak)
    """
)


def python_memory(sizes: Sequence[int], work: Path) -> None:
    print("\n## Python: peak RSS of a process matching an all-quote user agent")
    columns = "".join(f"  {size / 1e6:g} MB of quotes: peak (growth)      " for size in sizes)
    print(f"{'regex':28}{columns}")
    for name, regex in REGEXES.items():
        path = work / "regex.txt"
        path.write_text(regex, encoding="utf-8")
        cells = []
        for size in sizes:
            out = subprocess.run(
                [sys.executable, "-c", _MEMORY_SCRIPT, str(path), str(size)],
                capture_output=True,
                text=True,
                check=True,
                cwd=REPO,
            ).stdout.split()
            start, peak = int(out[0]) / 1024, int(out[1]) / 1024
            cells.append(f"  {peak:12,.0f} MiB (+{peak - start:,.0f} MiB)      ")
        print(f"{name:28}" + "".join(cells))


def main(argv: list[str]) -> int:
    options = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    options.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    args = options.parse_args(argv)
    try:
        java_tools()
    except JavaMissing as exc:
        print(f"skipped: {exc}")
        return 0
    header("The table's regex before and after issue 9 (Java and Python)")
    quick = args.quick
    with tempfile.TemporaryDirectory() as scratch:
        jvm = Jvm(Path(scratch))
        java_thresholds(jvm, limit=2_048 if quick else 65_536, cold=not quick)
        java_hostile(jvm, [2_048, 4_096] if quick else [16_384, 32_768, 65_536], 2 if quick else 5)
        java_work(jvm, [500, 1_000] if quick else [1_000, 2_000, 4_000])
        java_everyday(jvm, corpus_lines(50 if quick else 1_000), 3 if quick else 20)
        python_cut_short([1_000, 2_000] if quick else [2_000, 4_000, 8_500, 16_384, 65_536], 8_500)
        python_memory([100_000] if quick else [1_000_000, 2_000_000], Path(scratch))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
