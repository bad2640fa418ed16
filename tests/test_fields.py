from __future__ import annotations

import re

from s3logs_athena.fields import FIELD_NAMES, LOG_FIELDS, TRAILING_FIELD, Shape, record_regex
from s3logs_athena.parser import LogRecord

AWS_DDL_NAMES = (
    "bucketowner bucket_name requestdatetime remoteip requester requestid operation key "
    "request_uri httpstatus errorcode bytessent objectsize totaltime turnaroundtime referrer "
    "useragent versionid hostid sigv ciphersuite authtype endpoint tlsversion accesspointarn "
    "aclrequired sourceregion"
).split()


def test_field_names_are_awss_in_order_then_trailing() -> None:
    assert [f.name for f in LOG_FIELDS] == AWS_DDL_NAMES
    assert FIELD_NAMES == (*AWS_DDL_NAMES, TRAILING_FIELD.name)


def test_log_record_mirrors_the_field_list() -> None:
    assert LogRecord._fields == FIELD_NAMES


def test_regex_has_one_group_per_field() -> None:
    assert re.compile(record_regex()).groups == len(FIELD_NAMES)


def test_fields_after_the_user_agent_are_optional_and_only_they() -> None:
    optional = [f.name for f in LOG_FIELDS if f.optional]
    assert optional == AWS_DDL_NAMES[AWS_DDL_NAMES.index("versionid") :]


def test_athena_types_are_awss() -> None:
    bigints = {f.name for f in LOG_FIELDS if f.athena_type == "bigint"}
    assert bigints == {"bytessent", "objectsize"}


def test_view_names_are_unique_identifiers() -> None:
    names = [f.view_name for f in (*LOG_FIELDS, TRAILING_FIELD)]
    assert len(set(names)) == len(names)
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", n) for n in names)


def test_regex_is_java_compatible() -> None:
    # Constructs Python accepts but java.util.regex rejects or reads differently.
    pattern = record_regex()
    assert "(?P<" not in pattern
    assert "\\Z" not in pattern
    # Only fixed, one-character lookbehinds (Java needs a bounded length).
    for allowed in ('(?<=")', r"(?<=\[)", "(?<=[^ ])"):
        pattern = pattern.replace(allowed, "")
    assert "(?<=" not in pattern
    assert "(?<!" not in pattern


def test_shapes_cover_quoted_and_bracketed_fields() -> None:
    shapes = {f.name: f.shape for f in LOG_FIELDS}
    assert shapes["requestdatetime"] is Shape.BRACKETED
    assert {n for n, s in shapes.items() if s is Shape.QUOTED} == {
        "request_uri",
        "referrer",
        "useragent",
    }
    assert shapes["requester"] is Shape.WORDS
