"""``s3logs-athena demo``: the whole pipeline on one machine, on moto.

:func:`run_demo` runs it and returns a :class:`DemoResult`; the CLI draws it. The steps live
in :mod:`.run`, the moto event path in :mod:`.pipeline`, the queue drain with injected
faults in :mod:`.drain` and the nothing-was-lost comparison in :mod:`.proof`.
"""

from __future__ import annotations

from .run import DEMO_ENVIRONMENT, DemoConfig, DemoObserver, DemoResult, run_demo

__all__ = ["DEMO_ENVIRONMENT", "DemoConfig", "DemoObserver", "DemoResult", "run_demo"]
