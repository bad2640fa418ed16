"""The record regex (``s3logs_athena.line_regex``): same groups as the first regex, a shape
that neither engine recurses on per character, memory that does not grow with the line's
quotes (issue 9, §1).

The JVM side (stack depth, work per character, groups against the parser) is
``tests/test_regex_jvm.py``.
"""

from __future__ import annotations

import random
import re
import subprocess
import sys
import textwrap
from re import _constants as sre_constants
from re import _parser as sre_parser
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from s3logs_athena.errors import LogParseError
from s3logs_athena.fields import record_regex
from s3logs_athena.parser import iter_line_batches, split_line
from s3logs_athena.testing.hostile_lines import HOSTILE, garbled

from .conftest import FIXTURES, REPO_ROOT, corpus_log_files

#: The table's regex before issue 9 (quoted fields ``(?:"[^"]*+)*?``, requester words
#: ``(?: ++[^ ]++)*?``): the reference for what every line must still split into.
FIRST_REGEX = re.compile(
    (FIXTURES / "regex" / "record-regex-before-issue-9.txt").read_text(encoding="utf-8").strip()
)
TABLE = re.compile(record_regex())


def _groups(pattern: re.Pattern[str], line: str) -> tuple[str | None, ...] | None:
    match = pattern.fullmatch(line)
    return None if match is None else match.groups()


def _corpus_lines() -> list[str]:
    lines: list[str] = []
    for path in [*corpus_log_files(), *sorted((FIXTURES / "logs").rglob("*.log"))]:
        with path.open("rb") as stream:
            lines += [line for batch in iter_line_batches(stream) for line in batch]
    return lines


# -- same groups as the first regex --------------------------------------------------------


def test_every_corpus_line_splits_as_with_the_first_regex() -> None:
    lines = _corpus_lines()
    differing = [line for line in lines if _groups(TABLE, line) != _groups(FIRST_REGEX, line)]
    assert differing == []
    matched = sum(1 for line in lines if TABLE.fullmatch(line))
    assert matched > (1_400 if corpus_log_files() else 10)


# Pieces that make a line ambiguous: quotes, spaces, dashes, record fragments.
_PIECES = ['"', '"', " ", "-", "a", "200", "1", '" ', ' "', '"-', '-"', '" "', " - ", '"-"']
_PIECES += [" 200 - 1 1 1 1 ", '" 200 - 1 1 1 1 "', " r op.x k "]


@st.composite
def ambiguous_lines(draw: st.DrawFn) -> str:
    """Short lines shaped like records, with awkward quoted fields, requesters, request times
    and tails, sometimes cut short: where the first regex's choices matter."""
    text = st.lists(st.sampled_from(_PIECES), max_size=6).map("".join)

    def quoted() -> str:
        return draw(
            st.one_of(text.map(lambda t: f'"{t}"'), st.sampled_from(["-", '"-', '-"', '"-"', '""']))
        )

    words = st.lists(st.sampled_from(["a", "-", "R.O", "k", '"x', "x.y"]), min_size=1, max_size=4)
    time = draw(st.sampled_from(["[06/Feb/2019:00:00:38 +0000]", "-", "[-", "[- x]", "-]"]))
    requester = " ".join(draw(words))
    status = draw(st.sampled_from(["200", "-", "20"]))
    line = (
        f"o b {time} 1.2.3.4 {requester} id R.O k {quoted()} {status} - 1 1 1 1 "
        f"{quoted()} {quoted()}"
    )
    line += draw(st.sampled_from(["", " ", " -", " a b", ' x" y', ' "', "  "]))
    if draw(st.booleans()):
        line = line.replace(" ", draw(st.sampled_from([" ", "  "])), 1)
    if draw(st.integers(0, 4)) == 0:
        line = line[: draw(st.integers(0, len(line)))]
    return line


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ambiguous_lines())
def test_generated_lines_split_as_with_the_first_regex(line: str) -> None:
    assert _groups(TABLE, line) == _groups(FIRST_REGEX, line)


def test_mutated_corpus_lines_split_as_with_the_first_regex() -> None:
    """Seeded mutations of real lines (tokens replaced, inserted, cut): a broader net."""
    rng = random.Random(9)
    bases = [line for line in _corpus_lines() if FIRST_REGEX.fullmatch(line)][:300]
    pieces = [*_PIECES, "[", "]", "x.y", '""']
    for _ in range(3_000):
        tokens = rng.choice(bases).split(" ")
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(len(tokens))
            if rng.random() < 0.5:
                tokens[at] = rng.choice(pieces)
            else:
                tokens.insert(at, rng.choice(pieces))
        line = " ".join(tokens)
        if rng.random() < 0.2:
            line = line[: rng.randint(0, len(line))]
        assert _groups(TABLE, line) == _groups(FIRST_REGEX, line), line


# -- shape: nothing repeats a group (Java recurses per repetition of one) --------------------

_SINGLE_CHARACTER = {
    sre_constants.LITERAL,
    sre_constants.NOT_LITERAL,
    sre_constants.IN,
    sre_constants.CATEGORY,
}


def _shape_problems(items: Any, problems: list[str]) -> list[str]:
    for op, argument in items:
        if op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT):
            low, high, body = argument
            single = len(body) == 1 and body[0][0] in _SINGLE_CHARACTER
            if high > 1 and high != low and not single:  # (?:...)? is a branch, not a loop
                problems.append(f"greedy or lazy repetition of a group: {body}")
            _shape_problems(body, problems)
        elif op is sre_constants.POSSESSIVE_REPEAT:  # a loop in Java too (Curly.match2)
            _shape_problems(argument[2], problems)
        elif op is sre_constants.ANY:
            problems.append(". depends on DOTALL")
        elif op is sre_constants.AT:
            problems.append(f"anchor {argument} differs between Java and Python")
        elif op in (sre_constants.GROUPREF, sre_constants.GROUPREF_EXISTS):
            problems.append("back-reference")
        elif op is sre_constants.SUBPATTERN:
            _shape_problems(argument[-1], problems)
        elif op in (sre_constants.ASSERT, sre_constants.ASSERT_NOT):
            direction, body = argument
            if direction < 0 and body.getwidth() != (1, 1):
                problems.append("lookbehind wider than one character")
            _shape_problems(body, problems)
        elif op is sre_constants.ATOMIC_GROUP:
            _shape_problems(argument, problems)
        elif op is sre_constants.BRANCH:
            for branch in argument[1]:
                _shape_problems(branch, problems)
    return problems


def test_no_group_is_repeated_except_possessively() -> None:
    assert _shape_problems(sre_parser.parse(record_regex()), []) == []


def test_the_first_regex_repeated_groups() -> None:
    """Guards the shape check itself."""
    assert _shape_problems(sre_parser.parse(FIRST_REGEX.pattern), [])


# -- hostile lines -------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_lines_split_as_with_the_first_regex(name: str) -> None:
    """Short versions (the first regex is polynomial on some of them), through the parser."""
    lines = [HOSTILE[name](size) for size in (300, 1_000)]
    for line in [*lines, *(garbled(500, seed) for seed in range(20))]:
        expected = _groups(FIRST_REGEX, line)
        try:
            assert split_line(line) == expected, line
        except LogParseError:
            assert expected is None, line


# -- memory ----------------------------------------------------------------------------------


def test_memory_grows_with_the_line_not_with_its_quotes() -> None:
    """A 2 MB user agent of double quotes: the first regex kept ~310 bytes of backtracking
    state per quote (620 MB; 3 GB for 10 MB). Measured in a fresh process."""
    script = textwrap.dedent(
        """
        import resource
        from s3logs_athena.parser import parse_line
        from s3logs_athena.testing.hostile_lines import all_quote_user_agent

        line = all_quote_user_agent(2_000_000)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        record = parse_line(line)
        assert record.useragent == '"' * (len(record.useragent))
        assert len(record.useragent) > 1_990_000
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO_ROOT,
        timeout=300,
    )
    growth_kib = int(result.stdout.split()[-1])
    assert growth_kib < 32 * 1024, f"parsing a 2 MB line took {growth_kib} KiB more"
