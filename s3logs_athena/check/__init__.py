"""The alignment checker: do the partitions line up with the moved log objects?

``run_check(s3, CheckConfig(...))`` lists a central log bucket (streamed, concurrently, in
bounded memory) and returns a :class:`CheckReport` of findings: stragglers left at their
source, misplaced and duplicate objects, partitions the Athena projection cannot reach,
unknown keys, and with ``deep`` the records that do not belong in their partition.
``fix_findings`` repairs what can be repaired safely with the mover's own move function.
The CLI is ``s3logs-athena check``.
"""

from __future__ import annotations

from .athena import PyAthenaRowCounter, RowCount, RowCounter, row_count_sql
from .findings import SCHEMA_VERSION, CheckReport, Finding, FixSummary, Kind, partition_label
from .projection import Projection, projection_from_args, read_projection
from .rules import allowed_days, parse_duration, placement_problem
from .scan import CheckConfig, NullProgress, Progress, run_check

__all__ = [
    "SCHEMA_VERSION",
    "CheckConfig",
    "CheckReport",
    "Finding",
    "FixSummary",
    "Kind",
    "NullProgress",
    "Progress",
    "Projection",
    "PyAthenaRowCounter",
    "RowCount",
    "RowCounter",
    "allowed_days",
    "parse_duration",
    "partition_label",
    "placement_problem",
    "projection_from_args",
    "read_projection",
    "row_count_sql",
    "run_check",
]
