"""The Athena table's regex on the engine that runs it: ``java.util.regex`` (issue 9, §1).

Hive's and Trino's RegexSerDe call ``Pattern.compile(regex, DOTALL).matcher(line).matches()``
and nothing catches a ``StackOverflowError``: one bad line fails every query over its
partition. This test compiles ``tests/jvm/RegexCheck.java``, reads the regex out of the
generated ``CREATE TABLE`` (undoing Hive's string-literal escaping itself), and matches it in
a thread with a 512 KiB stack against every corpus line, hostile lines up to 64 KB and
hypothesis-generated lines, all in one JVM run per session. Every line must be decided (no
overflow), within a fixed budget of characters read per character of the line (linear work,
counted by the harness, so not a timing), and split exactly as the Python parser splits it.

Skips, saying why, when ``java`` or ``javac`` is missing.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from s3logs_athena.errors import LogParseError
from s3logs_athena.fields import FIELD_NAMES, record_regex
from s3logs_athena.parser import iter_line_batches, split_line
from s3logs_athena.table.ddl import TableSpec, create_statements
from s3logs_athena.testing.hostile_lines import HOSTILE, garbled, garbled_after_head
from s3logs_athena.testing.jvm_regex import (
    JavaMissing,
    JvmLine,
    compile_checker,
    java_tools,
    run_checker,
)

from .conftest import FIXTURES, REPO_ROOT, corpus_log_files
from .test_ddl import ddl_property
from .test_parser_properties import lines as record_lines

SOURCE = Path(__file__).resolve().parent / "jvm" / "RegexCheck.java"
STACK_KIB = 512
#: Characters the matcher may read per character of a line. The worst line found by a
#: search over record fragments needs ~66 (a "[- ...]" request time has two readings, each
#: tried); the first regex needed ~5,700 at 4 KB, and more the longer the line.
READS_PER_CHAR = 100
SPEC = TableSpec(location="s3://example-log-bucket/PartitionedLogs/", buckets=("app-assets",))


@dataclass(frozen=True)
class Checked:
    """One line and what the JVM made of it."""

    family: str
    line: str
    jvm: JvmLine


def table_regex_and_columns() -> tuple[str, int]:
    """The regex and the number of non-partition columns, read from the generated DDL."""
    statement = create_statements(SPEC)[1]
    regex = ddl_property(statement, "input.regex")
    head, partitioned = statement.split("PARTITIONED BY", 1)
    columns = re.findall(r"^\s*`[^`]+`\s+\w+", head, flags=re.MULTILINE)
    assert partitioned.strip(), "the table must be partitioned"
    return regex, len(columns)


def _corpus_lines() -> list[str]:
    lines: list[str] = []
    for path in [*corpus_log_files(), *sorted((FIXTURES / "logs").rglob("*.log"))]:
        with path.open("rb") as stream:
            lines += [line for batch in iter_line_batches(stream) for line in batch]
    return lines


def _hostile_lines() -> list[tuple[str, str]]:
    lines = [
        (name, make(size))
        for name, make in HOSTILE.items()
        for size in (100, 1_000, 2_000, 5_000, 16_384, 65_536)
    ]
    for seed in range(40):
        lines.append((f"garbled, seed {seed}", garbled(4_096, seed)))
        lines.append(
            (f"garbled after the first fields, seed {seed}", garbled_after_head(4_096, seed))
        )
    return lines


# Text of the format's delimiters and short tokens: where a backtracking regex gets lost.
_DELIMITER_SOUP = st.lists(
    st.sampled_from(['"', '"', " ", " ", "-", "[", "]", "a", "200", "1", "x.y", '" "', '"-"']),
    max_size=60,
).map("".join)


def _generated_lines(count: int) -> list[str]:
    """Hypothesis-generated lines: rendered records with awkward values (the parser's
    property tests' generator), and delimiter soup; the same ones on every run."""
    collected: list[str] = []

    @settings(
        max_examples=count,
        database=None,
        derandomize=True,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(st.one_of(record_lines().map(lambda case: case[0]), _DELIMITER_SOUP))
    def collect(line: str) -> None:
        collected.append(line)

    collect()
    return collected


@pytest.fixture(scope="session")
def checked(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, list[Checked]]:
    """One JVM run over every line: (groupCount(), each line's result)."""
    try:
        java_tools()
    except JavaMissing as exc:
        pytest.skip(f"cannot run the table's regex on the JVM: {exc}")
    work = tmp_path_factory.mktemp("jvm-regex")
    class_path = compile_checker(SOURCE, work / "classes")
    families = [
        *(("corpus", line) for line in _corpus_lines()),
        *_hostile_lines(),
        *(("generated", line) for line in _generated_lines(400)),
    ]
    regex, _ = table_regex_and_columns()
    run = run_checker(
        class_path, regex, [line for _, line in families], work_dir=work, stack_kib=STACK_KIB
    )
    lines = [
        Checked(family, line, result)
        for (family, line), result in zip(families, run.lines, strict=True)
    ]
    return run.group_count, lines


def _python_groups(line: str) -> tuple[str | None, ...] | None:
    try:
        return split_line(line)
    except LogParseError:
        return None


def test_the_ddl_carries_the_field_lists_regex() -> None:
    regex, columns = table_regex_and_columns()
    assert regex == record_regex()
    assert columns == len(FIELD_NAMES)


def test_group_count_is_the_number_of_table_columns(checked: tuple[int, list[Checked]]) -> None:
    group_count, _ = checked
    _, columns = table_regex_and_columns()
    assert group_count == columns == len(FIELD_NAMES)


def test_no_line_overflows_a_512_kib_stack(checked: tuple[int, list[Checked]]) -> None:
    _, lines = checked
    overflowed = [(c.family, len(c.line)) for c in lines if c.jvm.outcome == "stack overflow"]
    assert overflowed == []


def test_every_line_is_decided_in_linear_work(checked: tuple[int, list[Checked]]) -> None:
    _, lines = checked
    over = [
        (c.family, len(c.line), round(c.jvm.reads / len(c.line)))
        for c in lines
        if len(c.line) >= 1_000 and c.jvm.reads > READS_PER_CHAR * len(c.line)
    ]
    assert over == []
    # The 64 KB lines were really read (the harness counts what the matcher reads).
    longest = [c for c in lines if len(c.line) >= 65_536 and c.family != "all spaces"]
    assert longest and all(c.jvm.reads >= len(c.line) for c in longest)


@pytest.mark.parametrize("family", ["corpus", "hostile", "generated"])
def test_java_splits_every_line_as_the_python_parser(
    checked: tuple[int, list[Checked]], family: str
) -> None:
    _, lines = checked
    chosen = [
        c
        for c in lines
        if c.family == family or (family == "hostile" and c.family not in ("corpus", "generated"))
    ]
    assert chosen
    differing = []
    matched = 0
    for c in chosen:
        python = _python_groups(c.line)
        matched += python is not None
        if c.jvm.groups != python:
            differing.append((c.family, c.line[:120], c.jvm.outcome))
    assert differing == []
    if family == "corpus" and corpus_log_files():
        assert matched > 1_400  # the corpus's ~1,430 record lines, not a vacuous comparison
    assert matched > 0


@pytest.mark.slow
def test_the_benchmark_runs_on_small_lines(tmp_path: Path) -> None:
    """``benchmarks/regex_jvm.py --quick``: a smoke run of the before/after benchmark, whose
    baseline must be the regex the table had before issue 9."""
    try:
        java_tools()
    except JavaMissing as exc:
        pytest.skip(f"cannot run the benchmark without a JDK: {exc}")
    script = REPO_ROOT / "benchmarks" / "regex_jvm.py"
    baseline = re.search(r"BASELINE_REGEX = \(\n(.*?)\n\)", script.read_text(), flags=re.DOTALL)
    assert baseline is not None
    first = (FIXTURES / "regex" / "record-regex-before-issue-9.txt").read_text().strip()
    assert ast.literal_eval(f"({baseline.group(1)})") == first  # the named baseline, verbatim
    result = subprocess.run(
        [sys.executable, str(script), "--quick"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
        timeout=600,
    )
    assert "longest all-quote user agent" in result.stdout
    assert "peak RSS" in result.stdout
