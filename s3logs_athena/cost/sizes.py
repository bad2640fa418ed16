"""Byte sizes as people type them (``10GB``, ``500MiB``) and as they read them, and prices.

Parsing is the template parameters' own ``bytes`` parser, so ``--max-bytes``, the
``S3LOGS_ATHENA_MAX_BYTES`` variable and a template's ``min_bytes`` accept the same forms:
a plain number, or a number with ``B``, ``KB``/``MB``/``GB``/``TB`` (powers of 1000) or
``KiB``/``MiB``/``GiB``/``TiB`` (powers of 1024). Sizes are shown in binary units, labelled
as such (``GiB``).
"""

from __future__ import annotations

import os

from ..errors import ConfigError, ParameterError
from ..templates.params import TemplateParam

__all__ = ["USD_PER_TB_ENV", "format_size", "parse_size", "usd_per_tb"]

#: Environment variable with the price of Athena per TB scanned, for regions that differ.
USD_PER_TB_ENV = "S3LOGS_ATHENA_USD_PER_TB"

_SIZE = TemplateParam("size", "bytes", "A byte count.", minimum=0)
_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")


def parse_size(value: str | int, *, setting: str = "--max-bytes") -> int:
    """``"10GB"`` -> ``10_000_000_000``; :class:`ConfigError` naming ``setting``."""
    try:
        size: int = _SIZE.parse(value)
    except ParameterError as exc:
        raise ConfigError(setting, str(exc).split(": ", 1)[1]) from None
    return size


def format_size(count: int | None) -> str:
    """``1536`` -> ``"1.5 KiB"``; ``None`` -> ``"unknown"``."""
    if count is None:
        return "unknown"
    size = float(count)
    for unit in _UNITS:
        if abs(size) < 1024 or unit == _UNITS[-1]:
            return f"{count:,} B" if unit == "B" else f"{size:,.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


def usd_per_tb(value: float | str | None = None) -> float:
    """Athena's price per TB scanned: ``value``, else ``$S3LOGS_ATHENA_USD_PER_TB``, else
    $5 (most regions)."""
    from ..engines.result import ATHENA_PRICE_PER_TB_USD

    setting = "--usd-per-tb" if value is not None else USD_PER_TB_ENV
    raw = value if value is not None else os.environ.get(USD_PER_TB_ENV)
    if raw is None or raw == "":
        return ATHENA_PRICE_PER_TB_USD
    try:
        price = float(raw)
    except ValueError:
        raise ConfigError(setting, f"{raw!r} is not a price in dollars (e.g. 5 or 6.75)") from None
    if not 0 <= price < 1e6 or price != price:
        raise ConfigError(setting, f"{raw!r} is not a price in dollars per TB")
    return price
