"""Render query results as one self-contained HTML report.

The input is a mapping of section id -> :class:`Section` (a DataFrame with a title, a note and
optionally a :class:`Chart`) or a bare DataFrame; the ``report`` command and the demo run the
queries and hand their frames over. The output is a single HTML file that needs no network
to view: charts are Vega-Lite specifications built with altair and drawn by the Vega, Vega-Lite
and vega-embed JavaScript that ``vl-convert-python`` ships, inlined once into the page.
Tables are plain HTML (see :mod:`s3logs_athena.report.cells`: thousands separators, bytes
also in GB, lines that break between words only); charts are :mod:`s3logs_athena.report.charts`.

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
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd

from .cells import count_label, format_value, table_html
from .charts import Chart, chart_spec

__all__ = ["Chart", "Section", "chart_spec", "render_report", "write_report"]


@dataclass(frozen=True)
class Section:
    """One part of the report: a title, a note, an optional chart and the data as a table."""

    title: str
    frame: pd.DataFrame
    note: str | None = None
    chart: Chart | None = None
    #: Table rows shown (the chart always uses every row).
    max_rows: int = 50
    #: What the chart draws when it is not the table (e.g. totals of the table's rows).
    chart_frame: pd.DataFrame | None = None
    #: Said instead of the table when the frame has no rows: why, in the reader's terms.
    empty: str = "No rows."
    #: Rows to point out in the table, as (column, value): drawn in the highlight colour.
    highlight: tuple[str, str] | None = None


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


def _prose(text: str) -> str:
    """Escaped text whose command-line options (``--bulk-min-bytes``) and commands
    (``s3logs-athena sync``) are code that never breaks at its hyphens."""
    escaped = html.escape(text)
    return re.sub(
        r"(?<![\w-])(--[a-z][a-z-]*|s3logs-athena(?: [a-z]+)?)", r"<code>\1</code>", escaped
    )


def _summary(summary: Mapping[str, Any]) -> str:
    cards = "".join(
        f'<div class="card"><div class="value">{html.escape(format_value(v, str(k)))}</div>'
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
    notice: str | None = None,
    generated_at: datetime | None = None,
) -> str:
    """The report as one HTML document (see the module docstring).

    ``sections`` keys become anchors; a bare DataFrame is shown as a table titled by its key.
    ``summary`` is a few headline figures shown as cards at the top; ``notice`` a paragraph
    above them for what the reader must know first (e.g. why the report is empty).
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
            parts.append(f'<p class="note">{_prose(section.note)}</p>')
        charted = section.chart_frame if section.chart_frame is not None else section.frame
        if section.chart is not None and not charted.empty:
            chart_id = f"chart-{anchor}"
            specs[chart_id] = chart_spec(section)
            parts.append(f'<div class="chart" id="{chart_id}"></div>')
        rows = len(section.frame)
        if rows:
            table = table_html(section.frame, section.max_rows, highlight=section.highlight)
            parts.append(
                f"<details{' open' if rows <= 25 else ''}><summary>Data "
                f"({count_label(rows, 'row')})</summary>{table}</details>"
            )
        else:
            parts.append(table_html(section.frame, section.max_rows, section.empty))
        parts.append("</section>")
        body.append("".join(parts))
    return _PAGE.format(
        title=html.escape(title),
        subtitle=f'<p class="subtitle">{html.escape(subtitle)}</p>' if subtitle else "",
        generated=html.escape(generated),
        notice=f'<p class="notice">{_prose(notice)}</p>' if notice else "",
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
:root { --fg: #1f2933; --muted: #616e7c; --line: #d9e2ec; --accent: #2f6fb0;
        --warn-bg: #fff8e6; --warn-line: #f0b429; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg);
       margin: 0 auto; max-width: 1320px; padding: 24px; }
h1 { margin: 0 0 4px; font-size: 26px; } h2 { margin: 32px 0 8px; font-size: 20px; }
.subtitle, .generated, .note, .more, .empty { color: var(--muted); margin: 4px 0; }
.notice { background: var(--warn-bg); border-left: 4px solid var(--warn-line);
          padding: 8px 12px; margin: 12px 0; }
nav ol { columns: 2; padding-left: 20px; } nav a { color: var(--accent); }
.summary { display: flex; flex-wrap: wrap; gap: 12px; margin: 16px 0; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; min-width: 150px; }
.card .value { font-size: 20px; font-weight: 600; } .card .label { color: var(--muted); }
.chart { width: 100%; margin: 8px 0; }
.table { overflow-x: auto; } table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 6px; text-align: left;
         vertical-align: top; overflow-wrap: normal; word-break: normal; hyphens: manual; }
th { background: #f5f7fa; position: sticky; top: 0; }
th.num, td.num { text-align: right; } td.num { font-variant-numeric: tabular-nums; }
.nw { white-space: nowrap; } th.wide { min-width: 16em; }
tr.highlight td { background: #fdecea; }
tr.highlight td:first-child { box-shadow: inset 3px 0 #d62728; }
code { font: 0.92em ui-monospace, SFMono-Regular, Menlo, monospace; white-space: nowrap; }
summary { cursor: pointer; color: var(--accent); margin: 6px 0; }
@media (max-width: 900px) { body { padding: 16px; } nav ol { columns: 1; }
  table { font-size: 12px; } th, td { padding: 3px 4px; } th.wide { min-width: 14em; } }
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
{notice}
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
