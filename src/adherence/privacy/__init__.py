"""The privacy layer: the only door through which figures leave ``adherence``.

``Workspace`` holds the data, the ``PrivacyPolicy``, the release ledger, the shares and the
audit log; viewers (``Steward``, ``TeamLead``, ``Employee``, ``Auditor``) are passed on
every call; figures come out as ``ReleasedTable`` objects that hold released cells only.
"""

from __future__ import annotations

from adherence.privacy.audit_log import AuditLog, AuditProblem, AuditRecord, AuditVerification
from adherence.privacy.policy import PrivacyPolicy
from adherence.privacy.released import ReleasedTable
from adherence.privacy.shares import OwnShare, Share
from adherence.privacy.viewers import Auditor, Employee, Steward, TeamLead, Viewer
from adherence.privacy.workspace import Workspace

__all__ = [
    "AuditLog",
    "AuditProblem",
    "AuditRecord",
    "AuditVerification",
    "Auditor",
    "Employee",
    "OwnShare",
    "PrivacyPolicy",
    "ReleasedTable",
    "Share",
    "Steward",
    "TeamLead",
    "Viewer",
    "Workspace",
]
