"""--region/--profile/--endpoint-url: the command line wins over the environment."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from s3logs_athena.cli.aws_options import AwsOptions, aws_options
from s3logs_athena.errors import ConfigError


@pytest.fixture
def clean_aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    config = tmp_path / "config"
    config.write_text("[profile analyst]\nregion = eu-west-3\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    return config


@click.command()
@aws_options
def show(aws: AwsOptions) -> None:
    client = aws.client("s3")
    click.echo(f"{client.meta.region_name} {client.meta.endpoint_url}")


def test_options_reach_the_client(clean_aws_env: Path) -> None:
    result = CliRunner().invoke(
        show, ["--region", "ap-south-1", "--endpoint-url", "http://127.0.0.1:5999"]
    )
    assert result.exit_code == 0, result.output
    assert result.output.split() == ["ap-south-1", "http://127.0.0.1:5999"]


def test_the_command_line_wins_over_the_environment(
    clean_aws_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_REGION", "us-west-2")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    result = CliRunner().invoke(
        show, ["--region", "eu-north-1", "--endpoint-url", "http://127.0.0.1:2"]
    )
    assert result.output.split() == ["eu-north-1", "http://127.0.0.1:2"]
    result = CliRunner().invoke(show, [])
    assert result.output.split() == ["us-west-2", "http://127.0.0.1:1"]


def test_profile_supplies_its_region(clean_aws_env: Path) -> None:
    result = CliRunner().invoke(show, ["--profile", "analyst"])
    assert result.output.split()[0] == "eu-west-3"


def test_unknown_profile_is_a_config_error(clean_aws_env: Path) -> None:
    with pytest.raises(ConfigError, match="profile 'nobody'"):
        AwsOptions(profile="nobody").client("s3")


def test_no_region_is_a_config_error_that_says_what_to_set(clean_aws_env: Path) -> None:
    with pytest.raises(ConfigError, match=r"AWS_REGION.*--region"):
        AwsOptions().client("sqs")
    assert AwsOptions().client("sqs", region="us-east-1").meta.region_name == "us-east-1"
