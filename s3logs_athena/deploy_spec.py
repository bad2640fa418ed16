"""Moved to :mod:`s3logs_athena.demo.deploy_spec`.

This alias keeps ``import s3logs_athena.deploy_spec`` working: it is the moved module itself.
"""

import importlib
import sys

sys.modules[__name__] = importlib.import_module("s3logs_athena.demo.deploy_spec")
