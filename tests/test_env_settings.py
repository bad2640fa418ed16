"""Both Lambda functions read whole-number settings the same way: default when blank, one
:class:`ConfigError` naming the variable otherwise."""

from __future__ import annotations

import pytest

from s3logs_athena.env_settings import env_int, env_text
from s3logs_athena.errors import ConfigError


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_blank_or_unset_means_the_default(raw: str | None) -> None:
    environ = {} if raw is None else {"X_N": raw}
    assert env_int(environ, "X_N", default=7, low=1, high=9) == 7
    assert env_text(environ, "X_N") is None


def test_a_value_in_range_is_read_with_surrounding_space_ignored() -> None:
    assert env_int({"X_N": " 9 "}, "X_N", default=7, low=1, high=9) == 9
    assert env_text({"X_T": " a b "}, "X_T") == "a b"


@pytest.mark.parametrize(
    ("raw", "said"),
    [("ten", "whole number, got 'ten'"), ("1.5", "whole number"), ("0", "between 1 and 9")],
)
def test_a_bad_value_names_the_variable(raw: str, said: str) -> None:
    with pytest.raises(ConfigError) as caught:
        env_int({"X_N": raw}, "X_N", default=7, low=1, high=9)
    assert "X_N" in str(caught.value)
    assert said in str(caught.value)
