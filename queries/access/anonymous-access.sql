{#-
title = "Anonymous (unauthenticated) requests"
category = "access"
description = """
Requests without credentials (requester '-'), by bucket, operation and object: how many
there were, how many succeeded (HTTP status below 400), from how many IPs, and the bytes
sent. Successful anonymous reads mean a bucket or object is public.
"""
columns = ["bucket", "operation", "key", "requests", "succeeded", "distinct_ips", "bytes_sent", "first_seen", "last_seen"]

[params.limit]
type = "int"
default = 100
min = 1
max = 100000
help = "Number of rows to return (most successful requests first)."

[example]
start = "2024-05-01"
end = "2024-05-02"
-#}
SELECT
  bucket,
  {{ as_logged('operation') }} AS operation,
  {{ object_key }} AS key,
  count(*) AS requests,
  count_if(http_status < 400) AS succeeded,
  count(DISTINCT {{ as_logged('remote_ip') }}) AS distinct_ips,
  coalesce(sum(bytes_sent), 0) AS bytes_sent,
  min(request_time) AS first_seen,
  max(request_time) AS last_seen
FROM {{ logs }}
WHERE {{ in_range() }}
  AND requester IS NULL
GROUP BY 1, 2, 3
ORDER BY succeeded DESC, requests DESC, bucket, operation, key
LIMIT {{ limit }}
