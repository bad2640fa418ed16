"""The record regex, built from the field list: one regex for Python and for Athena's JVM.

:func:`s3logs_athena.fields.record_regex` is the public entry; this module is its builder.

What the regex means
--------------------
The line is split the way a backtracking matcher would split it with the *simple* reading of
the format: tokens are runs of non-spaces; the requester takes as few words as the rest of
the line allows; the request URI and referrer end at the first quote after which the rest of
the line still parses; the user agent ends at the last such quote; a quoted field may also
be a bare ``-`` (or ``"-``/``-"``, which S3 never writes but the first regex accepted).
That reading is the one of the pattern ``"((?:"[^"]*)*?)"`` per quoted field and
``[^ ]+(?: +[^ ]+)*?`` for the requester, and it is kept exactly.

Why it is not written that way
------------------------------
``java.util.regex`` (Hive's and Trino's RegexSerDe, i.e. Athena) recurses once per
repetition of a *group*: ``(?:"[^"]*+)*?`` over a user agent of 2,000 quotes, or the
requester's words over a line of thousands of words, throws ``StackOverflowError`` and fails
the whole query. And a backtracking matcher that tries every choice of every field and
re-checks the rest of the line for each is polynomial on lines that do not match.

So the regex never repeats a group: every loop is a single character class (``[\\s\\S]*?``,
``[^ ]++``), which both engines run iteratively (the operation's ``(?:\\.x++)++`` is a
possessive loop, which Java also runs iteratively). A field's end is chosen without
re-checking the rest of the line at every candidate:

* First the field's *first* candidate end is tried (the requester's first word, the next
  quote) and the rest of the regex, which is exact, verifies it. That costs nothing extra
  on the lines S3 writes. Only if the rest fails there does the field take its second
  alternative, an atomic decision tree that finds the first candidate for which the rest
  parses, in linear time:
* Whether the rest of the line parses from a position is a disjunction of *branches*: a
  local part (a few tokens: deterministic, cheap) followed by an "exists" test (some
  position further on where a later field can close). Each exists test is monotone: true
  at a position means true at every earlier one where the local part matches.
* So the first candidate whose branch holds is found without testing the exists part at
  every candidate: if a branch's exists test fails at its first local match, it fails at
  every later one too. One lookahead per branch (a *flag*) decides whether the branch can
  end the field at all; then a scan stops at the first position where the local part of a
  branch whose flag holds matches. The flags form a small decision tree (2**k leaves for k
  branches with an exists test: 1 for the referrer, 2 for the request URI, 3 for the
  requester).

Every lookahead scans the rest of the line a bounded number of times, so a line is decided
in linear time whatever it holds, and nothing recurses per character or per word. Both
are checked on the JVM by ``tests/test_regex_jvm.py`` (which counts the characters the
matcher reads: at most ~66 per character of the line on the worst lines found (~33 but
for a garbled "[- ...]" request time, whose two readings are both tried), against
thousands for the first regex at 4 KB) and timed by ``benchmarks/regex_jvm.py``;
``tests/test_line_regex.py`` checks the groups against the first regex's.

Portability: no ``.`` (DOTALL differs between callers; ``[\\s\\S]`` is any character in
both engines), no ``$``/``\\Z`` (they differ; ``(?![^ ])`` is "a space or the end"), only
fixed-length lookbehinds, atomic groups and possessive quantifiers (Java, Python 3.11+).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .fields import LogField

__all__ = ["build_record_regex"]

#: Any character, whatever the DOTALL flag.
ANY = r"[\s\S]"
#: Between fields: one or more spaces, possessively (every field starts with a non-space).
SEP = " ++"
#: A field ends here: a space or the end of the line follows.
FIELD_END = "(?![^ ])"
#: A quoted field that is absent: ``-``, also ``"-`` and ``-"`` (the first regex took those).
DASH = '(?:"-|-"?)'
#: A word of the requester ends here (a space follows a non-space).
WORD_END = "(?<=[^ ])"
#: The opening and closing of a quoted field.
QUOTE = '"'


Atoms = tuple[str, ...]


@dataclass(frozen=True)
class Branch:
    """One way the rest of a line can parse from a field's start.

    ``local`` is matched at the position, consuming a few whole tokens (in one way at most);
    ``exists``, if any, must then match: a monotone test that some field further on can end
    (true at a position implies true at every earlier one where ``local`` matches). The
    local part is kept as a sequence of atoms so that alternations can share prefixes.
    """

    local: Atoms
    exists: str | None = None


def _union(options: Iterable[Atoms]) -> str:
    """A pattern that matches where one of ``options`` matches, common prefixes factored
    out (``a b|a c`` -> ``a(?:b|c)``): the matcher tests a shared prefix once. Used where
    any match will do (lookaheads), and where the options' atoms match in one way only."""
    trie: dict[str, dict] = {}  # type: ignore[type-arg]
    for option in options:
        node = trie
        for atom in option:
            node = node.setdefault(atom, {})
        node[""] = {}

    def render(node: dict[str, dict]) -> str:  # type: ignore[type-arg]
        if not node:  # past the end of an option
            return ""
        parts = list(dict.fromkeys(atom + render(child) for atom, child in node.items()))
        parts.sort(key=lambda part: part == "")  # the empty option last
        return parts[0] if len(parts) == 1 else "(?:" + "|".join(parts) + ")"

    return render(trie)


def _merge(branches: Iterable[Branch]) -> list[Branch]:
    """Branches with the same local part as one (their exists tests or'ed), in order."""
    tests: dict[Atoms, list[str | None]] = {}
    for branch in branches:
        tests.setdefault(branch.local, []).append(branch.exists)
    merged = []
    for local, exists in tests.items():
        if None in exists:
            merged.append(Branch(local))
        else:
            merged.append(Branch(local, _union((e,) for e in exists if e is not None)))
    return merged


def _exists_ahead(opener: str, branch: Branch) -> str:
    """Some position ahead where ``opener`` then ``branch`` matches. For a branch with an
    exists test only its first local match needs testing (the test is monotone)."""
    local = "".join(branch.local)
    if branch.exists is None:
        return f"{ANY}*?{opener}{local}"
    return f"(?>{ANY}*?{opener}{local}){branch.exists}"


def _first_end(opener: str, after: Sequence[Branch], first: str) -> str:
    """Consume up to the first position where ``opener`` followed by one of ``after``
    holds (the lazy choice), testing each branch's exists part at most once.

    A decision tree over the branches that have an exists test: a *flag* tests whether the
    branch's first local match passes its exists test (if it fails there it fails at every
    later match); a leaf scans for the first local match of any branch known to hold.
    Atomic: the choice is final.

    It runs only after the *first* candidate (reached from the start by ``first``) failed,
    so a branch whose local part matches there is known to fail everywhere: its flag is
    false without scanning.
    """
    merged = _merge(after)
    tested = [b for b in merged if b.exists is not None]
    plain = [b for b in merged if b.exists is None]

    def tree(known: list[Branch], rest: list[Branch]) -> str:
        if not rest:
            stops = [b.local for b in (*known, *plain)]
            if not stops:
                return "(?!)"
            return f"{ANY}*?(?={opener}{_union(stops)})"
        branch, later = rest[0], rest[1:]
        # Only where the branch first matches before any branch that already holds matters.
        bound = _union(b.local for b in (*known, *plain, branch))
        local = "".join(branch.local)
        dead = f"{first}{opener}{local}"  # matched at the first candidate, which failed
        flag = f"(?!{dead})(?=(?>{ANY}*?(?={opener}{bound})){opener}{local}{branch.exists})"
        return f"(?:{flag}{tree([*known, branch], later)}|{tree(known, later)})"

    return f"(?>{tree([], tested)})"


def _tail(optional: Sequence[LogField], trailing: LogField) -> str:
    """The optional fields, each present only if the previous one is, then the trailing
    text and trailing spaces: deterministic (possessive), and it always matches where a
    space or the end of the line follows the last required field."""
    tail = f"(?:{SEP}({trailing.content}))?"
    for f in reversed(optional):
        tail = f"(?:{SEP}({f.content}){tail})?"
    return tail + " *+"


def _token(content: str) -> str:
    return f"(?:{content})" if "|" in content else content


def build_record_regex(fields: Sequence[LogField], trailing: LogField) -> str:
    """The regex for ``fields`` (required ones first, then optional tokens) and ``trailing``."""
    from .fields import Shape

    required = [f for f in fields if not f.optional]
    optional = [f for f in fields if f.optional]
    if tuple(fields[: len(required)]) != tuple(required):
        raise AssertionError("optional fields must come after every required field")
    if any(f.shape is not Shape.TOKEN for f in optional):
        raise AssertionError("optional fields must be tokens")

    # after[i]: how the rest of the line can parse right after required field i's text
    # (None past a bracketed field, which no choice ever needs to look past).
    after: list[list[Branch] | None] = [None for _ in required]
    following: list[Branch] | None = [Branch((FIELD_END,))]  # optional fields always parse
    for index in reversed(range(len(required))):
        f = required[index]
        after[index] = following
        here: list[Branch] | None
        if f.shape is Shape.BRACKETED:
            here = None
        elif following is None:
            if f.shape is not Shape.TOKEN:
                raise AssertionError(f"{f.name}: a choice cannot precede a bracketed field")
            here = None
        elif f.shape is Shape.TOKEN:
            here = [Branch((_token(f.content), *b.local), b.exists) for b in following]
        elif f.shape is Shape.QUOTED:
            if f.greedy and any(b.exists is not None for b in following):
                raise AssertionError(f"{f.name}: only the last quoted field can be greedy")
            ahead = _union((_exists_ahead(QUOTE, b),) for b in following)
            here = _merge(
                [Branch((QUOTE,), ahead), *(Branch((DASH, *b.local), b.exists) for b in following)]
            )
        else:  # WORDS
            ahead = _union((_exists_ahead(WORD_END, b),) for b in following)
            here = [Branch(("[^ ]++",), ahead)]
        following = None if here is None else [Branch((SEP, *b.local), b.exists) for b in here]

    parts = []
    for index, f in enumerate(required):
        if f.greedy and index != len(required) - 1:
            raise AssertionError(f"{f.name}: only the last required field can be greedy")
        parts.append(_field_pattern(f, after[index]))
    return SEP.join(parts) + _tail(optional, trailing)


def _field_pattern(f: LogField, after: list[Branch] | None) -> str:
    """One required field, delimiters included, with exactly one capturing group.

    A field with a choice first tries its first candidate end (the requester's first word,
    the next quote) and the rest of the regex decides. Where the rest fails, the decision
    tree finds the first candidate end for which it parses.
    """
    from .fields import Shape

    if f.shape in (Shape.WORDS, Shape.QUOTED) and after is None:
        raise AssertionError(f"{f.name}: a choice cannot precede a bracketed field")
    after = after or []
    if f.shape is Shape.TOKEN:
        return f"({f.content})"
    if f.shape is Shape.BRACKETED:
        # [ ... ] up to the first ], or - ; the bracket is consumed outside the group.
        return r"\[?((?<=\[)[^\]]*+(?=\])|-)\]?"
    if f.shape is Shape.WORDS:
        return f"([^ ]++(?:|{_first_end(WORD_END, after, first='')}))"
    # QUOTED: the opening quote is consumed outside the group, then the value up to the
    # chosen closing quote (consumed after the group); a bare - when there is none.
    if f.greedy:
        # The last quote that ends a field: the next one, if no quote at all follows it
        # (the usual case, one pass); else back off from the end of the line.
        ends = _union(b.local for b in after)
        value = f'(?>[^"]*+(?="{ends}[^"]*+(?!{ANY}))|{ANY}*(?={QUOTE}{ends}))'
    else:
        tree = _first_end(QUOTE, after, first='[^"]*+')
        value = f'(?:[^"]*+(?=")|{tree})'
    return f'"?((?<="){value}|-)"?'
