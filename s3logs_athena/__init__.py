"""s3logs_athena: move, partition, check and query Amazon S3 server access logs.

The names below are the public API. Importing this package pulls in only the standard
library, so the Lambda mover (``s3logs_athena.mover``) stays small; the query engines
(DuckDB, pyathena, pandas) load on first use of the names that need them.
"""

from __future__ import annotations

import importlib
from typing import Any

from .errors import (
    AwsError,
    ConfigError,
    InputError,
    KeyFormatError,
    LogParseError,
    ParameterError,
    QueryError,
    S3LogsError,
    TemplateError,
)
from .fields import FIELD_NAMES, LOG_FIELDS, LogField
from .layout import PARTITION_COLUMNS, KeyFormat, Layout, SourceKey, TargetKey
from .parser import (
    LogRecord,
    ParseReport,
    parse_columns,
    parse_line,
    parse_lines,
    parse_stream,
)

__version__ = "0.1.0"

# Public names that live in modules with heavy dependencies: name -> module.
_LAZY: dict[str, str] = {
    "CheckConfig": "s3logs_athena.check",
    "CheckReport": "s3logs_athena.check",
    "run_check": "s3logs_athena.check",
    "TableSpec": "s3logs_athena.table.ddl",
    "alter_statements": "s3logs_athena.table.ddl",
    "create_statements": "s3logs_athena.table.ddl",
    "glue_table_input": "s3logs_athena.table.ddl",
    "view_statement": "s3logs_athena.table.ddl",
    "GeneratedDataset": "s3logs_athena.generator",
    "GeneratorConfig": "s3logs_athena.generator",
    "GroundTruth": "s3logs_athena.generator",
    "generate": "s3logs_athena.generator",
    "DemoConfig": "s3logs_athena.demo",
    "run_demo": "s3logs_athena.demo",
    "ReportData": "s3logs_athena.report.data",
    "ReportOptions": "s3logs_athena.report.data",
    "run_report": "s3logs_athena.report.data",
    "Chart": "s3logs_athena.report.html",
    "Section": "s3logs_athena.report.html",
    "render_report": "s3logs_athena.report.html",
    "write_report": "s3logs_athena.report.html",
    # local cache and query engines (DuckDB, pyathena, pandas)
    "QueryResult": "s3logs_athena.engines.result",
    "ingest": "s3logs_athena.cache",
    "run_query": "s3logs_athena.engines.api",
    "run_sql": "s3logs_athena.engines.api",
    "sync": "s3logs_athena.cache",
    # What a query can scan before it runs, and the guard (sqlglot, DuckDB, boto3).
    "CostLimitError": "s3logs_athena.cost.guard",
    "Estimate": "s3logs_athena.cost.estimate",
    "estimate_query": "s3logs_athena.cost.estimate",
    # Query templates (jinja2, sqlglot): list, inspect, render to Athena or DuckDB SQL.
    "QueryTemplate": "s3logs_athena.templates.catalog",
    "RenderedQuery": "s3logs_athena.templates.catalog",
    "get_template": "s3logs_athena.templates.catalog",
    "list_templates": "s3logs_athena.templates.catalog",
    "render_template": "s3logs_athena.templates.catalog",
    # the mover's core move (boto3)
    "MoveOutcome": "s3logs_athena.mover",
    "MoveResult": "s3logs_athena.mover",
    "RetryPolicy": "s3logs_athena.mover",
    "move_object": "s3logs_athena.mover",
}

__all__ = [
    "FIELD_NAMES",
    "LOG_FIELDS",
    "PARTITION_COLUMNS",
    "AwsError",
    "ConfigError",
    "InputError",
    "KeyFormat",
    "KeyFormatError",
    "Layout",
    "LogField",
    "LogParseError",
    "LogRecord",
    "ParameterError",
    "ParseReport",
    "QueryError",
    "S3LogsError",
    "SourceKey",
    "TargetKey",
    "TemplateError",
    "__version__",
    "parse_columns",
    "parse_line",
    "parse_lines",
    "parse_stream",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 's3logs_athena' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
