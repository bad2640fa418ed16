"""Shell completion: commands, template names and ``-p`` keys (what the README documents)."""

from __future__ import annotations

from click.shell_completion import ShellComplete

from s3logs_athena.cli.main import cli


def complete(args: list[str], incomplete: str) -> list[str]:
    completer = ShellComplete(cli, {}, "s3logs-athena", "_S3LOGS_ATHENA_COMPLETE")
    return [item.value for item in completer.get_completions(args, incomplete)]


def test_commands_complete() -> None:
    assert complete([], "do") == ["doctor"]
    assert "query" in complete([], "q")


def test_template_names_complete() -> None:
    assert set(complete(["query", "run"], "top-")) == {"top-requesters", "top-ips"}
    assert complete(["query", "show"], "who") == ["who-deleted"]


def test_param_keys_complete_for_the_named_template() -> None:
    keys = complete(["query", "run", "top-ips", "-p"], "")
    assert {"start=", "end=", "limit=", "by="} <= set(keys)
    assert complete(["query", "run", "top-ips", "-p", "start=-7d", "-p"], "st") == []
    assert complete(["query", "render", "top-requesters", "-p"], "by=") == [
        "by=bytes",
        "by=requests",
    ]
    assert complete(["query", "run", "no-such-template", "-p"], "") == []
