"""Query-template parameters: their types, how text becomes a typed value, validation.

Every value a template sees went through here: the CLI passes text (``--param start=-7d``),
a notebook may pass Python values (``datetime``, ``int``, a list of buckets); both come out
as one typed value per parameter or as a :class:`~s3logs_athena.errors.ParameterError` that
says what was wrong and what is accepted. Turning the typed values into SQL is
:mod:`s3logs_athena.templates.quoting`'s job, and only its.

Times are UTC. ``start``/``end`` accept an ISO date (``2024-05-01``), an ISO date-time
(``2024-05-01T12:00``, ``...Z`` or with an offset, converted to UTC), or a form relative to
now: ``now``, ``today``, ``yesterday``, ``-30m``, ``-24h``, ``-7d``, ``-2w``.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from ..errors import InputError, ParameterError
from ..layout import DEFAULT_DATABASE, DEFAULT_TABLE, validate_bucket_name

__all__ = [
    "COMMON_PARAMS",
    "PARAM_TYPES",
    "IpNetwork",
    "TemplateParam",
    "did_you_mean",
    "parse_time",
    "resolve_params",
]

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_RELATIVE = re.compile(r"-(\d{1,6})([mhdw])")
_RELATIVE_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_INTEGER = re.compile(r"[+-]?\d+")
_BYTES = re.compile(r"(\d+(?:\.\d+)?)\s*([KMGT]i?B|B)?", re.IGNORECASE)
_BYTE_UNITS = {
    "b": 1,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "tb": 10**12,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
    "tib": 2**40,
}
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,254}")
_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


def did_you_mean(word: str, options: Iterable[str]) -> str:
    """`` Did you mean 'x'?`` for the closest option, or an empty string."""
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f" Did you mean {close[0]!r}?" if close else ""


def _now_utc() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def parse_time(value: object, *, now: datetime | None = None) -> datetime:
    """A UTC instant as a naive ``datetime`` from any accepted form (see module docstring).

    Raises ``ValueError`` with the accepted forms in its message.
    """
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if not isinstance(value, str):
        raise ValueError(f"expected a date or time, got a {type(value).__name__}")
    text = value.strip()
    lowered = text.lower()
    current = now if now is not None else _now_utc()
    midnight = current.replace(hour=0, minute=0, second=0, microsecond=0)
    relative = _RELATIVE.fullmatch(lowered)
    if lowered == "now":
        return current
    if lowered == "today":
        return midnight
    if lowered == "yesterday":
        return midnight - timedelta(days=1)
    if relative:
        amount, unit = int(relative[1]), _RELATIVE_UNITS[relative[2]]
        return current - timedelta(**{unit: amount})
    try:
        if re.fullmatch(r"\d{4}-\d\d-\d\d", text):
            return datetime.combine(date.fromisoformat(text), datetime.min.time())
        if re.fullmatch(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d.*", text):
            return parse_time(datetime.fromisoformat(text))
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a valid date or time ({exc})") from None
    raise ValueError(
        f"{text!r} is not a time: use an ISO date (2024-05-01), an ISO date-time in UTC "
        "(2024-05-01T12:00:00Z) or a relative form (now, today, yesterday, -30m, -24h, -7d, -2w)"
    )


# -- one parser per type: (raw value, parameter) -> typed value; ValueError if invalid --


def _parse_string(value: object, param: TemplateParam) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected text, got a {type(value).__name__}")
    if not value:
        raise ValueError("must not be empty (leave the parameter out instead)")
    if "\x00" in value:
        raise ValueError("must not contain a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("is not valid Unicode text (lone surrogate)") from None
    return value


def _check_range(value: int | Decimal, param: TemplateParam) -> None:
    if param.minimum is not None and value < param.minimum:
        raise ValueError(f"must be at least {param.minimum}")
    if param.maximum is not None and value > param.maximum:
        raise ValueError(f"must be at most {param.maximum}")


def _parse_int(value: object, param: TemplateParam) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"expected a whole number, got a {type(value).__name__}")
    if isinstance(value, str):
        if not _INTEGER.fullmatch(value.strip()):
            raise ValueError(f"{value!r} is not a whole number")
        value = int(value)
    _check_range(value, param)
    return value


def _parse_bytes(value: object, param: TemplateParam) -> int:
    if isinstance(value, str):
        match = _BYTES.fullmatch(value.strip())
        if not match:
            raise ValueError(f"{value!r} is not a byte count (e.g. 1073741824, 500MB, 1GiB)")
        number = Decimal(match[1]) * _BYTE_UNITS[(match[2] or "b").lower()]
        if number != number.to_integral_value():
            raise ValueError(f"{value!r} is not a whole number of bytes")
        value = int(number)
    return _parse_int(value, param)


def _parse_decimal(value: object, param: TemplateParam) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise ValueError(f"expected a number, got a {type(value).__name__}")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a number") from None
    if not number.is_finite():
        raise ValueError(f"{value!r} is not a finite number")
    _check_range(number, param)
    return number


def _parse_bool(value: object, param: TemplateParam) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError(f"{value!r} is not true or false")


def _parse_enum(value: object, param: TemplateParam) -> str:
    if isinstance(value, str) and value.strip().lower() in param.choices:
        return value.strip().lower()
    hint = did_you_mean(str(value), param.choices)
    raise ValueError(f"{value!r} is not one of {', '.join(param.choices)}.{hint}")


def _parse_datetime(value: object, param: TemplateParam) -> datetime:
    # Relative forms are resolved against the same "now" for all parameters: resolve_params
    # turns them into datetimes before this parser sees them. Request times are whole
    # seconds, so a fraction is rounded up: t >= 10.5 and t >= 11 select the same requests,
    # and every engine then sees the same second-precision literal.
    moment = parse_time(value)
    if moment.microsecond:
        moment = moment.replace(microsecond=0) + timedelta(seconds=1)
    return moment


def _parse_ip_network(value: object, param: TemplateParam) -> IpNetwork:
    if isinstance(value, ipaddress.IPv4Network | ipaddress.IPv6Network):
        return value
    if isinstance(value, ipaddress.IPv4Address | ipaddress.IPv6Address):
        return ipaddress.ip_network(value)
    if not isinstance(value, str):
        raise ValueError(f"expected an IP address or CIDR, got a {type(value).__name__}")
    try:
        return ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        raise ValueError(
            f"{value!r} is not an IP address or CIDR network "
            "(e.g. 203.0.113.7, 203.0.113.0/24, 2001:db8::1, 2001:db8::/32)"
        ) from None


def _parse_bucket(value: object, param: TemplateParam) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a bucket name, got a {type(value).__name__}")
    try:
        return validate_bucket_name(value.strip())
    except InputError as exc:
        raise ValueError(str(exc)) from None


def _parse_buckets(value: object, param: TemplateParam) -> tuple[str, ...] | None:
    if value is None:
        return None
    items: Iterable[object]
    if isinstance(value, str):
        items = (part for part in value.split(",") if part.strip())
    elif isinstance(value, Iterable):
        items = value
    else:
        raise ValueError(f"expected bucket names, got a {type(value).__name__}")
    buckets = tuple(dict.fromkeys(_parse_bucket(item, param) for item in items))
    return buckets or None


def _parse_identifier(value: object, param: TemplateParam) -> str:
    if not isinstance(value, str) or not _IDENTIFIER.fullmatch(value.strip()):
        raise ValueError(
            f"{value!r} is not a plain name (letters, digits and '_', not starting with a digit)"
        )
    return value.strip()


PARAM_TYPES: dict[str, Callable[[object, TemplateParam], Any]] = {
    "string": _parse_string,
    "int": _parse_int,
    "bytes": _parse_bytes,
    "decimal": _parse_decimal,
    "bool": _parse_bool,
    "enum": _parse_enum,
    "datetime": _parse_datetime,
    "ip_network": _parse_ip_network,
    "bucket": _parse_bucket,
    "buckets": _parse_buckets,
    "identifier": _parse_identifier,
}


@dataclass(frozen=True, slots=True)
class TemplateParam:
    """One parameter of a query template, as its metadata declares it.

    ``default`` is in the same form a user would type (``"-1d"``, ``20``, ``"bytes"``) and
    goes through the same parser; ``None`` means "no value" (the template then treats the
    parameter as absent).
    """

    name: str
    type: str
    help: str
    default: object = None
    required: bool = False
    choices: tuple[str, ...] = ()
    minimum: int | Decimal | None = None
    maximum: int | Decimal | None = None
    #: Shared by every template (start, end, buckets, database, table).
    common: bool = False

    def parse(self, value: object) -> Any:
        """The typed value of ``value``, or :class:`ParameterError`."""
        try:
            return PARAM_TYPES[self.type](value, self)
        except ValueError as exc:
            raise ParameterError(self.name, str(exc)) from None


COMMON_PARAMS: tuple[TemplateParam, ...] = (
    TemplateParam(
        "start",
        "datetime",
        "Start of the time range (UTC, inclusive): 2024-05-01, 2024-05-01T12:00Z, -7d, today.",
        default="-1d",
        common=True,
    ),
    TemplateParam(
        "end",
        "datetime",
        "End of the time range (UTC, exclusive): 2024-05-02, now, -1h.",
        default="now",
        common=True,
    ),
    TemplateParam(
        "buckets",
        "buckets",
        "Only these source buckets (comma-separated); default: every bucket.",
        common=True,
    ),
    TemplateParam(
        "database",
        "identifier",
        "Athena database (Glue) holding the table.",
        default=DEFAULT_DATABASE,
        common=True,
    ),
    TemplateParam(
        "table",
        "identifier",
        "Table over the partitioned logs.",
        default=DEFAULT_TABLE,
        common=True,
    ),
)


def resolve_params(
    params: Sequence[TemplateParam],
    given: Mapping[str, object] | None,
    *,
    now: datetime | None = None,
    at_most_one_of: Sequence[Sequence[str]] = (),
    one_of: Sequence[Sequence[str]] = (),
) -> dict[str, Any]:
    """Every parameter's typed value (defaults filled in), or :class:`ParameterError`.

    ``given`` maps names to raw values; a ``None`` value counts as not given. Relative
    times are resolved against one ``now`` (UTC; default: the current time) so that
    ``start=-1d`` and ``end=now`` describe exactly one day. ``at_most_one_of`` and
    ``one_of`` list groups of mutually exclusive parameters (``one_of``: exactly one
    required), such as ``key`` and ``prefix``.
    """
    given = {k: v for k, v in (given or {}).items() if v is not None}
    by_name = {p.name: p for p in params}
    for name in given:
        if name not in by_name:
            raise ParameterError(
                name,
                "this template has no such parameter."
                + did_you_mean(name, by_name)
                + f" It takes: {', '.join(by_name)}.",
            )
    current = now if now is not None else _now_utc()
    values: dict[str, Any] = {}
    for param in params:
        raw = given.get(param.name, param.default)
        if raw is None:
            if param.required:
                raise ParameterError(param.name, f"is required ({param.help})")
            values[param.name] = None
            continue
        if param.type == "datetime":
            try:
                raw = parse_time(raw, now=current)
            except ValueError as exc:
                raise ParameterError(param.name, str(exc)) from None
        values[param.name] = param.parse(raw)
    for group in at_most_one_of:
        present = [name for name in group if values.get(name) is not None]
        if len(present) > 1:
            raise ParameterError(present[1], f"give only one of {', '.join(group)}")
    for group in one_of:
        if not any(values.get(name) is not None for name in group):
            raise ParameterError(group[0], f"give one of {', '.join(group)}")
        present = [name for name in group if values.get(name) is not None]
        if len(present) > 1:
            raise ParameterError(present[1], f"give only one of {', '.join(group)}")
    start, end = values.get("start"), values.get("end")
    if isinstance(start, datetime) and isinstance(end, datetime) and end <= start:
        raise ParameterError(
            "end",
            f"the range is empty: end {_as_typed(given.get('end'), end)} is not after start "
            f"{_as_typed(given.get('start'), start)} (end is exclusive)",
        )
    return values


def _as_typed(raw: object, moment: datetime) -> str:
    """What the user typed, and the instant it means when that is not the same text."""
    resolved = f"{moment:%Y-%m-%d %H:%M:%S}".removesuffix(" 00:00:00")
    if isinstance(raw, str) and raw.strip() and raw.strip() != resolved:
        return f"{raw.strip()} ({resolved})"
    return resolved
