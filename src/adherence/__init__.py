"""adherence: privacy-first contact-centre agent-state analytics.

Read status logs, schedules and rosters into canonical, validated tables (``io``),
turn events into state intervals (``intervals``), and keep every bad row in a
quarantine with a reason instead of losing it.

Examples
--------
>>> import adherence as adh
>>> adh.State.MEAL in adh.NON_PRODUCTIVE_STATES
True
"""

from __future__ import annotations

from importlib.metadata import version

from adherence import intervals, io
from adherence.errors import (
    AdherenceError,
    ConfigurationError,
    MappingError,
    ParseError,
    PseudonymKeyError,
    SchemaValidationError,
    SourceNotFoundError,
    TimeZoneError,
)
from adherence.ingest import Ingest, IngestReport, LazyIngest
from adherence.intervals import Intervals, LazyIntervals, RepairReport
from adherence.mapping import StatusMapping
from adherence.options import MetricOptions
from adherence.pseudonym import Pseudonymiser
from adherence.reasons import QuarantineReason, RepairKind
from adherence.schemas import (
    Quarantine,
    Roster,
    ScheduledActivity,
    SourceInterval,
    StateInterval,
    StatusEvent,
)
from adherence.states import NON_PRODUCTIVE_STATES, PRODUCTIVE_STATES, Activity, State

__version__ = version("adherence")

__all__ = [
    "NON_PRODUCTIVE_STATES",
    "PRODUCTIVE_STATES",
    "Activity",
    "AdherenceError",
    "ConfigurationError",
    "Ingest",
    "IngestReport",
    "Intervals",
    "LazyIngest",
    "LazyIntervals",
    "MappingError",
    "MetricOptions",
    "ParseError",
    "PseudonymKeyError",
    "Pseudonymiser",
    "Quarantine",
    "QuarantineReason",
    "RepairKind",
    "RepairReport",
    "Roster",
    "ScheduledActivity",
    "SchemaValidationError",
    "SourceInterval",
    "SourceNotFoundError",
    "State",
    "StateInterval",
    "StatusEvent",
    "StatusMapping",
    "TimeZoneError",
    "__version__",
    "intervals",
    "io",
]
