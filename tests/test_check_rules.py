"""The placement rule and the small parsers behind the check's options."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from s3logs_athena.check.listing import ListedObject
from s3logs_athena.check.rules import (
    allowed_days,
    format_age,
    kept_copy,
    parse_duration,
    placement_problem,
)
from s3logs_athena.errors import InputError
from s3logs_athena.layout import Layout

LAYOUT = Layout()


def target(day: str, delivered: str, bucket: str = "app") -> str:
    y, m, d = day.split("-")
    return f"PartitionedLogs/Year={y}/Month={m}/Day={d}/{bucket}/{delivered}-0123456789ABCDEF"


@pytest.mark.parametrize(
    ("day", "delivered", "ok"),
    [
        ("2024-01-02", "2024-01-02-10-00-00", True),  # SimplePrefix: the delivery date
        ("2024-01-02", "2024-01-03-00-20-00", True),  # event day, delivered after midnight
        ("2023-12-31", "2024-01-01-00-20-00", True),  # ... across a year
        ("2024-01-02", "2024-01-04-00-20-00", False),  # two days late: not with the default
        ("2024-01-03", "2024-01-02-23-59-59", False),  # a partition after the delivery
    ],
)
def test_placement_rule(day: str, delivered: str, ok: bool) -> None:
    key = LAYOUT.parse_target_key(target(day, delivered))
    assert (placement_problem(key, 1) is None) is ok


def test_the_lag_is_configurable() -> None:
    key = LAYOUT.parse_target_key(target("2024-01-02", "2024-01-04-00-20-00"))
    assert placement_problem(key, 2) is None
    assert placement_problem(
        LAYOUT.parse_target_key(target("2024-01-02", "2024-01-03-00-00-00")), 0
    )


moments = st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2098, 12, 31))


@given(moment=moments)
def test_every_target_the_mover_makes_from_a_simple_prefix_key_is_placed(moment: datetime) -> None:
    source = f"app/{moment:%Y-%m-%d-%H-%M-%S}-0123456789ABCDEF"
    key = LAYOUT.parse_target_key(LAYOUT.target_key(source))
    assert placement_problem(key, 1) is None
    assert allowed_days(key, 1) == (moment.date() - timedelta(days=1), moment.date())


@given(moment=moments, lag=st.integers(0, 1))
def test_every_target_from_a_partitioned_prefix_key_within_the_lag_is_placed(
    moment: datetime, lag: int
) -> None:
    day = moment.date() - timedelta(days=lag)
    source = (
        f"123456789012/eu-west-1/app/{day:%Y/%m/%d}/{moment:%Y-%m-%d-%H-%M-%S}-0123456789ABCDEF"
    )
    key = LAYOUT.parse_target_key(LAYOUT.target_key(source))
    assert placement_problem(key, 1) is None


def listed(key: str, minute: int) -> ListedObject:
    return ListedObject(key, 10, "etag", datetime(2024, 1, 5, 0, minute, tzinfo=UTC))


def test_the_kept_copy_is_the_placed_one_then_the_oldest() -> None:
    name = "2024-01-03-00-20-00"
    wrong = LAYOUT.parse_target_key(target("2024-01-01", name))
    day2 = LAYOUT.parse_target_key(target("2024-01-02", name))
    day3 = LAYOUT.parse_target_key(target("2024-01-03", name))
    # The misplaced copy is the oldest, yet a placed copy is kept.
    copies = [
        (wrong, listed(wrong.key, 0)),
        (day3, listed(day3.key, 2)),
        (day2, listed(day2.key, 5)),
    ]
    assert kept_copy(copies, 1) == 1
    # Same age: the earlier day.
    copies = [(day3, listed(day3.key, 1)), (day2, listed(day2.key, 1))]
    assert kept_copy(copies, 1) == 1


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("0", 0), ("90s", 90), ("15m", 900), ("2h", 7200), ("1d", 86400), (" 5 m", 300)],
)
def test_parse_duration(text: str, seconds: int) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["15 minutes", "-1m", "1.5h", ""])
def test_bad_durations(text: str) -> None:
    with pytest.raises(InputError, match="--older-than"):
        parse_duration(text)


def test_format_age() -> None:
    assert format_age(timedelta(seconds=45)) == "45s"
    assert format_age(timedelta(minutes=12, seconds=5)) == "12m"
    assert format_age(timedelta(hours=3, minutes=5)) == "3h05m"
    assert format_age(timedelta(days=2, hours=4)) == "2d04h"
    assert format_age(timedelta(seconds=-3)) == "0s"
