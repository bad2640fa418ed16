"""The cost guard on the command line: where the data is, the byte limit, the price.

``query estimate``, ``query run`` and ``report`` share these options:

``--location s3://BUCKET/PREFIX/``  where the partitions are (repeatable: raw and compacted,
                                    summed); default: the Glue table(s) the query reads
``--table DATABASE.TABLE``          the Glue table(s) to read the location and projection of
                                    (``query`` commands; ``report`` uses its own
                                    ``--database``/``--table``)
``--max-bytes 10GB``                refuse (exit 2) a query whose estimate is over this, before
                                    Athena sees it [env ``S3LOGS_ATHENA_MAX_BYTES``]
``--usd-per-tb 5``                  Athena's price [env ``S3LOGS_ATHENA_USD_PER_TB``]

A command receives them as one ``cost: CostSettings``. Everything here calls the library
(:mod:`s3logs_athena.cost`); the commands only wire it in and print.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import click
from rich.console import Console

from .aws_options import AwsOptions

if TYPE_CHECKING:
    from ..cost.estimate import Estimate, StoreResolver
    from ..cost.listing import S3Lister
    from ..cost.stores import PartitionStore
    from ..report.data import ReportOptions

__all__ = [
    "CostSettings",
    "GuardedQuery",
    "cost_options",
    "guard_query",
    "guard_report",
    "print_comparison",
]

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class CostSettings:
    """The cost options of one command invocation."""

    max_bytes: int | None = None
    locations: tuple[str, ...] = ()
    tables: tuple[str, ...] = ()
    usd_per_tb: float | None = None
    #: One listing cache for all the queries of a command (a report's share their days).
    _lister: S3Lister | None = field(default=None, repr=False)

    @property
    def wanted(self) -> bool:
        """Whether to estimate before running on Athena: a limit, or a location to use."""
        return self.max_bytes is not None or bool(self.locations or self.tables)

    def resolver(
        self, aws: AwsOptions, default_database: str
    ) -> StoreResolver | list[PartitionStore]:
        from ..cost.estimate import glue_resolver
        from ..cost.stores import store_from_location

        if self.locations:
            return [store_from_location(location) for location in self.locations]
        return glue_resolver(aws.client("glue"), default_database, self.tables or None)

    def lister(self, aws: AwsOptions) -> S3Lister:
        from ..check.client import make_s3_client
        from ..cost.listing import S3Lister

        if self._lister is None:
            s3 = make_s3_client(
                concurrency=32,
                botocore_session=aws.botocore_session(),
                region_name=aws.resolved_region(),
                **({"endpoint_url": aws.endpoint_url} if aws.endpoint_url else {}),
            )
            self._lister = S3Lister(s3, concurrency=32)
        return self._lister

    def estimate(self, sql: str, aws: AwsOptions, database: str, query: str | None) -> Estimate:
        from ..cost.estimate import estimate_sql

        return estimate_sql(
            sql,
            self.resolver(aws, database),
            self.lister(aws),
            price_per_tb=self.usd_per_tb,
            query=query,
        )


def _settings(
    max_bytes: str | None,
    locations: Sequence[str],
    tables: Sequence[str],
    usd_per_tb: str | None,
) -> CostSettings:
    from ..cost.guard import max_bytes_setting
    from ..cost.sizes import usd_per_tb as price

    return CostSettings(
        max_bytes=max_bytes_setting(max_bytes),
        locations=tuple(locations),
        tables=tuple(tables),
        usd_per_tb=price(usd_per_tb),
    )


def cost_options(
    *, limit: bool = True, tables: bool = True, dest: str = "cost"
) -> Callable[[F], F]:
    """Add the cost options (``--max-bytes`` only with ``limit``, ``--table`` only with
    ``tables``) and pass them as one :class:`CostSettings` argument named ``dest``."""

    def decorate(command: F) -> F:
        options = [
            click.option(
                "--location",
                "cost_locations",
                multiple=True,
                metavar="S3URI",
                help="Where the table's partitions are, s3://BUCKET/PartitionedLogs/ "
                "(repeatable: raw and compacted are summed) [default: the location and "
                "projection of the Glue table the query reads].",
            ),
            click.option(
                "--usd-per-tb",
                "cost_usd_per_tb",
                default=None,
                metavar="USD",
                help="Athena's price per TB scanned [env S3LOGS_ATHENA_USD_PER_TB, else 5].",
            ),
        ]
        if tables:
            options.append(
                click.option(
                    "--table",
                    "cost_tables",
                    multiple=True,
                    metavar="DATABASE.TABLE",
                    help="Glue table whose location and projection to estimate with "
                    "(repeatable; a view counts the tables it reads).",
                )
            )
        if limit:
            options.append(
                click.option(
                    "--max-bytes",
                    "cost_max_bytes",
                    default=None,
                    metavar="SIZE",
                    help="Athena: estimate first and refuse (exit 2, nothing sent) above this "
                    "many bytes, e.g. 10GB, 500MiB [env S3LOGS_ATHENA_MAX_BYTES].",
                )
            )

        @functools.wraps(command)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            kwargs[dest] = _settings(
                kwargs.pop("cost_max_bytes", None),
                kwargs.pop("cost_locations"),
                kwargs.pop("cost_tables", ()),
                kwargs.pop("cost_usd_per_tb"),
            )
            return command(*args, **kwargs)

        decorated: Any = wrapper
        for option in reversed(options):
            decorated = option(decorated)
        return decorated  # type: ignore[no-any-return]

    return decorate


@dataclass(frozen=True)
class GuardedQuery:
    """A template rendered once: its absolute parameters (``-1d`` resolved) and estimate."""

    params: Mapping[str, Any]
    estimate: Estimate | None


def guard_query(
    name: str,
    params: Mapping[str, Any],
    cost: CostSettings,
    aws: AwsOptions,
    *,
    engine: str,
    now: datetime | None = None,
) -> GuardedQuery:
    """Estimate template ``name`` before an Athena run and raise
    :class:`~s3logs_athena.cost.guard.CostLimitError` over the limit. The parameters come
    back resolved, so the run renders the very SQL that was estimated."""
    if engine != "athena" or not cost.wanted:
        return GuardedQuery(params, None)
    from ..cost.guard import check_limit
    from ..templates.catalog import render_template

    rendered = render_template(name, dict(params), now=now)
    estimate = cost.estimate(rendered.sql, aws, str(rendered.params["database"]), rendered.name)
    check_limit(estimate, cost.max_bytes)
    resolved = {k: v for k, v in rendered.params.items() if v is not None}
    return GuardedQuery(resolved, estimate)


def guard_report(
    options: ReportOptions, cost: CostSettings, aws: AwsOptions
) -> dict[str, Estimate]:
    """Estimate every query of an Athena report (one listing shared by all) and raise
    :class:`~s3logs_athena.cost.guard.CostLimitError` when together they are over the limit."""
    if options.engine != "athena" or not cost.wanted:
        return {}
    from ..cost.guard import check_report_limit
    from ..cost.report import estimate_report
    from ..layout import DEFAULT_DATABASE
    from ..report.data import REPORT_QUERIES

    database = options.database or DEFAULT_DATABASE
    estimates = estimate_report(
        options, lambda sql, key: cost.estimate(sql, aws, database, REPORT_QUERIES[key])
    )
    check_report_limit(estimates, cost.max_bytes)
    return estimates


def print_comparison(
    estimate: Estimate | None, actual_bytes: int | None, reused: bool, console: Console
) -> None:
    """After a run: the actual bytes and cost next to the estimate."""
    if estimate is None:
        return
    console.print(
        "estimate vs actual: " + estimate.accuracy(actual_bytes, reused=reused).describe(),
        markup=False,
        highlight=False,
    )
