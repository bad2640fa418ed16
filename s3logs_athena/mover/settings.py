"""The Lambda's settings: environment variables, read and validated once at cold start.

With none set, the mover works for the default layout (``{bucket}/`` sources,
``PartitionedLogs/`` root) and writes to the bucket the event names. A bad value fails the
cold start with a message naming the variable, before any message is touched; so does an
unknown ``MOVER_*`` variable (a typo would otherwise silently fall back to a default).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..env_settings import env_int
from ..errors import ConfigError, InputError
from ..layout import (
    DEFAULT_COMPACTED_ROOT,
    DEFAULT_PARTITION_ROOT,
    DEFAULT_SOURCE_PATTERN,
    Layout,
    validate_bucket_name,
)
from .retry import RetryPolicy

__all__ = ["SETTINGS", "MoverSettings", "Setting", "load_settings"]


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    description: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "MOVER_PARTITION_ROOT",
        DEFAULT_PARTITION_ROOT,
        "Key prefix of the partitioned layout; the EventBridge rule must exclude it.",
    ),
    Setting(
        "MOVER_SOURCE_PATTERN",
        DEFAULT_SOURCE_PATTERN,
        "Where SimplePrefix logs arrive, with `{bucket}` for the source bucket "
        "(e.g. `logs/{bucket}/`). PartitionedPrefix keys are recognised whatever it says.",
    ),
    Setting(
        "MOVER_COMPACTED_ROOT",
        DEFAULT_COMPACTED_ROOT,
        "Key prefix of the compacted (Parquet) table; the EventBridge rule must exclude it, "
        "and the mover never touches a key under it.",
    ),
    Setting(
        "MOVER_TARGET_BUCKET",
        "",
        "Bucket to move into; empty: the bucket the event names.",
    ),
    Setting(
        "MOVER_CONCURRENCY",
        "32",
        "Objects of a batch moved at once (threads sharing one S3 client), 1-256.",
    ),
    Setting(
        "MOVER_MAX_ATTEMPTS",
        "6",
        "Attempts per object within one invocation before its message is reported failed "
        "(SQS then redelivers it), 1-50.",
    ),
    Setting(
        "MOVER_RETRY_BASE_MS",
        "100",
        "First backoff between attempts; it doubles per attempt, with jitter.",
    ),
    Setting("MOVER_RETRY_MAX_MS", "4000", "Longest backoff between two attempts."),
    Setting(
        "MOVER_TIME_RESERVE_MS",
        "5000",
        "Time kept back from the Lambda's deadline: no attempt starts later, so the batch "
        "response is always returned.",
    ),
    Setting(
        "MOVER_METRICS_NAMESPACE",
        "S3LogsAthena/Mover",
        "CloudWatch namespace of the embedded metrics.",
    ),
)
_DEFAULTS = {s.name: s.default for s in SETTINGS}


@dataclass(frozen=True)
class MoverSettings:
    layout: Layout = field(default_factory=Layout)
    target_bucket: str | None = None
    concurrency: int = 32
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    #: Seconds kept back from the Lambda's deadline.
    time_reserve: float = 5.0
    metrics_namespace: str = "S3LogsAthena/Mover"


def _int(environ: Mapping[str, str], name: str, low: int, high: int) -> int:
    return env_int(environ, name, default=int(_DEFAULTS[name]), low=low, high=high)


def load_settings(environ: Mapping[str, str]) -> MoverSettings:
    """Settings from ``environ`` (``os.environ`` in the Lambda). Raises
    :class:`ConfigError` naming the first bad variable."""
    unknown = sorted(n for n in environ if n.startswith("MOVER_") and n not in _DEFAULTS)
    if unknown:
        raise ConfigError(
            unknown[0], f"unknown setting; the mover reads {', '.join(sorted(_DEFAULTS))}"
        )
    root = environ.get("MOVER_PARTITION_ROOT", "").strip() or _DEFAULTS["MOVER_PARTITION_ROOT"]
    pattern = environ.get("MOVER_SOURCE_PATTERN", "").strip() or DEFAULT_SOURCE_PATTERN
    compacted = environ.get("MOVER_COMPACTED_ROOT", "").strip() or _DEFAULTS["MOVER_COMPACTED_ROOT"]
    try:
        Layout(partition_root=root)
    except InputError as exc:
        raise ConfigError("MOVER_PARTITION_ROOT", str(exc)) from None
    try:
        Layout(partition_root=root, compacted_root=compacted).check_roots_apart()
    except InputError as exc:
        raise ConfigError("MOVER_COMPACTED_ROOT", str(exc)) from None
    try:
        layout = Layout(partition_root=root, source_pattern=pattern, compacted_root=compacted)
    except InputError as exc:
        raise ConfigError("MOVER_SOURCE_PATTERN", str(exc)) from None

    target = environ.get("MOVER_TARGET_BUCKET", "").strip() or None
    if target is not None:
        try:
            validate_bucket_name(target)
        except InputError as exc:
            raise ConfigError("MOVER_TARGET_BUCKET", str(exc)) from None

    base_ms = _int(environ, "MOVER_RETRY_BASE_MS", 0, 60_000)
    max_ms = _int(environ, "MOVER_RETRY_MAX_MS", 0, 300_000)
    if max_ms < base_ms:
        raise ConfigError(
            "MOVER_RETRY_MAX_MS", f"must be at least MOVER_RETRY_BASE_MS ({base_ms}), got {max_ms}"
        )
    namespace = (
        environ.get("MOVER_METRICS_NAMESPACE", "").strip() or _DEFAULTS["MOVER_METRICS_NAMESPACE"]
    )
    if len(namespace) > 255 or namespace.startswith("AWS/"):
        raise ConfigError(
            "MOVER_METRICS_NAMESPACE",
            f"must be at most 255 characters and not start with 'AWS/', got {namespace!r}",
        )
    return MoverSettings(
        layout=layout,
        target_bucket=target,
        concurrency=_int(environ, "MOVER_CONCURRENCY", 1, 256),
        retry=RetryPolicy(
            max_attempts=_int(environ, "MOVER_MAX_ATTEMPTS", 1, 50),
            base_delay=base_ms / 1000,
            max_delay=max_ms / 1000,
        ),
        time_reserve=_int(environ, "MOVER_TIME_RESERVE_MS", 0, 600_000) / 1000,
        metrics_namespace=namespace,
    )
