{#-
title = "Top requesters by bytes or requests"
category = "cost"
description = """
The requesters (IAM principal or canonical user ID; '-' for anonymous requests) that sent
the most requests or received the most bytes, with how many source IPs and buckets they
used.
"""
columns = ["requester", "requests", "bytes_sent", "distinct_ips", "buckets", "first_seen", "last_seen"]

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
help = "Number of requesters to return."

[example]
start = "2024-05-01"
end = "2024-05-02"
by = "bytes"
limit = 10
-#}
SELECT
  {{ as_logged('requester') }} AS requester,
  count(*) AS requests,
  coalesce(sum(bytes_sent), 0) AS bytes_sent,
  count(DISTINCT {{ as_logged('remote_ip') }}) AS distinct_ips,
  count(DISTINCT bucket) AS buckets,
  min(request_time) AS first_seen,
  max(request_time) AS last_seen
FROM {{ logs }}
WHERE {{ in_range() }}
GROUP BY requester
{% if by == "bytes" %}
ORDER BY bytes_sent DESC, requests DESC, requester
{% else %}
ORDER BY requests DESC, bytes_sent DESC, requester
{% endif %}
LIMIT {{ limit }}
