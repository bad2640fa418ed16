"""Conformance of our parser with the expected outputs of other projects' test suites.

The corpus (``../shared/corpus/s3-access-logs``, see its SOURCES.md) holds real log lines from
other projects and, for some of them, the values those projects' tests expect. This module
parses every line of every corpus log file with our parser and compares our values with each
source's expectations.

Each source has a small adapter that reads its expected-output file and maps its field names
and value conventions to ours, giving :class:`Expectation` objects: "line N of file F parses
(or not), and our field X is V". Conventions mapped away (they are notation, not substance):
``-``, ``""`` and a quoted ``"-"`` mean absent (our ``None``); numbers given as strings become
ints; times in any notation become UTC datetimes (converted here with the standard library,
not with our parser); request URIs split into method, path and protocol are joined again.

Fields are compared through *views*: usually the field itself, sometimes a projection that a
source's output only lets us check (e.g. kdgm's Apache CLF output keeps the first 10 characters
of the requester). The parse outcome is compared too (``PARSES``): a source that gives values
for a line says it parses; ``null``/"unmatched"/"parse failure" say it does not.

``run()`` returns the counts and every disagreement; ``tests/test_conformance.py`` asserts that
the disagreements are exactly the deliberate ones listed in
``tests/fixtures/conformance-known-differences.json`` and ``tests/conformance_summary.py``
prints the numbers.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from s3logs_athena.errors import LogParseError
from s3logs_athena.fields import FIELD_NAMES, ValueType
from s3logs_athena.fields import field as field_named
from s3logs_athena.parser import LogRecord, iter_line_batches, parse_line

from .conftest import FIXTURES, corpus_log_files

KNOWN_DIFFERENCES = FIXTURES / "conformance-known-differences.json"

#: The pseudo-field for "the line parses" (True) or "the line is rejected" (False).
PARSES = "(parses)"

# -- views: what of our record a source's expectation can be compared with ---------------


def _first_word(text: str | None) -> str | None:
    return text.split(" ", 1)[0] if text else None


def _dandi_object_key(key: str | None) -> str | None:
    """dandi/s3-log-parser reduces a Zarr chunk key to the Zarr's id (``zarr/<uuid>``)."""
    if key is None or not key.startswith("zarr/"):
        return key
    return "/".join(key.split("/")[:2])


VIEWS: dict[str, Callable[[LogRecord], Any]] = {
    **{name: (lambda record, name=name: getattr(record, name)) for name in FIELD_NAMES},
    "requester[:10]": lambda r: r.requester[:10] if r.requester else None,
    "request_uri (method)": lambda r: _first_word(r.request_uri),
    "key (dandi reduction)": lambda r: _dandi_object_key(r.key),
}


# -- value conventions -------------------------------------------------------------------


def absent(value: Any) -> Any:
    """A source's notation for "no value" as our ``None``."""
    return None if value in (None, "", "-", '"-"') else value


def unquote(value: str | None) -> str | None:
    """A raw quoted field (logstash legacy, adamvr keep the quotes) without its quotes."""
    if value is not None and len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    return absent(value)


def as_int(value: Any) -> int | None:
    value = absent(value)
    return None if value is None else int(value)


def clf_time(text: str) -> datetime:
    """``[06/Feb/2019:00:00:38 +0000]`` (brackets optional) as a UTC datetime."""
    moment = datetime.strptime(text.strip("[]"), "%d/%b/%Y:%H:%M:%S %z")
    return moment.astimezone(UTC)


def iso_time(text: str) -> datetime:
    """``2019-08-01T00:24:41.000Z``; a time without an offset is taken as UTC."""
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def js_date(text: str) -> datetime:
    """A JavaScript ``Date.toString()``: ``Thu Feb 06 2014 07:00:38 GMT+0700 (ICT)``."""
    text = re.sub(r" \([^)]*\)$", "", text)
    return datetime.strptime(text, "%a %b %d %Y %H:%M:%S GMT%z").astimezone(UTC)


def joined_request(method: Any, path: Any, protocol: Any) -> str | None:
    """A request URI that a source split into three parts, joined again."""
    parts = [absent(p) for p in (method, path, protocol)]
    if all(p is None for p in parts):
        return None
    return " ".join("" if p is None else str(p) for p in parts)


def typed(name: str, value: Any) -> Any:
    """A source's value for our field ``name`` in our representation."""
    value = absent(value)
    if value is None or name not in FIELD_NAMES:
        return value
    kind = field_named(name).value_type
    if kind is ValueType.INT:
        return int(value)
    if kind is ValueType.TIMESTAMP and isinstance(value, str):
        return clf_time(value)
    return value


# -- expectations --------------------------------------------------------------------------


@dataclass
class Expectation:
    """What one source says about one corpus line, in our terms (view name -> value)."""

    source: str
    file: str  # relative to the corpus directory
    line: int  # 1-based
    values: dict[str, Any] = field(default_factory=dict)
    parses: bool = True


def read_lines(path: Path) -> list[str]:
    """The lines of a log file, split the way our stream reader splits them."""
    with path.open("rb") as stream:
        return [line for batch in iter_line_batches(stream) for line in batch]


class Corpus:
    """The corpus's log lines by file name (relative to the corpus directory)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.lines = {
            path.relative_to(root).as_posix(): read_lines(path) for path in corpus_log_files()
        }

    def find(self, file: str, text: str) -> int:
        """The number of the first line of ``file`` equal to ``text``."""
        try:
            return self.lines[file].index(text) + 1
        except ValueError:
            raise LookupError(f"{file}: no line {text[:80]!r}...") from None

    def read_json(self, name: str) -> Any:
        return json.loads((self.root / name).read_text(encoding="utf-8"))

    def read_jsonl(self, name: str) -> list[Any]:
        text = (self.root / name).read_text(encoding="utf-8")
        return [json.loads(row) for row in text.splitlines() if row.strip()]


def _mapped(names: dict[str, str], values: dict[str, Any], *, all_names: bool) -> dict[str, Any]:
    """``values`` (source name -> value) as our view name -> typed value. With ``all_names``,
    a mapped name missing from ``values`` means the source expects it absent."""
    out: dict[str, Any] = {}
    for theirs, ours in names.items():
        if theirs in values:
            out[ours] = typed(ours, values[theirs])
        elif all_names:
            out[ours] = None
    return out


def elastic_integrations(corpus: Corpus) -> Iterator[Expectation]:
    """Elastic's ingest pipeline test: ECS documents; ``aws.s3access.*`` holds the fields.
    Empty values are dropped from the documents, so a missing field is expected absent."""
    log = "elastic-integrations__test-s3-server-access.log"
    names = {
        "bucket_owner": "bucketowner",
        "bucket": "bucket_name",
        "remote_ip": "remoteip",
        "requester": "requester",
        "request_id": "requestid",
        "operation": "operation",
        "key": "key",
        "request_uri": "request_uri",
        "http_status": "httpstatus",
        "error_code": "errorcode",
        "bytes_sent": "bytessent",
        "object_size": "objectsize",
        "total_time": "totaltime",
        "turn_around_time": "turnaroundtime",
        "referrer": "referrer",
        "user_agent": "useragent",
        "version_id": "versionid",
        "host_id": "hostid",
        "signature_version": "sigv",
        "cipher_suite": "ciphersuite",
        "authentication_type": "authtype",
        "host_header": "endpoint",
        "tls_version": "tlsversion",
        "point_arn": "accesspointarn",  # this version's name for the access point ARN
        "aclrequired": "aclrequired",
        "source_region": "sourceregion",
    }
    for event in corpus.read_json(f"{log}-expected.json")["expected"]:
        values = _mapped(names, event["aws"]["s3access"], all_names=True)
        values["requestdatetime"] = iso_time(event["@timestamp"])
        line = corpus.find(log, event["event"]["original"])
        yield Expectation("elastic-integrations", log, line, values)


_LOGSTASH_LEGACY = {
    "owner": "bucketowner",
    "bucket": "bucket_name",
    "timestamp": "requestdatetime",
    "clientip": "remoteip",
    "requester": "requester",
    "request_id": "requestid",
    "operation": "operation",
    "key": "key",
    "response": "httpstatus",
    "error_code": "errorcode",
    "bytes": "bytessent",
    "object_size": "objectsize",
    "request_time_ms": "totaltime",
    "turnaround_time_ms": "turnaroundtime",
    "version_id": "versionid",
}

_ECS_S3ACCESS = {
    "bucket_owner": "bucketowner",
    "bucket": "bucket_name",
    "request_id": "requestid",
    "operation": "operation",
    "key": "key",
    "request_uri": "request_uri",
    "error_code": "errorcode",
    "bytes_sent": "bytessent",
    "total_time": "totaltime",
    "turn_around_time": "turnaroundtime",
    "host_id": "hostid",
    "signature_version": "sigv",
    "authentication_type": "authtype",
    "host_header": "endpoint",
    "tls_version": "tlsversion",
}


def logstash_patterns_core(corpus: Corpus) -> Iterator[Expectation]:
    """Grok pattern S3_ACCESS_LOG: legacy fields (quotes kept on referrer/agent, request split
    into verb/request/httpversion) and ECS v1 fields (only the asserted ones)."""
    log = "logstash-patterns-core__aws_spec.rb.S3_ACCESS_LOG.extracted.log"
    expected = corpus.read_json("logstash-patterns-core__aws_spec.rb.S3_ACCESS_LOG.expected.json")
    for case in expected["cases"]:
        line = corpus.find(log, case["line"])
        legacy = case.get("expected_legacy")
        if legacy:
            values = _mapped(_LOGSTASH_LEGACY, legacy, all_names=False)
            values["request_uri"] = joined_request(
                legacy["verb"], legacy["request"], f"HTTP/{legacy['httpversion']}"
            )
            values["referrer"] = unquote(legacy["referrer"])
            values["useragent"] = unquote(legacy["agent"])
            for name in case.get("expected_legacy_nil", []):
                if name in _LOGSTASH_LEGACY:
                    values[_LOGSTASH_LEGACY[name]] = None
            yield Expectation("logstash-patterns-core (legacy)", log, line, values)
        ecs = case.get("expected_ecs_v1") or case.get("expected_ecs_v1_partial")
        if ecs:
            values = _mapped(_ECS_S3ACCESS, ecs["aws"]["s3access"], all_names=False)
            if "timestamp" in ecs:
                values["requestdatetime"] = clf_time(ecs["timestamp"])
            client = ecs.get("client", {})
            if "ip" in client:
                values["remoteip"] = client["ip"]
            if "user" in client:
                values["requester"] = client["user"]["id"]
            http = ecs.get("http")
            if http:
                values["httpstatus"] = http["response"]["status_code"]
                values["request_uri"] = joined_request(
                    http["request"]["method"], ecs["url"]["original"], f"HTTP/{http['version']}"
                )
            if "tls" in ecs:
                values["ciphersuite"] = ecs["tls"]["cipher"]
            if "user_agent" in ecs:
                values["useragent"] = ecs["user_agent"]["original"]
            yield Expectation("logstash-patterns-core (ecs_v1)", log, line, values)


def panther(corpus: Corpus) -> Iterator[Expectation]:
    """Panther's Go struct literals; fields absent from a case are expected nil. Panther knows
    24 fields and puts any further columns in ``AdditionalFields``."""
    log = "panther__s3_server_access_test.go.extracted.log"
    names = {
        "BucketOwner": "bucketowner",
        "Bucket": "bucket_name",
        "RemoteIP": "remoteip",
        "Requester": "requester",
        "RequestID": "requestid",
        "Operation": "operation",
        "Key": "key",
        "RequestURI": "request_uri",
        "HTTPStatus": "httpstatus",
        "ErrorCode": "errorcode",
        "BytesSent": "bytessent",
        "ObjectSize": "objectsize",
        "TotalTime": "totaltime",
        "TurnAroundTime": "turnaroundtime",
        "Referrer": "referrer",
        "UserAgent": "useragent",
        "VersionID": "versionid",
        "HostID": "hostid",
        "SignatureVersion": "sigv",
        "CipherSuite": "ciphersuite",
        "AuthenticationType": "authtype",
        "HostHeader": "endpoint",
        "TLSVersion": "tlsversion",
    }
    for case in corpus.read_json("panther__s3_server_access_test.go.expected.json")["cases"]:
        struct = case["expected_S3ServerAccess"]
        values = _mapped(names, struct, all_names=True)
        values["requestdatetime"] = datetime.fromtimestamp(struct["Time"]["unix_seconds"], UTC)
        extra = struct.get("AdditionalFields")
        values["trailing_fields"] = " ".join(extra) if extra else None
        yield Expectation("panther", log, corpus.find(log, case["line"]), values)


_NEKRASSOV = {
    "bucket_owner": "bucketowner",
    "bucket": "bucket_name",
    "time": "requestdatetime",
    "remote_ip": "remoteip",
    "requester": "requester",
    "request_id": "requestid",
    "operation": "operation",
    "key": "key",
    "http_status": "httpstatus",
    "error_code": "errorcode",
    "bytes_sent": "bytessent",
    "object_size": "objectsize",
    "total_time": "totaltime",
    "turn_around_time": "turnaroundtime",
    "referer": "referrer",
    "user_agent": "useragent",
    "version_id": "versionid",
    "host_id": "hostid",
    "signature_version": "sigv",
    "cipher_suite": "ciphersuite",
    "authentication_type": "authtype",
    "host_header": "endpoint",
    "tls_version": "tlsversion",
    "access_point_arn": "accesspointarn",
    "acl_required": "aclrequired",
}


def nekrassov01(corpus: Corpus) -> Iterator[Expectation]:
    """nekrassov01/access-log-parser: JSON per matched line (numbers as strings, the request
    split into method/request_uri/protocol); fields after its match point are simply left
    out, so only the fields it gives are compared. Unmatched lines are expected rejected."""
    source = "nekrassov01"
    prefix = "nekrassov01-access-log-parser__sample_s3_"
    matched = {"all_match": [1, 2, 3, 4, 5], "contains_unmatch": [1, 2, 3, 5], "all_unmatch": []}
    for sample, numbers in matched.items():
        log = f"{prefix}{sample}.log"
        rows = corpus.read_jsonl(f"{prefix}{sample}.expected.jsonl") if numbers else []
        if len(rows) != len(numbers):
            raise AssertionError(f"{log}: {len(rows)} expected rows for lines {numbers}")
        for number, row in zip(numbers, rows, strict=True):
            values = _mapped(_NEKRASSOV, row, all_names=False)
            values["request_uri"] = joined_request(
                row["method"], row["request_uri"], row["protocol"]
            )
            yield Expectation(source, log, number, values)
        for number in range(1, len(corpus.lines[log]) + 1):
            if number not in numbers:
                yield Expectation(source, log, number, parses=False)


def icodeforlove(corpus: Corpus) -> Iterator[Expectation]:
    """icodeforlove/s3-access-log-parser: an object without the ``-`` fields (exact match
    in two cases, ``objectContaining`` in one) or ``null`` for a line it rejects."""
    log = "icodeforlove-s3-access-log-parser__matches.test.js.extracted.log"
    names = {
        "bucket_owner": "bucketowner",
        "bucket": "bucket_name",
        "remote_ip": "remoteip",
        "requester": "requester",
        "request_id": "requestid",
        "operation": "operation",
        "key": "key",
        "request_uri": "request_uri",
        "http_status": "httpstatus",
        "error_code": "errorcode",
        "bytes_sent": "bytessent",
        "object_size": "objectsize",
        "total_time": "totaltime",
        "turn_around_time": "turnaroundtime",
        "referrer": "referrer",
        "user_agent": "useragent",
        "version_id": "versionid",
    }
    expected = corpus.read_json("icodeforlove-s3-access-log-parser__matches.test.js.expected.json")
    for case in expected["cases"]:
        line = corpus.find(log, case["line"])
        if case["expected"] is None:
            yield Expectation("icodeforlove", log, line, parses=False)
            continue
        exact = case["_match"].startswith("toEqual")
        values = _mapped(names, case["expected"], all_names=exact)
        if "time" in case["expected"]:
            values["requestdatetime"] = js_date(case["expected"]["time"])
        elif exact:
            values["requestdatetime"] = None
        yield Expectation("icodeforlove", log, line, values)


def knil_sama(corpus: Corpus) -> Iterator[Expectation]:
    """knil-sama/s3-access-log-rust: one full struct (``None`` or ``"-"`` when absent)."""
    log = "knil-sama-s3-access-log-rust__integration_test.rs.extracted.log"
    case = corpus.read_json("knil-sama-s3-access-log-rust__integration_test.rs.expected.json")
    names = {
        **{theirs: ours for theirs, ours in _NEKRASSOV.items() if theirs not in ("bucket", "time")},
        "bucket_name": "bucket_name",
        "request_uri": "request_uri",
    }
    values = _mapped(names, case["expected"], all_names=True)
    values["requestdatetime"] = iso_time(case["expected"]["time"])
    yield Expectation("knil-sama", log, corpus.find(log, case["line"]), values)


def adamvr(corpus: Corpus) -> Iterator[Expectation]:
    """adamvr/node-log-dissector: subsets of its regex's named groups (time in brackets,
    referrer with quotes, the request split into verb/uri/protocol)."""
    log = "adamvr-node-log-dissector__s3Test.js+s3.js.extracted.log"
    names = {
        "owner": "bucketowner",
        "bucket": "bucket_name",
        "timestamp": "requestdatetime",
        "client_ip": "remoteip",
        "requester": "requester",
        "request_id": "requestid",
        "operation": "operation",
        "key": "key",
        "status_code": "httpstatus",
        "error_code": "errorcode",
        "bytes_sent": "bytessent",
        "object_size": "objectsize",
        "time_total": "totaltime",
        "time_turn_around": "turnaroundtime",
        "user-agent": "useragent",
        "version_id": "versionid",
    }
    for case in corpus.read_json("adamvr-node-log-dissector__s3Test.js.expected.json")["cases"]:
        subset = case["expected_subset"]
        values = _mapped(names, subset, all_names=False)
        values["request_uri"] = joined_request(subset["verb"], subset["uri"], subset["protocol"])
        if "referrer" in subset:
            values["referrer"] = unquote(subset["referrer"])
        yield Expectation("adamvr", log, corpus.find(log, case["line"]), values)


def wallix(corpus: Corpus) -> Iterator[Expectation]:
    """wallix/pylogsparser's normalizer tags (all strings, ``-`` kept)."""
    log = "wallix-pylogsparser__normalizers_s3.xml.extracted.log"
    case = corpus.read_json("wallix-pylogsparser__normalizers_s3.xml.expected.json")
    names = {
        "user": "bucketowner",
        "bucket": "bucket_name",
        "source_ip": "remoteip",
        "requestor": "requester",
        "requestid": "requestid",
        "method": "operation",
        "key": "key",
        "status": "httpstatus",
        "s3err": "errorcode",
        "len": "bytessent",
        "object_size": "objectsize",
        "total_request_time": "totaltime",
        "turn_around_time": "turnaroundtime",
        "referer": "referrer",
        "user_agent": "useragent",
        "version_id": "versionid",
    }
    tags = case["expected_tags"]
    values = _mapped(names, tags, all_names=False)
    values["request_uri"] = joined_request(
        tags["http_method"], tags["http_target"], tags["protocol"]
    )
    yield Expectation("wallix", log, corpus.find(log, case["line"]), values)


# ip - requester[:10] [time] "request" status bytes "referrer" "agent" seconds
_CLF = re.compile(r'(\S+) - (\S+) \[([^\]]+)\] "(.*)" (\d{3}) (\d+) "(.*)" "(.*)" (\d+)')


def kdgm(corpus: Corpus) -> Iterator[Expectation]:
    """kdgm/logstash-plugins' s3_access_log filter turns a line into an Apache CLF line. The
    CLF line gives remote IP, the requester's first 10 characters, time, request, status,
    referrer and agent (bytes and seconds are rewritten by the filter, so not compared).
    Examples about the filter's own rewriting (COPY to POST, dropped events, recalculated
    bytes) say nothing about parsing beyond "it parses"."""
    source = "kdgm"
    logs = [
        "kdgm-logstash-plugins__s3_access_log_spec.rb.extracted.log",
        "kdgm-logstash-plugins__s3_access_log_spec.rb.extracted.edge-cases.log",
    ]
    expected = corpus.read_json("kdgm-logstash-plugins__s3_access_log_spec.rb.expected.json")
    for case in expected:
        log = next(name for name in logs if case["line"] in corpus.lines[name])
        line = corpus.find(log, case["line"])
        wanted = case["expected"]
        if wanted.get("_parse_failure"):
            yield Expectation(source, log, line, parses=False)
            continue
        values: dict[str, Any] = {}
        message = wanted.get("message")
        rewritten = case["shared_example"] == "convert REST.COPY.OBJECT_GET to POST"
        if message and not rewritten:
            match = _CLF.fullmatch(message)
            if match is None:
                raise AssertionError(f"kdgm: not a CLF line: {message!r}")
            ip, requester, time, request, status, _, referrer, agent, _ = match.groups()
            values.update(
                {
                    "remoteip": absent(ip),
                    "requester[:10]": absent(requester),
                    "requestdatetime": clf_time(time),
                    "request_uri": absent(request),
                    "httpstatus": int(status),
                    "referrer": absent(referrer),
                    "useragent": absent(agent),
                }
            )
        if "timestamp" in wanted:
            values["requestdatetime"] = clf_time(wanted["timestamp"])
        if "verb" in wanted:
            values["request_uri (method)"] = wanted["verb"]
        for theirs, ours in (
            ("error_code", "errorcode"),
            ("version_id", "versionid"),
            ("trailing_fields", "trailing_fields"),
        ):
            if theirs in wanted:
                values[ours] = absent(wanted[theirs])
        yield Expectation(source, log, line, values)


def ncbi(corpus: Corpus) -> Iterator[Expectation]:
    """ncbi/ncbi-logging's JSON per good line (empty string when absent; the request split in
    method/path/vers; two versions of the test file, the later one with 25-27 fields)."""
    names = {
        "owner": "bucketowner",
        "bucket": "bucket_name",
        "time": "requestdatetime",
        "ip": "remoteip",
        "requester": "requester",
        "request_id": "requestid",
        "operation": "operation",
        "key": "key",
        "res_code": "httpstatus",
        "error": "errorcode",
        "res_len": "bytessent",
        "obj_size": "objectsize",
        "total_time": "totaltime",
        "turnaround_time": "turnaroundtime",
        "referer": "referrer",
        "agent": "useragent",
        "version_id": "versionid",
        "host_id": "hostid",
        "sig_ver": "sigv",
        "cipher_suite": "ciphersuite",
        "auth_type": "authtype",
        "host_header": "endpoint",
        "tls_version": "tlsversion",
        "access_point": "accesspointarn",
        "acl_required": "aclrequired",
    }
    for version in ("625d27cf", "914d1071"):
        log = f"ncbi-logging/aws_testlines.log@{version}.log"
        stem = f"ncbi-logging/aws_testlines.log@{version}.expected.out"
        rows = corpus.read_jsonl(f"{stem}.good.jsonl")
        (stats,) = corpus.read_jsonl(f"{stem}.stats.jsonl")
        if stats["good"] != len(rows) or stats["_total"] != len(corpus.lines[log]):
            raise AssertionError(f"{log}: stats {stats} do not match the files")
        for number, row in enumerate(rows, 1):
            values = _mapped(names, row, all_names=False)
            values["request_uri"] = joined_request(row["method"], row["path"], row["vers"])
            yield Expectation("ncbi", log, number, values)


def dandi(corpus: Corpus) -> Iterator[Expectation]:
    """dandi/s3-log-parser's reduced TSVs (timestamp, ip, object key, bytes sent) for the
    lines it keeps (successful GETs of the day); matched to lines by their time text."""
    folder = corpus.root / "dandi-s3-log-parser"
    for tsv in sorted(folder.glob("*__expected_output__*.tsv")):
        log = f"dandi-s3-log-parser/{tsv.name.replace('expected_output', 'raw_logs')[:-4]}.log"
        rows = csv.DictReader(io.StringIO(tsv.read_text(encoding="utf-8")), delimiter="\t")
        for row in rows:
            moment = iso_time(row["timestamp"])
            marker = moment.strftime("[%d/%b/%Y:%H:%M:%S +0000]")
            (number,) = [n for n, text in enumerate(corpus.lines[log], 1) if marker in text]
            values = {
                "requestdatetime": moment,
                "remoteip": row["ip_address"],
                "key (dandi reduction)": row["object_key"],
                "bytessent": int(row["bytes_sent"]),
            }
            yield Expectation("dandi-s3-log-parser", log, number, values)


ADAPTERS: tuple[Callable[[Corpus], Iterator[Expectation]], ...] = (
    elastic_integrations,
    logstash_patterns_core,
    panther,
    nekrassov01,
    icodeforlove,
    knil_sama,
    adamvr,
    wallix,
    kdgm,
    ncbi,
    dandi,
)


# -- running -------------------------------------------------------------------------------


def jsonable(value: Any) -> Any:
    """A value as it is written in the known-differences file."""
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    return value


@dataclass(frozen=True)
class Difference:
    source: str
    file: str
    line: int
    field: str
    expected: Any
    actual: Any

    @property
    def key(self) -> tuple[str, str, int, str, str, str]:
        """Identity for set comparison (values as JSON text, so any type compares)."""
        return (
            self.source,
            self.file,
            self.line,
            self.field,
            json.dumps(jsonable(self.expected)),
            json.dumps(jsonable(self.actual)),
        )


@dataclass
class Result:
    files: int = 0
    lines: int = 0
    parsed: int = 0
    rejected: dict[tuple[str, int], str] = field(default_factory=dict)  # (file, line) -> why
    expectations: int = 0
    lines_with_expectations: int = 0
    compared: int = 0  # expected values compared, the parse outcome included
    agreed: int = 0
    differences: list[Difference] = field(default_factory=list)
    by_source: dict[str, list[int]] = field(default_factory=dict)  # source -> [compared, agreed]


def parse_each(lines: list[str], source: str) -> list[LogRecord | LogParseError]:
    """Each line parsed on its own: its record, or the error that rejects it."""
    outcomes: list[LogRecord | LogParseError] = []
    for number, text in enumerate(lines, 1):
        try:
            outcomes.append(parse_line(text))
        except LogParseError as exc:
            outcomes.append(exc.located(line_number=number, source=source))
    return outcomes


def parse_corpus(corpus: Corpus) -> dict[str, list[LogRecord | LogParseError]]:
    """Every line of every corpus file, parsed one by one."""
    return {name: parse_each(lines, name) for name, lines in corpus.lines.items()}


def run(root: Path) -> Result:
    corpus = Corpus(root)
    parsed = parse_corpus(corpus)
    result = Result(files=len(parsed))
    for name, outcomes in parsed.items():
        for number, outcome in enumerate(outcomes, 1):
            result.lines += 1
            if isinstance(outcome, LogParseError):
                result.rejected[(name, number)] = outcome.reason
            else:
                result.parsed += 1
    seen_lines: set[tuple[str, int]] = set()
    for adapter in ADAPTERS:
        for expectation in adapter(corpus):
            _compare(expectation, parsed[expectation.file][expectation.line - 1], result)
            seen_lines.add((expectation.file, expectation.line))
    result.lines_with_expectations = len(seen_lines)
    return result


def _compare(expectation: Expectation, outcome: LogRecord | LogParseError, result: Result) -> None:
    result.expectations += 1
    counts = result.by_source.setdefault(expectation.source, [0, 0])
    ours_parses = not isinstance(outcome, LogParseError)
    checks: list[tuple[str, Any, Any]] = [(PARSES, expectation.parses, ours_parses)]
    if ours_parses and expectation.parses:
        assert isinstance(outcome, LogRecord)
        checks += [
            (name, value, VIEWS[name](outcome)) for name, value in expectation.values.items()
        ]
    for name, expected, actual in checks:
        result.compared += 1
        counts[0] += 1
        if expected == actual and type(expected) is type(actual):
            result.agreed += 1
            counts[1] += 1
        else:
            result.differences.append(
                Difference(
                    expectation.source,
                    expectation.file,
                    expectation.line,
                    name,
                    expected,
                    actual,
                )
            )


def load_known_differences() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(KNOWN_DIFFERENCES.read_text(encoding="utf-8"))
    return data


def known_difference_key(entry: dict[str, Any]) -> tuple[str, str, int, str, str, str]:
    return (
        entry["source"],
        entry["file"],
        entry["line"],
        entry["field"],
        json.dumps(entry["expected"]),
        json.dumps(entry["actual"]),
    )
