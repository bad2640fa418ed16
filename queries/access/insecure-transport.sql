{#-
title = "Requests over plain HTTP, old TLS or Signature Version 2"
category = "access"
description = """
REST API requests that arrived without TLS (tlsversion '-'), with TLS older than 1.2
(TLSv1, TLSv1.1), or signed with Signature Version 2, grouped by bucket, requester, source
IP, transport and signature version: what a TLS-only bucket policy
(aws:SecureTransport, s3:TlsVersion) or the end of SigV2 would break. Website endpoint
requests (HTTP only by design) and records from before S3 logged TLS details are left out.
"""
columns = ["bucket", "requester", "remoteip", "transport", "sigv", "requests", "first_seen", "last_seen", "example_user_agent"]

[example]
start = "2024-05-01"
end = "2024-05-02"
-#}
SELECT
  bucket,
  requester,
  remoteip,
  CASE WHEN tlsversion = '-' THEN 'HTTP' ELSE tlsversion END AS transport,
  sigv,
  count(*) AS requests,
  min({{ request_time }}) AS first_seen,
  max({{ request_time }}) AS last_seen,
  min(useragent) AS example_user_agent
FROM {{ logs }}
WHERE {{ in_range() }}
  AND operation LIKE 'REST.%'
  AND tlsversion IS NOT NULL
  AND (tlsversion = '-' OR lower(tlsversion) IN ('tlsv1', 'tlsv1.0', 'tlsv1.1') OR sigv = 'SigV2')
GROUP BY 1, 2, 3, 4, 5
ORDER BY requests DESC, bucket, requester, remoteip, transport, sigv
