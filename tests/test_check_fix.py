"""``--fix`` with the mover's real ``move_object``, on moto: repair, check again, and never
lose a byte."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from typing import Any

import boto3

from s3logs_athena.check import CheckConfig, Kind, run_check
from s3logs_athena.check.fix import check_and_fix, fixable
from s3logs_athena.layout import Layout
from s3logs_athena.mover import move_object
from s3logs_athena.testing.faults import FaultInjector
from tests.check_support import LOG_BUCKET, body, dataset, s3, seed
from tests.test_check_scan import EXPECTED, PROJECTION

__all__ = ["s3"]

P = "PartitionedLogs/Year=2024/Month=01/"
FIXABLE_MARKS = ("0A0A", "0B0B", "5555555555555501", "5555555555555502", "D0D0", "3333333333333301")


def config(**options: Any) -> CheckConfig:
    settings: dict[str, Any] = {
        "log_bucket": LOG_BUCKET,
        "first_day": date(2024, 1, 2),
        "last_day": date(2024, 1, 3),
        "now": datetime.now(UTC) + timedelta(hours=1),
    }
    settings.update(options)
    return CheckConfig(**settings)


def contents(client: Any) -> dict[str, str]:
    """Key -> SHA-256 of every object in the bucket."""
    result = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=LOG_BUCKET):
        for item in page.get("Contents", []):
            data = client.get_object(Bucket=LOG_BUCKET, Key=item["Key"])["Body"].read()
            result[item["Key"]] = hashlib.sha256(data).hexdigest()
    return result


def test_fix_repairs_everything_fixable_and_the_check_after_is_clean(s3: Any) -> None:
    objects = [o for o in dataset("everything") if any(m in o[0] for m in FIXABLE_MARKS)]
    seed(s3, objects)
    before = contents(s3)
    report = check_and_fix(s3, config())

    assert report.findings == []
    assert report.aligned
    assert report.fix is not None
    assert report.fix.before["straggler"] == 2
    assert report.fix.before["duplicate"] == 2
    assert report.fix.before["misplaced"] == 1
    outcomes = {(a["action"], a["outcome"]) for a in report.fix.actions}
    assert outcomes == {
        ("move", "moved"), ("finish_move", "moved"), ("relocate", "moved"),
        ("remove_duplicate", "removed"),
    }  # fmt: skip
    after = contents(s3)
    # Every file's bytes survive exactly once, at the key the layout gives it.
    assert sorted(set(before.values())) == sorted(set(after.values()))
    assert len(after) == len(set(before.values()))
    relocated = P + "Day=05/app/2024-01-05-10-00-00-3333333333333301"
    assert after[relocated] == before[P + "Day=02/app/2024-01-05-10-00-00-3333333333333301"]
    assert (
        "PartitionedLogs/Year=2024/Month=01/Day=02/app/2024-01-02-00-00-00-5555555555555502"
        in after
    )
    # The relocated object is where the placement rule wants it.
    assert run_check(s3, config(last_day=date(2024, 1, 5))).findings == []


def test_fix_on_everything_leaves_exactly_what_needs_a_person(s3: Any) -> None:
    seed(s3, dataset("everything"))
    report = check_and_fix(s3, config(projection=PROJECTION))
    remaining = {(f.kind.value, f.key or f.partition) for f in report.findings}
    unfixable = {
        (kind, key)
        for kind, key in EXPECTED
        if kind in {"unprojected", "unknown_key", "unused_bucket_value"}
        or (kind == "misplaced" and "3333333333333301" not in (key or ""))
    }
    assert remaining == unfixable
    assert all(a["outcome"] in {"moved", "removed"} for a in report.fix.actions)  # type: ignore[union-attr]


def test_seed_scenario_is_repaired_by_the_mover(s3: Any) -> None:
    layout = Layout()
    sources = [f"app/2024-01-02-10-{m:02d}-00-{m:04d}BBBBBBBB" for m in range(12)]
    for key in sources:
        s3.put_object(Bucket=LOG_BUCKET, Key=key, Body=key.encode())
    left_behind = sources[3::5]
    for key in sources:
        if key not in left_behind:
            assert move_object(s3, bucket=LOG_BUCKET, key=key, layout=layout).ok
    report = check_and_fix(s3, config())
    assert report.findings == []
    assert [a["key"] for a in report.fix.actions] == sorted(left_behind)  # type: ignore[union-attr]
    after = contents(s3)
    assert after == {
        layout.target_key(key): hashlib.sha256(key.encode()).hexdigest() for key in sources
    }


def test_a_different_object_at_the_target_is_left_alone(s3: Any) -> None:
    source = "app/2024-01-02-10-00-00-CCCCCCCC"
    target = Layout().target_key(source)
    seed(s3, [(source, b"the source\n"), (target, b"something else\n")])
    report = check_and_fix(s3, config())
    assert [(f.kind, f.key) for f in report.findings] == [(Kind.DUPLICATE, source)]
    assert report.fix is not None
    assert [(a["action"], a["outcome"]) for a in report.fix.actions] == [("finish_move", "left")]
    assert contents(s3) == {
        source: hashlib.sha256(b"the source\n").hexdigest(),
        target: hashlib.sha256(b"something else\n").hexdigest(),
    }


def test_differing_copies_in_two_partitions_are_both_kept(s3: Any) -> None:
    name = "2024-01-03-00-05-00-EEEEEEEE"
    seed(s3, [(f"{P}Day=02/app/{name}", b"one\n"), (f"{P}Day=03/app/{name}", b"two\n")])
    report = check_and_fix(s3, config())
    assert [f.kind for f in report.findings] == [Kind.DUPLICATE]
    assert "content differs" in report.findings[0].detail
    assert len(contents(s3)) == 2


def test_a_misplaced_object_whose_home_differs_is_left(s3: Any) -> None:
    name = "2024-01-05-10-00-00-FFFFFFFF"
    seed(s3, [(f"{P}Day=02/app/{name}", b"here\n"), (f"{P}Day=05/app/{name}", b"there\n")])
    report = check_and_fix(s3, config())
    assert [f.kind for f in report.findings] == [Kind.MISPLACED]
    assert report.fix is not None and report.fix.actions[0]["outcome"] == "left"
    assert len(contents(s3)) == 2


def test_nothing_to_fix_checks_once(s3: Any) -> None:
    seed(s3, [("exports/report.csv", b"a\n")])
    report = check_and_fix(s3, config())
    assert report.fix is not None and report.fix.actions == []
    assert [f.kind for f in report.findings] == [Kind.UNKNOWN_KEY]


def test_unparseable_keys_are_not_fixable(s3: Any) -> None:
    seed(s3, [(f"{P}Day=02/app/nested/x", body([("app", "2024-01-02T10:00:00")]))])
    report = run_check(s3, config())
    assert [f.kind for f in report.findings] == [Kind.MISPLACED]
    assert not fixable(report.findings[0])


def test_a_target_written_after_the_check_is_never_overwritten(s3: Any) -> None:
    """The check saw a free target; another writer took it before the mover's copy. The
    copy's destination condition, not the check, is what keeps that object."""
    source = "app/2024-01-02-10-00-00-CCCCCCCD"
    target = Layout().target_key(source)
    seed(s3, [(source, b"the source\n")])
    FaultInjector().install(s3)  # S3's conditions on CopyObject, which moto ignores
    written: list[bool] = []

    def meanwhile(**_: Any) -> None:
        if not written:
            written.append(True)
            boto3.client("s3", region_name="us-east-1").put_object(
                Bucket=LOG_BUCKET, Key=target, Body=b"written meanwhile\n"
            )

    s3.meta.events.register_first("before-call.s3.CopyObject", meanwhile)
    report = check_and_fix(s3, config())
    assert report.fix is not None
    (action,) = report.fix.actions
    assert (action["action"], action["outcome"]) == ("move", "rejected")
    assert source in action["detail"] and target in action["detail"]
    assert contents(s3) == {
        source: hashlib.sha256(b"the source\n").hexdigest(),
        target: hashlib.sha256(b"written meanwhile\n").hexdigest(),
    }


def test_two_stragglers_with_one_target_are_both_kept(s3: Any) -> None:
    """A SimplePrefix and a PartitionedPrefix log with the same file name: one is moved,
    the other stays at its source, whichever the fix reaches first."""
    name = "2024-01-02-10-00-00-CCCCCCCE"
    simple, partitioned = f"app/{name}", f"123456789012/us-east-1/app/2024/01/02/{name}"
    target = Layout().target_key(simple)
    assert Layout().target_key(partitioned) == target
    bodies = {simple: b"simple prefix\n", partitioned: b"partitioned prefix\n"}
    seed(s3, list(bodies.items()))
    FaultInjector().install(s3)
    report = check_and_fix(s3, config())
    assert report.fix is not None
    outcomes = sorted(a["outcome"] for a in report.fix.actions)
    assert outcomes in (["left", "moved"], ["moved", "rejected"])
    after = contents(s3)
    (kept,) = set(after) - {target}
    (moved,) = set(bodies) - {kept}
    assert after == {
        kept: hashlib.sha256(bodies[kept]).hexdigest(),
        target: hashlib.sha256(bodies[moved]).hexdigest(),
    }
