{#-
title = "User agents"
category = "access"
description = """
The user agents (SDKs, CLIs, browsers, tools) with the most requests or bytes, with how
many requesters and IPs used each and how many of their requests failed (HTTP 4xx/5xx).
"""
columns = ["useragent", "requests", "bytes_sent", "errors", "distinct_requesters", "distinct_ips"]

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
help = "Number of user agents to return."

[example]
start = "2024-05-01"
end = "2024-05-02"
by = "requests"
-#}
SELECT
  {{ as_logged('user_agent') }} AS useragent,
  count(*) AS requests,
  coalesce(sum(bytes_sent), 0) AS bytes_sent,
  count_if(http_status >= 400) AS errors,
  count(DISTINCT {{ as_logged('requester') }}) AS distinct_requesters,
  count(DISTINCT {{ as_logged('remote_ip') }}) AS distinct_ips
FROM {{ logs }}
WHERE {{ in_range() }}
GROUP BY user_agent
{% if by == "bytes" %}
ORDER BY bytes_sent DESC, requests DESC, useragent
{% else %}
ORDER BY requests DESC, bytes_sent DESC, useragent
{% endif %}
LIMIT {{ limit }}
