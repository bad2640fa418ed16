{#-
title = "Callers making the most LIST requests"
category = "cost"
description = """
Requesters ranked by LIST requests (ListObjects and ListObjectsV2, ListObjectVersions,
ListMultipartUploads, ListParts), which S3 bills at the PUT tier: polling jobs and sync
tools that list instead of reading an inventory. Shows their other requests, source IPs,
an example user agent and the estimated LIST charge.
"""
columns = ["requester", "list_requests", "other_requests", "distinct_ips", "est_list_cost_usd", "example_user_agent"]

[params.list_price_per_1000]
type = "decimal"
default = "0.005"
min = 0
help = "USD per 1,000 LIST requests (S3 Standard, us-east-1: 0.005)."

[params.limit]
type = "int"
default = 20
min = 1
max = 100000
help = "Number of requesters to return."

[example]
start = "2024-05-01"
end = "2024-05-02"
-#}
SELECT
  {{ as_logged('requester') }} AS requester,
  count_if(operation IN {{ list_operations }}) AS list_requests,
  count(*) - count_if(operation IN {{ list_operations }}) AS other_requests,
  count(DISTINCT {{ as_logged('remote_ip') }}) AS distinct_ips,
  count_if(operation IN {{ list_operations }}) * CAST({{ list_price_per_1000 }} AS double) / 1000 AS est_list_cost_usd,
  min({{ as_logged('user_agent') }}) AS example_user_agent
FROM {{ logs }}
WHERE {{ in_range() }}
GROUP BY requester
HAVING count_if(operation IN {{ list_operations }}) > 0
ORDER BY list_requests DESC, requester
LIMIT {{ limit }}
