"""Log lines built to hurt a regex: for the JVM test of the table's regex and its benchmark.

Each maker takes a target length in characters and returns one line of about that length
(never shorter). What they attack, in the first regex (before issue 9):

* a user agent of only double quotes: a repeated group per quote, ``StackOverflowError``
  on the JVM after ~1,000-2,500 quotes;
* a requester of thousands of words: a repeated group per word, the same overflow;
* *record fragments* in the requester or the request URI (``r op.x k "u" 200 - 1 1 1 1 "``)
  of a line cut short: every fragment is a place where a field could end, and every such
  choice re-scans the rest of the line: polynomial time (cubic for the requester);
* all quotes, all spaces, garbled lines (seeded random bytes of the format's delimiters).

The makers are deterministic, so a failure names a line that can be rebuilt.
"""

from __future__ import annotations

import random
from collections.abc import Callable

__all__ = ["HOSTILE", "VALID_LINE", "garbled", "with_user_agent"]

#: A valid 27-field line (AWS's documented example), the base of the hostile ones.
VALID_LINE = (
    "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be awsexamplebucket1 "
    "[06/Feb/2019:00:00:38 +0000] 192.0.2.3 "
    "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be 3E57427F3EXAMPLE "
    'REST.GET.VERSIONING - "GET /awsexamplebucket1?versioning HTTP/1.1" 200 - 113 - 7 - "-" '
    '"S3Console/0.4" - s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31'
    "234= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader awsexamplebucket1.s3.us-west-1.amazonaw"
    "s.com TLSv1.2 arn:aws:s3:us-west-1:123456789012:accesspoint/example-AP Yes us-east-1"
)
_UA = '"S3Console/0.4"'
_BEFORE_UA, _AFTER_UA = VALID_LINE.split(_UA)
_OWNER, _BUCKET, _TIME, _ZONE, _IP, _REQUESTER, *_ = VALID_LINE.split(" ")
_HEAD = f"{_OWNER} {_BUCKET} {_TIME} {_ZONE} {_IP}"  # the fields before the requester
_BEFORE_URI = VALID_LINE.split(' "GET ')[0]


def _repeat(unit: str, length: int) -> str:
    return unit * max(1, -(-length // len(unit)))


def with_user_agent(user_agent: str) -> str:
    """The valid line with ``user_agent`` (written between quotes, as S3 does)."""
    return f'{_BEFORE_UA}"{user_agent}"{_AFTER_UA}'


def all_quote_user_agent(length: int) -> str:
    """A valid line whose user agent is only double quotes."""
    return with_user_agent(_repeat('"', length - len(VALID_LINE)))


def quote_space_user_agent(length: int) -> str:
    """A valid line whose user agent is ``" " " ...``: a closing candidate every 2 chars."""
    return with_user_agent(_repeat('" ', length - len(VALID_LINE)))


def many_requester_words(length: int) -> str:
    """A valid line whose requester has thousands of words."""
    words = _repeat(" word", length - len(VALID_LINE)).strip()
    return VALID_LINE.replace(f" {_REQUESTER} ", f" {_REQUESTER} {words} ", 1)


def requester_fragments_cut(length: int) -> str:
    """A line cut short after a requester made of record fragments (cubic before)."""
    return f"{_HEAD} who" + _repeat(' r op.x k "u" 200 - 1 1 1 1 "', length - len(_HEAD))


def uri_fragments_cut(length: int) -> str:
    """A line cut short in a request URI full of ``a" 200 - 1 1 1 1 "b`` (quadratic)."""
    return f'{_BEFORE_URI} "GET /' + _repeat('a" 200 - 1 1 1 1 "b', length - len(_BEFORE_URI))


def user_agent_cut(length: int) -> str:
    """A line cut short inside a user agent of quotes (no closing quote at a field end)."""
    return f'{_BEFORE_UA}"' + _repeat('"', length - len(_BEFORE_UA)) + "x"


def all_quotes(length: int) -> str:
    return '"' * length


def all_spaces(length: int) -> str:
    return " " * length


def spaces_inside(length: int) -> str:
    """A valid line with a huge run of spaces before the last field and at the end."""
    run = " " * max(1, (length - len(VALID_LINE)) // 2)
    head, last = VALID_LINE.rsplit(" ", 1)
    return f"{head}{run}{last}{run}"


def garbled(length: int, seed: int = 0) -> str:
    """Seeded random text of the format's delimiters and short tokens."""
    rng = random.Random(seed)
    pieces = ['"', '"', " ", " ", "-", "[", "]", "a", "200", "1", "x.y", '" "', '"-"']
    out: list[str] = []
    size = 0
    while size < length:
        piece = rng.choice(pieces)
        out.append(piece)
        size += len(piece)
    return "".join(out)


def garbled_after_head(length: int, seed: int = 0) -> str:
    """The fields before the requester, then garbled text."""
    return f"{_HEAD} " + garbled(length - len(_HEAD) - 1, seed)


#: Every maker by name.
HOSTILE: dict[str, Callable[[int], str]] = {
    "all-quote user agent": all_quote_user_agent,
    'user agent of " " pairs': quote_space_user_agent,
    "requester of many words": many_requester_words,
    "requester of record fragments, cut short": requester_fragments_cut,
    "request URI of record fragments, cut short": uri_fragments_cut,
    "cut short in a user agent of quotes": user_agent_cut,
    "all quotes": all_quotes,
    "all spaces": all_spaces,
    "spaces inside": spaces_inside,
    "garbled": garbled,
    "garbled after the first fields": garbled_after_head,
}
