"""The S3 server access log record format: the one source of truth.

``LOG_FIELDS`` lists the fields of a log line in order, named as AWS's own Athena DDL names
them. Everything else derives from it:

* :func:`record_regex` builds the regular expression that the Python parser runs *and* that
  the Athena table's ``RegexSerDe`` runs (Java and Python agree on every construct used);
* the DDL generator takes column names and Athena types from it;
* the local engine's schema (the Parquet cache) takes its columns and types from it;
* the typed view takes its column names and types from ``view_name``/``view_type``.

How a field is delimited in a line (its :class:`Shape`) is what makes S3 logs awkward:

* most fields are single tokens, ``-`` when absent;
* the request time is bracketed: ``[06/Feb/2019:00:00:38 +0000]``;
* the request URI, referrer and user agent are quoted and may contain *unescaped* double
  quotes (``""Mozilla/5.0 ..."``, ``filename="a.json"``): a quoted field ends at the first
  quote after which the rest of the line still parses, and the value excludes the outer
  quotes; the request URI may also be an unquoted ``-``;
* the requester may contain spaces (``arn:aws:iam::cloudfront:user/CloudFront Origin Access
  Identity E2ABC``): it extends, word by word, only as far as the next fields require;
* AWS appends fields over the years (18 classic fields, then host id ... source region).
  Fields after the user agent are optional, each present only if the previous one is, and
  anything after the last known field is kept in ``trailing_fields`` instead of failing.

Separators are one or more spaces (one real log holds a double space) and trailing spaces are
ignored. The regex is meant for a *full* match (Python ``fullmatch``; Java ``matches()``, which
is what Hive's and Trino's RegexSerDe use).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "FIELD_NAMES",
    "LOG_FIELDS",
    "TRAILING_FIELD",
    "LogField",
    "Shape",
    "ValueType",
    "field",
    "record_regex",
]

AthenaType = Literal["string", "bigint"]


class Shape(enum.Enum):
    """How a field is delimited within a line."""

    TOKEN = "token"  # a run of non-spaces (its content pattern may be narrower)
    WORDS = "words"  # one or more space-separated words (the requester)
    BRACKETED = "bracketed"  # [ ... ], or - when absent
    QUOTED = "quoted"  # " ... " (raw quotes allowed inside), or - when absent


class ValueType(enum.Enum):
    """The Python type the parser converts a field's text to (``-`` becomes ``None``)."""

    STR = "str"
    INT = "int"
    TIMESTAMP = "timestamp"  # timezone-aware UTC datetime


@dataclass(frozen=True, slots=True)
class LogField:
    """One field of a log line.

    ``name`` and ``athena_type`` are AWS's (so AWS's documented example queries run unchanged
    on our table); ``view_name``/``view_type`` are the typed view's column. ``content`` is the
    regex a TOKEN field's text must match (default: any run of non-spaces). ``optional``
    fields may be missing at the end of a line, because AWS added them after 2018.
    """

    name: str
    athena_type: AthenaType
    value_type: ValueType
    shape: Shape
    view_name: str
    view_type: str
    description: str
    optional: bool = False
    content: str = r"[^ ]++"
    #: For QUOTED fields: end at the *last* quote after which the line still parses, not the
    #: first. Right for the user agent, the last quoted field: nothing after it is quoted,
    #: and raw quotes inside it (``"foo" bar"``) would otherwise end it early.
    greedy: bool = False


def _token(
    name: str,
    description: str,
    *,
    view_name: str | None = None,
    athena_type: AthenaType = "string",
    value_type: ValueType = ValueType.STR,
    view_type: str = "varchar",
    content: str = r"[^ ]++",
    optional: bool = False,
) -> LogField:
    return LogField(
        name=name,
        athena_type=athena_type,
        value_type=value_type,
        shape=Shape.TOKEN,
        view_name=view_name or name,
        view_type=view_type,
        description=description,
        optional=optional,
        content=content,
    )


def _quoted(
    name: str, description: str, *, view_name: str | None = None, greedy: bool = False
) -> LogField:
    return LogField(
        name=name,
        athena_type="string",
        value_type=ValueType.STR,
        shape=Shape.QUOTED,
        view_name=view_name or name,
        view_type="varchar",
        description=description,
        greedy=greedy,
    )


def _added(name: str, view_name: str, description: str) -> LogField:
    """A field AWS appended after the classic ones: a token that may be missing."""
    return _token(name, description, view_name=view_name, optional=True)


_DIGITS = r"-|[0-9]++"

LOG_FIELDS: tuple[LogField, ...] = (
    _token("bucketowner", "Canonical user ID of the bucket's owner.", view_name="bucket_owner"),
    _token("bucket_name", "Name of the bucket the request was made to."),
    LogField(
        name="requestdatetime",
        athena_type="string",
        value_type=ValueType.TIMESTAMP,
        shape=Shape.BRACKETED,
        view_name="request_time",
        view_type="timestamp",
        description="Time the request was received, e.g. 06/Feb/2019:00:00:38 +0000 (UTC).",
    ),
    _token("remoteip", "Apparent IP address (v4 or v6) of the requester.", view_name="remote_ip"),
    LogField(
        name="requester",
        athena_type="string",
        value_type=ValueType.STR,
        shape=Shape.WORDS,
        view_name="requester",
        view_type="varchar",
        description="Canonical user ID or IAM ARN of the requester; '-' when unauthenticated.",
    ),
    _token("requestid", "Request ID assigned by S3.", view_name="request_id"),
    _token(
        "operation",
        "Operation, e.g. REST.GET.OBJECT, BATCH.DELETE.OBJECT, S3.EXPIRE.OBJECT.",
        content=r"[A-Za-z0-9_-]++(?:\.[A-Za-z0-9_-]++)++|-",
    ),
    _token("key", "Object key (URL-encoded); '-' for bucket operations."),
    _quoted("request_uri", "Request-URI part of the HTTP request message."),
    _token(
        "httpstatus",
        "HTTP status of the response.",
        view_name="http_status",
        value_type=ValueType.INT,
        view_type="integer",
        content=r"-|[0-9]{3}",
    ),
    _token("errorcode", "S3 error code, e.g. NoSuchKey; '-' when none.", view_name="error_code"),
    _token(
        "bytessent",
        "Response bytes sent, excluding HTTP protocol overhead.",
        view_name="bytes_sent",
        athena_type="bigint",
        value_type=ValueType.INT,
        view_type="bigint",
        content=_DIGITS,
    ),
    _token(
        "objectsize",
        "Total size of the object in question.",
        view_name="object_size",
        athena_type="bigint",
        value_type=ValueType.INT,
        view_type="bigint",
        content=_DIGITS,
    ),
    _token(
        "totaltime",
        "Milliseconds the request was in flight from the server's perspective.",
        view_name="total_time_ms",
        value_type=ValueType.INT,
        view_type="bigint",
        content=_DIGITS,
    ),
    _token(
        "turnaroundtime",
        "Milliseconds S3 spent processing the request.",
        view_name="turnaround_time_ms",
        value_type=ValueType.INT,
        view_type="bigint",
        content=_DIGITS,
    ),
    _quoted("referrer", "HTTP Referer header."),
    _quoted("useragent", "HTTP User-Agent header.", view_name="user_agent", greedy=True),
    _added("versionid", "version_id", "Version ID in the request; '-' when none."),
    _added("hostid", "host_id", "x-amz-id-2 (extended request ID)."),
    _added("sigv", "signature_version", "Signature version: SigV2, SigV4 or '-'."),
    _added("ciphersuite", "cipher_suite", "TLS cipher suite; '-' for HTTP."),
    _added("authtype", "auth_type", "AuthHeader, QueryString (presigned URL) or '-'."),
    _added("endpoint", "host_header", "Host header used to reach S3."),
    _added("tlsversion", "tls_version", "TLS version negotiated; '-' for HTTP."),
    _added("accesspointarn", "access_point_arn", "Access point ARN; '-' when none."),
    _added("aclrequired", "acl_required", "'Yes' when an ACL was required to authorize."),
    _added("sourceregion", "source_region", "AWS Region the request came from; '-' if unknown."),
)

TRAILING_FIELD = LogField(
    name="trailing_fields",
    athena_type="string",
    value_type=ValueType.STR,
    shape=Shape.TOKEN,
    view_name="trailing_fields",
    view_type="varchar",
    description="Fields AWS appended after the last known one, kept verbatim (space-separated).",
    optional=True,
    # The rest of the line up to its last non-space (may be empty: only spaces followed).
    content=r"(?:[\s\S]*[^ ])?",
)

#: Every column of a parsed record, in order (the 27 AWS fields, then ``trailing_fields``).
FIELD_NAMES: tuple[str, ...] = (*(f.name for f in LOG_FIELDS), TRAILING_FIELD.name)

_BY_NAME = {f.name: f for f in (*LOG_FIELDS, TRAILING_FIELD)}


def field(name: str) -> LogField:
    """The field called ``name`` (``KeyError`` if there is none)."""
    return _BY_NAME[name]


def record_regex() -> str:
    """The regular expression for one log line (Java- and Python-compatible, full match).

    It has one capturing group per entry of :data:`FIELD_NAMES`, in order. How it is built,
    and why it looks the way it does (no repeated groups, choices made by lookaheads), is
    :mod:`s3logs_athena.line_regex`.
    """
    from .line_regex import build_record_regex

    return build_record_regex(LOG_FIELDS, TRAILING_FIELD)
