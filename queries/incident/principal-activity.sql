{#-
title = "Everything one principal did"
category = "incident"
description = """
One row per request made by one requester, oldest first. The requester is matched exactly
as S3 logs it: an IAM ARN (arn:aws:sts::123456789012:assumed-role/Role/session), a
canonical user ID, or a name with spaces such as
'arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2ABC'.
"""
columns = ["request_time", "bucket", "remoteip", "operation", "key", "httpstatus", "errorcode", "bytessent", "useragent", "requestid"]

[params.requester]
type = "string"
required = true
help = "The requester exactly as logged (spaces and any other characters included)."

[example]
start = "2024-05-01"
end = "2024-05-02"
requester = "arn:aws:iam::123456789012:user/o'brien"
-#}
SELECT
  request_time,
  bucket,
  {{ as_logged('remote_ip') }} AS remoteip,
  {{ as_logged('operation') }} AS operation,
  {{ object_key }} AS key,
  {{ as_logged('http_status') }} AS httpstatus,
  {{ as_logged('error_code') }} AS errorcode,
  bytes_sent AS bytessent,
  {{ as_logged('user_agent') }} AS useragent,
  {{ as_logged('request_id') }} AS requestid
FROM {{ logs }}
WHERE {{ in_range() }}
{% if requester == '-' %}
  AND requester IS NULL
{% else %}
  AND requester = {{ requester }}
{% endif %}
ORDER BY request_time, requestid
