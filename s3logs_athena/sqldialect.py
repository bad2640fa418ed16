"""Moved to :mod:`s3logs_athena.templates.dialect`.

This alias keeps ``import s3logs_athena.sqldialect`` working: it is the moved module itself.
"""

import importlib
import sys

sys.modules[__name__] = importlib.import_module("s3logs_athena.templates.dialect")
