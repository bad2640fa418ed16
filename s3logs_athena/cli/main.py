"""Entry point of the ``s3logs-athena`` command and its error handling.

Errors: a user mistake (:class:`~s3logs_athena.errors.InputError`, or a bad option caught by
click) prints one line on stderr and exits 2; any other
:class:`~s3logs_athena.errors.S3LogsError` (an AWS failure, unparseable data) prints one line
and exits 1. Neither shows a traceback; ``--debug`` does.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from typing import Any

import click

from ..errors import InputError, S3LogsError

# name -> "module:attribute"; modules are imported only when their command runs.
COMMANDS: dict[str, str] = {
    "parse": "s3logs_athena.cli.parse_cmd:parse",
    "ddl": "s3logs_athena.cli.ddl_cmd:ddl",
    "backfill": "s3logs_athena.cli.mover_cmds:backfill",
    "redrive": "s3logs_athena.cli.mover_cmds:redrive",
    "query": "s3logs_athena.cli.query_cmds:query",
    "sync": "s3logs_athena.cli.cache_cmds:sync",
    "ingest": "s3logs_athena.cli.cache_cmds:ingest",
    "check": "s3logs_athena.cli.check_cmd:check",
    "compact": "s3logs_athena.cli.compact_cmd:compact",
    "demo": "s3logs_athena.cli.demo_cmd:demo",
    "report": "s3logs_athena.cli.report_cmd:report",
}


def _module_exists(target: str) -> bool:
    module = target.split(":")[0]
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for name, target in COMMANDS.items() if _module_exists(target))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None or not _module_exists(target):
            return None
        module_name, attribute = target.split(":")
        command = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{target} is not a click command")
        return command

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except InputError as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(2)
        except S3LogsError as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(1)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="s3logs-athena")
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Move, partition, check and query Amazon S3 server access logs.

    \b
    Start here:
      s3logs-athena demo          the whole pipeline on this machine (no AWS account)
      s3logs-athena ddl --help    the Athena table for your central log bucket
      s3logs-athena query list    the analysis queries
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    try:
        cli.main(args=argv, prog_name="s3logs-athena")
    except KeyboardInterrupt:  # pragma: no cover - interactive
        click.echo("Interrupted.", err=True)
        sys.exit(130)
