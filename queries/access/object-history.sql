{#-
title = "Every request for an object or a key prefix"
category = "access"
description = """
One row per request for one object (key, matched exactly) or for every object under a
prefix, oldest first: who did what, from where, with which result. Keys are matched and
shown URL-decoded, as you would type them.
"""
columns = ["request_time", "bucket", "key", "operation", "requester", "remoteip", "httpstatus", "errorcode", "bytessent", "versionid", "requestid", "useragent"]
one_of = [["key", "prefix"]]

[params.key]
type = "string"
help = "The object key, exactly (any characters, quotes and spaces included)."

[params.prefix]
type = "string"
help = "A key prefix: every object whose key starts with it."

[example]
start = "2024-05-01"
end = "2024-05-02"
key = "reports/2024/Q1 summary (final).pdf"
-#}
SELECT
  request_time,
  bucket,
  {{ object_key }} AS key,
  {{ as_logged('operation') }} AS operation,
  {{ as_logged('requester') }} AS requester,
  {{ as_logged('remote_ip') }} AS remoteip,
  {{ as_logged('http_status') }} AS httpstatus,
  {{ as_logged('error_code') }} AS errorcode,
  bytes_sent AS bytessent,
  {{ as_logged('version_id') }} AS versionid,
  {{ as_logged('request_id') }} AS requestid,
  {{ as_logged('user_agent') }} AS useragent
FROM {{ logs }}
WHERE {{ in_range() }}
  AND {{ key_matches(key, prefix) }}
ORDER BY request_time, requestid
