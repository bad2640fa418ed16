"""The report room: the incident and cost report over the query templates' results.

``options``   what a report covers and how it judges findings (:class:`ReportOptions`)
``data``      runs the report's templates on one engine (:func:`run_report`, :class:`ReportData`)
``findings``  the findings derived from query results with pandas (bulk downloads day by day)
``sections``  how the results are laid out: sections, notes, why a range is empty
``html``      lays sections out as one self-contained HTML file with Vega-Lite charts
``charts``    the Vega-Lite specifications; ``cells`` values and table cells as people read them
"""

from __future__ import annotations

from .charts import HIGHLIGHT, MUTED, Chart, chart_spec
from .data import REPORT_QUERIES, ReportData, ReportOptions, run_report
from .html import Section, render_report, write_report

__all__ = [
    "HIGHLIGHT",
    "MUTED",
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
