"""The HTML report: self-contained, every section and number present, data escaped, and
(with headless Chromium) charts that really render without console errors."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from s3logs_athena.errors import InputError
from s3logs_athena.generator import GeneratorConfig, generate
from s3logs_athena.report import Chart, Section, chart_spec, render_report, write_report
from tests.browser import visit

EVIL_AGENT = '</script><script>alert("pwned")</script><img src=x onerror=alert(1)>'
FIXED_TIME = datetime(2024, 3, 8, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def sections() -> dict[str, Section]:
    """Sections like the report command's, from a small generated dataset's ground truth."""
    truth = generate(
        GeneratorConfig(buckets=3, days=2, objects_per_day=6, records_per_object=40)
    ).truth
    per_day = pd.DataFrame(truth.per_day_bucket)
    top = pd.DataFrame(truth.requesters[:8]).rename(columns={"name": "requester"})
    top["requester"] = top["requester"].fillna("-")
    ips = pd.DataFrame(truth.remote_ips[:8]).rename(columns={"name": "remote_ip"})
    burst = truth.access_denied_burst
    bulk = truth.bulk_download
    assert burst is not None and bulk is not None
    denied = pd.DataFrame({"hour": list(burst.by_hour), "requests": list(burst.by_hour.values())})
    denied["remoteip"] = burst.remote_ip
    bulk_rows = pd.DataFrame(
        [[bulk.requester, bulk.remote_ip, bulk.requests, bulk.bytes_sent]],
        columns=["requester", "remoteip", "requests", "bytes_sent"],
    )
    agents = pd.DataFrame({"useragent": [EVIL_AGENT, "aws-cli/2"], "requests": [3, 9]})
    egress = per_day.groupby("day", as_index=False)["bytes_sent"].sum()
    return {
        "requests": Section(
            "Requests per day and bucket",
            per_day[["day", "bucket", "requests"]],
            note="Counted by request time (UTC).",
            chart=Chart(x="day", y="requests", color="bucket"),
        ),
        "errors": Section(
            "Errors per day and bucket",
            per_day[["day", "bucket", "errors", "access_denied"]],
            chart=Chart(x="day", y="errors", color="bucket"),
        ),
        "egress": Section("Egress per day", egress, chart=Chart("day", "bytes_sent", mark="area")),
        "top-requesters": Section("Top requesters", top, chart=Chart("bytes_sent", "requester")),
        "top-ips": Section("Top IPs", ips, chart=Chart(x="requests", y="remote_ip")),
        "access-denied": Section(
            "AccessDenied per hour", denied, chart=Chart(x="hour", y="requests", mark="line")
        ),
        "bulk": Section(
            "Bulk downloads", bulk_rows, note="More than 10 GB by one principal in a day."
        ),
        "agents": Section("User agents", agents, chart=Chart(x="requests", y="useragent")),
    }


@pytest.fixture(scope="module")
def page(sections: dict[str, Section]) -> str:
    return render_report(
        sections, title="Test report", subtitle="2024-03-04 to 2024-03-06",
        summary={"requests": 12345, "egress_bytes": 98_765_432_100}, generated_at=FIXED_TIME,
    )  # fmt: skip


def _embedded_specs(page: str) -> dict[str, dict[str, object]]:
    found = re.search(r"var specs = (\{.*?\});\n", page, re.DOTALL)
    assert found, "chart specs not found"
    specs: dict[str, dict[str, object]] = json.loads(found.group(1))
    return specs


def _markup(page: str) -> str:
    """The page without the inlined chart libraries (the first <script> element)."""
    head, _, rest = page.partition("<script>")
    bundle, _, tail = rest.partition("</script>")
    assert "vegaEmbed" in bundle and len(bundle) > 500_000  # the libraries are really inside
    return head + tail


def test_the_page_is_self_contained(page: str) -> None:
    """No markup that loads anything; what the libraries might fetch at run time is checked
    in the browser test (it records every request)."""
    assert page.startswith("<!DOCTYPE html>")
    markup = _markup(page)
    assert not re.search(r"<script[^>]*\bsrc\s*=", page, re.IGNORECASE)
    assert not re.search(r"<link\b", markup, re.IGNORECASE)
    assert not re.search(r"@import|url\(", markup, re.IGNORECASE)
    assert not re.search(r"<(img|iframe|object|embed|video|audio|source)\b", markup, re.IGNORECASE)
    assert not re.search(r"(src|href)\s*=\s*[\"']?(https?:)?//", markup, re.IGNORECASE)
    assert page.count("<script>") == 2  # the inlined libraries, then the chart calls


def test_every_section_and_its_numbers_are_shown(page: str, sections: dict[str, Section]) -> None:
    for anchor, section in sections.items():
        assert f'<section id="{anchor}"><h2>{section.title}</h2>' in page
        assert f'href="#{anchor}"' in page
        rows = len(section.frame)
        assert f"Data ({rows:,} {'row' if rows == 1 else 'rows'})" in page
        for column in section.frame.columns:
            series = section.frame[column]
            if pd.api.types.is_integer_dtype(series):
                for value in series.head(section.max_rows):
                    assert f">{int(value):,}" in page, (anchor, column, value)
    assert "Counted by request time (UTC)." in page
    assert "12,345" in page and "98,765,432,100 (98.8 GB)" in page
    assert "Generated 2024-03-08 09:30 UTC" in page


def test_charts_carry_the_data(page: str, sections: dict[str, Section]) -> None:
    specs = _embedded_specs(page)
    charted = [a for a, s in sections.items() if s.chart is not None]
    assert sorted(specs) == sorted(f"chart-{a}" for a in charted)
    requests = specs["chart-requests"]
    values = next(iter(requests["datasets"].values()))  # type: ignore[union-attr]
    assert sum(v["requests"] for v in values) == sections["requests"].frame["requests"].sum()
    assert requests["encoding"]["color"]["field"] == "bucket"  # type: ignore[index]
    assert requests["$schema"].startswith("https://vega.github.io/schema/vega-lite/")  # type: ignore[union-attr]


def test_log_data_cannot_break_out_of_the_page(page: str) -> None:
    assert EVIL_AGENT not in page
    markup = _markup(page)
    assert "<img" not in markup and "<script>alert" not in markup
    # The table cell shows the text, escaped.
    assert "&lt;/script&gt;&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;&lt;img" in markup
    specs = _embedded_specs(page)  # the chart data holds the exact text
    values = next(iter(specs["chart-agents"]["datasets"].values()))  # type: ignore[union-attr]
    assert EVIL_AGENT in {v["useragent"] for v in values}
    assert page.lower().count("</script") == 2


def test_bare_frames_empty_frames_and_long_tables() -> None:
    page = render_report(
        {
            "plain table": pd.DataFrame({"key": ["a b", "c"], "n": [1, 2]}),
            "nothing": Section("Nothing found", pd.DataFrame({"x": []}), chart=Chart("x", "x")),
            "long": Section("Long", pd.DataFrame({"n": range(120)}), max_rows=10),
        },
        generated_at=FIXED_TIME,
    )
    assert '<section id="plain-table"><h2>plain table</h2>' in page
    assert "No rows." in page
    assert "110 more rows not shown." in page
    assert "<script></script>" in page  # no charts, no libraries
    assert 'document.body.dataset.charts = "none"' in page


def test_rendering_is_deterministic(sections: dict[str, Section], page: str) -> None:
    again = render_report(
        sections, title="Test report", subtitle="2024-03-04 to 2024-03-06",
        summary={"requests": 12345, "egress_bytes": 98_765_432_100}, generated_at=FIXED_TIME,
    )  # fmt: skip
    assert again == page


def test_a_chart_of_a_missing_column_is_an_input_error() -> None:
    section = Section("Oops", pd.DataFrame({"a": [1]}), chart=Chart(x="a", y="b"))
    with pytest.raises(InputError, match=r"\['b'\]"):
        chart_spec(section)


def test_dates_become_utc_time_axes() -> None:
    frame = pd.DataFrame({"day": [date(2024, 3, 4), date(2024, 3, 5)], "requests": [5, 7]})
    bar = chart_spec(Section("d", frame, chart=Chart("day", "requests")))
    assert bar["encoding"]["x"]["type"] == "ordinal"
    assert bar["encoding"]["x"]["timeUnit"] == "utcyearmonthdate"
    line = chart_spec(Section("d", frame, chart=Chart("day", "requests", mark="line")))
    assert line["encoding"]["x"]["type"] == "temporal"
    assert line["encoding"]["x"]["scale"] == {"type": "utc"}


def test_write_report_creates_the_file(tmp_path: Path, sections: dict[str, Section]) -> None:
    target = write_report(tmp_path / "out" / "report.html", {"bulk": sections["bulk"]})
    assert target.read_text("utf-8").startswith("<!DOCTYPE html>")


@pytest.mark.browser
def test_charts_render_in_headless_chromium(tmp_path: Path, page: str) -> None:
    from PIL import Image

    path = tmp_path / "report.html"
    path.write_text(page, encoding="utf-8")
    seen = visit(path)
    assert seen.charts_state == "ok", seen.console_errors
    assert seen.console_errors == []
    # No request left the file: nothing fetched over the network.
    assert [u for u in seen.requests if not u.startswith(("file:", "data:", "about:"))] == []
    # Every chart drew its marks (axes, bars, lines are SVG elements).
    assert len(seen.chart_elements) == 7 and min(seen.chart_elements) > 20
    image = Image.open(io.BytesIO(seen.screenshot)).convert("RGB")
    assert image.size == (1200, 1600)
    colors = image.getcolors(maxcolors=1 << 20) or []
    assert len(colors) > 50  # not a blank page
    white = sum(n for n, rgb in colors if min(rgb) > 245)
    assert white < 0.95 * image.size[0] * image.size[1]
    # Vega's default blue (#4c78a8) and orange (#f58518) mark fills are on screen.
    assert any(abs(r - 0x4C) + abs(g - 0x78) + abs(b - 0xA8) < 12 for _, (r, g, b) in colors)
    assert any(abs(r - 0xF5) + abs(g - 0x85) + abs(b - 0x18) < 12 for _, (r, g, b) in colors)


@pytest.mark.browser
def test_a_broken_chart_is_caught_by_the_browser_check(tmp_path: Path) -> None:
    """The check above can fail: a spec Vega rejects shows as an error state and a console
    error."""
    page = render_report(
        {"one": Section("One", pd.DataFrame({"a": [1], "b": [2]}), chart=Chart("a", "b"))},
        generated_at=FIXED_TIME,
    )
    broken = page.replace('"mark": {"type": "bar"', '"mark": {"type": "no-such-mark"', 1)
    assert broken != page
    path = tmp_path / "broken.html"
    path.write_text(broken, encoding="utf-8")
    seen = visit(path)
    assert seen.charts_state == "error"
    assert seen.console_errors


def test_the_browser_check_skips_cleanly_without_chromium(monkeypatch: pytest.MonkeyPatch) -> None:
    import tests.browser

    monkeypatch.delenv("CHROMIUM", raising=False)
    monkeypatch.setattr(tests.browser.Path, "is_file", lambda self: False)
    monkeypatch.setattr(tests.browser.shutil, "which", lambda name: None)
    with pytest.raises(pytest.skip.Exception, match="apt-get install chromium"):
        tests.browser.chromium_or_skip()


HOSTILE_LONG = (
    '"onmouseover="alert(1)" x=\' </style><style>*{display:none}</style></script>'
    "<script>alert(2)</script> " + "/very/long/key" * 12
)


class _Elements(HTMLParser):
    """Every start tag and its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))


def test_hostile_values_stay_text_in_titles_headers_and_notes() -> None:
    """Values long enough to be shortened carry their full text in a title attribute: it is
    escaped there too, as are column names, titles, notes and the notice."""
    frame = pd.DataFrame({HOSTILE_LONG: [HOSTILE_LONG], "useragent": [HOSTILE_LONG]})
    page = render_report(
        {"x": Section(HOSTILE_LONG, frame, note=HOSTILE_LONG, empty=HOSTILE_LONG),
         "e": Section("Empty", frame.head(0), empty=HOSTILE_LONG)},
        title=HOSTILE_LONG, subtitle=HOSTILE_LONG, notice=HOSTILE_LONG,
        summary={HOSTILE_LONG: 1}, generated_at=FIXED_TIME,
    )  # fmt: skip
    parser = _Elements()
    parser.feed(page)
    tags = [tag for tag, _ in parser.elements]
    assert tags.count("style") == 1 and tags.count("script") == 2
    assert not [a for _, attrs in parser.elements for a in attrs if a.startswith("on")]
    titles = [
        attrs["title"] for tag, attrs in parser.elements if tag in ("td", "th") and "title" in attrs
    ]
    assert titles.count(HOSTILE_LONG) == 3  # the header and both cells, exactly
    assert page.count("</style>") == 1 and page.count("</script>") == 2


@pytest.mark.browser
@pytest.mark.parametrize("width", [1400, 800])
def test_the_page_reads_well_at_1400_and_800_pixels(tmp_path: Path, page: str, width: int) -> None:
    path = tmp_path / "report.html"
    path.write_text(page, encoding="utf-8")
    seen = visit(path, width=width, layout=True)
    assert seen.charts_state == "ok", seen.console_errors
    assert seen.layout_problems == []


@pytest.mark.browser
def test_the_layout_check_finds_broken_words_overflow_and_overlapping_titles(
    tmp_path: Path, page: str
) -> None:
    """The check above can fail: words broken anywhere (the old ``word-break``), a cell too
    narrow for its text, an axis title moved onto its labels."""
    broken = page.replace(
        "</style>",
        "table { width: 300px; table-layout: fixed; } th, td { word-break: break-all; }"
        " .nw { display: inline-block; width: 5px; } </style>",
        1,
    )
    broken = broken.replace('"titleX": 0, "titleY": -6', '"titleX": -10, "titleY": 18', 1)
    assert broken.count("word-break: break-all") == 1 and '"titleX": -10' in broken
    path = tmp_path / "broken.html"
    path.write_text(broken, encoding="utf-8")
    seen = visit(path, width=800, layout=True)
    kinds = {problem["kind"] for problem in seen.layout_problems}
    assert {"mid-word", "overflow", "axis-title-overlap"} <= kinds, seen.layout_problems[:5]


@pytest.mark.browser
def test_hostile_values_stay_text_in_chart_tooltips(tmp_path: Path) -> None:
    """Hovering a bar shows the value as text: no element of it, no script run."""
    evil = '<img src=x onerror="window.pwned=1">"onmouseover="window.pwned=1" </style>'
    frame = pd.DataFrame({"useragent": [evil, "aws-cli/2"], "requests": [3, 9]})
    page = render_report(
        {"agents": Section("Agents", frame, chart=Chart(x="requests", y="useragent"))},
        generated_at=FIXED_TIME,
    )
    path = tmp_path / "evil.html"
    path.write_text(page, encoding="utf-8")
    seen = visit(path, tooltips=True, layout=True)
    assert seen.charts_state == "ok" and not seen.pwned
    shown = [tip for tip in seen.tooltips if evil in tip["text"]]
    assert shown, seen.tooltips
    assert all(set(tip["tags"]) <= {"table", "tbody", "tr", "td"} for tip in seen.tooltips)
    assert seen.layout_problems == []


def test_options_and_commands_in_notes_are_code_that_does_not_break() -> None:
    page = render_report(
        {"x": Section("X", pd.DataFrame({"a": [1]}), note="Set --bulk-min-bytes <b>here</b>.")},
        notice="Fill it with s3logs-athena sync.",
        generated_at=FIXED_TIME,
    )
    assert '<p class="note">Set <code>--bulk-min-bytes</code> &lt;b&gt;here&lt;/b&gt;.</p>' in page
    assert '<p class="notice">Fill it with <code>s3logs-athena sync</code>.</p>' in page
    assert "white-space: nowrap; }" in page.split("code {", 1)[1].split("\n", 1)[0]
