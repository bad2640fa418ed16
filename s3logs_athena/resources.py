"""Find the files that ship beside the code: ``ddl/`` and ``queries/`` templates.

In a source checkout they live at the top of the repository, where people read and review
them. A built wheel carries them inside the package as ``s3logs_athena/_resources/<name>``
(see ``[tool.hatch.build.targets.wheel.force-include]`` in pyproject.toml). This module is
the one place that knows both spots.
"""

from __future__ import annotations

from pathlib import Path

from .errors import TemplateError

__all__ = ["resource_dir"]

_PACKAGE_DIR = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """The directory holding the ``name`` resources (``"ddl"`` or ``"queries"``)."""
    for candidate in (_PACKAGE_DIR / "_resources" / name, _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise TemplateError(
        f"the {name}/ templates are missing from this installation (looked in "
        f"{_PACKAGE_DIR / '_resources' / name} and {_PACKAGE_DIR.parent / name}); "
        "reinstall s3logs-athena"
    )
