"""Command-line options shared by the commands that render and run templates (``query
render``, ``query run``, ``report``).

``--param KEY=VALUE`` (repeatable, ``-p`` for short) collects template parameters as text;
the template parses and validates them (:mod:`s3logs_athena.templates.params`), so a bad value gets
the same message from every subcommand.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import click
from click.shell_completion import CompletionItem

__all__ = [
    "dialect_option",
    "engine_location_options",
    "param_option",
    "parse_param_pairs",
    "template_name_argument",
]

F = TypeVar("F", bound=Callable[..., Any])


def parse_param_pairs(pairs: Iterable[str]) -> dict[str, str]:
    """``["start=-7d", "key=a=b"]`` -> ``{"start": "-7d", "key": "a=b"}``.

    Raises :class:`click.BadParameter` (exit 2) for a pair without ``=`` or a name given
    twice. Values are kept exactly as typed (spaces and quotes included).
    """
    params: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            raise click.BadParameter(
                f"{pair!r} is not KEY=VALUE (e.g. --param start=-7d)", param_hint="--param"
            )
        if name in params:
            raise click.BadParameter(f"{name!r} is given twice", param_hint="--param")
        params[name] = value
    return params


def _collect(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> dict[str, str]:
    return parse_param_pairs(value)


def complete_template_names(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Shell completion: the template names starting with what was typed."""
    from ..templates.catalog import list_templates

    return [
        CompletionItem(template.name, help=template.title)
        for template in list_templates()
        if template.name.startswith(incomplete)
    ]


def complete_param_keys(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Shell completion for ``-p``: ``KEY=`` for the parameters of the template named on the
    command line (not yet given), or the choices of ``KEY=`` once the key is typed."""
    from ..errors import S3LogsError
    from ..templates.catalog import get_template

    # While the option's value is being typed, click leaves the template's name unparsed.
    name = ctx.params.get("name") or next(iter(ctx.args), None)
    if not name:
        return []
    try:
        template = get_template(str(name))
    except S3LogsError:
        return []
    key, sep, value = incomplete.partition("=")
    if sep:
        for candidate in template.params:
            if candidate.name == key:
                return [
                    CompletionItem(f"{key}={choice}")
                    for choice in candidate.choices
                    if choice.startswith(value)
                ]
        return []
    given = {pair.partition("=")[0] for pair in ctx.params.get("params") or ()}
    return [
        CompletionItem(f"{candidate.name}=", help=candidate.help)
        for candidate in template.params
        if candidate.name.startswith(key) and candidate.name not in given
    ]


def template_name_argument(function: F) -> F:
    """Add the ``NAME`` argument (a query template; the shell completes it)."""
    return click.argument("name", shell_complete=complete_template_names)(function)


def param_option(function: F) -> F:
    """Add ``--param/-p KEY=VALUE`` (repeatable); the command receives ``params: dict``."""
    return click.option(
        "--param",
        "-p",
        "params",
        multiple=True,
        metavar="KEY=VALUE",
        callback=_collect,
        shell_complete=complete_param_keys,
        help="A template parameter, e.g. -p start=-7d -p buckets=a,b (repeatable; "
        "'query show NAME' lists them).",
    )(function)


def dialect_option(function: F) -> F:
    """Add ``--dialect athena|duckdb`` (default athena)."""
    return click.option(
        "--dialect",
        type=click.Choice(["athena", "duckdb"]),
        default="athena",
        show_default=True,
        help="SQL dialect to write.",
    )(function)


_ENGINE_LOCATION_OPTIONS = (
    click.option(
        "--cache",
        "cache_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="DuckDB: the cache directory "
        "[default: $S3LOGS_ATHENA_CACHE or ~/.cache/s3logs-athena].",
    ),
    click.option(
        "--workgroup",
        default=None,
        help="Athena workgroup [default: $S3LOGS_ATHENA_WORKGROUP, then primary].",
    ),
    click.option(
        "--output-location",
        default=None,
        help="Athena results s3:// URI [env S3LOGS_ATHENA_OUTPUT].",
    ),
    click.option(
        "--reuse-minutes",
        type=click.IntRange(1, 10080),
        default=None,
        help="Athena: reuse a result of the same query up to this many minutes old (max 7 days).",
    ),
)


def engine_location_options(function: F) -> F:
    """Add where each engine reads: ``--cache`` (DuckDB) and ``--workgroup``,
    ``--output-location``, ``--reuse-minutes`` (Athena). How Athena is reached
    (``--region/--profile/--endpoint-url``) comes from :func:`.aws_options.aws_options`."""
    for option in reversed(_ENGINE_LOCATION_OPTIONS):
        function = option(function)
    return function
