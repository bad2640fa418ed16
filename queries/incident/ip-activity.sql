{#-
title = "Everything one IP address or network did"
category = "incident"
description = """
One row per request from an IP address or a CIDR network (IPv4 or IPv6), oldest first.
On Athena the match uses Trino's IP address type, so any textual form of an IPv6 address
matches.
"""
columns = ["request_time", "bucket", "remoteip", "requester", "operation", "key", "httpstatus", "errorcode", "bytessent", "useragent", "requestid"]

[params.ip]
type = "ip_network"
required = true
help = "An address (203.0.113.7, 2001:db8::1) or a network in CIDR form (203.0.113.0/24, 2001:db8::/32)."

[example]
start = "2024-05-01"
end = "2024-05-02"
ip = "203.0.113.0/24"
-#}
SELECT
  request_time,
  bucket,
  {{ as_logged('remote_ip') }} AS remoteip,
  {{ as_logged('requester') }} AS requester,
  {{ as_logged('operation') }} AS operation,
  {{ object_key }} AS key,
  {{ as_logged('http_status') }} AS httpstatus,
  {{ as_logged('error_code') }} AS errorcode,
  bytes_sent AS bytessent,
  {{ as_logged('user_agent') }} AS useragent,
  {{ as_logged('request_id') }} AS requestid
FROM {{ logs }}
WHERE {{ in_range() }}
  AND {{ ip_in(ip) }}
ORDER BY request_time, requestid
