"""The report room: the incident and cost report over the query templates' results.

``data``  runs the report's templates on one engine and derives the findings (pandas)
``html``  lays results out as one self-contained HTML file with Vega-Lite charts
"""

from __future__ import annotations

from .data import REPORT_QUERIES, ReportData, ReportOptions, run_report
from .html import Chart, Section, chart_spec, render_report, write_report

__all__ = [
    "REPORT_QUERIES",
    "Chart",
    "ReportData",
    "ReportOptions",
    "Section",
    "chart_spec",
    "render_report",
    "run_report",
    "write_report",
]
