"""Which folders a check lists first, and how their sub-folders are sorted."""

from __future__ import annotations

from datetime import date

from s3logs_athena.check.discovery import Discovered, discovery_folders, sort_folder
from s3logs_athena.layout import Layout


def test_folders_of_a_window_across_a_month_end() -> None:
    folders = discovery_folders(Layout("logs/partitioned/"), [date(2024, 1, 31), date(2024, 2, 1)])
    assert {prefix: folder.kind for prefix, folder in folders.items()} == {
        "": "ancestor",
        "logs/": "ancestor",
        "logs/partitioned/": "root",
        "logs/partitioned/Year=2024/": "year",
        "logs/partitioned/Year=2024/Month=01/": "month",
        "logs/partitioned/Year=2024/Month=02/": "month",
        "logs/partitioned/Year=2024/Month=01/Day=31/": "day",
        "logs/partitioned/Year=2024/Month=02/Day=01/": "day",
    }


def test_sub_folders_are_sources_strays_or_partitions() -> None:
    layout = Layout()
    folders = discovery_folders(layout, [date(2024, 2, 28)])
    found = Discovered()
    children = {
        "": ["app/", "PartitionedLogs/", "123456789012/"],
        "PartitionedLogs/": ["Year=2024/", "Year=24/", "junk/"],
        "PartitionedLogs/Year=2024/": ["Month=02/", "Month=2/", "Month=13/"],
        "PartitionedLogs/Year=2024/Month=02/": ["Day=28/", "Day=29/", "Day=30/", "Day=x/"],
        "PartitionedLogs/Year=2024/Month=02/Day=28/": ["app/", "api/"],
    }
    for parent, names in children.items():
        for name in names:
            sort_folder(layout, folders[parent], parent + name, parent, found)
    assert found.source_prefixes == ["app/", "123456789012/"]
    assert found.stray_prefixes == [
        "PartitionedLogs/Year=24/",
        "PartitionedLogs/junk/",
        "PartitionedLogs/Year=2024/Month=2/",
        "PartitionedLogs/Year=2024/Month=13/",
        "PartitionedLogs/Year=2024/Month=02/Day=30/",
        "PartitionedLogs/Year=2024/Month=02/Day=x/",
    ]
    assert dict(found.partitions) == {"app": [date(2024, 2, 28)], "api": [date(2024, 2, 28)]}
