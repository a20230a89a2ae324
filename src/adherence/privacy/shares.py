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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, get_args

from adherence.privacy.viewers import Viewer

__all__ = ["INDIVIDUAL_PURPOSES", "Purpose", "Share", "viewer_key"]

Purpose = Literal["development_plan", "quality_feedback", "team_bonus"]
#: Purposes for which a recipient may open individual figures.
INDIVIDUAL_PURPOSES: frozenset[str] = frozenset({"development_plan", "quality_feedback"})
PURPOSES: frozenset[str] = frozenset(get_args(Purpose))


def viewer_key(viewer: Viewer) -> str:
    """How the ledger names a viewer: ``role:id``."""
    return f"{viewer.role}:{viewer.id}"


@dataclass(frozen=True)
class Share:
    """One employee-initiated share. ``revoke()`` ends it at once.

    Attributes
    ----------
    id
        The share's id; the recipient opens it with ``Workspace.open_share(id, ...)``.
    agent_id
        The pseudonymous id of the employee who shares.
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
    agent_id: str
    recipient: str
    purpose: str
    metrics: tuple[str, ...]
    periods: tuple[str, ...]
    granted_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None
    _revoke: Callable[[str], None] | None = field(default=None, repr=False, compare=False)

    def is_valid(self, at: datetime | None = None) -> bool:
        """Whether the share can be opened at ``at`` (default now): not expired, not revoked."""
        now = at or datetime.now(UTC)
        return self.revoked_at is None and self.granted_at <= now < self.expires_at

    def revoke(self) -> None:
        """End the share now; a revoked share can no longer be opened."""
        if self._revoke is None:
            raise RuntimeError("this share is detached from its workspace; revoke it there")
        self._revoke(self.id)

    def to_row(self, origin: str) -> tuple[Any, ...]:
        """The share as a row of the ledger's ``shares`` table."""
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
    def from_row(cls, row: tuple[Any, ...], revoke: Callable[[str], None] | None = None) -> Share:
        """A share from a row of the ledger's ``shares`` table."""
        sid, agent, recipient, purpose, metrics, periods, granted, expires, revoked, _ = row
        return cls(
            str(sid),
            str(agent),
            str(recipient),
            str(purpose),
            tuple(json.loads(metrics)),
            tuple(json.loads(periods)),
            datetime.fromisoformat(granted),
            datetime.fromisoformat(expires),
            None if revoked is None else datetime.fromisoformat(revoked),
            revoke,
        )
