"""Reading a Lambda's settings from its environment, the one way both functions do it.

The mover and the scheduled compactor are configured by environment variables that a person
types into a SAM parameter or the console. A typo must stop the function at its first event
with :class:`~s3logs_athena.errors.ConfigError` naming the variable, not run with a silent
default or fail later with a ``ValueError`` deep inside.
"""

from __future__ import annotations

from collections.abc import Mapping

from .errors import ConfigError

__all__ = ["env_int", "env_text"]


def env_text(environ: Mapping[str, str], name: str) -> str | None:
    """The variable's value, stripped; ``None`` when unset or blank (blank means "default")."""
    return environ.get(name, "").strip() or None


def env_int(environ: Mapping[str, str], name: str, *, default: int, low: int, high: int) -> int:
    """A whole number in ``[low, high]``; ``default`` when unset or blank."""
    raw = env_text(environ, name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(name, f"must be a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(name, f"must be between {low} and {high}, got {value}")
    return value
