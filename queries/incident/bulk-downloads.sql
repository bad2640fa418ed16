{#-
title = "Bulk downloads"
category = "incident"
description = """
Requester and source IP pairs whose GET requests (REST and website endpoints) received at
least min_bytes in the range: exfiltration, a misconfigured sync, a crawler. Shows how many
objects and buckets they read.
"""
columns = ["requester", "remoteip", "buckets", "objects", "requests", "bytes_sent", "first_seen", "last_seen"]

[params.min_bytes]
type = "bytes"
default = "1GiB"
min = 0
help = "Smallest total download to report: bytes, or with a unit (500MB, 1GiB, 2TB)."

[example]
start = "2024-05-01"
end = "2024-05-02"
min_bytes = "100MB"
-#}
SELECT
  {{ as_logged('requester') }} AS requester,
  {{ as_logged('remote_ip') }} AS remoteip,
  count(DISTINCT bucket) AS buckets,
  count(DISTINCT bucket || '/' || {{ as_logged('key') }}) AS objects,
  count(*) AS requests,
  coalesce(sum(bytes_sent), 0) AS bytes_sent,
  min(request_time) AS first_seen,
  max(request_time) AS last_seen
FROM {{ logs }}
WHERE {{ in_range() }}
  AND operation IN ('REST.GET.OBJECT', 'WEBSITE.GET.OBJECT')
GROUP BY requester, remote_ip
HAVING coalesce(sum(bytes_sent), 0) >= {{ min_bytes }}
ORDER BY bytes_sent DESC, requester, remoteip
