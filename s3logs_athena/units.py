"""Sizes as people read them: one unit system for the whole product.

Decimal units (``kB``, ``MB``, ``GB``: powers of 1000), as S3's console, AWS's bills and
the HTML report show them, in every command's output and in the report alike. Input is
more lenient: a size typed by a user may be decimal (``10GB``) or binary (``10GiB``), see
:mod:`s3logs_athena.templates.params`.
"""

from __future__ import annotations

__all__ = ["human_bytes"]

_UNITS = ("B", "kB", "MB", "GB", "TB", "PB")


def human_bytes(count: int | None) -> str:
    """``1536`` -> ``"1.5 kB"``, ``64_700_000_000`` -> ``"64.7 GB"``; ``None`` -> ``"unknown"``."""
    if count is None:
        return "unknown"
    size = float(count)
    for unit in _UNITS:
        if abs(size) < 1000 or unit == _UNITS[-1]:
            return f"{count:,} B" if unit == "B" else f"{size:,.1f} {unit}"
        size /= 1000
    raise AssertionError("unreachable")  # pragma: no cover
