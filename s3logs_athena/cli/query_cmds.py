"""``s3logs-athena query``: the analysis query templates.

``list``, ``show NAME`` and ``render NAME`` live here. ``run`` (executing a template on
Athena or DuckDB) lives in ``s3logs_athena/cli/query_run_cmd.py`` as a click command named
``run``; this group picks it up when that module exists (see :data:`EXTRA_COMMANDS`).
"""

from __future__ import annotations

import importlib
import importlib.util
import shlex
from typing import Any

import click
from rich.console import Console
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from ..templates.catalog import (
    CATEGORIES,
    QueryTemplate,
    describe_params,
    get_template,
    list_templates,
    render_template,
)
from .output import echo_json, format_option
from .safe_text import cell, visible
from .template_options import dialect_option, param_option, template_name_argument

__all__ = ["EXTRA_COMMANDS", "query"]

#: Subcommands defined in other modules: name -> "module:attribute", loaded on use and
#: listed only when the module exists.
EXTRA_COMMANDS: dict[str, str] = {
    "run": "s3logs_athena.cli.query_run_cmd:run",
    "estimate": "s3logs_athena.cli.estimate_cmd:estimate",
}


def _module_exists(target: str) -> bool:
    try:
        return importlib.util.find_spec(target.split(":")[0]) is not None
    except ModuleNotFoundError:
        return False


class _QueryGroup(click.Group):
    """The commands defined here plus :data:`EXTRA_COMMANDS`, imported lazily."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        extra = [name for name, target in EXTRA_COMMANDS.items() if _module_exists(target)]
        return sorted({*super().list_commands(ctx), *extra})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        target = EXTRA_COMMANDS.get(cmd_name)
        if command is not None or target is None or not _module_exists(target):
            return command
        module_name, attribute = target.split(":")
        loaded = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(loaded, click.Command):
            raise TypeError(f"{target} is not a click command")
        return loaded


@click.group(cls=_QueryGroup)
def query() -> None:
    """Cost, access and incident queries over the logs (Athena or DuckDB).

    \b
    s3logs-athena query list                        what there is
    s3logs-athena query show who-deleted            its parameters and SQL
    s3logs-athena query render who-deleted -p start=-7d -p prefix=reports/
    """


def _param_json(template: QueryTemplate) -> list[dict[str, Any]]:
    return [
        {
            "name": param.name,
            "type": param.type,
            "choices": list(param.choices),
            "default": param.default,
            "required": param.required,
            "minimum": param.minimum,
            "maximum": param.maximum,
            "common": param.common,
            "help": param.help,
        }
        for param in template.params
    ]


def template_json(template: QueryTemplate, *, full: bool) -> dict[str, Any]:
    """A template as JSON: what ``query list`` shows, and with ``full`` all ``query show``
    shows (parameters, constraints, columns, example, the jinja SQL)."""
    document: dict[str, Any] = {
        "name": template.name,
        "category": template.category,
        "title": template.title,
    }
    if full:
        document.update(
            description=template.description,
            params=_param_json(template),
            one_of=[list(group) for group in template.one_of],
            at_most_one_of=[list(group) for group in template.at_most_one_of],
            columns=list(template.columns),
            example={key: str(value) for key, value in template.example.items()},
            source=template.source.strip(),
        )
    return document


@query.command("list")
@click.option("--category", type=click.Choice(CATEGORIES), help="Only this category.")
@format_option("table", "json", help="json: a list of {name, category, title}.")
def list_command(category: str | None, output: str) -> None:
    """List the query templates: name, category, description."""
    templates = list_templates(category)
    if output == "json":
        echo_json([template_json(template, full=False) for template in templates])
        return
    table = Table(show_lines=False, expand=False)
    table.add_column("name", style="bold", no_wrap=True)
    table.add_column("category", no_wrap=True)
    table.add_column("description")
    for template in templates:
        table.add_row(cell(template.name), cell(template.category), cell(template.title))
    Console().print(table)


@query.command("show")
@template_name_argument
@format_option("table", "json", help="json: every field of the template, its SQL included.")
def show_command(name: str, output: str) -> None:
    """Show a template's parameters, output columns and SQL."""
    template = get_template(name)
    if output == "json":
        echo_json(template_json(template, full=True))
        return
    console = Console(highlight=False)
    heading = Text(template.name, style="bold")
    console.print(heading.append(visible(f" ({template.category}): {template.title}"), style=""))
    console.print(Text(template.description))  # ours, multi-line: text, not markup
    console.print()
    table = Table(title="Parameters", title_justify="left")
    for column in ("name", "type", "default", "required", "help"):
        table.add_column(column, no_wrap=column in ("name", "type"))
    for row in describe_params(template.params):
        table.add_row(*(cell(value) for value in row.values()))
    console.print(table)
    constraints = [f"exactly one of {', '.join(g)}" for g in template.one_of]
    constraints += [f"at most one of {', '.join(g)}" for g in template.at_most_one_of]
    if constraints:
        console.print(cell("Give " + "; ".join(constraints) + "."))
    console.print(cell(f"Columns: {', '.join(template.columns)}"))
    example = " ".join(f"-p {shlex.quote(f'{k}={v}')}" for k, v in template.example.items())
    console.print(cell(f"Example: s3logs-athena query render {template.name} {example}"))
    console.print()
    console.print(Syntax(template.source.strip(), "sql+jinja", word_wrap=True))


@query.command("render")
@template_name_argument
@param_option
@dialect_option
def render_command(name: str, params: dict[str, str], dialect: str) -> None:
    """Print the SQL of template NAME for the given parameters.

    The output is one SELECT statement, ready for the Athena console or DuckDB (which also
    needs the macros in s3logs_athena.templates.dialect.DUCKDB_MACROS for ip-activity).
    """
    rendered = render_template(name, params, dialect="duckdb" if dialect == "duckdb" else "athena")
    click.echo(rendered.sql)
