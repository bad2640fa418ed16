"""The Lambda entry point, ``s3logs_athena.mover.handler``.

Cold start reads and validates the settings, creates one S3 client and one thread pool;
every invocation reuses them. Inside Lambda this happens when the module is imported (the
init phase), so a bad setting fails the deployment's first invocation loudly, before any
message is received; elsewhere (tests, a local run) on the first call.

The client does no retries of its own: :func:`~s3logs_athena.mover.move.move_object`
retries with backoff bounded by the invocation's remaining time, which botocore's retry
handler does not know about.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TextIO

from .batch import BatchOutcome, process_batch
from .observe import Observer
from .settings import MoverSettings, load_settings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

__all__ = ["MoverRuntime", "handler", "installed", "make_s3_client"]


def make_s3_client(concurrency: int) -> S3Client:
    """An S3 client for ``concurrency`` threads: one pooled connection each, no botocore
    retries (the mover retries), bounded connect/read timeouts (a hung request must not eat
    the invocation)."""
    import boto3
    from botocore.config import Config

    config = Config(
        max_pool_connections=concurrency + 4,
        retries={"mode": "standard", "total_max_attempts": 1},
        connect_timeout=5,
        read_timeout=60,
    )
    return boto3.session.Session().client("s3", config=config)


class MoverRuntime:
    """Settings, client, pool and log writer of one Lambda container."""

    def __init__(
        self,
        settings: MoverSettings,
        s3: S3Client | None = None,
        *,
        stream: TextIO | None = None,
        function_name: str | None = None,
    ) -> None:
        self.settings = settings
        self.s3 = s3 if s3 is not None else make_s3_client(settings.concurrency)
        self.executor = ThreadPoolExecutor(
            max_workers=settings.concurrency, thread_name_prefix="mover"
        )
        self.observer = Observer(
            stream,
            namespace=settings.metrics_namespace,
            function_name=function_name or os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "local"),
        )

    def deadline(self, context: Any) -> float | None:
        remaining = getattr(context, "get_remaining_time_in_millis", None)
        if remaining is None:
            return None
        return time.monotonic() + float(remaining()) / 1000 - self.settings.time_reserve

    def process(self, event: Mapping[str, Any], context: Any = None) -> BatchOutcome:
        return process_batch(
            event,
            s3=self.s3,
            settings=self.settings,
            executor=self.executor,
            observer=self.observer,
            deadline=self.deadline(context),
        )

    def handle(self, event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
        return dict(self.process(event, context).response)

    def close(self) -> None:
        self.executor.shutdown(wait=True)


_runtime: MoverRuntime | None = None
_runtime_lock = threading.Lock()


def _get_runtime() -> MoverRuntime:
    global _runtime
    with _runtime_lock:
        if _runtime is None:
            _runtime = MoverRuntime(load_settings(os.environ))
        return _runtime


def handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    """Lambda entry point for SQS batches; returns a partial batch response."""
    return _get_runtime().handle(event, context)


@contextmanager
def installed(runtime: MoverRuntime) -> Iterator[MoverRuntime]:
    """Make :func:`handler` use ``runtime`` while the block runs, so a local run calls the
    real entry point with a client of its choosing (``s3logs-athena demo``: moto, with
    fault-injection hooks). What was installed before comes back afterwards; ``runtime``
    is not closed."""
    global _runtime
    with _runtime_lock:
        previous, _runtime = _runtime, runtime
    try:
        yield runtime
    finally:
        with _runtime_lock:
            _runtime = previous


def _reset() -> None:
    """Forget the container state (tests change the environment between calls)."""
    global _runtime
    with _runtime_lock:
        if _runtime is not None:
            _runtime.close()
        _runtime = None


if os.environ.get("AWS_LAMBDA_RUNTIME_API"):  # pragma: no cover - only inside Lambda
    _get_runtime()
