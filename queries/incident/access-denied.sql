{#-
title = "Access denied (HTTP 403) per hour"
category = "incident"
description = """
Requests S3 answered with HTTP 403, per hour (UTC, by request time), requester and source
IP: probing, a broken deployment, or a policy change that locked someone out.
"""
columns = ["hour", "requester", "remoteip", "requests"]

[example]
start = "2024-05-01"
end = "2024-05-02"
-#}
SELECT
  date_trunc('hour', request_time) AS hour,
  {{ as_logged('requester') }} AS requester,
  {{ as_logged('remote_ip') }} AS remoteip,
  count(*) AS requests
FROM {{ logs }}
WHERE {{ in_range() }}
  AND http_status = 403
GROUP BY 1, 2, 3
ORDER BY hour, requests DESC, requester, remoteip
