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
  request_time,
  bucket,
  {{ as_logged('operation') }} AS operation,
  {{ object_key }} AS key,
  {{ as_logged('http_status') }} AS httpstatus,
  {{ as_logged('error_code') }} AS errorcode,
  {{ as_logged('request_id') }} AS requestid,
  {{ as_logged('host_id') }} AS hostid,
  {{ as_logged('requester') }} AS requester,
  {{ as_logged('remote_ip') }} AS remoteip,
  {{ as_logged('user_agent') }} AS useragent
FROM {{ logs }}
WHERE {{ in_range() }}
  AND http_status BETWEEN 500 AND 599
ORDER BY request_time, requestid
