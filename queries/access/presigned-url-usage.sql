{#-
title = "Presigned URL usage"
category = "access"
description = """
Requests authenticated by a query-string signature (authtype 'QueryString': presigned
URLs), by bucket, signing principal and operation: who hands out presigned URLs, how often
they are used, from how many IPs, and the bytes they served.
"""
columns = ["bucket", "requester", "operation", "requests", "distinct_ips", "bytes_sent", "first_seen", "last_seen"]

[params.limit]
type = "int"
default = 100
min = 1
max = 100000
help = "Number of rows to return."

[example]
start = "2024-05-01"
end = "2024-05-02"
-#}
SELECT
  bucket,
  {{ as_logged('requester') }} AS requester,
  {{ as_logged('operation') }} AS operation,
  count(*) AS requests,
  count(DISTINCT {{ as_logged('remote_ip') }}) AS distinct_ips,
  coalesce(sum(bytes_sent), 0) AS bytes_sent,
  min(request_time) AS first_seen,
  max(request_time) AS last_seen
FROM {{ logs }}
WHERE {{ in_range() }}
  AND auth_type = 'QueryString'
GROUP BY 1, 2, 3
ORDER BY requests DESC, bucket, requester, operation
LIMIT {{ limit }}
