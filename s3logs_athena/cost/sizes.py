"""Byte sizes as people type them (``10GB``, ``500MiB``) and as they read them, and prices.

Parsing is the template parameters' own ``bytes`` parser, so ``--max-bytes``, the
``S3LOGS_ATHENA_MAX_BYTES`` variable and a template's ``min_bytes`` accept the same forms:
a plain number, or a number with ``B``, ``KB``/``MB``/``GB``/``TB`` (powers of 1000) or
``KiB``/``MiB``/``GiB``/``TiB`` (powers of 1024). Sizes are shown in decimal units, the
product's one unit system (:mod:`s3logs_athena.units`).
"""

from __future__ import annotations

import os

from ..errors import ConfigError, ParameterError
from ..templates.params import TemplateParam
from ..units import human_bytes as format_size  # the product's one unit system

__all__ = ["USD_PER_TB_ENV", "format_size", "parse_size", "usd_per_tb"]

#: Environment variable with the price of Athena per TB scanned, for regions that differ.
USD_PER_TB_ENV = "S3LOGS_ATHENA_USD_PER_TB"

_SIZE = TemplateParam("size", "bytes", "A byte count.", minimum=0)


def parse_size(value: str | int, *, setting: str = "--max-bytes") -> int:
    """``"10GB"`` -> ``10_000_000_000``; :class:`ConfigError` naming ``setting``."""
    try:
        size: int = _SIZE.parse(value)
    except ParameterError as exc:
        raise ConfigError(setting, str(exc).split(": ", 1)[1]) from None
    return size


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
