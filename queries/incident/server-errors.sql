{#-
title = "Server errors (HTTP 5xx) with request and host IDs"
category = "incident"
description = """
One row per request S3 answered with a 5xx status, oldest first, with the request ID and
host ID (x-amz-id-2) AWS Support asks for. Occasional 500/503 (SlowDown) answers are normal
and retried by the SDKs; bursts are worth a support case.
"""
columns = ["request_time", "bucket", "operation", "key", "httpstatus", "errorcode", "requestid", "hostid", "requester", "remoteip", "useragent"]

[example]
start = "2024-05-01"
end = "2024-05-02"
-#}
SELECT
  {{ request_time }} AS request_time,
  bucket,
  operation,
  {{ object_key }} AS key,
  httpstatus,
  errorcode,
  requestid,
  hostid,
  requester,
  remoteip,
  useragent
FROM {{ logs }}
WHERE {{ in_range() }}
  AND httpstatus LIKE '5%'
ORDER BY request_time, requestid
