"""The demo at a small size: every step did what it says, nothing was lost, and the report's
numbers are the generator's ground truth."""

from __future__ import annotations

import io
import json
import os
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from s3logs_athena.cli.main import cli
from s3logs_athena.demo import DemoConfig, DemoResult, run_demo
from s3logs_athena.demo.deploy_spec import MAX_RECEIVE_COUNT, object_created_pattern
from s3logs_athena.errors import InputError

from .browser import visit
from .report_support import SMALL, assert_report_matches_truth

CONFIG = DemoConfig(
    buckets=SMALL.buckets,
    days=SMALL.days,
    objects_per_day=SMALL.objects_per_day,
    records_per_object=SMALL.records_per_object,
    seed=SMALL.seed,
    stragglers=2,
)


class Recorder:
    """A DemoObserver that remembers what it was told."""

    def __init__(self) -> None:
        self.events: list[tuple[str, object]] = []

    def step_started(self, number: int, title: str) -> None:
        self.events.append(("started", number))

    def step_done(self, number: int, result: DemoResult) -> None:
        self.events.append(("done", number))

    def progress(self, task: str, done: int, total: int | None) -> None:
        self.events.append(("progress", task))

    def invocation(self, invocation: object, queue_left: int) -> None:
        self.events.append(("invocation", queue_left))


@pytest.fixture(scope="module")
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, recorder: Recorder) -> DemoResult:
    out = tmp_path_factory.mktemp("demo") / "out"
    return run_demo(replace(CONFIG, out=out), recorder)


def test_steps_run_in_order_with_progress(demo: DemoResult, recorder: Recorder) -> None:
    steps = [event for event in recorder.events if event[0] in ("started", "done")]
    assert steps == [(kind, n) for n in range(1, 8) for kind in ("started", "done")]
    assert ("progress", "upload") in recorder.events
    left = [value for kind, value in recorder.events if kind == "invocation"]
    assert left and left == sorted(left, reverse=True)  # the queue only ever shrank
    assert set(demo.seconds) == set(range(1, 8))


def test_the_event_path_is_the_deployed_one(demo: DemoResult) -> None:
    pipeline = demo.pipeline
    assert pipeline is not None
    assert pipeline.event_pattern == object_created_pattern(pipeline.log_bucket)
    redrive = json.loads(pipeline.queue_attributes["RedrivePolicy"])
    assert redrive == {"deadLetterTargetArn": pipeline.dlq_arn, "maxReceiveCount": 5}
    assert demo.environment["MOVER_PARTITION_ROOT"] == "PartitionedLogs/"


def test_every_object_but_the_stragglers_raised_one_message(demo: DemoResult) -> None:
    dataset = demo.dataset
    assert dataset is not None
    assert demo.uploaded == len(dataset.log_objects)
    assert demo.events_lost == len(dataset.straggler_keys) == 2
    assert demo.messages_queued == len(dataset.log_objects) - 2


def test_the_drain_retried_redelivered_and_parked_the_poison_message(demo: DemoResult) -> None:
    drain, faults = demo.drain, demo.faults
    assert drain is not None and faults is not None
    # Late objects were retried within an invocation; lagging ones only after SQS redelivered.
    assert faults.late <= drain.retried_keys
    assert drain.redelivered_keys == faults.lagging
    failed = {line["key"] for line in drain.object_lines if line["outcome"] == "failed"}
    assert failed == faults.lagging
    # Exactly the NoSuchKey answers planned: late_reads per late object, lagging_reads per
    # lagging one (each read is one CopyObject: the events carry ETag and size).
    expected = len(faults.late) * faults.late_reads + len(faults.lagging) * faults.lagging_reads
    assert drain.injected["CopyObject:NoSuchKey"] == expected
    # The poison message failed every delivery, then went to the DLQ.
    rejected = sum(i.rejected for i in drain.invocations)
    assert rejected == MAX_RECEIVE_COUNT
    assert drain.batch_item_failures == len(faults.lagging) + MAX_RECEIVE_COUNT
    (body,) = drain.dead_letters
    assert json.loads(body)["detail-type"] == "Object Deleted"
    # Every message was either deleted after success or is the one in the DLQ, and the
    # mover's own copies under the partition root raised no message (the rule's exclusion).
    assert drain.messages_deleted == demo.messages_queued
    assert sum(i.messages for i in drain.invocations) == (
        demo.messages_queued + len(faults.lagging) + MAX_RECEIVE_COUNT
    )


def test_nothing_was_lost(demo: DemoResult) -> None:
    proof, dataset = demo.proof, demo.dataset
    assert proof is not None and dataset is not None
    assert proof.ok
    assert proof.at_target == proof.expected_at_target == len(dataset.log_objects) - 2
    assert sorted(proof.stragglers_at_source) == sorted(dataset.straggler_keys)
    assert proof.objects_in_bucket == len(dataset.log_objects)
    assert proof.bytes_hashed == dataset.total_bytes


def test_the_check_finds_the_stragglers_and_fixes_them(demo: DemoResult) -> None:
    from s3logs_athena.check import Kind

    before, after, dataset = demo.check_before, demo.check_after, demo.dataset
    assert before is not None and after is not None and dataset is not None
    assert sorted((f.kind, f.key) for f in before.findings) == sorted(
        (Kind.STRAGGLER, key) for key in dataset.straggler_keys
    )
    assert [a["outcome"] for a in demo.fix_actions] == ["moved", "moved"]
    assert after.aligned and after.findings == [] and after.source_objects == 0
    assert after.objects_listed == len(dataset.log_objects)


def test_the_report_agrees_with_the_ground_truth(demo: DemoResult) -> None:
    assert demo.report is not None and demo.dataset is not None and demo.sync is not None
    page = demo.written["report"].read_text(encoding="utf-8")
    assert_report_matches_truth(demo.report, demo.dataset, page)
    assert demo.sync.ingest.parse.records == demo.dataset.truth.records
    assert demo.sync.ingest.parse.failed == 0


def test_the_outputs_are_written(demo: DemoResult) -> None:
    out = demo.config.out
    assert {p.name for p in out.iterdir()} >= {
        "table.sql", "table.glue.json", "truth.json", "report.html", "cache",
    }  # fmt: skip
    ddl = (out / "table.sql").read_text(encoding="utf-8")
    assert "CREATE EXTERNAL TABLE IF NOT EXISTS" in ddl
    assert "s3://demo-central-logs/PartitionedLogs/" in ddl and ddl == demo.ddl
    assert "s3://demo-central-logs/CompactedLogs/" in ddl  # what `ddl` prints by default
    assert 'CREATE OR REPLACE VIEW "s3_access_logs_db"."s3_access_logs_all"' in ddl
    glue = json.loads((out / "table.glue.json").read_text(encoding="utf-8"))
    assert glue["TableInput"]["Name"] == "s3_access_logs"
    truth = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    assert truth["records"] == demo.dataset.truth.records  # type: ignore[union-attr]


def test_a_second_run_replaces_the_first_ones_cache(demo: DemoResult) -> None:
    changed = replace(demo.config, seed=12, days=1)
    again = run_demo(changed)
    assert again.report is not None and again.dataset is not None
    assert again.report.summary()["requests"] == again.dataset.truth.records


def test_an_unrelated_directory_is_not_overwritten(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="not empty and was not written by the demo"):
        run_demo(replace(CONFIG, out=tmp_path))
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


@pytest.mark.browser
def test_the_demo_report_renders_in_headless_chromium(demo: DemoResult) -> None:
    from PIL import Image

    seen = visit(demo.written["report"], height=2400)
    assert seen.charts_state == "ok", seen.console_errors
    assert seen.console_errors == []
    assert [u for u in seen.requests if not u.startswith(("file:", "data:", "about:"))] == []
    assert demo.report is not None
    charts = [s for s in demo.report.sections().values() if s.chart and not s.frame.empty]
    assert len(seen.chart_elements) == len(charts) and min(seen.chart_elements) > 20
    image = Image.open(io.BytesIO(seen.screenshot)).convert("RGB")
    colors = image.getcolors(maxcolors=1 << 20) or []
    assert len(colors) > 50
    white = sum(n for n, rgb in colors if min(rgb) > 245)
    assert white < 0.95 * image.size[0] * image.size[1]


def test_the_compaction_step_compacts_a_late_object_again(demo: DemoResult) -> None:
    compaction = demo.compaction
    assert compaction is not None and demo.dataset is not None
    first, second = compaction.first, compaction.second
    assert first.ok and first.count("compacted") > 0 and first.count("recompacted") == 0
    assert first.totals()["records"] == demo.dataset.truth.records
    assert compaction.status_after_late == "stale"
    assert (second.count("recompacted"), second.count("compacted")) == (1, 0)
    assert second.count("up_to_date") == first.count("compacted") - 1
    assert (compaction.uncompacted_after, compaction.mismatches_after) == (0, 0)
    scan = compaction.scan
    assert scan.requests > 0 and scan.compacted_objects < scan.raw_objects
    assert 0 < scan.compacted_bytes_read < scan.raw_bytes / 5


# -- the command ----------------------------------------------------------------------------


def test_the_command_prints_each_step_and_a_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # This shell's AWS settings must not take the demo off moto (nothing listens on :9).
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_SQS"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_REGION", "ap-southeast-2")
    # As the README runs it: no --out, so the cache is the relative ./s3logs-demo/cache.
    monkeypatch.chdir(tmp_path)
    args = ["demo", "--buckets", "2", "--days", "1", "--objects-per-day", "8", "--seed", "3"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert os.environ["AWS_ENDPOINT_URL"] == "http://127.0.0.1:9"  # put back afterwards
    assert os.environ["AWS_REGION"] == "ap-southeast-2"
    assert "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS" not in os.environ
    for number in range(1, 8):
        assert f"Step {number}/7" in result.stdout
    assert "A one-day query" in result.stdout and "1 re-compacted" in result.stdout
    assert "Mover invocations" in result.stdout and "nothing lost  ✓" in result.stdout
    assert "check again: ✓ 0 findings" in result.stdout
    assert "CREATE EXTERNAL TABLE" in result.stdout
    assert "Demo summary" in result.stdout and "wall time" in result.stdout
    assert (tmp_path / "s3logs-demo" / "report.html").is_file()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--days", "0"], "--days: must be 1-31, got 0"),
        (["--buckets", "20"], "--buckets: must be 1-12, got 20"),
        (["--objects-per-day", "7"], "--objects-per-day: must divide a day"),
        (["--days", "x"], "'x' is not a valid integer"),
    ],
)
def test_bad_options_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, ["demo", *args, "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert message in result.stderr and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_a_foreign_out_directory_exits_2(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    result = CliRunner().invoke(cli, ["demo", "--days", "1", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "was not written by the demo" in result.stderr
