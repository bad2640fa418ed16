"""What every engine returns, and the pandas types both engines agree on.

The same SQL must give the same DataFrame on Athena and on DuckDB, down to the dtypes, so
results are normalised from Arrow the same way on both sides: integers (and DuckDB's
integral decimals, e.g. ``sum(bigint)``) become nullable ``Int64``, other decimals and
floats ``float64``, strings pandas strings, timestamps naive UTC ``datetime64``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pyarrow as pa

__all__ = [
    "ATHENA_MINIMUM_BYTES",
    "ATHENA_PRICE_PER_TB_USD",
    "QueryResult",
    "athena_cost_usd",
    "frame_from_arrow",
]

#: Athena's price for SQL queries: $5 per TB scanned, rounded up to the MB, 10 MB minimum.
ATHENA_PRICE_PER_TB_USD = 5.0
ATHENA_MINIMUM_BYTES = 10 * 1024**2
_MB = 1024**2
_TB = 1024**4


def athena_cost_usd(
    bytes_scanned: int | None,
    *,
    reused: bool = False,
    usd_per_tb: float = ATHENA_PRICE_PER_TB_USD,
) -> float:
    """Estimated cost of one Athena query (a reused result scans nothing and costs nothing).
    ``usd_per_tb``: the region's price (Athena's is not the same everywhere)."""
    if reused:
        return 0.0
    billed = max(math.ceil((bytes_scanned or 0) / _MB) * _MB, ATHENA_MINIMUM_BYTES)
    return billed / _TB * usd_per_tb


@dataclass
class QueryResult:
    """One query's rows and what running it took."""

    frame: pd.DataFrame
    engine: str
    #: The SQL that ran, in the engine's dialect.
    sql: str
    seconds: float
    bytes_scanned: int | None = None
    cost_usd: float | None = None
    #: Athena only: whether Athena reused an earlier result instead of running the query.
    reused: bool | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def attach(self) -> pd.DataFrame:
        """The frame with the run's facts in ``frame.attrs`` (what notebooks get)."""
        self.frame.attrs.update(
            engine=self.engine,
            sql=self.sql,
            seconds=self.seconds,
            bytes_scanned=self.bytes_scanned,
            cost_usd=self.cost_usd,
            reused=self.reused,
            **self.details,
        )
        return self.frame


def _pandas_type(arrow_type: pa.DataType) -> Any:
    if pa.types.is_integer(arrow_type):
        return pd.Int64Dtype()
    if pa.types.is_boolean(arrow_type):
        return pd.BooleanDtype()
    return None


def _normalise_column(column: pa.ChunkedArray) -> pa.ChunkedArray:
    kind = column.type
    if pa.types.is_decimal(kind):
        return column.cast(pa.int64() if kind.scale == 0 else pa.float64())
    if pa.types.is_timestamp(kind):
        return column.cast(pa.timestamp("us"))  # tz-aware values are UTC instants
    if pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
        return column.cast(pa.string())
    if pa.types.is_floating(kind) and kind != pa.float64():
        return column.cast(pa.float64())
    return column


def frame_from_arrow(table: pa.Table) -> pd.DataFrame:
    """The normalised DataFrame of an Arrow result (see the module docstring)."""
    columns = [_normalise_column(table.column(i)) for i in range(table.num_columns)]
    normalised = pa.Table.from_arrays(columns, names=table.column_names)
    frame: pd.DataFrame = normalised.to_pandas(types_mapper=_pandas_type)
    return frame
