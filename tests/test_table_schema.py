"""The typed schema comes from the field list, and parsed records convert to it."""

from __future__ import annotations

from datetime import datetime

import pyarrow as pa

from s3logs_athena.fields import LOG_FIELDS, TRAILING_FIELD
from s3logs_athena.parser import parse_columns
from s3logs_athena.table.schema import (
    TYPED_COLUMN_NAMES,
    TYPED_COLUMNS,
    typed_arrow_schema,
    typed_record_batch,
)

LINE = (
    "79a5 awsexamplebucket1 [06/Feb/2019:00:00:38 +0000] 192.0.2.3 "
    "79a5 3E57427F3EXAMPLE REST.GET.VERSIONING - "
    '"GET /awsexamplebucket1?versioning HTTP/1.1" 200 - 113 - 7 - "-" "S3Console/0.4" - '
    "s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= "
    "SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader awsexamplebucket1.s3.us-west-1.amazonaws.com "
    "TLSV1.2 arn:aws:s3:us-west-1:123456789012:accesspoint/example-AP Yes us-east-1"
)


def test_one_typed_column_per_field_named_as_the_typed_view() -> None:
    assert [c.source for c in TYPED_COLUMNS] == [*LOG_FIELDS, TRAILING_FIELD]
    assert TYPED_COLUMN_NAMES[:4] == ("bucket_owner", "bucket_name", "request_time", "remote_ip")
    types = {c.name: c.athena_type for c in TYPED_COLUMNS}
    assert types["request_time"] == "timestamp"
    assert types["http_status"] == "int"
    assert {types[n] for n in ("bytes_sent", "object_size", "total_time_ms")} == {"bigint"}
    assert typed_arrow_schema().names == list(TYPED_COLUMN_NAMES)


def test_parsed_columns_become_a_typed_batch() -> None:
    batch = typed_record_batch(parse_columns([LINE, LINE]))
    assert batch.num_rows == 2
    row = batch.to_pylist()[0]
    assert row["request_time"] == datetime(2019, 2, 6, 0, 0, 38)
    assert row["http_status"] == 200
    assert row["error_code"] is None  # '-'
    assert row["bytes_sent"] == 113
    assert row["object_size"] is None
    assert row["total_time_ms"] == 7
    assert batch.schema.field("request_time").type == pa.timestamp("ms")
    assert row["source_region"] == "us-east-1"
