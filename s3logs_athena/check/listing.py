"""Streamed, concurrent listing of a log bucket.

S3 lists at most 1,000 keys per request and a listing's pages come one after another (each
needs the previous page's continuation token), so the only way to list a big bucket quickly
is many listings at once: one per day and bucket partition, plus the source prefixes. Here
each listing is a :class:`PageStream` whose pages are fetched ahead in a shared thread pool
while the caller works on the ones already there.

Memory stays bounded whatever the object count: a stream holds at most ``depth`` pages, and
the helpers open at most ``max_open`` streams at a time, so at most
``max_open * depth * page_size`` listed objects are in memory, however many the bucket has.

Two ways to consume streams:

* :func:`iter_unordered` - any number of listings whose order does not matter (the source
  prefixes, stray folders): pages in whatever order they arrive.
* :func:`iter_merged_groups` - groups of listings merged in key order, used for one source
  bucket's day partitions, merged by file name so the same file in two partitions comes out
  side by side (duplicates found without remembering every name seen).
"""

from __future__ import annotations

import heapq
import queue
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, NamedTuple, TypeVar

from .aws import aws_errors

__all__ = [
    "ListedObject",
    "MergedGroups",
    "Page",
    "PageStream",
    "iter_merged_groups",
    "iter_unordered",
    "list_pages",
]

G = TypeVar("G")
DEFAULT_PAGE_SIZE = 1000


class ListedObject(NamedTuple):
    """One object as a listing shows it (ETag without its quotes). A named tuple: one is
    made per listed key, and a tuple is several times cheaper to make than a frozen
    dataclass."""

    key: str
    size: int
    etag: str
    last_modified: datetime


@dataclass(frozen=True, slots=True)
class Page:
    """One listing response: its objects and, for a delimited listing, its sub-folders."""

    prefix: str
    objects: list[ListedObject]
    common_prefixes: list[str]


def list_pages(
    s3: Any,
    bucket: str,
    prefix: str,
    *,
    delimiter: str | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> Iterator[Page]:
    """The pages of one ``ListObjectsV2`` listing, lazily (a boto3 paginator)."""
    paginator = s3.get_paginator("list_objects_v2")
    arguments: dict[str, Any] = {
        "Bucket": bucket,
        "Prefix": prefix,
        "PaginationConfig": {"PageSize": page_size},
    }
    if delimiter:
        arguments["Delimiter"] = delimiter
    pages = iter(paginator.paginate(**arguments))
    while True:
        with aws_errors("ListObjectsV2", bucket=bucket):
            response = next(pages, None)
        if response is None:
            return
        yield Page(
            prefix,
            [
                ListedObject(
                    item["Key"], item["Size"], item["ETag"].strip('"'), item["LastModified"]
                )
                for item in response.get("Contents", ())
            ],
            [item["Prefix"] for item in response.get("CommonPrefixes", ())],
        )


class PageStream:
    """The pages of one listing, fetched ahead in ``pool`` (at most ``depth`` waiting).

    Fetches for one stream never overlap (a listing is sequential) and never block a pool
    thread on anything but the network, so any number of streams can share one pool without
    deadlock. ``on_event`` (optional) is called once per page that arrives and once when the
    stream ends or fails; :func:`iter_unordered` uses it to learn which stream is ready.
    """

    def __init__(
        self,
        pool: Executor,
        pages: Iterator[Page],
        *,
        depth: int = 2,
        on_event: Callable[[PageStream], None] | None = None,
    ) -> None:
        self._pool = pool
        self._pages = pages
        self._depth = max(1, depth)
        self._on_event = on_event
        self._ready = threading.Condition()
        self._buffer: deque[Page] = deque()
        self._in_flight = False
        self._done = False
        self._error: BaseException | None = None
        with self._ready:
            self._fetch_ahead()

    def _fetch_ahead(self) -> None:
        # Caller holds the lock.
        if not self._in_flight and not self._done and len(self._buffer) < self._depth:
            self._in_flight = True
            self._pool.submit(self._fetch)

    def _fetch(self) -> None:
        try:
            page = next(self._pages, None)
        except BaseException as exc:  # handed to the consumer, raised there
            with self._ready:
                self._error, self._done, self._in_flight = exc, True, False
                self._ready.notify_all()
        else:
            with self._ready:
                self._in_flight = False
                if page is None:
                    self._done = True
                else:
                    self._buffer.append(page)
                    self._fetch_ahead()
                self._ready.notify_all()
        if self._on_event is not None:
            self._on_event(self)

    def take(self, *, block: bool = True) -> Page | None:
        """The next page; ``None`` at the end. Raises what the listing raised."""
        with self._ready:
            while block and not self._buffer and not self._done:
                self._ready.wait()
            if self._buffer:
                page = self._buffer.popleft()
                self._fetch_ahead()
                return page
            if self._error is not None:
                raise self._error
            if not self._done:
                raise RuntimeError("take(block=False) on a stream with nothing ready")
            return None

    def __iter__(self) -> Iterator[Page]:
        while (page := self.take()) is not None:
            yield page


def iter_unordered(
    pool: Executor,
    listings: Iterable[Callable[[], Iterator[Page]]],
    *,
    max_open: int = 32,
    depth: int = 2,
) -> Iterator[Page]:
    """Pages of many listings in the order they arrive, at most ``max_open`` open at once.

    ``listings`` may be lazy and may even grow while this runs (it is read one listing at a
    time, when a slot frees up).
    """
    events: queue.SimpleQueue[PageStream] = queue.SimpleQueue()
    pending = iter(listings)
    open_streams = 0

    def open_next() -> bool:
        nonlocal open_streams
        make = next(pending, None)
        if make is None:
            return False
        PageStream(pool, make(), depth=depth, on_event=events.put)
        open_streams += 1
        return True

    while open_streams < max_open and open_next():
        pass
    while open_streams:
        page = events.get().take(block=False)
        if page is None:
            open_streams -= 1
            open_next()
        else:
            yield page


def _names(prefix: str, stream: PageStream) -> Iterator[tuple[str, str, ListedObject]]:
    cut = len(prefix)
    for page in stream:
        for item in page.objects:
            yield item.key[cut:], prefix, item


class MergedGroups(Generic[G]):
    """See :func:`iter_merged_groups`."""

    def __init__(
        self,
        pool: Executor,
        groups: Sequence[tuple[G, Sequence[str]]],
        make_pages: Callable[[str], Iterator[Page]],
        *,
        max_open: int,
        depth: int,
    ) -> None:
        self._pool, self._make_pages = pool, make_pages
        self._max_open, self._depth = max_open, depth
        self._waiting = deque(groups)
        self._opened: deque[tuple[G, list[tuple[str, PageStream]]]] = deque()
        self._open_streams = 0
        self._open_ahead()

    def _open_ahead(self) -> None:
        waiting, opened = self._waiting, self._opened
        while waiting and (not opened or self._open_streams + len(waiting[0][1]) <= self._max_open):
            label, prefixes = waiting.popleft()
            streams = [
                (p, PageStream(self._pool, self._make_pages(p), depth=self._depth))
                for p in prefixes
            ]
            opened.append((label, streams))
            self._open_streams += len(streams)

    def __iter__(self) -> Iterator[tuple[G, Iterator[tuple[str, str, ListedObject]]]]:
        while self._opened:
            label, streams = self._opened.popleft()
            merged = heapq.merge(*(_names(p, s) for p, s in streams), key=lambda t: t[0])
            yield label, merged
            self._open_streams -= len(streams)
            self._open_ahead()


def iter_merged_groups(
    pool: Executor,
    groups: Sequence[tuple[G, Sequence[str]]],
    make_pages: Callable[[str], Iterator[Page]],
    *,
    max_open: int = 64,
    depth: int = 2,
) -> MergedGroups[G]:
    """For each ``(label, prefixes)`` group, the objects of its prefixes merged by the key
    after the prefix, as ``(name, prefix, object)``.

    S3 lists keys in UTF-8 byte order, which is the code point order Python compares
    strings in, so each listing is sorted and a heap merge keeps only one object per
    listing in hand. Listing starts at once, for the first groups (up to ``max_open``
    listings in all; at least one whole group), so their first pages arrive while the
    caller does other work; later groups open as earlier ones are consumed. Consume each
    group's iterator fully before taking the next group.
    """
    return MergedGroups(pool, groups, make_pages, max_open=max_open, depth=depth)
