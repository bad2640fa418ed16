"""The doctor room: is everything this toolkit needs in AWS reachable? (``s3logs-athena
doctor``; read-only.)

``base``     what a check is (:class:`DoctorCheck`), what to check (:class:`DoctorConfig`), and
             how a failed AWS call becomes a finding;
``catalog``  the Glue tables and views Athena queries need: the raw table, ``<table>_typed``,
             ``<table>_compacted`` and ``<table>_all``;
``run``      every check in order (:func:`run_doctor`): credentials, region, log bucket,
             queues, the catalog, the Athena workgroup and result location.
"""

from __future__ import annotations

from .base import STATUSES, ClientFor, DoctorCheck, DoctorConfig
from .catalog import catalog_checks
from .run import run_doctor

__all__ = [
    "STATUSES",
    "ClientFor",
    "DoctorCheck",
    "DoctorConfig",
    "catalog_checks",
    "run_doctor",
]
