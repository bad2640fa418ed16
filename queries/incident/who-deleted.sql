{#-
title = "Who deleted what"
category = "incident"
description = """
One row per deletion, oldest first, with the kind of deletion told apart: 'DELETE' (a
DeleteObject request, REST.DELETE.OBJECT), 'multi-object delete' (the DeleteObjects
request itself, REST.POST.MULTI_OBJECT_DELETE, logged without a key), 'BATCH.DELETE' (one
key deleted by such a request, BATCH.DELETE.OBJECT), 'lifecycle expiry' (S3.EXPIRE.OBJECT)
and 'lifecycle delete marker' (S3.CREATE.DELETEMARKER). Give key or prefix to look at some
objects only. Failed attempts (HTTP 300 and above) are left out unless include_failed.
"""
columns = ["request_time", "bucket", "key", "versionid", "deletion", "operation", "requester", "remoteip", "httpstatus", "errorcode", "requestid", "useragent"]
at_most_one_of = [["key", "prefix"]]

[params.key]
type = "string"
help = "Only this object key, exactly (any characters)."

[params.prefix]
type = "string"
help = "Only keys starting with this prefix."

[params.include_failed]
type = "bool"
default = false
help = "Also list attempts that failed (for example AccessDenied)."

[example]
start = "2024-05-01"
end = "2024-05-02"
prefix = "reports/"
-#}
SELECT
  request_time,
  bucket,
  {{ object_key }} AS key,
  {{ as_logged('version_id') }} AS versionid,
  CASE operation
    WHEN 'REST.DELETE.OBJECT' THEN 'DELETE'
    WHEN 'REST.POST.MULTI_OBJECT_DELETE' THEN 'multi-object delete'
    WHEN 'BATCH.DELETE.OBJECT' THEN 'BATCH.DELETE'
    WHEN 'S3.EXPIRE.OBJECT' THEN 'lifecycle expiry'
    WHEN 'S3.CREATE.DELETEMARKER' THEN 'lifecycle delete marker'
  END AS deletion,
  operation,
  {{ as_logged('requester') }} AS requester,
  {{ as_logged('remote_ip') }} AS remoteip,
  {{ as_logged('http_status') }} AS httpstatus,
  {{ as_logged('error_code') }} AS errorcode,
  {{ as_logged('request_id') }} AS requestid,
  {{ as_logged('user_agent') }} AS useragent
FROM {{ logs }}
WHERE {{ in_range() }}
  AND operation IN ('REST.DELETE.OBJECT', 'REST.POST.MULTI_OBJECT_DELETE', 'BATCH.DELETE.OBJECT',
                    'S3.EXPIRE.OBJECT', 'S3.CREATE.DELETEMARKER')
  AND {{ key_matches(key, prefix) }}
{% if not include_failed %}
  AND coalesce(http_status, 200) < 300
{% endif %}
ORDER BY request_time, requestid, key
