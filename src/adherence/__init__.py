"""adherence: privacy-first contact-centre agent-state analytics.

Read status logs, schedules and rosters into canonical, validated tables (``io``),
turn events into state intervals (``intervals``), and keep every bad row in a
quarantine with a reason instead of losing it. Figures leave the library only through a
``Workspace`` (``privacy``), which releases team-level tables with small and revealing cells
suppressed, and individual figures only to the employee or through their share.

Examples
--------
>>> import adherence as adh
>>> adh.State.MEAL in adh.NON_PRODUCTIVE_STATES
True
"""

from __future__ import annotations

from importlib.metadata import version

from adherence import fairness, intervals, io, metrics, privacy, rules, synth

# isort: split
# After io: the buckets read with io's readers (ingest and io still import each other).
from adherence import buckets, distributed
from adherence.errors import (
    AdherenceError,
    AuditIntegrityError,
    AuditKeyError,
    ConfigurationError,
    ConsentError,
    DifferencingError,
    DistributedError,
    ForbiddenQueryError,
    InternalError,
    KeyMismatchError,
    LedgerUnavailableError,
    MappingError,
    MostlyQuarantinedWarning,
    OptionalDependencyError,
    OutputError,
    ParseError,
    PrivacyError,
    PseudonymKeyError,
    PurposeError,
    RecipientError,
    RoleError,
    SchemaValidationError,
    ScopeError,
    SmallGroupError,
    SourceNotFoundError,
    SourceUnreadableError,
    TimeZoneError,
    UnknownAgentError,
    UsageError,
)
from adherence.fairness import FairnessAudit
from adherence.ingest import Ingest, IngestReport, LazyIngest
from adherence.intervals import Intervals, LazyIntervals, RepairReport
from adherence.mapping import StatusMapping
from adherence.options import MetricOptions
from adherence.privacy import (
    AuditLog,
    Auditor,
    Employee,
    OwnShare,
    PrivacyPolicy,
    ReleasedTable,
    Share,
    Steward,
    TeamLead,
    Workspace,
)
from adherence.pseudonym import Pseudonymiser
from adherence.reasons import QuarantineReason, RepairKind
from adherence.schemas import (
    Incident,
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
    "AuditIntegrityError",
    "AuditKeyError",
    "AuditLog",
    "Auditor",
    "ConfigurationError",
    "ConsentError",
    "DifferencingError",
    "DistributedError",
    "Employee",
    "FairnessAudit",
    "ForbiddenQueryError",
    "Incident",
    "Ingest",
    "IngestReport",
    "InternalError",
    "Intervals",
    "KeyMismatchError",
    "LazyIngest",
    "LazyIntervals",
    "LedgerUnavailableError",
    "MappingError",
    "MetricOptions",
    "MostlyQuarantinedWarning",
    "OptionalDependencyError",
    "OutputError",
    "OwnShare",
    "ParseError",
    "PrivacyError",
    "PrivacyPolicy",
    "PseudonymKeyError",
    "Pseudonymiser",
    "PurposeError",
    "Quarantine",
    "QuarantineReason",
    "RecipientError",
    "ReleasedTable",
    "RepairKind",
    "RepairReport",
    "RoleError",
    "Roster",
    "ScheduledActivity",
    "SchemaValidationError",
    "ScopeError",
    "Share",
    "SmallGroupError",
    "SourceInterval",
    "SourceNotFoundError",
    "SourceUnreadableError",
    "State",
    "StateInterval",
    "StatusEvent",
    "StatusMapping",
    "Steward",
    "TeamLead",
    "TimeZoneError",
    "UnknownAgentError",
    "UsageError",
    "Workspace",
    "__version__",
    "buckets",
    "distributed",
    "fairness",
    "intervals",
    "io",
    "metrics",
    "privacy",
    "rules",
    "synth",
]
