"""Values as people read them and table cells that wrap only between words
(s3logs_athena.report.cells)."""

from __future__ import annotations

import html
import re
from datetime import date, datetime
from html.parser import HTMLParser

import pandas as pd
import pytest

from s3logs_athena.report.cells import (
    MAX_CELL_CHARS,
    format_value,
    header_label,
    human_bytes,
    table_html,
    text_cell,
)

ARN = (
    "arn:aws:sts::123456789012:assumed-role/"
    "AWSReservedSSO_AdministratorAccess_12a260304b547512/bob@example.com"
)


@pytest.mark.parametrize(
    ("value", "column", "text"),
    [
        (0.015370000000000002, "est_request_cost_usd", "$0.0154"),
        (0.004262, "est_request_cost_usd", "$0.00426"),
        (0.0000004, "est_list_cost_usd", "$0.0000004"),
        (0.0, "est_request_cost_usd", "$0"),
        (1234.5, "cost_usd", "$1,234.50"),
        (0.97, "deletion_share", "97%"),
        (0.0042, "deletion_share", "0.42%"),
        (0.015370000000000002, "ratio", "0.0154"),
        (12.3456, "ratio", "12.35"),
        (64_736_340_079, "bytes_sent", "64,736,340,079 (64.7 GB)"),
        (1_500_000, "bytes_sent", "1,500,000 (1.5 MB)"),
        (999_999, "bytes_sent", "999,999"),
        (999, "bytes_sent", "999"),
        (12_345, "requests", "12,345"),
        (None, "x", "–"),
        (float("nan"), "x", "–"),
        (pd.NA, "x", "–"),
        (pd.NaT, "x", "–"),
        (True, "x", "yes"),
        (pd.Timestamp("2024-03-04 13:00:00"), "hour", "2024-03-04 13:00:00"),
        (pd.Timestamp("2024-03-04"), "day", "2024-03-04"),
        (date(2024, 3, 4), "day", "2024-03-04"),
        (datetime(2024, 3, 4, 0, 0, 5), "t", "2024-03-04 00:00:05"),
    ],
)
def test_values_read_as_people_write_them(value: object, column: str, text: str) -> None:
    assert format_value(value, column) == text


def test_one_unit_system_decimal_everywhere() -> None:
    assert human_bytes(10 * 10**9) == "10.0 GB"
    assert human_bytes(10 * 2**30) == "10.7 GB"  # a GiB threshold still reads in GB
    assert human_bytes(3 * 10**15) == "3.0 PB"
    assert "GiB" not in format_value(2**40, "bytes_sent")


def test_headers_wrap_between_words() -> None:
    assert header_label("distinct_requesters") == "distinct requesters"
    page = table_html(pd.DataFrame({"bytes_sent": [1], "first_seen": ["x"]}), 10)
    assert '<th title="bytes_sent" class="num">bytes sent</th>' in page
    assert '<th title="first_seen">first seen</th>' in page


class _Cells(HTMLParser):
    """The text, title and classes of every td; element names seen."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[dict[str, str]] = []
        self.tags: list[str] = []
        self._cell: dict[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "td":
            values = {k: v or "" for k, v in attrs}
            self._cell = {"text": "", "title": values.get("title", ""),
                          "class": values.get("class", "")}  # fmt: skip
            self.cells.append(self._cell)

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell["text"] += data


def cells(page: str) -> list[dict[str, str]]:
    parser = _Cells()
    parser.feed(page)
    return parser.cells


def test_short_tokens_never_wrap_and_long_values_wrap_after_separators() -> None:
    (ip,) = cells(text_cell("203.0.113.77"))
    assert ip == {"text": "203.0.113.77", "title": "", "class": "nw"}
    operation = text_cell("REST.PUT.PUBLIC_ACCESS_BLOCK")
    assert operation == (
        '<td title="REST.PUT.PUBLIC_ACCESS_BLOCK">'
        "REST.<wbr>PUT.<wbr>PUBLIC_<wbr>ACCESS_<wbr>BLOCK</td>"
    )
    # In a sentence, short words stay whole (a date never breaks at its hyphens).
    (agent,) = cells(text_cell("aws-cli/2.15.0 Python/3.11.6 Linux/6.1.0"))
    assert agent["text"] == "aws-cli/2.15.0 Python/3.11.6 Linux/6.1.0"
    assert '<span class="nw">aws-cli/2.15.0</span>' in text_cell("aws-cli/2.15.0 Python/3.11.6")
    # Wrapping never splits a word: every break opportunity follows a separator or a space.
    for piece in re.split(r"<wbr>", text_cell(ARN))[:-1]:
        assert piece[-1] in "/:.,-_=&?@;|\\+", piece


def test_long_values_are_shortened_in_the_middle_with_the_whole_text_on_hover() -> None:
    key = "exports/2024/03/" + "x" * 300 + "/final report.csv"
    (cell,) = cells(text_cell(key))
    assert cell["title"] == key
    assert len(cell["text"]) <= MAX_CELL_CHARS
    assert cell["text"].startswith("exports/2024/03/") and cell["text"].endswith("report.csv")
    assert "…" in cell["text"]
    (arn,) = cells(text_cell(ARN))
    assert arn["title"] == ARN and arn["text"].endswith("/bob@example.com")


HOSTILE = [
    "<script>alert(1)</script>",
    '"onmouseover="alert(1)',
    "x' onmouseover='alert(1)' y='",
    "</style><img src=x onerror=alert(1)>",
    "</td></tr></table><script>alert(1)</script>",
    "&lt;script&gt; already escaped &amp;",
    '"onmouseover=alert(1) ' + "A" * 200 + " </style></script><b>",  # shortened: a title
]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_values_stay_text_in_cells_and_titles(value: str) -> None:
    frame = pd.DataFrame({"useragent": [value], "requests": [1]})
    page = table_html(frame, 10)
    parser = _Cells()
    parser.feed(page)
    assert set(parser.tags) <= {"div", "table", "thead", "tbody", "tr", "th", "td", "span", "wbr"}
    (cell, _) = parser.cells
    assert cell["title"] in ("", value)
    if cell["title"]:
        assert f'title="{html.escape(value, quote=True)}"' in page
    assert cell["text"].replace("…", "") in value or cell["title"] == value
    for raw in ("<script", "<img", "</style", 'onmouseover="alert', "<b>"):
        if raw in value:
            assert raw not in page


def test_a_highlighted_row_is_marked() -> None:
    frame = pd.DataFrame({"who": ["a", "b"], "unusual": ["usual", "unusual"]})
    page = table_html(frame, 10, highlight=("unusual", "unusual"))
    assert page.count('<tr class="highlight">') == 1
    assert '<tr class="highlight"><td class="nw">b</td>' in page


def test_times_wrap_only_between_date_and_time() -> None:
    frame = pd.DataFrame({"hour": [pd.Timestamp("2024-03-04 13:00:00")]})
    assert (
        '<td><time datetime="2024-03-04 13:00:00"><span class="nw">2024-03-04</span> '
        '<span class="nw">13:00:00</span></time></td>'
    ) in table_html(frame, 10)


def test_bytes_keep_their_unit_together() -> None:
    page = table_html(pd.DataFrame({"bytes_sent": [64_736_340_079]}), 10)
    assert '<td class="num">64,736,340,079 <span class="nw">(64.7 GB)</span></td>' in page


def test_empty_tables_say_why_and_rows_are_counted_right() -> None:
    empty = table_html(pd.DataFrame({"a": []}), 5, "None found.")
    assert empty == '<p class="empty">None found.</p>'
    page = table_html(pd.DataFrame({"a": range(6)}), 5)
    assert "1 more row not shown." in page
