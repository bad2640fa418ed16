"""Entry point of the ``s3logs-athena`` command, and the one place that turns errors into
exit codes and messages.

* A user mistake or a missing setting (:class:`~s3logs_athena.errors.InputError`, a bad option
  caught by click, no AWS credentials, no region, an unknown profile) prints one line on
  stderr that says what to do, and exits 2.
* Any other :class:`~s3logs_athena.errors.S3LogsError` or AWS failure (a refused call, an
  unreachable endpoint, unparseable data) prints one line and exits 1.
* Ctrl-C prints ``Interrupted.`` and exits 130; a closed stdout (``| head``) ends quietly
  with 0.

None of them shows a traceback (``--debug`` does), and libraries' own logging of errors we
report (pyathena logs every failed query with its traceback) is silenced.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import sys
from collections.abc import Iterator
from typing import Any

import click

from ..errors import CREDENTIALS_HINT, REGION_HINT, AwsError, InputError, S3LogsError
from .safe_text import visible

#: The one message for missing credentials and for a missing region, from every command.
NO_CREDENTIALS = f"no AWS credentials found: {CREDENTIALS_HINT}"
NO_REGION = f"no AWS region is configured: {REGION_HINT}"
_CREDENTIAL_CODES = {"NoCredentialsError", "PartialCredentialsError"}
#: Loggers of libraries that log (with tracebacks) errors they also raise to us.
_NOISY_LOGGERS = ("pyathena", "botocore.credentials")

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
    "doctor": "s3logs_athena.cli.doctor_cmd:doctor",
}


def _module_exists(target: str) -> bool:
    module = target.split(":")[0]
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and the exceptions it was raised from or while handling (``from None`` keeps
    the original as ``__context__``), so a wrapped botocore error is still recognised."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def explain(exc: BaseException) -> tuple[int, str] | None:
    """The exit code and one-line message for an error a user can act on; ``None`` for an
    unexpected one (a bug: its traceback is wanted)."""
    import botocore.exceptions as boto

    for link in _chain(exc):
        if isinstance(link, boto.NoCredentialsError | boto.PartialCredentialsError):
            return 2, NO_CREDENTIALS
        if isinstance(link, AwsError) and link.code in _CREDENTIAL_CODES:
            return 2, NO_CREDENTIALS
        if isinstance(link, boto.NoRegionError):
            return 2, NO_REGION
        if isinstance(link, boto.ProfileNotFound):
            return 2, f"{link}: check --profile / AWS_PROFILE against ~/.aws/config"
    if isinstance(exc, InputError):
        return 2, str(exc)
    if isinstance(exc, S3LogsError):
        return 1, str(exc)
    if isinstance(exc, boto.ClientError):
        error = exc.response.get("Error", {})
        return 1, f"AWS refused {exc.operation_name} ({error.get('Code')}): {error.get('Message')}"
    if isinstance(exc, boto.BotoCoreError):
        return 1, f"AWS: {exc}"
    return None


def _quiet_closed_stdout() -> None:
    """stdout's reader went away (``| head``): stop writing, and keep Python from
    complaining when it flushes stdout at exit."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # not a real file (a test runner's buffer)
        pass
    finally:
        os.close(devnull)


def _raise_broken_pipe(console: Any) -> None:
    """rich's default for a closed stdout is ``SystemExit(1)``; raise ``BrokenPipeError``
    instead so that :meth:`LazyGroup.invoke` ends quietly with 0, as for any other output.
    (rich documents ``Console.on_broken_pipe`` as the hook to override.)"""
    console.quiet = True
    raise BrokenPipeError


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except click.exceptions.NoSuchCommand:  # suggest among the lazy commands
            raise click.exceptions.NoSuchCommand(
                str(args[0]), possibilities=self.list_commands(ctx), ctx=ctx
            ) from None

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
        from rich.console import Console

        Console.on_broken_pipe = _raise_broken_pipe  # type: ignore[method-assign,assignment]
        try:
            result = super().invoke(ctx)
            sys.stdout.flush()  # a closed pipe shows here, not at exit
            return result
        except KeyboardInterrupt:
            click.echo("\nInterrupted.", err=True)
            ctx.exit(130)
        except BrokenPipeError:
            _quiet_closed_stdout()
            ctx.exit(0)
        except (click.exceptions.Exit, click.ClickException):
            raise
        except Exception as exc:
            explained = explain(exc)
            if explained is None or (ctx.obj and ctx.obj.get("debug")):
                raise
            code, message = explained
            click.echo(f"Error: {visible(message)}", err=True)
            ctx.exit(code)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="s3logs-athena")
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Move, partition, check and query Amazon S3 server access logs.

    \b
    Start here:
      s3logs-athena demo          the whole pipeline on this machine (no AWS account)
      s3logs-athena ddl --help    the Athena tables and view for your central log bucket
      s3logs-athena query list    the analysis queries
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    if not debug:
        for name in _NOISY_LOGGERS:
            logger = logging.getLogger(name)
            logger.addHandler(logging.NullHandler())
            logger.propagate = False


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    try:
        cli.main(args=argv, prog_name="s3logs-athena")
    except KeyboardInterrupt:  # before or after a command runs
        click.echo("\nInterrupted.", err=True)
        sys.exit(130)
