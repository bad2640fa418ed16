"""Listing for the estimate: a big partition split into hour ranges holds every key after the
first page exactly once, whatever the keys look like; local directories answer alike."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from s3logs_athena.cost.listing import KeyRange, LocalLister, split_rest

PARTITION = "PartitionedLogs/Year=2024/Month=05/Day=01/app-assets/"
_HOURLY = st.builds(
    lambda h, m, tail: f"2024-05-01-{h:02d}-{m:02d}-00-{tail}",
    st.integers(0, 23),
    st.integers(0, 59),
    st.text("0123456789ABCDEF", min_size=1, max_size=4),
)
# Names outside the scheme, chosen to sort around the split points.
_ODD = st.sampled_from(
    ["0", "2024-05-01-0", "2024-05-01-0a", "2024-05-01-09\U0010ffffx", "2024-05-01-1:",
     "2024-05-01-23\U0010ffff", "2024-05-01-24", "2024-05-02-00-00-00-X", "zz", "2024-05-01-",
     "2024-05-01-05", "2024-04-30-23-59-59-Y"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_HOURLY, _ODD), min_size=2, max_size=60, unique=True), st.data())
def test_the_ranges_hold_every_later_key_exactly_once(
    names: list[str], data: st.DataObject
) -> None:
    keys = sorted(PARTITION + name for name in names)
    after = data.draw(st.sampled_from(keys[:-1]))
    ranges = split_rest(PARTITION, after)
    for key in keys:
        holders = [r for r in ranges if r.holds(key)]
        assert len(holders) == (1 if key > after else 0), (key, holders)
    # Prefix listings (hours) do not fetch keys they drop; probes are small.
    assert all(r.page_size <= 1000 for r in ranges)


def test_a_name_without_an_hour_lists_the_rest_in_one_range() -> None:
    assert split_rest(PARTITION, PARTITION + "part-0001.parquet") == [
        KeyRange(PARTITION, start_after=PARTITION + "part-0001.parquet")
    ]


def test_hours_after_the_first_page_become_prefix_listings() -> None:
    ranges = split_rest(PARTITION, PARTITION + "2024-05-01-21-59-00-ABC")
    plain = [r.prefix for r in ranges if r.start_after is None]
    assert plain == [PARTITION + "2024-05-01-22", PARTITION + "2024-05-01-23"]
    probes = [r for r in ranges if r.skip is not None]
    assert len(probes) == 1 and probes[0].stop_at is None  # only after -23: 21, 22, 23 adjoin


def test_local_folders_and_totals(tmp_path: Path) -> None:
    day = tmp_path / "year=2024" / "month=5" / "day=1"
    for bucket, sizes in {"a": [3, 4], "b": [10]}.items():
        folder = day / f"bucket={bucket}"
        folder.mkdir(parents=True)
        for index, size in enumerate(sizes):
            (folder / f"{index}.parquet").write_bytes(b"x" * size)
    lister = LocalLister()
    missing = str(tmp_path / "year=2024" / "month=5" / "day=2")
    assert lister.folders([str(day), missing]) == {str(day): ["bucket=a", "bucket=b"], missing: []}
    totals = lister.totals([str(day / "bucket=a"), str(day / "bucket=b"), missing])
    assert [(t.objects, t.bytes) for t in totals.values()] == [(2, 7), (1, 10), (0, 0)]
