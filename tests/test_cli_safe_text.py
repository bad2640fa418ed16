"""Foreign values reach the terminal as text: no markup, no control sequences."""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from rich.table import Table

from s3logs_athena.cli.safe_text import cell, visible

HOSTILE = [
    "[/]",
    "[link=https://evil.example/]click me[/link]",
    "[bold red]alarm[/bold red]",
    ":thumbs_up: :pile_of_poo:",
    "\x1b]0;owned\x07title",
    "\x1b[2J\x1b[Hcleared",
    "line\rover",
    "tab\there\nnewline",
    "\x9b31mC1 CSI",
    "abc\u202edcba",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_a_hostile_value_prints_literally(value: str) -> None:
    out = io.StringIO()
    console = Console(file=out, width=200, force_terminal=True, color_system="truecolor")
    table = Table()
    table.add_column("value")
    table.add_row(cell(value))
    console.print(table)
    printed = out.getvalue()
    assert visible(value) in printed
    # the only escape sequences are rich's own styling (CSI ... m), none from the value
    assert "\x1b]" not in printed and "\x07" not in printed and "\r" not in printed
    assert "\x1b[2J" not in printed and "\x9b" not in printed and "\u202e" not in printed


def test_control_characters_are_spelled_out() -> None:
    assert visible("a\x1bb\rc\nd\te\x00f\x7fg") == r"a\x1bb\rc\nd\te\x00f\x7fg"
    assert visible("\u202e") == "\\u202e"
    assert visible(12) == "12"
    assert visible("plain ascii / ünïcode ✓") == "plain ascii / ünïcode ✓"
