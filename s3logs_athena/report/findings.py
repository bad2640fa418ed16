"""The report's findings, derived from query results with plain pandas filters and joins.

Each function takes frames exactly as the templates returned them (see
:data:`s3logs_athena.report.options.REPORT_QUERIES`) and returns a frame; nothing here
computes a figure the SQL could compute, so every number can be traced to a template run.

Bulk downloads are judged one UTC day at a time, each day against the requester and
address's own typical day (:func:`bulk_download_days`): a total over the range grows with the
range, so a CDN that steadily pulls 10 GB a day outranks a one-off 60 GB download over a week,
and no fixed total fits a day and a month alike.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

__all__ = [
    "LEGACY_TLS",
    "LIFECYCLE_DELETIONS",
    "bulk_download_days",
    "deleters",
    "transport_reasons",
]

#: Deletions S3 makes itself (lifecycle rules): never a principal's doing.
LIFECYCLE_DELETIONS = ("lifecycle expiry", "lifecycle delete marker")
LEGACY_TLS = ("TLSv1", "TLSv1.0", "TLSv1.1")

BULK_COLUMNS = [
    "requester",
    "remoteip",
    "day",
    "bytes_sent",
    "typical_day_bytes",
    "objects",
    "requests",
    "buckets",
    "first_seen",
    "last_seen",
]


def bulk_download_days(
    days: pd.DataFrame, start: date, end: date, *, min_bytes: int, factor: float
) -> pd.DataFrame:
    """The days on which a requester and address downloaded in bulk.

    ``days`` are ``bulk-download-days`` rows: every day (in ``start``..``end``) of each pair
    that received at least ``min_bytes`` on one of them. A pair's day is a bulk download
    when it received at least ``min_bytes`` and at least ``factor`` times its *typical day*:
    the median of its other days in the range, a day without downloads counting as 0. Over a
    one-day range there is no other day, and ``min_bytes`` alone decides (the typical day is
    then missing). Rows: :data:`BULK_COLUMNS`, the largest day first.
    """
    if days.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in BULK_COLUMNS})
    frame = days.copy()
    frame["day"] = pd.to_datetime(frame["day"]).dt.date
    frame = frame[frame["day"].between(start, end)]
    sent = frame["bytes_sent"].astype("int64")
    other_days = (end - start).days  # days in the range besides the one judged
    medians: dict[object, float] = {}
    if other_days:
        for _, pair in sent.groupby([frame["requester"], frame["remoteip"]], dropna=False):
            for index in pair.index:
                absent = other_days - (len(pair) - 1)  # days without downloads: 0 bytes
                others = [*pair.drop(index).tolist(), *[0] * absent]
                medians[index] = float(pd.Series(others, dtype="float64").median())
    typical = pd.Series([medians.get(i, float("nan")) for i in frame.index], index=frame.index)
    flagged = sent >= min_bytes
    if other_days:
        flagged &= sent >= factor * typical
    frame = frame[flagged].copy()
    frame["typical_day_bytes"] = typical[flagged].round().astype("Int64")
    frame = frame.sort_values(
        ["bytes_sent", "requester", "remoteip", "day"], ascending=[False, True, True, True]
    )
    return frame[BULK_COLUMNS].reset_index(drop=True)


def deleters(deletions: pd.DataFrame, requesters: pd.DataFrame, share: float) -> pd.DataFrame:
    """Every principal that deleted objects (S3's lifecycle left out): its deletion records,
    objects deleted, all its records, and whether deletions are at least ``share`` of them
    (a principal that mostly deletes); unusual ones first."""
    by_people = deletions[~deletions["deletion"].isin(LIFECYCLE_DELETIONS)]
    columns = ["requester", "deletions", "objects_deleted", "requests", "deletion_share"]
    if by_people.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in [*columns, "unusual"]})
    grouped = by_people.groupby("requester", dropna=False)
    frame = pd.DataFrame(
        {
            "deletions": grouped.size(),
            "objects_deleted": grouped["deletion"].agg(
                lambda kinds: int((kinds != "multi-object delete").sum())
            ),
            "addresses": grouped["remoteip"].agg(lambda ips: ", ".join(sorted(set(ips)))),
            "buckets": grouped["bucket"].agg(lambda names: ", ".join(sorted(set(names)))),
            "first_deletion": grouped["request_time"].min(),
            "last_deletion": grouped["request_time"].max(),
        }
    ).reset_index()
    totals = requesters.set_index("requester")["requests"]
    frame["requests"] = frame["requester"].map(totals).astype("Int64")
    frame["deletion_share"] = (frame["deletions"] / frame["requests"]).astype("float64")
    frame["unusual"] = (
        frame["deletion_share"].fillna(1.0).ge(share).map({True: "unusual", False: "usual"})
    )
    frame["_usual"] = frame["unusual"] == "usual"  # unusual ones first
    frame = frame.sort_values(["_usual", "deletions"], ascending=[True, False])
    return frame[
        [*columns, "unusual", "addresses", "buckets", "first_deletion", "last_deletion"]
    ].reset_index(drop=True)


def transport_reasons(insecure: pd.DataFrame) -> pd.DataFrame:
    """``insecure-transport`` rows with the reason each is there: ``plain HTTP``, the old TLS
    version (``TLSv1``, ``TLSv1.1``), ``SigV2``, or both (``TLSv1 + SigV2``)."""
    frame = insecure.copy()
    if frame.empty:
        frame.insert(0, "reason", pd.Series(dtype="object"))
        return frame

    def reason(transport: object, sigv: object) -> str:
        parts = []
        if transport == "HTTP":
            parts.append("plain HTTP")
        elif transport in LEGACY_TLS:
            parts.append(str(transport))
        if sigv == "SigV2":
            parts.append("SigV2")
        return " + ".join(parts) or "-"

    reasons = [reason(t, s) for t, s in zip(frame["transport"], frame["sigv"], strict=True)]
    frame.insert(0, "reason", reasons)
    return frame


def requests_by_reason(reasons: pd.DataFrame) -> pd.DataFrame:
    """Requests per requester and reason (what the insecure-transport chart shows)."""
    if reasons.empty:
        return pd.DataFrame({"requester": [], "reason": [], "requests": []})
    return (
        reasons.groupby(["requester", "reason"], as_index=False, dropna=False)
        .agg(requests=("requests", "sum"))
        .sort_values(["requests", "requester"], ascending=[False, True])
        .reset_index(drop=True)
    )
