{#-
title = "Requests and errors per day and bucket"
category = "access"
description = """
One row per day (UTC, by request time) and bucket: requests, how many failed (HTTP status 400
and above), how many of those were access denied (403) and server errors (5xx), and bytes
sent. The shape of the traffic and of its failures at a glance; the report charts it.
"""
columns = ["day", "bucket", "requests", "errors", "access_denied", "server_errors", "bytes_sent"]

[example]
start = "2024-05-01"
end = "2024-05-08"
-#}
SELECT
  CAST(request_time AS date) AS day,
  bucket,
  count(*) AS requests,
  count_if(http_status >= 400) AS errors,
  count_if(http_status = 403) AS access_denied,
  count_if(http_status >= 500) AS server_errors,
  coalesce(sum(bytes_sent), 0) AS bytes_sent
FROM {{ logs }}
WHERE {{ in_range() }}
GROUP BY 1, 2
ORDER BY day, bucket
