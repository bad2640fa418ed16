{#-
title = "Requests and estimated request cost by operation"
category = "cost"
description = """
One row per bucket and operation: requests, bytes sent and the estimated request charge.
PUT, COPY, POST and LIST requests are priced at put_price_per_1000; GET, HEAD and every other
REST or website request at get_price_per_1000. DELETE requests (single, multi-object and
their per-key BATCH.DELETE entries) are free, and so are S3's own operations (S3.*, such as
lifecycle expiry; lifecycle transitions are billed separately). The defaults are S3
Standard prices in us-east-1. Storage, retrieval and data transfer are not included.
"""
columns = ["bucket", "operation", "requests", "bytes_sent", "est_request_cost_usd"]

[params.put_price_per_1000]
type = "decimal"
default = "0.005"
min = 0
help = "USD per 1,000 PUT, COPY, POST and LIST requests (S3 Standard, us-east-1: 0.005)."

[params.get_price_per_1000]
type = "decimal"
default = "0.0004"
min = 0
help = "USD per 1,000 GET, HEAD and other requests (S3 Standard, us-east-1: 0.0004)."

[example]
start = "2024-05-01"
end = "2024-05-08"
buckets = "app-assets,app-uploads"
-#}
WITH priced AS (
  SELECT
    bucket,
    operation,
    bytes_sent,
    CASE
      WHEN operation LIKE 'REST.DELETE.%'
        OR operation = 'REST.POST.MULTI_OBJECT_DELETE'
        OR operation LIKE 'BATCH.DELETE.%' THEN 'free'
      WHEN operation LIKE 'REST.PUT.%'
        OR operation LIKE 'REST.POST.%'
        OR operation IN ('REST.COPY.OBJECT', 'REST.COPY.PART')
        OR operation IN {{ list_operations }} THEN 'put'
      WHEN operation LIKE 'REST.%' OR operation LIKE 'WEBSITE.%' THEN 'get'
      ELSE 'free'
    END AS tier
  FROM {{ logs }}
  WHERE {{ in_range() }}
)
SELECT
  bucket,
  {{ as_logged('operation') }} AS operation,
  count(*) AS requests,
  coalesce(sum(bytes_sent), 0) AS bytes_sent,
  (count_if(tier = 'put') * CAST({{ put_price_per_1000 }} AS double)
    + count_if(tier = 'get') * CAST({{ get_price_per_1000 }} AS double)) / 1000 AS est_request_cost_usd
FROM priced
GROUP BY bucket, operation
ORDER BY est_request_cost_usd DESC, requests DESC, bucket, operation
