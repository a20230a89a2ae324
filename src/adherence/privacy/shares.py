"""Shares: the employee's own decision to let one person see some of their figures (G8).

A share names one agent, one recipient, one purpose, the metrics and periods it covers and
an expiry. ``development_plan`` and ``quality_feedback`` shares can be opened by their
recipient; a ``team_bonus`` share only records consent to be counted in team figures for
bonus follow-up and never opens individual figures.

Examples
--------
>>> from adherence.privacy.shares import viewer_key
>>> from adherence.privacy.viewers import TeamLead
>>> viewer_key(TeamLead("tl-17", teams=["A"]))
'team_lead:tl-17'
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, get_args

from adherence.privacy.viewers import Viewer

__all__ = ["INDIVIDUAL_PURPOSES", "OwnShare", "Purpose", "Share", "viewer_key"]

Purpose = Literal["development_plan", "quality_feedback", "team_bonus"]
#: Purposes for which a recipient may open individual figures.
INDIVIDUAL_PURPOSES: frozenset[str] = frozenset({"development_plan", "quality_feedback"})
PURPOSES: frozenset[str] = frozenset(get_args(Purpose))


def viewer_key(viewer: Viewer) -> str:
    """How the ledger names a viewer: ``role:id``."""
    return f"{viewer.role}:{viewer.id}"


@dataclass(frozen=True)
class Share:
    """A share as its recipient (or an auditor) sees it: what, for whom, until when — not whose.

    A plain value: it holds no pseudonym and no reference to the workspace. The recipient
    opens it with ``Workspace.open_share(share.id, viewer=...)``; the employee or the
    steward ends it with ``Workspace.revoke_share(share.id, viewer=...)``.

    Attributes
    ----------
    id
        The share's id.
    recipient
        ``role:id`` of the one viewer who may open it.
    purpose
        ``development_plan``, ``quality_feedback`` or ``team_bonus``.
    metrics, periods
        What it covers.
    granted_at, expires_at, revoked_at
        Its lifetime [UTC].
    """

    id: str
    recipient: str
    purpose: str
    metrics: tuple[str, ...]
    periods: tuple[str, ...]
    granted_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None

    def is_valid(self, at: datetime | None = None) -> bool:
        """Whether the share can be opened at ``at`` (default now): not expired, not revoked."""
        now = at or datetime.now(UTC)
        return self.revoked_at is None and self.granted_at <= now < self.expires_at


@dataclass(frozen=True)
class OwnShare(Share):
    """A share as the employee who made it (and the steward) sees it: with their agent id.

    Attributes
    ----------
    agent_id
        The pseudonymous id of the employee who shares.
    """

    agent_id: str = field(kw_only=True)

    def recipient_view(self) -> Share:
        """The same share without the employee's id, as its recipient sees it."""
        return Share(
            self.id,
            self.recipient,
            self.purpose,
            self.metrics,
            self.periods,
            self.granted_at,
            self.expires_at,
            self.revoked_at,
        )

    def to_row(self, origin: str) -> tuple[Any, ...]:
        """The share as a row of the ledger's ``shares`` table, in its column order."""
        return (
            self.id,
            self.agent_id,
            self.recipient,
            self.purpose,
            json.dumps(list(self.metrics)),
            json.dumps(list(self.periods)),
            self.granted_at.isoformat(),
            self.expires_at.isoformat(),
            None if self.revoked_at is None else self.revoked_at.isoformat(),
            origin,
        )

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> OwnShare:
        """A share from a row of the ledger's ``shares`` table (read by column name)."""
        revoked = row["revoked_at"]
        return cls(
            str(row["id"]),
            str(row["recipient"]),
            str(row["purpose"]),
            tuple(json.loads(row["metrics"])),
            tuple(json.loads(row["periods"])),
            datetime.fromisoformat(row["granted_at"]),
            datetime.fromisoformat(row["expires_at"]),
            None if revoked is None else datetime.fromisoformat(revoked),
            agent_id=str(row["agent_id"]),
        )
