{#-
title = "Top source IP addresses"
category = "access"
description = """
The source IP addresses with the most requests or bytes sent, with how many requesters
used them, how many of their requests failed (HTTP 4xx/5xx) and when they were first and
last seen. '-' stands for requests S3 made itself or whose source it did not log.
"""
columns = ["remoteip", "requests", "bytes_sent", "errors", "distinct_requesters", "first_seen", "last_seen"]

[params.by]
type = "enum"
choices = ["bytes", "requests"]
default = "requests"
help = "Rank by bytes sent or by number of requests."

[params.limit]
type = "int"
default = 20
min = 1
max = 100000
help = "Number of addresses to return."

[example]
start = "2024-05-01"
end = "2024-05-02"
-#}
SELECT
  {{ as_logged('remote_ip') }} AS remoteip,
  count(*) AS requests,
  coalesce(sum(bytes_sent), 0) AS bytes_sent,
  count_if(http_status >= 400) AS errors,
  count(DISTINCT {{ as_logged('requester') }}) AS distinct_requesters,
  min(request_time) AS first_seen,
  max(request_time) AS last_seen
FROM {{ logs }}
WHERE {{ in_range() }}
GROUP BY remote_ip
{% if by == "bytes" %}
ORDER BY bytes_sent DESC, requests DESC, remoteip
{% else %}
ORDER BY requests DESC, bytes_sent DESC, remoteip
{% endif %}
LIMIT {{ limit }}
