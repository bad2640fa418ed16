"""The Vega-Lite specifications of the report's charts (s3logs_athena.report.charts)."""

from __future__ import annotations

import pandas as pd

from s3logs_athena.report import HIGHLIGHT, MUTED, Chart, Section, chart_spec

TOP = pd.DataFrame(
    {
        "requester": ["arn:aws:iam::123456789012:user/" + "x" * 60, "-", "alice"],
        "bytes_sent": [64_000_000_000, 3_000_000, 5],
        "unusual": ["unusual", "usual", "usual"],
    }
)


def test_category_axes_keep_their_title_off_the_labels() -> None:
    """The y title sits upright above the labels, ending at the axis line, and long labels
    lose their middle (the end of an ARN tells principals apart)."""
    spec = chart_spec(Section("t", TOP, chart=Chart(x="bytes_sent", y="requester")))
    axis = spec["encoding"]["y"]["axis"]
    assert (axis["titleAngle"], axis["titleY"], axis["titleX"], axis["titleAlign"]) == (
        0, -6, 0, "right"
    )  # fmt: skip
    assert "slice(datum.label" in axis["labelExpr"] and axis["labelLimit"] > 0
    assert spec["encoding"]["y"]["sort"] == {
        "field": "bytes_sent", "op": "sum", "order": "descending"
    }  # fmt: skip
    assert spec["height"] == {"step": 24}  # one band per requester, however few


def test_byte_axes_use_the_reports_units() -> None:
    spec = chart_spec(Section("t", TOP, chart=Chart(x="bytes_sent", y="requester")))
    axis = spec["encoding"]["x"]["axis"]
    assert axis["labelExpr"] == "format(datum.value, '~s') + 'B'"
    assert axis["labelOverlap"] == "greedy"  # "64GB" labels never touch
    assert spec["encoding"]["x"]["title"] == "bytes sent"


def test_a_highlighted_value_gets_the_highlight_colour() -> None:
    chart = Chart(
        x="bytes_sent", y="requester", color="unusual",
        colors=(("unusual", HIGHLIGHT), ("usual", MUTED)),
    )  # fmt: skip
    color = chart_spec(Section("t", TOP, chart=chart))["encoding"]["color"]
    assert color["scale"] == {"domain": ["unusual", "usual"], "range": [HIGHLIGHT, MUTED]}
    assert color["field"] == "unusual"
    plain = chart_spec(Section("t", TOP, chart=Chart("bytes_sent", "requester", color="unusual")))
    assert "scale" not in plain["encoding"]["color"]


def test_a_chart_can_draw_other_rows_than_the_table() -> None:
    totals = pd.DataFrame({"requester": ["a"], "reason": ["SigV2"], "requests": [15]})
    section = Section(
        "t", TOP, chart=Chart(x="requests", y="requester", color="reason"), chart_frame=totals
    )
    spec = chart_spec(section)
    (values,) = spec["datasets"].values()
    assert values == [{"requester": "a", "reason": "SigV2", "requests": 15}]
