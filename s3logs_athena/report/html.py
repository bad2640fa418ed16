"""Render query results as one self-contained HTML report.

The input is a mapping of section id -> :class:`Section` (a DataFrame with a title, a note and
optionally a :class:`Chart`) or a bare DataFrame; the ``report`` command and the demo run the
queries and hand their frames over. The output is a single HTML file that needs no network
to view: charts are Vega-Lite specifications built with altair and drawn by the Vega, Vega-Lite
and vega-embed JavaScript that ``vl-convert-python`` ships, inlined once into the page.
Tables are plain HTML with thousands separators (bytes also in GB).

Log data is attacker-controlled (user agents, keys, referrers), so every text goes through
HTML escaping and the chart data is embedded as JSON with ``<``, ``>`` and ``&`` escaped: a
user agent such as ``</script><script>...`` stays text.
"""

from __future__ import annotations

import functools
import html
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

import altair as alt
import pandas as pd

from ..errors import InputError

__all__ = ["Chart", "Section", "chart_spec", "render_report", "write_report"]

Mark = Literal["bar", "line", "area", "point"]


@dataclass(frozen=True)
class Chart:
    """How to chart a section's frame: columns for x, y and (optionally) color.

    Axis types follow the column dtypes (dates -> time axis, numbers -> quantitative, text ->
    categories). A bar chart with categories on y (``horizontal``) sorts them by value, for
    "top N" lists. Values of columns named like ``*bytes*`` get SI-prefixed axes (``60G``).
    """

    x: str
    y: str
    mark: Mark = "bar"
    color: str | None = None
    title: str | None = None
    tooltip: tuple[str, ...] | None = None  # default: every column (up to 8)
    height: int = 260


@dataclass(frozen=True)
class Section:
    """One part of the report: a title, a note, an optional chart and the data as a table."""

    title: str
    frame: pd.DataFrame
    note: str | None = None
    chart: Chart | None = None
    #: Table rows shown (the chart always uses every row).
    max_rows: int = 50


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug or "section"


# Expose the libraries as globals (vl-convert's documented default, spelled out).
_GLOBALS_SNIPPET = "window.vegaEmbed = vegaEmbed; window.vega = vega; window.vegaLite = vegaLite;"


@functools.cache
def _javascript_bundle() -> str:
    """vega + vega-lite + vega-embed as one script (from vl-convert; no network)."""
    import vl_convert

    wanted = "v" + "_".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
    version = wanted if wanted in vl_convert.get_vegalite_versions() else None
    bundle: str = vl_convert.javascript_bundle(_GLOBALS_SNIPPET, vl_version=version)
    # Never let the bundle end our <script> element early.
    return re.sub(r"</(script)", r"<\\/\1", bundle, flags=re.IGNORECASE)


def _script_json(value: Any) -> str:
    """JSON safe to place inside a <script> element."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


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


def _channel(
    frame: pd.DataFrame, column: str, other: str | None, channel: type[Any], mark: Mark
) -> Any:
    kind = _encoding_type(frame[column])
    options: dict[str, Any] = {"title": column.replace("_", " ")}
    if kind == "temporal" and mark == "bar":
        # Bars per day (or hour) as categories: wide bars, one label each, in UTC.
        unit = "utcyearmonthdatehours" if _has_times(frame[column]) else "utcyearmonthdate"
        return channel(column, type="ordinal", timeUnit=unit, **options)
    if kind == "quantitative" and "bytes" in column.lower():
        options["axis"] = alt.Axis(format="~s")
    elif kind == "nominal":
        options["axis"] = alt.Axis(labelLimit=360)
        if other is not None and _encoding_type(frame[other]) == "quantitative":
            options["sort"] = alt.EncodingSortField(field=other, op="sum", order="descending")
    elif kind == "temporal":
        timed = _has_times(frame[column])
        options["axis"] = alt.Axis(format="%Y-%m-%d %H:%M" if timed else "%Y-%m-%d")
        options["scale"] = alt.Scale(type="utc")  # log times are UTC; show them so
    return channel(column, type=kind, **options)


def _has_times(series: pd.Series) -> bool:
    values = series.dropna()
    return bool(len(values)) and bool((values.dt.hour != 0).any() or (values.dt.minute != 0).any())


def chart_spec(section: Section) -> dict[str, Any]:
    """The Vega-Lite specification (a dict) for a section's chart."""
    assert section.chart is not None
    spec = section.chart
    frame = _chart_frame(section.frame)
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
        encodings["color"] = alt.Color(
            spec.color, type="nominal", title=spec.color.replace("_", " ")
        )
    horizontal = _encoding_type(frame[spec.y]) == "nominal"
    rows = frame[spec.y].nunique() if horizontal else 0
    height = max(spec.height, 22 * rows) if horizontal else spec.height
    mark = getattr(alt.Chart(frame), f"mark_{spec.mark}")(tooltip=True)
    chart = mark.encode(**encodings).properties(
        width="container", height=height, title=spec.title or ""
    )
    result: dict[str, Any] = chart.to_dict()
    return result


def _format_value(value: Any, column: str) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NaT:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int) or (hasattr(value, "dtype") and pd.api.types.is_integer(value)):
        text = f"{int(value):,}"
        if "bytes" in column.lower() and abs(int(value)) >= 1_000_000:
            text += f" ({_human_bytes(int(value))})"
        return text
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 1e15 else f"{value:.3e}"
    if isinstance(value, pd.Timestamp | datetime):
        return (
            value.strftime("%Y-%m-%d %H:%M:%S") if _is_timed(value) else value.strftime("%Y-%m-%d")
        )
    return str(value)


def _is_timed(value: datetime) -> bool:
    return bool(value.hour or value.minute or value.second)


def _human_bytes(count: int) -> str:
    size = float(count)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(size) < 1000 or unit == "TB":
            return f"{size:,.1f} {unit}"
        size /= 1000
    raise AssertionError("unreachable")


def _table(frame: pd.DataFrame, max_rows: int) -> str:
    if frame.empty:
        return '<p class="empty">No rows.</p>'
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns]
    rows = []
    for values in frame.head(max_rows).itertuples(index=False, name=None):
        cells = "".join(
            f'<td class="num">{html.escape(_format_value(v, str(c)))}</td>'
            if is_number
            else f"<td>{html.escape(_format_value(v, str(c)))}</td>"
            for v, c, is_number in zip(values, frame.columns, numeric, strict=True)
        )
        rows.append(f"<tr>{cells}</tr>")
    more = len(frame) - max_rows
    foot = f'<p class="more">{more:,} more rows not shown.</p>' if more > 0 else ""
    return (
        f'<div class="table"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>{foot}"
    )


def _summary(summary: Mapping[str, Any]) -> str:
    cards = "".join(
        f'<div class="card"><div class="value">{html.escape(_format_value(v, str(k)))}</div>'
        f'<div class="label">{html.escape(str(k))}</div></div>'
        for k, v in summary.items()
    )
    return f'<div class="summary">{cards}</div>' if cards else ""


def render_report(
    sections: Mapping[str, Section | pd.DataFrame],
    *,
    title: str = "S3 access log report",
    subtitle: str | None = None,
    summary: Mapping[str, Any] | None = None,
    generated_at: datetime | None = None,
) -> str:
    """The report as one HTML document (see the module docstring).

    ``sections`` keys become anchors; a bare DataFrame is shown as a table titled by its key.
    ``summary`` is a few headline figures shown as cards at the top.
    """
    generated = (generated_at or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    body: list[str] = []
    toc: list[str] = []
    specs: dict[str, dict[str, Any]] = {}
    used: set[str] = set()
    for name, value in sections.items():
        section = value if isinstance(value, Section) else Section(title=name, frame=value)
        anchor = _slug(name)
        while anchor in used:
            anchor += "-x"
        used.add(anchor)
        toc.append(f'<li><a href="#{anchor}">{html.escape(section.title)}</a></li>')
        parts = [f'<section id="{anchor}"><h2>{html.escape(section.title)}</h2>']
        if section.note:
            parts.append(f'<p class="note">{html.escape(section.note)}</p>')
        if section.chart is not None and not section.frame.empty:
            chart_id = f"chart-{anchor}"
            specs[chart_id] = chart_spec(section)
            parts.append(f'<div class="chart" id="{chart_id}"></div>')
        rows = len(section.frame)
        parts.append(
            f"<details{' open' if rows <= 25 else ''}><summary>Data ({rows:,} rows)</summary>"
            f"{_table(section.frame, section.max_rows)}</details></section>"
        )
        body.append("".join(parts))
    return _PAGE.format(
        title=html.escape(title),
        subtitle=f'<p class="subtitle">{html.escape(subtitle)}</p>' if subtitle else "",
        generated=html.escape(generated),
        summary=_summary(summary or {}),
        toc="".join(toc),
        body="\n".join(body),
        bundle=_javascript_bundle() if specs else "",
        specs=_script_json(specs),
        style=_STYLE,
    )


def write_report(
    path: str | Path, sections: Mapping[str, Section | pd.DataFrame], **options: Any
) -> Path:
    """Render (see :func:`render_report`) and write the report to ``path`` (UTF-8)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render_report(sections, **options), encoding="utf-8")
    return target


_STYLE = """
:root { --fg: #1f2933; --muted: #616e7c; --line: #d9e2ec; --accent: #2f6fb0; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg);
       margin: 0 auto; max-width: 1100px; padding: 24px; }
h1 { margin: 0 0 4px; font-size: 26px; } h2 { margin: 32px 0 8px; font-size: 20px; }
.subtitle, .generated, .note, .more, .empty { color: var(--muted); margin: 4px 0; }
nav ol { columns: 2; padding-left: 20px; } nav a { color: var(--accent); }
.summary { display: flex; flex-wrap: wrap; gap: 12px; margin: 16px 0; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; min-width: 150px; }
.card .value { font-size: 20px; font-weight: 600; } .card .label { color: var(--muted); }
.chart { width: 100%; margin: 8px 0; }
.table { overflow-x: auto; } table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left;
         vertical-align: top; word-break: break-word; }
th { background: #f5f7fa; position: sticky; top: 0; } td.num { text-align: right;
         white-space: nowrap; font-variant-numeric: tabular-nums; }
summary { cursor: pointer; color: var(--accent); margin: 6px 0; }
"""

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{style}</style>
<script>{bundle}</script>
</head>
<body data-charts="pending">
<header><h1>{title}</h1>{subtitle}<p class="generated">Generated {generated}</p></header>
{summary}
<nav><ol>{toc}</ol></nav>
{body}
<script>
(function () {{
  var specs = {specs};
  var ids = Object.keys(specs);
  if (!ids.length) {{ document.body.dataset.charts = "none"; return; }}
  Promise.all(ids.map(function (id) {{
    return vegaEmbed("#" + id, specs[id], {{actions: false, renderer: "svg"}});
  }})).then(function () {{
    document.body.dataset.charts = "ok";
  }}).catch(function (error) {{
    document.body.dataset.charts = "error";
    console.error(error);
  }});
}})();
</script>
</body>
</html>
"""
