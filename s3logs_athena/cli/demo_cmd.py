"""``s3logs-athena demo``: the whole pipeline on this machine (moto, no AWS account).

The work is :func:`s3logs_athena.demo.run_demo`; this module draws it: progress bars on
stderr, what each step did on stdout (rich tables), and a summary with the numbers.
"""

from __future__ import annotations

import json
import shlex
import time
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from ..units import human_bytes
from .frame_output import frame_table
from .paths import check_writable_dir
from .safe_text import cell, visible

if TYPE_CHECKING:
    import pandas as pd

    from ..demo import DemoResult
    from ..demo.drain import Invocation

_STEPS = 7
_OK = "[green]✓[/green]"
_FAIL = "[bold red]✗[/bold red]"


def _frame_table(frame: pd.DataFrame, title: str, *, max_rows: int = 12) -> Table:
    """The first rows of a report section, formatted as ``query run`` prints them."""
    table = frame_table(frame.head(max_rows))
    table.title, table.title_justify, table.title_style = title, "left", "bold"
    if len(frame) > max_rows:
        table.caption = f"{len(frame) - max_rows:,} more rows in the HTML report"
    return table


class _Screen:
    """The demo's observer: progress on stderr, results on stdout."""

    def __init__(self, out: Console, err: Console) -> None:
        self.out = out
        self.bars = Progress(
            TextColumn("{task.description:<28}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=err,
            transient=True,
            disable=not err.is_terminal,  # bars only where someone watches
        )
        self.task: TaskID | None = None
        self.invocations: list[tuple[Invocation, int]] = []

    # -- DemoObserver -----------------------------------------------------------------------

    def step_started(self, number: int, title: str) -> None:
        self.out.rule(f"[bold]Step {number}/{_STEPS}[/bold]  {title}", align="left")
        self.bars.start()
        self.task = self.bars.add_task(title[:28], total=None)

    def progress(self, task: str, done: int, total: int | None) -> None:
        if self.task is not None:
            self.bars.update(self.task, description=task[:28], completed=done, total=total)

    def invocation(self, invocation: Invocation, queue_left: int) -> None:
        self.invocations.append((invocation, queue_left))
        self.progress(f"invocation {invocation.number}: {queue_left} left", invocation.number, None)

    def step_done(self, number: int, result: DemoResult) -> None:
        if self.task is not None:
            self.bars.remove_task(self.task)
            self.task = None
        self.bars.stop()
        getattr(self, f"_show_step_{number}")(result)
        self.out.print(f"[dim]step {number} took {result.seconds[number]:.1f} s[/dim]\n")

    # -- what each step did -----------------------------------------------------------------

    def _show_step_1(self, result: DemoResult) -> None:
        pipeline = result.pipeline
        assert pipeline is not None
        attributes = pipeline.queue_attributes
        redrive = json.loads(attributes["RedrivePolicy"])
        table = Table(show_header=False, box=None, padding=(0, 2, 0, 0))
        table.add_row(
            "log bucket", cell(f"s3://{pipeline.log_bucket} (EventBridge notifications on)")
        )
        table.add_row("rule pattern", cell(json.dumps(pipeline.event_pattern)))
        table.add_row(
            "queue",
            f"visibility timeout {attributes['VisibilityTimeout']} s, DLQ after "
            f"{redrive['maxReceiveCount']} receives",
        )
        table.add_row(
            "mover settings", cell(" ".join(f"{k}={v}" for k, v in result.environment.items()))
        )
        self.out.print(table)

    def _show_step_2(self, result: DemoResult) -> None:
        dataset = result.dataset
        assert dataset is not None
        truth = dataset.truth
        formats = ", ".join(f"{b.name} ({b.key_format.value})" for b in truth.buckets)
        table = Table(show_header=False, box=None, padding=(0, 2, 0, 0))
        table.add_row(
            "generated",
            f"{truth.objects:,} log objects, {truth.records:,} records, "
            f"{human_bytes(dataset.total_bytes)}, {truth.start} to {truth.end} (exclusive)",
        )
        table.add_row("source buckets", formats)
        for label, text in zip(("planted", "", "", ""), _planted(result), strict=False):
            table.add_row(label, cell(text))
        table.add_row(
            "delivered",
            f"{result.uploaded:,} objects; {result.events_lost} of them while the bucket's "
            "notification configuration was overwritten: no event (stragglers)",
        )
        table.add_row("queued", f"{result.messages_queued:,} messages")
        self.out.print(table)

    def _show_step_3(self, result: DemoResult) -> None:
        drain, faults, proof = result.drain, result.faults, result.proof
        assert drain is not None and faults is not None and proof is not None
        table = Table(title="Mover invocations", title_justify="left", title_style="bold")
        for column in ("#", "messages", "moved", "retried", "failed items", "redelivered",
                       "rejected", "queue left"):  # fmt: skip
            table.add_column(column, justify="right")
        for invocation, left in self.invocations:
            table.add_row(
                str(invocation.number),
                f"{invocation.messages:,}",
                f"{invocation.moved + invocation.already_moved:,}",
                f"{invocation.retried:,}",
                f"{invocation.batch_item_failures:,}",
                f"{invocation.redelivered:,}",
                f"{invocation.rejected:,}",
                f"{left:,}",
            )
        self.out.print(table)
        injected = ", ".join(f"{k} x{v}" for k, v in sorted(drain.injected.items()))
        facts = Table(show_header=False, box=None, padding=(0, 2, 0, 0))
        facts.add_row(
            "faults",
            f"{len(faults.late)} objects answer NoSuchKey to their first {faults.late_reads} "
            f"reads, {len(faults.lagging)} to their first {faults.lagging_reads} (more than one "
            f"invocation tries); ~{faults.slowdown_rate:.0%} of requests throttled. "
            f"Injected: {injected}",
        )
        facts.add_row(
            "retried",
            f"{len(drain.retried_keys)} objects needed more than one attempt; "
            f"{len(drain.redelivered_keys)} were moved only after SQS redelivered them",
        )
        facts.add_row("DLQ", cell(f"{len(drain.dead_letters)} message(s): " + "; ".join(
            _describe_message(body) for body in drain.dead_letters)))  # fmt: skip
        mark = _OK if proof.ok else _FAIL
        facts.add_row(
            "nothing lost",
            f"{mark} {proof.at_target}/{proof.expected_at_target} generated objects exactly "
            f"once at their partition, SHA-256 identical; {len(proof.stragglers_at_source)} "
            f"stragglers untouched at their source; {len(proof.unexpected)} other objects; "
            f"{len(proof.missing)} missing, {len(proof.changed)} changed, "
            f"{len(proof.misplaced)} misplaced",
        )
        self.out.print(facts)

    def _show_step_4(self, result: DemoResult) -> None:
        before, after = result.check_before, result.check_after
        assert before is not None and after is not None
        table = Table(title="Check findings", title_justify="left", title_style="bold")
        for column in ("kind", "key", "detail"):
            table.add_column(column, overflow="fold")
        for finding in before.sorted_findings():
            table.add_row(finding.kind.value, cell(finding.key or ""), cell(finding.detail))
        self.out.print(table)
        for action in result.fix_actions:
            self.out.print(f"fix: {action['action']} {action['key']} -> {action['target']}: "
                           f"{action['outcome']}", markup=False, highlight=False)  # fmt: skip
        mark = _OK if after.aligned else _FAIL
        self.out.print(
            f"check again: {mark} {len(after.findings)} findings; {after.objects_listed:,} "
            f"objects in {after.partitions:,} partitions, {after.source_objects} left at a source"
        )

    def _show_step_5(self, result: DemoResult) -> None:
        sync, report = result.sync, result.report
        assert sync is not None and report is not None
        # Highlighted but never wrapped by us: lines copied from the screen (or read from a
        # pipe) are the SQL's own lines, at any terminal width.
        ddl = result.ddl.rstrip("\n")
        self.out.print(
            Syntax(ddl, "sql", background_color="default").highlight(ddl), soft_wrap=True
        )
        self.out.print(
            f"sync: {sync.objects_downloaded:,} objects "
            f"({human_bytes(sync.bytes_downloaded)}) downloaded, "
            f"{sync.ingest.parse.records:,} records in the cache {result.cache_dir}",
            markup=False,
        )
        self.out.print(_frame_table(report.frame("requests"), "Requests per day and bucket"))
        self.out.print(_frame_table(
            report.frame("requesters").head(5)[["requester", "requests", "bytes_sent"]],
            "Top requesters by bytes"))  # fmt: skip
        findings = (
            ("Finding: bulk downloads", report.bulk_downloads,
             ["requester", "remoteip", "objects", "requests", "bytes_sent"]),
            ("Finding: bursts of access denied", report.access_denied_bursts,
             ["hour", "requester", "remoteip", "requests"]),
            ("Finding: unusual deleters", report.unusual_deleters,
             ["requester", "deletions", "objects_deleted", "requests", "addresses"]),
            ("Finding: clients on TLS < 1.2", report.legacy_tls,
             ["bucket", "requester", "remoteip", "transport", "requests"]),
        )  # fmt: skip
        for title, frame, columns in findings:
            self.out.print(_frame_table(frame[columns], title))

    def _show_step_6(self, result: DemoResult) -> None:
        for name, path in result.written.items():
            self.out.print(f"{name:<8} {path}", markup=False, highlight=False)

    def _show_step_7(self, result: DemoResult) -> None:
        demo = result.compaction
        assert demo is not None
        first, second, scan = demo.first.totals(), demo.second.totals(), demo.scan
        table = Table(show_header=False, box=None, padding=(0, 2, 0, 0))
        table.add_row(
            "compacted",
            f"{first['compacted']} raw partitions: {first['objects']:,} objects, "
            f"{first['records']:,} records, {human_bytes(first['bytes_in'])} of text -> "
            f"{human_bytes(first['bytes_out'])} of Parquet in {first['outputs']} objects",
        )
        table.add_row(
            "late object",
            cell(
                f"{demo.late_key} -> raw partition {demo.late_partition} ({demo.status_after_late})"
            ),
        )
        table.add_row(
            "compacted again",
            f"{second['recompacted']} re-compacted, {second['up_to_date']} up to date",
        )
        table.add_row(
            "check",
            f"{demo.uncompacted_after} uncompacted, {demo.mismatches_after} compaction_mismatch",
        )
        self.out.print(table)
        scans = Table(title=f"A one-day query ({scan.day}, requests per operation)",
                      title_justify="left", title_style="bold")  # fmt: skip
        for column in ("table", "objects opened", "bytes read"):
            scans.add_column(column, justify="left" if column == "table" else "right")
        scans.add_row("raw (text)", f"{scan.raw_objects:,}", f"{scan.raw_bytes:,}")
        ratio = scan.raw_bytes / scan.compacted_bytes_read if scan.compacted_bytes_read else 0
        scans.add_row(
            "compacted (Parquet)",
            f"{scan.compacted_objects:,}",
            f"{scan.compacted_bytes_read:,} (1/{ratio:.0f})",
        )
        self.out.print(scans)


def _planted(result: DemoResult) -> list[str]:
    assert result.dataset is not None
    truth = result.dataset.truth
    lines = []
    if truth.bulk_download:
        bulk = truth.bulk_download
        lines.append(
            f"bulk download: {bulk.get_requests} GETs, {bulk.bytes_sent:,} bytes by "
            f"{bulk.requester} from {bulk.remote_ip}"
        )
    if truth.access_denied_burst:
        burst = truth.access_denied_burst
        lines.append(f"{burst.access_denied} x AccessDenied from {burst.remote_ip} in an hour")
    if truth.unusual_deletions:
        deleter = truth.unusual_deletions
        lines.append(f"{len(deleter.deletions)} deletions by {deleter.requester}")
    if truth.legacy_tls_client:
        legacy = truth.legacy_tls_client
        lines.append(
            f"{legacy.requests} requests over {legacy.tls_version} from {legacy.remote_ip}"
        )
    return lines


def _describe_message(body: str) -> str:
    try:
        event = json.loads(body)
        return f"{event['source']} {event['detail-type']!r} for {event['detail']['object']['key']}"
    except (ValueError, KeyError, TypeError):
        return body[:80]


def next_steps(result: DemoResult) -> Text:
    """What to run next, on the demo's own cache and dates (copy-pastable commands)."""
    assert result.dataset is not None
    truth = result.dataset.truth
    first, end = truth.start, truth.end  # end: the day after the last
    last = end - timedelta(days=1)
    cache = shlex.quote(str(result.cache_dir))
    report = shlex.quote(str(result.config.out / "report.html"))
    commands = (
        f"s3logs-athena query run top-ips --cache {cache} -p start={first} -p end={end}",
        f"s3logs-athena query run bulk-downloads --cache {cache} -p start={first} -p end={end}",
        f"s3logs-athena report --cache {cache} --from {first} --to {last} --out {report}",
        "s3logs-athena query list",
    )
    text = Text("\nNext, on the demo's cache (", style="bold")
    text.append(f"{first} to {last}", style="bold")
    text.append("):\n", style="bold")
    for command in commands:
        text.append(f"  {visible(command)}\n")
    return text


def _summary(result: DemoResult, seconds: float) -> Table:
    dataset, drain, proof, report = result.dataset, result.drain, result.proof, result.report
    after = result.check_after
    assert dataset and drain and proof and report and after
    findings = report.findings()
    table = Table(title="Demo summary", title_justify="left", title_style="bold", show_header=False)
    rows = (
        ("log objects generated", f"{dataset.truth.objects:,} ({dataset.truth.records:,} records)"),
        ("moved by the mover", f"{proof.at_target:,} of {proof.expected_at_target:,}, verified"),
        ("handler invocations", f"{len(drain.invocations)}"),
        ("objects retried / redelivered",
         f"{len(drain.retried_keys)} / {len(drain.redelivered_keys)}"),
        ("partial batch failures", f"{drain.batch_item_failures} message(s) reported failed"),
        ("faults injected", f"{sum(drain.injected.values())}"),
        ("DLQ", f"{len(drain.dead_letters)} poison message(s)"),
        ("stragglers found and fixed",
         f"{len(result.check_before.findings) if result.check_before else 0} -> "
         f"{len(after.findings)} findings"),
        ("report findings", ", ".join(f"{k}: {v}" for k, v in findings.items())),
        ("written", str(result.written.get("report", ""))),
        ("wall time", f"{seconds:.1f} s"),
    )  # fmt: skip
    for label, value in rows:
        table.add_row(label, value)
    return table


@click.command()
@click.option("--buckets", type=int, default=3, show_default=True, help="Source buckets (1-12).")
@click.option("--days", type=int, default=3, show_default=True, help="Days of logs (1-31).")
@click.option(
    "--objects-per-day",
    type=int,
    default=24,
    show_default=True,
    help="Log objects per bucket and day (a divisor of 86400, up to 288).",
)
@click.option("--seed", type=int, default=7, show_default=True, help="Same seed, same logs.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("s3logs-demo"),
    show_default=True,
    help="Where to write table.sql, table.glue.json, truth.json, report.html and the cache.",
)
def demo(buckets: int, days: int, objects_per_day: int, seed: int, out: Path) -> None:
    """Run the whole pipeline on this machine, on moto (no AWS account, no network).

    \b
    1. the log bucket, EventBridge rule, queue and DLQ as the deploy template defines them
    2. synthetic access logs (with planted incidents) delivered to the bucket
    3. the queue drained through the mover's Lambda handler with S3 faults injected
    4. the checker finds the objects whose events were lost, and fixes them
    5. the DDL, the local cache, the report's queries on DuckDB
    6. table.sql and report.html written to --out
    7. the closed days compacted to Parquet; a late object compacted again
    """
    from ..demo import DemoConfig, run_demo

    check_writable_dir(out)
    started = time.perf_counter()
    config = DemoConfig(
        buckets=buckets, days=days, objects_per_day=objects_per_day, seed=seed, out=out
    )
    out_console = Console(highlight=False)
    screen = _Screen(out_console, Console(stderr=True))
    try:
        result = run_demo(config, screen)
    finally:
        screen.bars.stop()
    out_console.print(_summary(result, time.perf_counter() - started))
    out_console.print(next_steps(result), soft_wrap=True)
    proof, after = result.proof, result.check_after
    if not (proof and proof.ok and after and after.aligned):
        raise click.ClickException("the demo found a problem: see above")
