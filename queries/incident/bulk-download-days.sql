{#-
title = "Bulk downloads, day by day"
category = "incident"
description = """
Requester and source IP pairs that on at least one day (UTC, by request time) received at
least min_bytes through GET requests (REST and website endpoints), with every day of the
range on which they downloaded anything: one row per pair and day. Judging one day at a time
keeps the threshold's meaning whatever the range's length, and the pair's other days are its
baseline: a CDN that pulls 10 GB every day and a laptop that pulls 60 GB once look alike
over a week's totals, not day by day. The report flags a day that is also several times the
pair's typical day.
"""
columns = ["requester", "remoteip", "day", "buckets", "objects", "requests", "bytes_sent", "first_seen", "last_seen"]

[params.min_bytes]
type = "bytes"
default = "10GB"
min = 0
help = "Smallest download in one day that makes a pair show up: bytes, or with a unit (500MB, 10GB)."

[example]
start = "2024-05-01"
end = "2024-05-08"
min_bytes = "5GB"
-#}
WITH daily AS (
  SELECT
    {{ as_logged('requester') }} AS requester,
    {{ as_logged('remote_ip') }} AS remoteip,
    CAST(request_time AS date) AS day,
    count(DISTINCT bucket) AS buckets,
    count(DISTINCT bucket || '/' || {{ as_logged('key') }}) AS objects,
    count(*) AS requests,
    coalesce(sum(bytes_sent), 0) AS bytes_sent,
    min(request_time) AS first_seen,
    max(request_time) AS last_seen
  FROM {{ logs }}
  WHERE {{ in_range() }}
    AND operation IN ('REST.GET.OBJECT', 'WEBSITE.GET.OBJECT')
  GROUP BY 1, 2, 3
),
ranked AS (
  SELECT
    daily.*,
    max(bytes_sent) OVER (PARTITION BY requester, remoteip) AS peak_day_bytes
  FROM daily
)
SELECT requester, remoteip, day, buckets, objects, requests, bytes_sent, first_seen, last_seen
FROM ranked
WHERE peak_day_bytes >= {{ min_bytes }}
ORDER BY peak_day_bytes DESC, requester, remoteip, day
