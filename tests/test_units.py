"""One unit system: decimal sizes in every command and the report."""

from __future__ import annotations

import pytest

from s3logs_athena.cost.sizes import format_size
from s3logs_athena.report.cells import human_bytes as report_bytes
from s3logs_athena.units import human_bytes


@pytest.mark.parametrize(
    ("count", "text"),
    [(0, "0 B"), (999, "999 B"), (1000, "1.0 kB"), (1536, "1.5 kB"), (52_428_800, "52.4 MB"),
     (64_700_000_000, "64.7 GB"), (10**15, "1.0 PB"), (10**18, "1,000.0 PB"), (None, "unknown")],
)  # fmt: skip
def test_decimal_units(count: int | None, text: str) -> None:
    assert human_bytes(count) == text


def test_every_formatter_is_the_same_one() -> None:
    for count in (12, 1536, 6 * 2**20, 10 * 2**30):
        assert format_size(count) == report_bytes(count) == human_bytes(count)
    assert "iB" not in human_bytes(2**40)
