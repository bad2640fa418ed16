"""How fast is the parser? ``python benchmarks/parse.py [PATH...] [--lines N] [--rounds R]``

Parses at least 500,000 log lines (the corpus in ``../shared/corpus/s3-access-logs``, or the
files/directories given, cycled to ``--lines``) and prints lines/s and MB/s for:

* the baseline: AWS's documented Athena regex applied with Python ``re`` line by line,
  ``.match(line).groups()``, strings only (no ``-`` -> None, no ints, no times);
* our regex alone (the Athena table's, fullmatch + groups, no conversion), for reference;
* our typed parser: ``parse_columns`` (typed columns) and ``parse_lines`` (records);
* from bytes, the way files are read: ``parse_stream`` against the baseline regex applied
  after decoding and splitting the same bytes.

Two data sets: the corpus cycled as it is, and the same lines with the request time, bytes
sent and object size made different on every line. Cycling repeats each value every ~1,400
lines, which flatters the parser's memo table of request times; the second set is its worst
case (a quiet bucket: one request per second, every size different).

Every variant consumes its results the same way (each batch or record is dropped once made,
as a streaming consumer does). Rounds are interleaved and the fastest of each is kept, both
in wall-clock time and in CPU time (CPU time is steadier on a shared machine). The target
(issue 2) is our typed parser at least as fast as the untyped baseline.
"""

from __future__ import annotations

import argparse
import io
import itertools
import os
import re
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from _report import Timing, header, print_table, timed

from s3logs_athena.parser import (
    RECORD_PATTERN,
    iter_line_batches,
    parse_columns,
    parse_lines,
    parse_stream,
)

# AWS's regex from "Querying access logs for requests by using Amazon Athena" (S3 user
# guide): the last nine fields in one optional group.
AWS_DOCUMENTED_REGEX = (
    r'([^ ]*) ([^ ]*) \[(.*?)\] ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ("[^"]*"|-) (-|[0-9]*) '
    r'([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ("[^"]*"|-) ([^ ]*)(?: ([^ ]*) ([^ ]*) '
    r"([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*))?.*$"
)

REPO = Path(__file__).resolve().parent.parent


def default_corpus() -> Path:
    """``$S3LOGS_CORPUS_DIR``, else ``shared/corpus/s3-access-logs`` beside the repository
    (beside the main checkout when this is a git worktree, as tests/conftest.py does)."""
    if "S3LOGS_CORPUS_DIR" in os.environ:
        return Path(os.environ["S3LOGS_CORPUS_DIR"])
    root = REPO
    dot_git = REPO / ".git"
    if dot_git.is_file():  # a linked worktree: "gitdir: <main>/.git/worktrees/<name>"
        gitdir = Path(dot_git.read_text(encoding="utf-8").split(":", 1)[1].strip())
        if gitdir.parent.name == "worktrees":
            root = gitdir.parent.parent.parent
    return root.parent / "shared" / "corpus" / "s3-access-logs"


def log_files(paths: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(
                p
                for p in path.rglob("*")
                if p.is_file() and p.suffix not in {".json", ".jsonl", ".md", ".tsv"}
            )
        elif path.is_file():
            files.append(path)
    return files


def read_parseable_lines(files: list[Path]) -> tuple[list[str], int]:
    """The lines our parser accepts (both sides get the same data), and how many were not."""
    lines: list[str] = []
    for path in files:
        with path.open("rb") as stream:
            lines += [line for batch in iter_line_batches(stream) for line in batch]
    good = [line for line in lines if RECORD_PATTERN.fullmatch(line)]
    # Keep only lines whose fields also convert (a date like 31/Feb would raise).
    good = [line for line in good if _converts(line)]
    return good, len(lines) - len(good)


def _converts(line: str) -> bool:
    try:
        parse_columns([line])
    except ValueError:
        return False
    return True


def with_distinct_values(lines: list[str]) -> list[str]:
    """``lines`` with the request time one second apart and byte counts all different."""
    start = datetime(2021, 11, 8, tzinfo=UTC)
    out = []
    for number, line in enumerate(lines):
        match = RECORD_PATTERN.fullmatch(line)
        assert match is not None
        moment = (start + timedelta(seconds=number)).strftime("%d/%b/%Y:%H:%M:%S +0000")
        replacements = {3: moment, 12: str(1000 + number), 13: str(10**9 + 7 * number)}
        pieces, at = [], 0
        for group, text in sorted(replacements.items()):
            begin, end = match.span(group)
            if match.group(group) in (None, "-"):
                continue
            pieces += [line[at:begin], text]
            at = end
        out.append("".join([*pieces, line[at:]]))
    return out


def consume(items: Iterable[object]) -> None:
    """Drop each item once made: the way a streaming consumer holds results."""
    deque(items, maxlen=0)


def batches(lines: list[str], size: int) -> list[list[str]]:
    return [lines[i : i + size] for i in range(0, len(lines), size)]


def _returning_true(work: Callable[[], None]) -> Callable[[], bool]:
    """``timed`` wants a result; the variants drop theirs."""

    def call() -> bool:
        work()
        return True

    return call


def run(variants: dict[str, Callable[[], None]], units: float, rounds: int) -> list[Timing]:
    """Interleaved rounds; the fastest wall-clock and CPU time of each variant."""
    wall: dict[str, Timing] = {}
    cpu: dict[str, Timing] = {}
    for _ in range(rounds):
        for name, work in variants.items():
            started = time.process_time()
            timing, _ = timed(name, units, _returning_true(work))
            used = Timing(name, time.process_time() - started, units)
            if name not in wall or timing.seconds < wall[name].seconds:
                wall[name] = timing
            if name not in cpu or used.seconds < cpu[name].seconds:
                cpu[name] = used
    return [*wall.values(), *cpu.values()]


def report(title: str, timings: list[Timing], megabytes: float) -> None:
    half = len(timings) // 2
    wall, cpu = timings[:half], timings[half:]
    print(f"\n## {title}: wall clock (fastest of the rounds)")
    print_table(wall[0], wall[1:], "lines")
    print()
    as_mb = [Timing(t.name, t.seconds, megabytes) for t in wall]
    print_table(as_mb[0], as_mb[1:], "MB")
    print(f"\n## {title}: CPU time of this process (fastest of the rounds)")
    print_table(cpu[0], cpu[1:], "lines")


def measure(title: str, lines: list[str], aws: Callable[[str], Any], rounds: int) -> None:
    data = ("\n".join(lines) + "\n").encode()
    megabytes = len(data) / 1e6
    print(f"\n# Data set: {title}: {len(lines):,} lines, {megabytes:,.1f} MB")
    ours = RECORD_PATTERN.fullmatch

    def aws_groups(source: Iterable[str]) -> None:
        consume(m.groups() if (m := aws(line)) else None for line in source)

    slices, big = batches(lines, 256), batches(lines, 8192)
    from_lines = {
        "AWS documented regex, re.match().groups() (baseline)": lambda: aws_groups(lines),
        "our regex, fullmatch().groups(), untyped": lambda: consume(
            m.groups() for m in map(ours, lines) if m is not None
        ),
        "parse_columns, typed, 256-line batches": lambda: consume(map(parse_columns, slices)),
        "parse_columns, typed, 8192-line batches": lambda: consume(map(parse_columns, big)),
        "parse_lines, typed LogRecord tuples": lambda: consume(parse_lines(lines)),
    }
    report(f"{title}, from a list of lines", run(from_lines, len(lines), rounds), megabytes)
    from_bytes = {
        "decode + split + AWS regex .groups() (baseline)": lambda: aws_groups(
            data.decode("utf-8", "replace").split("\n")
        ),
        "parse_stream, typed columns": lambda: consume(parse_stream(io.BytesIO(data))),
    }
    report(f"{title}, from bytes", run(from_bytes, len(lines), rounds), megabytes)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("paths", nargs="*", type=Path, help="log files or directories")
    parser.add_argument("--lines", type=int, default=500_000, help="lines to parse")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds")
    args = parser.parse_args(argv)

    paths = args.paths or [default_corpus()]
    files = log_files(paths)
    if not files:
        print(f"no log files at {', '.join(map(str, paths))}: nothing to measure (skipped)")
        return 0
    sample, dropped = read_parseable_lines(files)
    if not sample:
        print("none of the lines parse: nothing to measure")
        return 1
    cycled = list(itertools.islice(itertools.cycle(sample), args.lines))
    datasets = {
        "corpus cycled": cycled,
        "corpus cycled, times and sizes all distinct": with_distinct_values(cycled),
    }
    header("S3 server access log parsing")
    print(
        f"# {len(files)} files, {len(sample)} distinct parseable lines ({dropped} others left "
        f"out), cycled to {len(cycled):,} lines; {args.rounds} interleaved rounds"
    )
    aws = re.compile(AWS_DOCUMENTED_REGEX).match
    print(
        f"# AWS's regex matches {sum(1 for line in sample if aws(line))} of the "
        f"{len(sample)} distinct lines (not: raw quotes inside quoted fields, a double "
        "space, a '-' request time, lines ending at the user agent)"
    )
    for title, lines in datasets.items():
        measure(title, lines, aws, args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
