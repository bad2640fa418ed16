"""Which folders to list first, and what their sub-folders say about the bucket.

A check starts with delimited listings (``Delimiter='/'``), which return a folder's
sub-folders instead of every key below it: each ancestor folder of the partition root (the
folders beside the root are source prefixes), the root, and every year, month and day folder
of the window. What each sub-folder is depends on where it was found:

* beside the root: a source prefix, listed in full later (the compacted root is not one:
  compaction's objects are checked by :mod:`s3logs_athena.check.compaction`);
* under the root, a year or a month: ``Year=YYYY/``, ``Month=MM/`` (01-12), ``Day=DD/`` (a
  real date) are expected, and anything else (``Month=1/``, ``Day=30/`` in February,
  ``junk/``) is a stray folder whose objects are all misplaced;
* under a day: a ``<bucket>/`` partition, listed in full later (one listing per day and
  bucket).

Pure functions; the listing itself is :mod:`s3logs_athena.check.scan`'s.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from ..layout import Layout

__all__ = ["Discovered", "Folder", "discovery_folders", "sort_folder"]

_YEAR = re.compile(r"Year=\d{4}/")
_MONTH = re.compile(r"Month=(?:0[1-9]|1[0-2])/")
_DAY = re.compile(r"Day=(\d\d)/")


@dataclass(frozen=True)
class Folder:
    """What a discovery folder is: an ancestor of the partition root, the root, or a year,
    month or day folder of the window."""

    kind: str
    year: int = 0
    month: int = 0
    day: date | None = None


@dataclass
class Discovered:
    """What the delimited listings found."""

    source_prefixes: list[str] = field(default_factory=list)
    stray_prefixes: list[str] = field(default_factory=list)
    #: Source bucket -> the days that have a ``<bucket>/`` folder.
    partitions: dict[str, list[date]] = field(default_factory=lambda: defaultdict(list))


def discovery_folders(layout: Layout, days: Sequence[date]) -> dict[str, Folder]:
    """The folders to list with a delimiter, by key prefix (``""`` is the bucket's top)."""
    root = layout.partition_root
    folders: dict[str, Folder] = {"": Folder("ancestor")}
    for index, char in enumerate(root[:-1]):
        if char == "/":
            folders[root[: index + 1]] = Folder("ancestor")
    folders[root] = Folder("root")
    for year in sorted({d.year for d in days}):
        folders[f"{root}Year={year:04d}/"] = Folder("year")
    for year, month in sorted({(d.year, d.month) for d in days}):
        folders[f"{root}Year={year:04d}/Month={month:02d}/"] = Folder("month", year, month)
    for day in days:
        folders[layout.partition_prefix(day)] = Folder("day", day=day)
    return folders


def _real_day(year: int, month: int, name: str) -> bool:
    match = _DAY.fullmatch(name)
    if match is None:
        return False
    try:
        date(year, month, int(match[1]))
    except ValueError:
        return False
    return True


def sort_folder(
    layout: Layout, parent: Folder, child: str, parent_prefix: str, found: Discovered
) -> None:
    """Record sub-folder ``child`` (a full prefix) of the discovery folder ``parent``."""
    name = child[len(parent_prefix) :]
    if parent.kind == "ancestor":
        if not layout.partition_root.startswith(child) and not child.startswith(
            layout.compacted_root
        ):
            found.source_prefixes.append(child)
    elif parent.kind == "root":
        if not _YEAR.fullmatch(name):
            found.stray_prefixes.append(child)
    elif parent.kind == "year":
        if not _MONTH.fullmatch(name):
            found.stray_prefixes.append(child)
    elif parent.kind == "month":
        if not _real_day(parent.year, parent.month, name):
            found.stray_prefixes.append(child)
    elif parent.day is not None:
        found.partitions[name.removesuffix("/")].append(parent.day)
