"""Streamed, concurrent listing: pages fetched ahead, bounded open listings, merges."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest

from s3logs_athena.check.listing import (
    ListedObject,
    Page,
    PageStream,
    iter_merged_groups,
    iter_unordered,
    list_pages,
)
from s3logs_athena.errors import AwsError
from tests.check_support import LOG_BUCKET, s3, seed

__all__ = ["s3"]

WHEN = datetime(2024, 1, 2, tzinfo=UTC)


class Listings:
    """Fake listings that record how many run at once."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.active = 0
        self.most_active = 0
        self.lock = threading.Lock()

    def pages(self, prefix: str, names: list[str], per_page: int = 2) -> Iterator[Page]:
        with self.lock:
            self.active += 1
            self.most_active = max(self.most_active, self.active)
        try:
            for start in range(0, len(names), per_page):
                time.sleep(self.delay)
                chunk = names[start : start + per_page]
                yield Page(prefix, [ListedObject(prefix + n, 1, "e", WHEN) for n in chunk], [])
        finally:
            with self.lock:
                self.active -= 1


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(8) as executor:
        yield executor


def test_a_stream_yields_its_pages_in_order(pool: ThreadPoolExecutor) -> None:
    names = [f"{n:03d}" for n in range(11)]
    stream = PageStream(pool, Listings().pages("p/", names, per_page=3), depth=2)
    assert [item.key for page in stream for item in page.objects] == [f"p/{n}" for n in names]


def test_a_stream_fetches_at_most_depth_pages_ahead(pool: ThreadPoolExecutor) -> None:
    fetched = []

    def pages() -> Iterator[Page]:
        for n in range(10):
            fetched.append(n)
            yield Page("p/", [], [])

    stream = PageStream(pool, pages(), depth=2)
    time.sleep(0.2)
    assert len(fetched) == 2
    stream.take()
    time.sleep(0.2)
    assert len(fetched) == 3


def test_a_failing_listing_raises_in_the_consumer(pool: ThreadPoolExecutor) -> None:
    def pages() -> Iterator[Page]:
        yield Page("p/", [], [])
        raise AwsError("ListObjectsV2", "SlowDown", "slow down")

    stream = PageStream(pool, pages())
    assert stream.take() is not None
    with pytest.raises(AwsError, match="SlowDown"):
        stream.take()


def test_unordered_listings_are_all_read_with_few_open(pool: ThreadPoolExecutor) -> None:
    listings = Listings(delay=0.002)
    prefixes = {f"p{n}/": [f"{m:02d}" for m in range(n % 5)] for n in range(30)}
    makers = (lambda p=p, names=names: listings.pages(p, names) for p, names in prefixes.items())
    keys = [item.key for page in iter_unordered(pool, makers, max_open=3) for item in page.objects]
    assert sorted(keys) == sorted(p + n for p, names in prefixes.items() for n in names)
    assert listings.most_active <= 3


def test_unordered_listings_raise_a_listing_error(pool: ThreadPoolExecutor) -> None:
    def broken() -> Iterator[Page]:
        raise AwsError("ListObjectsV2", "AccessDenied", "no")
        yield  # pragma: no cover

    with pytest.raises(AwsError, match="AccessDenied"):
        list(iter_unordered(pool, [broken]))


def test_merged_groups_come_out_by_name_with_duplicates_adjacent(pool: ThreadPoolExecutor) -> None:
    listings = Listings()
    days = {"b/Day=1/": ["a", "c", "e"], "b/Day=2/": ["b", "c", "f"], "b/Day=3/": ["c", "d"]}
    merged = iter_merged_groups(
        pool, [("b", list(days))], lambda p: listings.pages(p, days[p]), max_open=8
    )
    (label, objects), *rest = [(label, list(objects)) for label, objects in merged]
    assert label == "b" and rest == []
    assert [name for name, _, _ in objects] == ["a", "b", "c", "c", "c", "d", "e", "f"]
    assert [prefix for name, prefix, _ in objects if name == "c"] == list(days)


def test_merged_groups_open_ahead_within_the_limit(pool: ThreadPoolExecutor) -> None:
    listings = Listings(delay=0.002)
    groups = [(f"g{n}", [f"g{n}/d{d}/" for d in range(3)]) for n in range(6)]
    total = 0
    for _, objects in iter_merged_groups(
        pool, groups, lambda p: listings.pages(p, ["x", "y", "z"]), max_open=4
    ):
        total += sum(1 for _ in objects)
    assert total == 6 * 3 * 3
    # One group of three listings at a time, plus none ahead: 3 + 3 would exceed 4.
    assert listings.most_active <= 3


def test_list_pages_on_moto_pages_and_folders(s3: Any) -> None:
    seed(s3, [(f"a/{n:02d}", b"x") for n in range(5)] + [("a/sub/1", b"x"), ("b/1", b"x")])
    pages = list(list_pages(s3, LOG_BUCKET, "a/", delimiter="/", page_size=2))
    assert len(pages) >= 3
    assert [o.key for p in pages for o in p.objects] == [f"a/{n:02d}" for n in range(5)]
    assert [c for p in pages for c in p.common_prefixes] == ["a/sub/"]
    first = pages[0].objects[0]
    assert first.size == 1 and len(first.etag) == 32 and first.last_modified.tzinfo is not None
