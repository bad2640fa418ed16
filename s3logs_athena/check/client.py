"""A boto3 S3 client made for listing many objects from many threads.

Listing is cheap for S3 and expensive for the client: botocore parses a 1,000-key
``ListObjectsV2`` page with its generic, model-driven XML parser (a Python call per element)
and each ``LastModified`` with ``dateutil``, some 100 microseconds of CPU per key. A check
that lists a million keys from 32 threads is then bound by one core parsing XML, whatever
the concurrency. This client parses ``ListObjectsV2`` pages with ElementTree directly, into
exactly the structure botocore returns, and ISO timestamps with
:meth:`datetime.fromisoformat`. Anything unusual in a page (owners, checksums, restore
status, any element a newer S3 adds) goes to botocore's own parser, as do all other operations
and every error.

botocore also URL-decodes every key of every page (it asks S3 for URL-encoded keys, and S3
encodes the ``=`` of ``Year=2024``); this client's handler gives the same result but decodes
each folder once.

The parser is a component of the botocore session, so the client gets a session of its own
and no other client in the process is affected.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote_plus
from xml.etree import ElementTree

from botocore.handlers import decode_list_object_v2
from botocore.parsers import ResponseParserFactory, RestXMLParser

__all__ = ["FastListParser", "make_s3_client", "parse_timestamp"]

_STRINGS = frozenset(
    {"Name", "Prefix", "Delimiter", "EncodingType", "NextContinuationToken",
     "ContinuationToken", "StartAfter"}
)  # fmt: skip
_INTEGERS = frozenset({"MaxKeys", "KeyCount"})
_OBJECT_STRINGS = frozenset({"Key", "ETag", "StorageClass", "ChecksumType"})


def parse_timestamp(value: str) -> datetime:
    """ISO 8601 (``2024-01-02T10:00:00.000Z``) fast; other formats through botocore."""
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        from botocore.utils import parse_timestamp as botocore_parse

        return botocore_parse(value)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


class _Unusual(Exception):
    """The page has something the fast path does not know: use botocore's parser."""


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _list_objects_v2(body: bytes) -> dict[str, Any]:
    root = ElementTree.fromstring(body)
    parsed: dict[str, Any] = {}
    contents: list[dict[str, Any]] = []
    folders: list[dict[str, str]] = []
    for element in root:
        tag = _local(element.tag)
        text = element.text or ""
        if tag == "Contents":
            item: dict[str, Any] = {}
            for child in element:
                name = _local(child.tag)
                if name in _OBJECT_STRINGS:
                    item[name] = child.text or ""
                elif name == "LastModified":
                    item[name] = parse_timestamp(child.text or "")
                elif name == "Size":
                    item[name] = int(child.text or 0)
                elif name == "ChecksumAlgorithm":  # a flattened list: one element per value
                    item.setdefault(name, []).append(child.text or "")
                else:
                    raise _Unusual(name)
            contents.append(item)
        elif tag == "CommonPrefixes":
            for child in element:
                if _local(child.tag) != "Prefix":
                    raise _Unusual(child.tag)
                folders.append({"Prefix": child.text or ""})
        elif tag in _STRINGS:
            parsed[tag] = text
        elif tag in _INTEGERS:
            parsed[tag] = int(text)
        elif tag == "IsTruncated":
            parsed[tag] = text == "true"
        else:
            raise _Unusual(tag)
    if contents:
        parsed["Contents"] = contents
    if folders:
        parsed["CommonPrefixes"] = folders
    return parsed


class FastListParser(RestXMLParser):
    """botocore's REST-XML parser with a fast path for ``ListObjectsV2`` pages."""

    def _parse_payload(
        self, response: dict[str, Any], shape: Any, member_shapes: Any, final_parsed: dict[str, Any]
    ) -> None:
        if shape is not None and shape.name == "ListObjectsV2Output" and response["body"]:
            try:
                final_parsed.update(_list_objects_v2(response["body"]))
                return
            except (_Unusual, ValueError, ElementTree.ParseError):
                pass
        # botocore-stubs do not declare this (private, stable since botocore 1.0) method.
        super()._parse_payload(response, shape, member_shapes, final_parsed)  # type: ignore[misc]


class _Factory(ResponseParserFactory):
    def create_parser(self, protocol_name: str) -> Any:
        if protocol_name == "rest-xml":
            return FastListParser(timestamp_parser=parse_timestamp)
        return super().create_parser(protocol_name)


def make_s3_client(
    *, concurrency: int = 32, botocore_session: Any = None, **client_args: Any
) -> Any:
    """An S3 client (endpoint, region and credentials as boto3 finds them, including
    ``AWS_ENDPOINT_URL``) sized for ``concurrency`` threads, with the fast list parser.
    ``botocore_session``: a session of the caller's (a profile applied), used for this
    client only."""
    import boto3
    import botocore.session
    from botocore.config import Config

    session = botocore_session or botocore.session.Session()
    factory = _Factory()
    session.register_component("response_parser_factory", factory)
    config = Config(max_pool_connections=concurrency + 8, retries={"mode": "standard"})
    if "config" in client_args:
        config = config.merge(client_args.pop("config"))
    client = boto3.Session(botocore_session=session).client("s3", config=config, **client_args)
    events = client.meta.events
    events.unregister("after-call.s3.ListObjectsV2", decode_list_object_v2)
    events.register("after-call.s3.ListObjectsV2", _decode_listing)
    return client


_LISTING_FIELDS = ("Delimiter", "Prefix", "StartAfter")


_FOLDERS: dict[str, str] = {}


def _decode(text: str) -> str:
    """``unquote_plus(text)``, with the folder part decoded once per folder: S3 encodes the
    ``=`` of every ``Year=``/``Month=``/``Day=`` key, and the keys of a page share folders.
    (An escape never contains ``/``, so decoding the parts around a ``/`` is the same.)"""
    if "%" not in text and "+" not in text:
        return text
    folder, slash, name = text.rpartition("/")
    decoded = _FOLDERS.get(folder)
    if decoded is None:
        if len(_FOLDERS) > 10_000:
            _FOLDERS.clear()
        decoded = _FOLDERS[folder] = unquote_plus(folder)
    if "%" in name or "+" in name:
        name = unquote_plus(name)
    return decoded + slash + name


def _decode_listing(parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    """botocore's ``decode_list_object_v2`` (undo the ``EncodingType=url`` botocore asked
    for on the caller's behalf), a third of the client's CPU time per key there."""
    if parsed.get("EncodingType") != "url" or not context.get("encoding_type_auto_set"):
        return
    for name in _LISTING_FIELDS:
        if name in parsed:
            parsed[name] = _decode(parsed[name])
    for item in parsed.get("Contents", ()):
        item["Key"] = _decode(item["Key"])
    for folder in parsed.get("CommonPrefixes", ()):
        folder["Prefix"] = _decode(folder["Prefix"])
