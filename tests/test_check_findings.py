"""The findings model and its JSON shape (the golden file pins the whole document)."""

from __future__ import annotations

from datetime import date

from s3logs_athena.check import SCHEMA_VERSION, CheckReport, Kind, partition_label


def report() -> CheckReport:
    return CheckReport("central-logs", date(2024, 1, 2), date(2024, 1, 3), "PartitionedLogs/")


def test_an_empty_report_is_aligned_and_counts_every_kind() -> None:
    empty = report()
    assert empty.aligned
    summary = empty.summary()
    assert summary["schema_version"] == SCHEMA_VERSION
    assert summary["counts"] == {kind.value: 0 for kind in Kind}
    assert empty.to_json()["findings"] == []


def test_informational_findings_keep_it_aligned() -> None:
    checked = report()
    checked.add(Kind.UNUSED_BUCKET_VALUE, None, None, "spare enum value")
    assert checked.aligned
    checked.add(Kind.STRAGGLER, "app/x", partition_label(date(2024, 1, 2), "app"), "left behind")
    assert not checked.aligned


def test_findings_sort_by_kind_then_partition_then_key() -> None:
    checked = report()
    checked.add(Kind.UNKNOWN_KEY, "b", None, "d")
    checked.add(Kind.STRAGGLER, "z", "Year=2024/Month=01/Day=03/app", "d")
    checked.add(Kind.STRAGGLER, "a", "Year=2024/Month=01/Day=03/app", "d", related="t")
    checked.add(Kind.STRAGGLER, "y", "Year=2024/Month=01/Day=02/app", "d")
    assert [f["key"] for f in checked.to_json()["findings"]] == ["y", "a", "z", "b"]
    assert checked.to_json()["findings"][0] == {
        "kind": "straggler",
        "key": "y",
        "partition": "Year=2024/Month=01/Day=02/app",
        "detail": "d",
    }


def test_partition_label_is_zero_padded() -> None:
    assert partition_label(date(2024, 3, 4), "my.bucket") == "Year=2024/Month=03/Day=04/my.bucket"
