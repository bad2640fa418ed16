{#-
title = "Slowest operations by latency percentiles"
category = "access"
description = """
Latency per bucket and operation: percentiles of total time (first byte received to last
byte sent, including the client's network) and of turn-around time (S3's own processing),
in milliseconds, ranked by the 99th percentile of total time. A high total time with a low
turn-around time points at the client or the network, not at S3. Athena computes
approximate percentiles (approx_percentile); DuckDB exact ones.
"""
columns = ["bucket", "operation", "requests", "p50_total_ms", "p90_total_ms", "p99_total_ms", "max_total_ms", "p50_turnaround_ms", "p99_turnaround_ms"]

[params.min_requests]
type = "int"
default = 10
min = 1
help = "Leave out bucket/operation pairs with fewer requests (their percentiles mean little)."

[params.limit]
type = "int"
default = 20
min = 1
max = 100000
help = "Number of rows to return."

[example]
start = "2024-05-01"
end = "2024-05-02"
min_requests = 1
-#}
SELECT
  bucket,
  {{ as_logged('operation') }} AS operation,
  count(*) AS requests,
  approx_percentile(total_time_ms, 0.5) AS p50_total_ms,
  approx_percentile(total_time_ms, 0.9) AS p90_total_ms,
  approx_percentile(total_time_ms, 0.99) AS p99_total_ms,
  max(total_time_ms) AS max_total_ms,
  approx_percentile(turnaround_time_ms, 0.5) AS p50_turnaround_ms,
  approx_percentile(turnaround_time_ms, 0.99) AS p99_turnaround_ms
FROM {{ logs }}
WHERE {{ in_range() }}
GROUP BY bucket, operation
HAVING count(*) >= {{ min_requests }}
ORDER BY p99_total_ms DESC, requests DESC, bucket, operation
LIMIT {{ limit }}
