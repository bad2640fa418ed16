"""``s3logs-athena query list/show/render``: output, did-you-mean, exit codes."""

from __future__ import annotations

import click
import pytest
import sqlglot
from click.testing import CliRunner
from sqlglot import exp

from s3logs_athena.cli import query_cmds
from s3logs_athena.cli.main import cli
from s3logs_athena.cli.template_options import param_option, parse_param_pairs
from s3logs_athena.templates import list_templates


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["query", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_list_shows_every_template() -> None:
    code, out, _ = invoke("list")
    assert code == 0
    for template in list_templates():
        assert template.name in out
    assert "incident" in out and "cost" in out
    code, out, _ = invoke("list", "--category", "cost")
    assert code == 0 and "egress-by-day" in out and "who-deleted" not in out


def test_show_prints_parameters_and_sql() -> None:
    code, out, _ = invoke("show", "top-requesters")
    assert code == 0
    for text in ["Parameters", "start", "limit", "bytes|requests", "FROM {{ logs }}", "Columns:"]:
        assert text in out
    code, out, _ = invoke("show", "object-history")
    assert "exactly one of key, prefix" in out


def test_render_prints_one_query() -> None:
    code, out, _ = invoke(
        "render",
        "principal-activity",
        "-p",
        "start=2024-05-01",
        "--param",
        "end=2024-05-02",
        "-p",
        "requester=o'brien = me",
    )
    assert code == 0
    (statement,) = sqlglot.parse(out, read="athena")
    assert isinstance(statement, exp.Select)
    assert "requester = 'o''brien = me'" in out


def test_render_duckdb() -> None:
    code, out, _ = invoke(
        "render", "ip-activity", "-p", "ip=2001:db8::/32", "-p", "start=-1d", "--dialect", "duckdb"
    )
    assert code == 0
    # Typed columns: the address is matched by the macros, and no time is parsed per query.
    assert "S3LOGS_IP_HEX(remote_ip)" in out and "STRPTIME" not in out
    assert isinstance(sqlglot.parse_one(out, read="duckdb"), exp.Select)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["show", "who-delted"], "Did you mean 'who-deleted'?"),
        (["render", "top-ip"], "Did you mean 'top-ips'?"),
        (["render", "principal-activity"], "parameter 'requester': is required"),
        (["render", "top-ips", "-p", "limit=0"], "parameter 'limit': must be at least 1"),
        (["render", "top-ips", "-p", "lmit=5"], "Did you mean 'limit'?"),
        (["render", "top-ips", "-p", "start=last week"], "is not a time"),
        (["render", "top-ips", "-p", "start=2024-05-02", "-p", "end=2024-05-01"], "range is empty"),
        (["render", "ip-activity", "-p", "ip=10.0.0.0/33"], "not an IP address or CIDR"),
        (["render", "top-ips", "-p", "buckets=Bad_Bucket"], "invalid bucket name"),
        (["render", "top-ips", "-p", "limit"], "is not KEY=VALUE"),
        (["render", "top-ips", "-p", "limit=1", "-p", "limit=2"], "given twice"),
        (["render", "top-ips", "--dialect", "mysql"], "Invalid value for '--dialect'"),
    ],
)
def test_user_mistakes_exit_2(args: list[str], message: str) -> None:
    code, out, err = invoke(*args)
    assert code == 2
    assert message in err
    assert "Traceback" not in err + out


def test_parse_param_pairs_keeps_values_verbatim() -> None:
    assert parse_param_pairs(["key=a=b", "requester= x y ", "prefix="]) == {
        "key": "a=b",
        "requester": " x y ",
        "prefix": "",
    }


@click.command("run")
@click.argument("name")
@param_option
def fake_run(name: str, params: dict[str, str]) -> None:
    """Stands in for the engines' ``query run``."""
    click.echo(f"ran {name} with {sorted(params.items())}")


def test_run_subcommand_is_picked_up_from_its_module(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(query_cmds.EXTRA_COMMANDS, "run", f"{__name__}:fake_run")
    code, out, _ = invoke("run", "top-ips", "-p", "limit=3")
    assert code == 0 and out.strip() == "ran top-ips with [('limit', '3')]"
    assert "run" in invoke("--help")[1]
    monkeypatch.setitem(query_cmds.EXTRA_COMMANDS, "run", "no_such_module_xyz:run")
    assert "run" not in invoke("--help")[1].split("Commands:")[1]
