{#-
title = "Source IPs not seen before"
category = "incident"
description = """
IP addresses that made requests in the range but none in the baseline window of
baseline_days days before start (both restricted to the same buckets), with when each was
first seen, how much it did and an example requester.
"""
columns = ["remoteip", "first_seen", "requests", "distinct_requesters", "example_requester"]

[params.baseline_days]
type = "int"
default = 30
min = 1
max = 3660
help = "Length of the baseline window before start, in days."

[example]
start = "2024-05-01"
end = "2024-05-02"
baseline_days = 14
-#}
WITH recent AS (
  SELECT
    remote_ip,
    min(request_time) AS first_seen,
    count(*) AS requests,
    count(DISTINCT {{ as_logged('requester') }}) AS distinct_requesters,
    min({{ as_logged('requester') }}) AS example_requester
  FROM {{ logs }}
  WHERE {{ in_range() }}
    AND remote_ip IS NOT NULL
  GROUP BY remote_ip
),
baseline AS (
  SELECT DISTINCT remote_ip
  FROM {{ logs }}
  WHERE {{ in_range(start=days_before(start, baseline_days), end=start) }}
)
SELECT
  recent.remote_ip AS remoteip,
  recent.first_seen,
  recent.requests,
  recent.distinct_requesters,
  recent.example_requester
FROM recent
LEFT JOIN baseline ON baseline.remote_ip = recent.remote_ip
WHERE baseline.remote_ip IS NULL
ORDER BY recent.first_seen, recent.remote_ip
