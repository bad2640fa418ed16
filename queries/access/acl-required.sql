{#-
title = "Requests that needed an ACL to be authorized"
category = "access"
description = """
Requests S3 could only authorize through an access control list (aclrequired 'Yes'), by
bucket, requester and operation. If this is empty over a long enough range, setting
Object Ownership to "bucket owner enforced" (ACLs disabled) breaks no caller.
"""
columns = ["bucket", "requester", "operation", "requests", "first_seen", "last_seen"]

[example]
start = "2024-05-01"
end = "2024-05-31"
-#}
SELECT
  bucket,
  {{ as_logged('requester') }} AS requester,
  {{ as_logged('operation') }} AS operation,
  count(*) AS requests,
  min(request_time) AS first_seen,
  max(request_time) AS last_seen
FROM {{ logs }}
WHERE {{ in_range() }}
  AND acl_required = 'Yes'
GROUP BY 1, 2, 3
ORDER BY requests DESC, bucket, requester, operation
