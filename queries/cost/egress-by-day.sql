{#-
title = "Bytes sent per day and bucket"
category = "cost"
description = """
One row per day (UTC, by request time) and bucket: requests and bytes sent in responses
(bytessent, which excludes HTTP overhead), the basis of S3's data-transfer-out charge.
Whether a byte left AWS (and what it cost) depends on where the caller was; see
top-requesters and top-ips for who they were.
"""
columns = ["day", "bucket", "requests", "bytes_sent", "gib_sent"]

[example]
start = "2024-05-01"
end = "2024-05-08"
-#}
SELECT
  CAST(request_time AS date) AS day,
  bucket,
  count(*) AS requests,
  coalesce(sum(bytes_sent), 0) AS bytes_sent,
  CAST(coalesce(sum(bytes_sent), 0) AS double) / 1073741824 AS gib_sent
FROM {{ logs }}
WHERE {{ in_range() }}
GROUP BY 1, 2
ORDER BY day, bucket
