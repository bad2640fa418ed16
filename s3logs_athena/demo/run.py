"""The whole pipeline on this machine: ``run_demo(DemoConfig(...))``.

Seven steps, all in-process on moto (no AWS account, no network):

1. the deployed event path (bucket, rule, queue, DLQ) from the deploy definitions;
2. synthetic logs from :mod:`s3logs_athena.generator` uploaded as S3 would deliver them,
   a few of them while the bucket's notifications were overwritten (their events are lost);
3. the queue drained through the mover's Lambda handler with S3 faults injected, then the
   bucket compared with what was generated (:mod:`.proof`);
4. the checker finds the objects whose events were lost, fixes them, checks again;
5. the DDL, the local cache synced from the bucket, the report's queries on DuckDB;
6. ``table.sql``, ``table.glue.json``, ``truth.json``, ``report.html`` and the cache in
   ``out``;
7. compaction (:mod:`.compaction`): the closed days compacted, a late object delivered
   after its day was compacted and compacted again, and what a one-day query reads before
   and after.

Each step reports to a :class:`DemoObserver` (the CLI draws progress bars and tables from
it) and leaves its results in the :class:`DemoResult`.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import ConfigError, InputError
from .pipeline import REGION

if TYPE_CHECKING:
    from ..cache import SyncReport
    from ..check import CheckReport
    from ..generator import GeneratedDataset, GeneratorConfig
    from ..report.data import ReportData
    from .compaction import CompactionDemo
    from .drain import DrainResult, FaultPlan, Invocation
    from .pipeline import Pipeline
    from .proof import BucketProof

__all__ = ["DEMO_ENVIRONMENT", "DemoConfig", "DemoObserver", "DemoResult", "run_demo"]

#: The mover's retry timing in the demo: the template's backoff (100 ms doubling up to 4 s)
#: made ten times shorter so the demo does not sit waiting; everything else as deployed.
DEMO_ENVIRONMENT = {"MOVER_RETRY_BASE_MS": "10", "MOVER_RETRY_MAX_MS": "400"}
_MARKER = ".s3logs-athena-demo"


@dataclass(frozen=True)
class DemoConfig:
    buckets: int = 3
    days: int = 3
    objects_per_day: int = 24
    records_per_object: int = 200
    seed: int = 7
    stragglers: int = 2
    out: Path = Path("s3logs-demo")
    log_bucket: str = "demo-central-logs"

    def __post_init__(self) -> None:
        limits = {"buckets": (1, 12), "days": (1, 31), "objects_per_day": (1, 288)}
        for name, (low, high) in limits.items():
            value = getattr(self, name)
            if not low <= value <= high:
                raise ConfigError(
                    f"--{name.replace('_', '-')}", f"must be {low}-{high}, got {value}"
                )
        if not 1 <= self.stragglers <= 5:
            raise ConfigError("stragglers", f"must be 1-5, got {self.stragglers}")
        self.generator_config()  # checks the rest (objects per day must divide a day)

    def generator_config(self) -> GeneratorConfig:
        from ..generator import GeneratorConfig

        try:
            return GeneratorConfig(
                buckets=self.buckets,
                days=self.days,
                objects_per_day=self.objects_per_day,
                records_per_object=self.records_per_object,
                seed=self.seed,
                stragglers=self.stragglers,
            )
        except ConfigError as exc:
            option = f"--{exc.setting.replace('_', '-')}"
            raise ConfigError(option, str(exc).split(": ", 1)[1]) from None


class DemoObserver(Protocol):
    """Told what the demo is doing."""

    def step_started(self, number: int, title: str) -> None: ...
    def step_done(self, number: int, result: DemoResult) -> None: ...
    def progress(self, task: str, done: int, total: int | None) -> None: ...
    def invocation(self, invocation: Invocation, queue_left: int) -> None: ...


class _Quiet:
    def step_started(self, number: int, title: str) -> None:
        pass

    def step_done(self, number: int, result: DemoResult) -> None:
        pass

    def progress(self, task: str, done: int, total: int | None) -> None:
        pass

    def invocation(self, invocation: Invocation, queue_left: int) -> None:
        pass


@dataclass
class DemoResult:
    """Everything the demo made and found, step by step."""

    config: DemoConfig
    dataset: GeneratedDataset | None = None
    pipeline: Pipeline | None = None
    environment: dict[str, str] = field(default_factory=dict)
    uploaded: int = 0
    events_lost: int = 0
    messages_queued: int = 0
    faults: FaultPlan | None = None
    drain: DrainResult | None = None
    proof: BucketProof | None = None
    check_before: CheckReport | None = None
    fix_actions: list[dict[str, Any]] = field(default_factory=list)
    check_after: CheckReport | None = None
    ddl: str = ""
    sync: SyncReport | None = None
    report: ReportData | None = None
    written: dict[str, Path] = field(default_factory=dict)
    compaction: CompactionDemo | None = None
    #: Wall-clock seconds per step.
    seconds: dict[int, float] = field(default_factory=dict)

    @property
    def cache_dir(self) -> Path:
        return self.config.out / "cache"


def _prepare_out(out: Path) -> None:
    """``out`` is new, empty or an earlier demo's output (whose cache is replaced: a cache
    of another dataset would mix into this one's report)."""
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} is a file: give a directory")
    if out.is_dir() and any(out.iterdir()) and not (out / _MARKER).exists():
        raise InputError(
            f"--out {out} is not empty and was not written by the demo: choose a new directory"
        )
    out.mkdir(parents=True, exist_ok=True)
    (out / _MARKER).write_text("written by s3logs-athena demo\n", encoding="utf-8")
    shutil.rmtree(out / "cache", ignore_errors=True)


@contextmanager
def _local_aws() -> Iterator[None]:
    """Keep every client on moto, whatever this shell's AWS settings say: a configured
    endpoint (``AWS_ENDPOINT_URL...`` or the config file's) would send requests past moto
    to the network, and another region would put the mover's client elsewhere than the
    bucket. The environment is restored afterwards."""
    saved = dict(os.environ)
    for name in [n for n in os.environ if n.startswith("AWS_ENDPOINT_URL")]:
        del os.environ[name]
    os.environ.update(
        AWS_IGNORE_CONFIGURED_ENDPOINT_URLS="true", AWS_REGION=REGION, AWS_DEFAULT_REGION=REGION
    )
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def run_demo(config: DemoConfig, observer: DemoObserver | None = None) -> DemoResult:
    """Run the seven steps (see the module docstring) inside ``moto.mock_aws``."""
    from moto import mock_aws

    watch = observer or _Quiet()
    _prepare_out(config.out)
    result = DemoResult(config)
    steps = (
        (1, "Deploy the event path (moto): log bucket, EventBridge rule, queue and DLQ", _deploy),
        (2, "Generate access logs and deliver them to the log bucket", _deliver),
        (3, "Drain the queue through the mover, with S3 faults injected", _drain),
        (4, "Check the partitions: find what the events missed, fix it, check again", _check),
        (5, "Query: the DDL, the local cache, the report's templates on DuckDB", _query),
        (6, f"Write the DDL and the HTML report to {config.out}", _write),
        (7, "Compact the closed days; a late object arrives and is compacted again", _compact),
    )
    with _local_aws(), mock_aws():
        for number, title, step in steps:
            watch.step_started(number, title)
            started = time.perf_counter()
            step(result, watch)
            result.seconds[number] = time.perf_counter() - started
            watch.step_done(number, result)
    return result


# -- the steps ------------------------------------------------------------------------------


def _deploy(result: DemoResult, watch: DemoObserver) -> None:
    from .deploy_spec import mover_environment
    from .pipeline import build_pipeline

    result.pipeline = build_pipeline(result.config.log_bucket)
    result.environment = {**mover_environment(), **DEMO_ENVIRONMENT}


def _deliver(result: DemoResult, watch: DemoObserver) -> None:
    from ..generator import generate, upload
    from ..mover.redrive import queue_depth

    config, pipeline = result.config, result.pipeline
    assert pipeline is not None
    watch.progress("generate", 0, None)
    dataset = generate(config.generator_config())
    result.dataset = dataset
    lost = set(dataset.straggler_keys)
    total = len(dataset.log_objects)
    done = [0]

    def uploaded(_: object) -> None:
        done[0] += 1
        watch.progress("upload", done[0], total)

    on_time = [o.key for o in dataset.log_objects if o.key not in lost]
    result.uploaded = upload(pipeline.s3, pipeline.log_bucket, dataset, keys=on_time,
                             on_uploaded=uploaded)  # fmt: skip
    with pipeline.notifications_overwritten():
        result.uploaded += upload(pipeline.s3, pipeline.log_bucket, dataset, keys=sorted(lost),
                                  on_uploaded=uploaded)  # fmt: skip
    result.events_lost = len(lost)
    result.messages_queued = queue_depth(pipeline.sqs, pipeline.queue_url).total


def _drain(result: DemoResult, watch: DemoObserver) -> None:
    from ..mover import load_settings
    from .drain import drain_queue, plan_faults, poison_body
    from .proof import prove_nothing_lost

    pipeline, dataset = result.pipeline, result.dataset
    assert pipeline is not None and dataset is not None
    lost = set(dataset.straggler_keys)
    queued = [o.key for o in dataset.log_objects if o.key not in lost]
    settings = load_settings(result.environment)
    result.faults = plan_faults(
        queued, max_attempts=settings.retry.max_attempts, seed=result.config.seed
    )
    poison_key = queued[len(queued) // 2]
    pipeline.sqs.send_message(
        QueueUrl=pipeline.queue_url, MessageBody=poison_body(pipeline.log_bucket, poison_key)
    )
    result.drain = drain_queue(
        pipeline, result.faults, environment=result.environment, on_invocation=watch.invocation
    )
    watch.progress("verify", 0, None)
    result.proof = prove_nothing_lost(
        pipeline.s3, pipeline.log_bucket, dataset.log_objects, stragglers=lost,
        layout=pipeline.layout,
    )  # fmt: skip


def _check(result: DemoResult, watch: DemoObserver) -> None:
    from ..check import CheckConfig, run_check
    from ..check.fix import fix_findings

    pipeline, dataset = result.pipeline, result.dataset
    assert pipeline is not None and dataset is not None
    truth = dataset.truth
    config = CheckConfig(
        log_bucket=pipeline.log_bucket,
        first_day=truth.start,
        last_day=truth.end,  # the last day's late records arrive the day after
        layout=pipeline.layout,
        # The queue is empty, so nothing is in flight: every source object is a straggler.
        older_than=timedelta(0),
    )
    watch.progress("check", 0, None)
    result.check_before = run_check(pipeline.s3, config)
    result.fix_actions = fix_findings(pipeline.s3, result.check_before, layout=pipeline.layout)
    watch.progress("check again", 0, None)
    result.check_after = run_check(pipeline.s3, config)


def _query(result: DemoResult, watch: DemoObserver) -> None:
    from ..cache import sync
    from ..cache.remote import SyncProgress
    from ..report.data import ReportOptions, run_report
    from ..table.compacted import compacted_create_statement, compacted_spec
    from ..table.ddl import TableSpec, create_statements, render_script, view_statement
    from ..table.views import Coverage, all_view_statement

    pipeline, dataset = result.pipeline, result.dataset
    assert pipeline is not None and dataset is not None
    truth = dataset.truth
    spec = TableSpec(
        location=f"s3://{pipeline.log_bucket}/{pipeline.layout.partition_root}",
        buckets=tuple(b.name for b in truth.buckets),
    )
    # What `s3logs-athena ddl --with-view` prints: the raw table, the compacted table, the
    # typed view and <table>_all (before compaction: no day covered yet).
    root = pipeline.layout.compacted_root
    compacted = compacted_spec(spec, root).table
    result.ddl = render_script(
        [
            *create_statements(spec),
            compacted_create_statement(spec, root),
            view_statement(spec),
            all_view_statement(spec, Coverage(), compacted_table=compacted),
        ]
    )

    def synced(event: SyncProgress) -> None:
        watch.progress(event.phase, event.done, event.total or None)

    last_day = truth.end - timedelta(days=1)
    result.sync = sync(
        pipeline.s3,
        pipeline.log_bucket,
        truth.start - timedelta(days=1),  # a day's records lie in partitions D and D+1
        last_day + timedelta(days=1),
        None,
        result.cache_dir,
        layout=pipeline.layout,
        progress=synced,
    )

    def queried(name: str, done: int, total: int) -> None:
        watch.progress(name, done, total)

    result.report = run_report(
        ReportOptions(truth.start, last_day, cache_dir=result.cache_dir), progress=queried
    )


def _write(result: DemoResult, watch: DemoObserver) -> None:
    from ..table.ddl import TableSpec, glue_table_input

    pipeline, dataset, report = result.pipeline, result.dataset, result.report
    assert pipeline is not None and dataset is not None and report is not None
    out = result.config.out
    spec = TableSpec(
        location=f"s3://{pipeline.log_bucket}/{pipeline.layout.partition_root}",
        buckets=tuple(b.name for b in dataset.truth.buckets),
    )
    paths = {
        "ddl": out / "table.sql",
        "glue": out / "table.glue.json",
        "truth": out / "truth.json",
        "report": out / "report.html",
    }
    paths["ddl"].write_text(result.ddl, encoding="utf-8")
    glue = {"DatabaseName": spec.database, "TableInput": glue_table_input(spec)}
    paths["glue"].write_text(json.dumps(glue, indent=2) + "\n", encoding="utf-8")
    paths["truth"].write_text(json.dumps(dataset.truth.to_dict(), indent=2) + "\n", "utf-8")
    watch.progress("report.html", 0, None)
    report.write_html(paths["report"], title="S3 access log report (demo data)")
    result.written = {**paths, "cache": result.cache_dir}


def _compact(result: DemoResult, watch: DemoObserver) -> None:
    from .compaction import run_compaction_demo

    pipeline, dataset = result.pipeline, result.dataset
    assert pipeline is not None and dataset is not None
    watch.progress("compact", 0, None)
    result.compaction = run_compaction_demo(pipeline, dataset, result.environment)
