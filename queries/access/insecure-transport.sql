{#-
title = "Requests over plain HTTP, old TLS or Signature Version 2"
category = "access"
description = """
REST API requests that arrived without TLS (no TLS version logged: transport 'HTTP'), with
TLS older than 1.2 (TLSv1, TLSv1.1), or signed with Signature Version 2, grouped by bucket,
requester, source IP, transport and signature version: what a TLS-only bucket policy
(aws:SecureTransport, s3:TlsVersion) or the end of SigV2 would break. Website endpoint
requests (HTTP only by design) and records without the Host header field (formats from
before S3 logged transport details) are left out.
"""
columns = ["bucket", "requester", "remoteip", "transport", "sigv", "requests", "first_seen", "last_seen", "example_user_agent"]

[example]
start = "2024-05-01"
end = "2024-05-02"
-#}
SELECT
  bucket,
  {{ as_logged('requester') }} AS requester,
  {{ as_logged('remote_ip') }} AS remoteip,
  coalesce(tls_version, 'HTTP') AS transport,
  {{ as_logged('signature_version') }} AS sigv,
  count(*) AS requests,
  min(request_time) AS first_seen,
  max(request_time) AS last_seen,
  min({{ as_logged('user_agent') }}) AS example_user_agent
FROM {{ logs }}
WHERE {{ in_range() }}
  AND operation LIKE 'REST.%'
  AND host_header IS NOT NULL
  AND (tls_version IS NULL
    OR lower(tls_version) IN ('tlsv1', 'tlsv1.0', 'tlsv1.1')
    OR signature_version = 'SigV2')
GROUP BY 1, 2, 3, 4, 5
ORDER BY requests DESC, bucket, requester, remoteip, transport, sigv
