"""One set of day forms for every --from/--to, and reversed ranges reported as typed."""

from __future__ import annotations

from datetime import date

import pytest

from s3logs_athena.cli.days import parse_day, parse_day_range
from s3logs_athena.errors import InputError

TODAY = date(2024, 3, 10)


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2024-03-01", date(2024, 3, 1)),
        ("today", TODAY),
        ("TODAY ", TODAY),
        ("yesterday", date(2024, 3, 9)),
        ("-0d", TODAY),
        ("-7d", date(2024, 3, 3)),
        ("-30d", date(2024, 2, 9)),
    ],
)
def test_every_form(text: str, day: date) -> None:
    assert parse_day(text, "--from", today=TODAY) == day


@pytest.mark.parametrize("text", ["March", "2024-3-1", "tomorrow", "7d", "-7", "2024-02-30", ""])
def test_other_text_is_refused_with_the_forms(text: str) -> None:
    with pytest.raises(InputError, match="--from") as error:
        parse_day(text, "--from", today=TODAY)
    assert repr(text) in str(error.value)


def test_a_reversed_range_is_reported_as_typed() -> None:
    with pytest.raises(InputError) as error:
        parse_day_range("2024-03-10", "2024-03-08", today=TODAY)
    assert str(error.value).startswith("--from 2024-03-10 is after --to 2024-03-08")
    with pytest.raises(InputError) as relative:
        parse_day_range("-4d", "-5d", today=TODAY)
    assert "--from -4d (2024-03-06) is after --to -5d (2024-03-05)" in str(relative.value)


def test_a_range_of_one_day() -> None:
    assert parse_day_range("today", "today", today=TODAY) == (TODAY, TODAY)


def test_a_reversed_query_range_shows_what_was_typed() -> None:
    from click.testing import CliRunner

    from s3logs_athena.cli.main import cli

    args = ["query", "render", "top-ips", "-p", "start=-1d", "-p", "end=-2d"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert "end -2d (" in result.stderr and "start -1d (" in result.stderr
