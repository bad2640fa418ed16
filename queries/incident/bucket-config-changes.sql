{#-
title = "Bucket configuration changes"
category = "incident"
description = """
One row per request that changed or removed a bucket's configuration (a bucket-level PUT or
DELETE), oldest first, named by what changed: 'policy', 'acl', 'public access block',
'lifecycle', 'logging', 'encryption', 'versioning', 'cors', 'replication', 'tagging',
'website', 'notification', 'bucket' (create or delete), others by S3's own name in lower
case. Failed attempts (HTTP 300 and above) are left out unless include_failed; a run of
denied policy changes is worth a look.
"""
columns = ["request_time", "bucket", "change", "action", "operation", "requester", "remoteip", "httpstatus", "errorcode", "requestid", "useragent"]

[params.include_failed]
type = "bool"
default = false
help = "Also list attempts that failed (for example AccessDenied)."

[example]
start = "2024-05-01"
end = "2024-05-08"
include_failed = true
-#}
SELECT
  request_time,
  bucket,
  CASE split_part(operation, '.', 3)
    WHEN 'BUCKETPOLICY' THEN 'policy'
    WHEN 'ACL' THEN 'acl'
    WHEN 'PUBLIC_ACCESS_BLOCK' THEN 'public access block'
    WHEN 'LIFECYCLE' THEN 'lifecycle'
    WHEN 'LOGGING_STATUS' THEN 'logging'
    WHEN 'ENCRYPTION' THEN 'encryption'
    WHEN 'VERSIONING' THEN 'versioning'
    WHEN 'CORS' THEN 'cors'
    WHEN 'REPLICATION' THEN 'replication'
    WHEN 'TAGGING' THEN 'tagging'
    WHEN 'WEBSITE' THEN 'website'
    WHEN 'NOTIFICATION' THEN 'notification'
    WHEN 'BUCKET' THEN 'bucket'
    ELSE lower(split_part(operation, '.', 3))
  END AS change,
  split_part(operation, '.', 2) AS action,
  operation,
  {{ as_logged('requester') }} AS requester,
  {{ as_logged('remote_ip') }} AS remoteip,
  {{ as_logged('http_status') }} AS httpstatus,
  {{ as_logged('error_code') }} AS errorcode,
  {{ as_logged('request_id') }} AS requestid,
  {{ as_logged('user_agent') }} AS useragent
FROM {{ logs }}
WHERE {{ in_range() }}
  AND (operation LIKE 'REST.PUT.%' OR operation LIKE 'REST.DELETE.%')
  AND key IS NULL
{% if not include_failed %}
  AND coalesce(http_status, 200) < 300
{% endif %}
ORDER BY request_time, requestid
