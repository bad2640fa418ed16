{#-
title = "Most downloaded objects"
category = "cost"
description = """
The objects with the most GET requests (REST and website endpoints) or the most bytes
sent, with how many requesters and source IPs fetched them: candidates for a CDN or a
cache. Keys are shown URL-decoded.
"""
columns = ["bucket", "key", "requests", "bytes_sent", "distinct_requesters", "distinct_ips"]

[params.by]
type = "enum"
choices = ["bytes", "requests"]
default = "requests"
help = "Rank by bytes sent or by number of GET requests."

[params.limit]
type = "int"
default = 20
min = 1
max = 100000
help = "Number of objects to return."

[example]
start = "2024-05-01"
end = "2024-05-02"
buckets = "app-assets"
limit = 5
-#}
SELECT
  bucket,
  {{ object_key }} AS key,
  count(*) AS requests,
  coalesce(sum(bytes_sent), 0) AS bytes_sent,
  count(DISTINCT {{ as_logged('requester') }}) AS distinct_requesters,
  count(DISTINCT {{ as_logged('remote_ip') }}) AS distinct_ips
FROM {{ logs }}
WHERE {{ in_range() }}
  AND operation IN ('REST.GET.OBJECT', 'WEBSITE.GET.OBJECT')
GROUP BY 1, 2
{% if by == "bytes" %}
ORDER BY bytes_sent DESC, requests DESC, bucket, key
{% else %}
ORDER BY requests DESC, bytes_sent DESC, bucket, key
{% endif %}
LIMIT {{ limit }}
