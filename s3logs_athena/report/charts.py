"""Vega-Lite specifications for the report's charts (built with altair).

Axis types follow the column dtypes (dates -> UTC time axes or one bar per day, numbers ->
quantitative, text -> categories). Byte axes use decimal units like the tables (``60GB``).
A bar chart with categories on y is a sorted "top N": one 24-pixel band per category, the
axis title set above the labels (never across them: labels of ARNs are long). A chart may
colour fixed values with fixed colours (:attr:`Chart.colors`), so a highlighted item is drawn
in :data:`HIGHLIGHT` and the rest in :data:`MUTED`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Literal

import altair as alt
import pandas as pd

from ..errors import InputError
from .cells import header_label

if TYPE_CHECKING:
    from .html import Section

__all__ = ["HIGHLIGHT", "MUTED", "Chart", "chart_spec"]

Mark = Literal["bar", "line", "area", "point"]

#: The colour of what a chart points out (an unusual principal), and of the rest.
HIGHLIGHT = "#d62728"
MUTED = "#9aa5b1"

#: Widest category label (pixels); a longer one ends in an ellipsis (full text on hover).
_LABEL_LIMIT = 300
#: Height of one category band in horizontal bar charts.
_BAND = 24
_BYTES_LABEL = "format(datum.value, '~s') + 'B'"
#: Long category labels (ARNs) lose their middle, not their end: the end tells them apart.
_LABEL_CHARS = 56
_SHORT_LABEL = (
    f"length(datum.label) > {_LABEL_CHARS} ? slice(datum.label, 0, {_LABEL_CHARS // 2 - 4}) "
    f"+ '…' + slice(datum.label, -{_LABEL_CHARS // 2 + 3}) : datum.label"
)


@dataclass(frozen=True)
class Chart:
    """How to chart a section's frame: columns for x, y and (optionally) color.

    ``colors`` pins colours to values of the ``color`` column (in legend order), e.g.
    ``(("unusual", HIGHLIGHT), ("usual", MUTED))``; other values are not drawn.
    """

    x: str
    y: str
    mark: Mark = "bar"
    color: str | None = None
    title: str | None = None
    tooltip: tuple[str, ...] | None = None  # default: every column (up to 8)
    height: int = 260
    colors: tuple[tuple[str, str], ...] | None = None


def _chart_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Python dates (object columns) become timestamps so Vega-Lite gets a time axis."""
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if (
            series.dtype == object
            and len(series.dropna())
            and all(isinstance(v, date) for v in series.dropna())
        ):
            out[column] = pd.to_datetime(series, utc=True)
    return out


def _encoding_type(series: pd.Series) -> str:
    if pd.api.types.is_datetime64_any_dtype(series):
        return "temporal"
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return "quantitative"
    return "nominal"


def _has_times(series: pd.Series) -> bool:
    values = series.dropna()
    return bool(len(values)) and bool((values.dt.hour != 0).any() or (values.dt.minute != 0).any())


def _channel(
    frame: pd.DataFrame, column: str, other: str | None, channel: type[Any], mark: Mark
) -> Any:
    kind = _encoding_type(frame[column])
    options: dict[str, Any] = {"title": header_label(column)}
    if kind == "temporal" and mark == "bar":
        # Bars per day (or hour) as categories: wide bars, one label each, in UTC.
        unit = "utcyearmonthdatehours" if _has_times(frame[column]) else "utcyearmonthdate"
        return channel(column, type="ordinal", timeUnit=unit, **options)
    if kind == "quantitative" and "bytes" in column.lower():
        # "64GB" is wider than the number Vega spaces its ticks for: drop labels that touch.
        options["axis"] = alt.Axis(labelExpr=_BYTES_LABEL, labelOverlap="greedy",
                                   labelSeparation=8)  # fmt: skip
    elif kind == "nominal":
        axis: dict[str, Any] = {"labelLimit": _LABEL_LIMIT, "labelExpr": _SHORT_LABEL}
        if channel is alt.Y:
            # Upright, above the labels and ending at the axis line: a title turned on its
            # side is placed by the labels' estimated width and can land on long labels.
            axis.update(titleAngle=0, titleAlign="right", titleBaseline="bottom",
                        titleX=0, titleY=-6)  # fmt: skip
        options["axis"] = alt.Axis(**axis)
        if other is not None and _encoding_type(frame[other]) == "quantitative":
            options["sort"] = alt.EncodingSortField(field=other, op="sum", order="descending")
    elif kind == "temporal":
        timed = _has_times(frame[column])
        options["axis"] = alt.Axis(format="%Y-%m-%d %H:%M" if timed else "%Y-%m-%d")
        options["scale"] = alt.Scale(type="utc")  # log times are UTC; show them so
    return channel(column, type=kind, **options)


def chart_spec(section: Section) -> dict[str, Any]:
    """The Vega-Lite specification (a dict) for a section's chart."""
    assert section.chart is not None
    spec = section.chart
    frame = _chart_frame(section.chart_frame if section.chart_frame is not None else section.frame)
    missing = [
        c for c in (spec.x, spec.y, spec.color, *(spec.tooltip or ())) if c and c not in frame
    ]
    if missing:
        raise InputError(
            f"section {section.title!r}: chart columns {missing} are not in the frame "
            f"(its columns: {list(frame.columns)})"
        )
    encodings: dict[str, Any] = {
        "x": _channel(frame, spec.x, spec.y, alt.X, spec.mark),
        "y": _channel(frame, spec.y, spec.x, alt.Y, spec.mark),
        "tooltip": list(spec.tooltip or frame.columns[:8]),
    }
    if spec.color:
        color: dict[str, Any] = {"type": "nominal", "title": header_label(spec.color)}
        if spec.colors:
            color["scale"] = alt.Scale(
                domain=[value for value, _ in spec.colors],
                range=[colour for _, colour in spec.colors],
            )
        encodings["color"] = alt.Color(spec.color, **color)
    horizontal = _encoding_type(frame[spec.y]) == "nominal"
    height: Any = alt.Step(_BAND) if horizontal else spec.height
    mark = getattr(alt.Chart(frame), f"mark_{spec.mark}")(tooltip=True)
    chart = mark.encode(**encodings).properties(
        width="container", height=height, title=spec.title or ""
    )
    result: dict[str, Any] = chart.to_dict()
    return result
