"""Print values that come from logs, object keys or AWS as text: never markup, never a
terminal control sequence.

Anyone can put bytes into an access log (a User-Agent, a Referer, a key), so a value printed
through rich must not be read as rich markup (``[/]`` raises, ``[link=...]`` hides a URL) and
must not carry ESC, CR or other control characters to the terminal (an ESC sequence can
rewrite the screen, set the window title or, in some terminals, write files). Every table the
CLI prints builds its cells with :func:`cell`; every other line with a foreign value uses
:func:`visible`.
"""

from __future__ import annotations

import re

from rich.text import Text

__all__ = ["cell", "visible"]

# C0 controls, DEL, C1 controls, and the Unicode controls that reorder or hide text
# (bidirectional overrides and isolates, zero-width and BOM characters, line/paragraph
# separators).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def visible(value: object) -> str:
    """``value`` as a string with every control character spelled out (``\\x1b``, ``\\r``).

    The result is plain text: pass it to rich only inside a :class:`~rich.text.Text` (or
    use :func:`cell`), never as a markup string."""
    text = value if isinstance(value, str) else str(value)
    return _CONTROL.sub(_escape, text)


def cell(value: object, style: str = "") -> Text:
    """A rich table cell (or printable) showing ``value`` literally: no markup, no emoji
    codes, no highlighting, control characters spelled out."""
    return Text(visible(value), style=style, no_wrap=False)
