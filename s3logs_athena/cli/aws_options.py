"""One way to reach AWS: ``--region``, ``--profile`` and ``--endpoint-url`` on every command
that makes AWS calls.

An option given on the command line wins over the environment (``AWS_REGION``, then
``AWS_DEFAULT_REGION``, ``AWS_PROFILE``, ``AWS_ENDPOINT_URL``), which wins over the shared
config files: boto3's own order, with the command line put in front. Commands receive an
:class:`AwsOptions` and build every client from it, so a command never reaches AWS some other
way than the one the user asked for.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ..errors import REGION_HINT, ConfigError

if TYPE_CHECKING:
    import boto3
    import botocore.session
    from botocore.config import Config

__all__ = ["AwsOptions", "aws_options"]

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class AwsOptions:
    """Where and as whom to reach AWS; ``None`` means "as boto3 finds it"."""

    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None

    def botocore_session(self) -> botocore.session.Session:
        """A botocore session with the profile applied (for clients that customise botocore's
        components, like the checker's fast listing parser)."""
        import botocore.exceptions
        import botocore.session

        session = botocore.session.Session(profile=self.profile)
        try:
            session.get_scoped_config()  # raises ProfileNotFound for an unknown profile now
        except botocore.exceptions.ProfileNotFound:
            raise ConfigError(
                "--profile", f"profile {self.profile!r} is not in the AWS config files"
            ) from None
        return session

    def session(self, botocore_session: botocore.session.Session | None = None) -> boto3.Session:
        import boto3

        # botocore reads AWS_DEFAULT_REGION; AWS_REGION is what the AWS CLI v2, the other SDKs
        # and Lambda set, and what people type: honour it too, after the option.
        return boto3.Session(
            botocore_session=botocore_session or self.botocore_session(),
            region_name=self.region or os.environ.get("AWS_REGION") or None,
        )

    def client(
        self,
        service: str,
        *,
        config: Config | None = None,
        region: str | None = None,
        session: boto3.Session | None = None,
    ) -> Any:
        """A boto3 client for ``service``. ``region`` is a fallback for when neither the
        option nor the environment names one (a queue URL's region, say)."""
        session = session or self.session()
        region_name = self.region or session.region_name or region
        if region_name is None:
            raise ConfigError("region", f"no AWS region is configured: {REGION_HINT}")
        kwargs: dict[str, Any] = {"region_name": region_name, "config": config}
        if self.endpoint_url:
            kwargs["endpoint_url"] = self.endpoint_url
        return session.client(service, **kwargs)  # type: ignore[call-overload]

    def resolved_region(self, fallback: str | None = None) -> str:
        """The region a client would use, or a :class:`ConfigError` that says how to set it."""
        region = self.region or self.session().region_name or fallback
        if region is None:
            raise ConfigError("region", f"no AWS region is configured: {REGION_HINT}")
        return region


def aws_options(command: F) -> F:
    """Add ``--region``, ``--profile`` and ``--endpoint-url`` to a click command and pass
    them to it as one ``aws: AwsOptions`` argument."""

    decorators = [
        click.option(
            "--endpoint-url",
            "aws_endpoint_url",
            default=None,
            metavar="URL",
            help="AWS endpoint (a moto server, a VPC endpoint) [default: $AWS_ENDPOINT_URL].",
        ),
        click.option(
            "--profile",
            "aws_profile",
            default=None,
            metavar="NAME",
            help="AWS profile from ~/.aws/config [default: $AWS_PROFILE].",
        ),
        click.option(
            "--region",
            "aws_region",
            default=None,
            metavar="REGION",
            help="AWS region [default: $AWS_REGION, then the profile's].",
        ),
    ]

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        kwargs["aws"] = AwsOptions(
            region=kwargs.pop("aws_region"),
            profile=kwargs.pop("aws_profile"),
            endpoint_url=kwargs.pop("aws_endpoint_url"),
        )
        return command(*args, **kwargs)

    decorated: Any = wrapper
    for decorator in decorators:
        decorated = decorator(decorated)
    return decorated  # type: ignore[no-any-return]
