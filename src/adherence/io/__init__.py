"""Readers: one module per source format, each with a lazy ``scan_*`` and an eager ``read_*``.

Every reader returns the canonical table of its source plus a quarantine of the rows it could
not use (see ``ingest``); none drops a row silently.
"""

from __future__ import annotations

from adherence.io._table import MAX_FIELD_CHARS
from adherence.io.iws import read_iws, read_iws_state_detail, scan_iws, scan_iws_state_detail
from adherence.io.roster import read_roster, scan_roster
from adherence.io.schedules import read_schedule, scan_schedule

__all__ = [
    "MAX_FIELD_CHARS",
    "read_iws",
    "read_iws_state_detail",
    "read_roster",
    "read_schedule",
    "scan_iws",
    "scan_iws_state_detail",
    "scan_roster",
    "scan_schedule",
]
