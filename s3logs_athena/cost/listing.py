"""What is stored under partition folders: the listings an estimate needs.

Two questions, for many folders at once: which sub-folders a folder has (the buckets of a
day, when a query does not name its buckets) and how many objects and bytes lie under a
partition. :class:`S3Lister` asks S3 with the checker's concurrent, streamed listings
(:func:`~s3logs_athena.check.listing.iter_unordered`: many listings in flight in a thread
pool, a bounded number of pages in memory). :class:`LocalLister` answers the same for the
local cache's directories.

**One big partition is listed in parallel too.** S3 returns at most 1,000 keys per request
and a listing's pages come one after another, so a day and bucket with 500,000 log objects
would take 500 sequential requests. Log object names start with their delivery hour
(``2024-05-01-13-...``): when a partition's first page is not its last, the rest of it is
listed as one prefix listing per remaining hour, at once, plus a probe of each place a key
outside the naming scheme could sort between them (:func:`split_rest`). The ranges hold every
key after the first page exactly once, whatever its name.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from ..check.aws import aws_errors
from ..check.listing import ListedObject, Page, iter_unordered

__all__ = ["KeyRange", "Lister", "LocalLister", "S3Lister", "Totals", "split_rest"]

_PAGE_SIZE = 1000
#: Page size of a probe of a gap between two hours, which is nearly always empty: its first
#: page holds the next hour's first keys, fetched for nothing.
_PROBE = 50
_HOUR_NAME = re.compile(r"(\d{4}-\d\d-\d\d)-(\d\d)")
#: The largest code point: a StartAfter that sorts after every key starting with a prefix.
_LAST = "\U0010ffff"


@dataclass
class Totals:
    """Objects and bytes under one folder."""

    objects: int = 0
    bytes: int = 0

    def add(self, size: int) -> None:
        self.objects += 1
        self.bytes += size


class Lister(Protocol):
    def folders(self, parents: Sequence[str]) -> dict[str, list[str]]:
        """Each parent folder's child folder names (no trailing ``/``)."""
        ...

    def totals(self, folders: Sequence[str]) -> dict[str, Totals]:
        """Objects and bytes under each folder (recursively)."""
        ...


@dataclass(frozen=True)
class KeyRange:
    """The keys one listing covers: under ``prefix``, after ``start_after``, below
    ``stop_at``, except those starting with ``skip`` (another listing has them)."""

    prefix: str
    start_after: str | None = None
    stop_at: str | None = None
    skip: str | None = None
    page_size: int = _PAGE_SIZE

    def holds(self, key: str) -> bool:
        return (
            key.startswith(self.prefix)
            and (self.start_after is None or key > self.start_after)
            and (self.stop_at is None or key < self.stop_at)
            and (self.skip is None or not key.startswith(self.skip))
        )


def split_rest(partition: str, after_key: str) -> list[KeyRange]:
    """Key ranges that together hold exactly once every key under ``partition`` after
    ``after_key``: one per delivery hour from ``after_key``'s on (plain prefix listings,
    nothing fetched twice) and, where a key outside the naming scheme could sort between two
    hours (between ``-09`` and ``-10``, after ``-23``), a probe of that gap. A name without
    an hour gives one range: the rest of the partition."""
    match = _HOUR_NAME.match(after_key[len(partition) :])
    if match is None or int(match[2]) > 23:
        return [KeyRange(partition, start_after=after_key)]
    base = f"{partition}{match[1]}-"
    hours = [f"{base}{h:02d}" for h in range(int(match[2]), 24)]
    ranges = [KeyRange(hours[0], start_after=after_key), *(KeyRange(h) for h in hours[1:])]
    for low, high in itertools.pairwise(hours):
        # Nothing sorts between "...-05*" and "...-06": only where the last characters are
        # not neighbours can a key fall between two hours.
        if high != low[:-1] + chr(ord(low[-1]) + 1):
            ranges.append(
                KeyRange(partition, low + _LAST, stop_at=high, skip=low, page_size=_PROBE)
            )
    ranges.append(KeyRange(partition, hours[-1] + _LAST, skip=hours[-1]))
    return ranges


class S3Lister:
    """Folder and size listings of S3 prefixes (``s3://bucket/key/`` URIs), ``concurrency``
    requests at a time. ``s3`` is a boto3 S3 client sized for that many threads (see
    :func:`~s3logs_athena.check.client.make_s3_client`)."""

    def __init__(
        self, s3: Any, *, concurrency: int = 32, split: bool = True, page_size: int = _PAGE_SIZE
    ) -> None:
        self.s3 = s3
        self.concurrency = max(1, concurrency)
        self.split = split
        self.page_size = page_size
        #: ListObjectsV2 requests made (what the estimate itself cost).
        self.requests = 0
        # Answers already listed: the report estimates many queries over the same days.
        self._folders: dict[str, list[str]] = {}
        self._totals: dict[str, Totals] = {}

    @staticmethod
    def _split_uri(uri: str) -> tuple[str, str]:
        bucket, _, key = uri.removeprefix("s3://").partition("/")
        return bucket, key

    def _pages(
        self,
        uri: str,
        keys: KeyRange | None = None,
        *,
        delimiter: str | None = None,
        max_pages: int | None = None,
    ) -> Iterator[Page]:
        """One listing's pages, labelled ``uri``: the folder's keys, or those of ``keys``."""
        bucket, prefix = self._split_uri(uri)
        keys = keys or KeyRange(prefix, page_size=self.page_size)
        arguments: dict[str, Any] = {
            "Bucket": bucket,
            "Prefix": keys.prefix,
            "PaginationConfig": {"PageSize": min(keys.page_size, self.page_size)},
        }
        if delimiter:
            arguments["Delimiter"] = delimiter
        if keys.start_after:
            arguments["StartAfter"] = keys.start_after
        pages = iter(self.s3.get_paginator("list_objects_v2").paginate(**arguments))
        fetched = 0
        while max_pages is None or fetched < max_pages:
            with aws_errors("ListObjectsV2", bucket=bucket):
                response = next(pages, None)
            if response is None:
                return
            self.requests += 1
            fetched += 1
            objects = [
                ListedObject(i["Key"], i["Size"], i.get("ETag", "").strip('"'), i["LastModified"])
                for i in response.get("Contents", ())
            ]
            folders = [p["Prefix"] for p in response.get("CommonPrefixes", ())]
            yield Page(uri, [o for o in objects if keys.holds(o.key)], folders)
            past_the_end = keys.stop_at is not None and objects and objects[-1].key >= keys.stop_at
            if not response.get("IsTruncated") or past_the_end:
                return
        # A first page of a partition that continues: the caller lists the rest.
        yield Page(uri, [], [_CONTINUES])

    def _run(self, listings: Sequence[Callable[[], Iterator[Page]]]) -> Iterator[Page]:
        if not listings:
            return
        workers = min(self.concurrency, len(listings) * 2)
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="estimate") as pool:
            yield from iter_unordered(pool, listings, max_open=self.concurrency)

    def folders(self, parents: Sequence[str]) -> dict[str, list[str]]:
        missing = [p for p in dict.fromkeys(parents) if p not in self._folders]
        self._folders.update(self._list_folders(missing))
        return {parent: self._folders[parent] for parent in parents}

    def totals(self, folders: Sequence[str]) -> dict[str, Totals]:
        missing = [f for f in dict.fromkeys(folders) if f not in self._totals]
        self._totals.update(self._list_totals(missing))
        return {folder: self._totals[folder] for folder in folders}

    def _list_folders(self, parents: Sequence[str]) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {parent: [] for parent in parents}

        def lister(uri: str) -> Callable[[], Iterator[Page]]:
            return lambda: self._pages(uri, delimiter="/")

        for page in self._run([lister(parent) for parent in found]):
            _, prefix = self._split_uri(page.prefix)
            for child in page.common_prefixes:
                found[page.prefix].append(child[len(prefix) :].rstrip("/"))
        return found

    def _list_totals(self, folders: Sequence[str]) -> dict[str, Totals]:
        totals = {folder: Totals() for folder in folders}

        def first(uri: str) -> Callable[[], Iterator[Page]]:
            return lambda: self._pages(uri, max_pages=1 if self.split else None)

        def rest(uri: str, keys: KeyRange) -> Callable[[], Iterator[Page]]:
            return lambda: self._pages(uri, keys)

        last_keys: dict[str, str] = {}
        continuing: list[str] = []
        for page in self._run([first(folder) for folder in totals]):
            for item in page.objects:
                totals[page.prefix].add(item.size)
            if page.objects:
                last_keys[page.prefix] = page.objects[-1].key
            if page.common_prefixes == [_CONTINUES]:
                continuing.append(page.prefix)
        pending = [
            rest(uri, keys)
            for uri in continuing
            for keys in split_rest(self._split_uri(uri)[1], last_keys[uri])
        ]
        for page in self._run(pending):
            for item in page.objects:
                totals[page.prefix].add(item.size)
        return totals


#: Marker a first page carries when its listing continues (never a real folder name: S3
#: folder names in a page end with the delimiter).
_CONTINUES = "\x00continues"


class LocalLister:
    """The same answers for local directories (the cache's Parquet partitions)."""

    def folders(self, parents: Sequence[str]) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for parent in parents:
            try:
                with os.scandir(parent) as entries:
                    found[parent] = sorted(e.name for e in entries if e.is_dir())
            except (FileNotFoundError, NotADirectoryError):
                found[parent] = []
        return found

    def totals(self, folders: Sequence[str]) -> dict[str, Totals]:
        totals: dict[str, Totals] = {}
        for folder in folders:
            total = totals[folder] = Totals()
            for root, _dirs, files in os.walk(folder):
                for name in files:
                    try:
                        total.add(os.stat(os.path.join(root, name)).st_size)
                    except FileNotFoundError:  # pragma: no cover - removed while walking
                        continue
        return totals
