"""The exception tree.

Every error this package raises on purpose derives from :class:`S3LogsError`, so a caller
(or the CLI) can catch one type. The tree is small and says *whose* problem it is:

    S3LogsError
    ├── InputError            the caller passed something invalid (CLI exit code 2)
    │   ├── ConfigError       a setting (environment variable, option) is invalid
    │   └── ParameterError    a query-template parameter is missing or invalid
    ├── LogParseError         a log line is not an S3 server access log record
    ├── KeyFormatError        an object key is in no log-object format we know
    ├── TemplateError         a shipped SQL/DDL template is broken (a bug, not user input)
    ├── AwsError              an AWS call failed; carries the operation and the AWS error code
    └── QueryError            a query failed on its engine (Athena or DuckDB)

``InputError``, ``LogParseError`` and ``KeyFormatError`` also derive from ``ValueError``
because that is what they are; code that only knows the standard library still catches
them sensibly.
"""

from __future__ import annotations

__all__ = [
    "CREDENTIALS_HINT",
    "REGION_HINT",
    "AwsError",
    "ConfigError",
    "InputError",
    "KeyFormatError",
    "LogParseError",
    "ParameterError",
    "QueryError",
    "S3LogsError",
    "TemplateError",
]


#: What to do when no AWS credentials are found: the same words wherever it happens.
CREDENTIALS_HINT = (
    "run `aws configure` (or `aws sso login`), set AWS_PROFILE or pass --profile, or set "
    "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
)
#: What to do when no AWS region is configured.
REGION_HINT = "set AWS_REGION (or AWS_DEFAULT_REGION, or a profile's region) or pass --region"


class S3LogsError(Exception):
    """Root of every error raised on purpose by s3logs_athena."""


class InputError(S3LogsError, ValueError):
    """Something the caller supplied is invalid; the message says what and how to fix it."""


class ConfigError(InputError):
    """A setting is invalid. ``setting`` names it (an environment variable or an option)."""

    def __init__(self, setting: str, message: str) -> None:
        super().__init__(f"{setting}: {message}")
        self.setting = setting


class ParameterError(InputError):
    """A query-template parameter is missing, unknown or has an invalid value."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(f"parameter {parameter!r}: {message}")
        self.parameter = parameter


class LogParseError(S3LogsError, ValueError):
    """A line is not a server access log record.

    ``line_number`` is 1-based within ``source`` (a file name, an S3 key or ``None``).
    """

    def __init__(
        self,
        reason: str,
        *,
        line: str,
        line_number: int | None = None,
        source: str | None = None,
    ) -> None:
        self.reason = reason
        self.line = line
        self.line_number = line_number
        self.source = source
        super().__init__(self._describe())

    def _describe(self) -> str:
        where = ""
        if self.source is not None:
            where = self.source
        if self.line_number is not None:
            where = f"{where}:{self.line_number}" if where else f"line {self.line_number}"
        excerpt = self.line if len(self.line) <= 120 else self.line[:117] + "..."
        prefix = f"{where}: " if where else ""
        return f"{prefix}{self.reason}: {excerpt!r}"

    def located(self, *, line_number: int, source: str | None = None) -> LogParseError:
        """The same error with its position filled in (the parser knows the line, the
        reader knows where it came from)."""
        return LogParseError(
            self.reason, line=self.line, line_number=line_number, source=source or self.source
        )


class KeyFormatError(S3LogsError, ValueError):
    """An object key is not a log object in any format we know (the mover never touches it)."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"{key!r}: {reason}")
        self.key = key
        self.reason = reason


class TemplateError(S3LogsError):
    """A template shipped with the package is broken. This is a bug: please report it."""


class AwsError(S3LogsError):
    """An AWS call failed. ``code`` is AWS's error code (``NoSuchKey``, ``AccessDenied``...)."""

    def __init__(self, operation: str, code: str, message: str) -> None:
        super().__init__(f"{operation} failed ({code}): {message}")
        self.operation = operation
        self.code = code


class QueryError(S3LogsError):
    """A query failed on its engine."""
