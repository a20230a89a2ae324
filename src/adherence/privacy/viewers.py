"""Who is asking: the viewer objects passed on every call to a ``Workspace``.

A viewer is an explicit, immutable value. The privacy layer decides from the viewer's role
what it may see; it never infers a role from anything else.

Examples
--------
>>> from adherence.privacy.viewers import Employee, TeamLead
>>> lead = TeamLead("tl-17", teams=["Kundeservice Harstad 1"])
>>> lead.role, lead.teams
('team_lead', frozenset({'Kundeservice Harstad 1'}))
>>> Employee("3f9a01c2d4e5b6a7").role
'employee'
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import ClassVar, Literal

from adherence.errors import ConfigurationError

__all__ = ["Auditor", "Employee", "Role", "Steward", "TeamLead", "Viewer"]

Role = Literal["steward", "team_lead", "employee", "auditor"]


def _checked_id(value: str, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(
            f"a {what} needs a non-empty id, got {value!r}",
            hint="pass the id the viewer is known by, e.g. 'tl-17'",
        )
    return value


@dataclass(frozen=True)
class Steward:
    """The WFM analyst who owns the data: ingests, configures the policy, produces reports.

    A steward sees team-level figures of every unit, and individual figures only through a
    share addressed to them.
    """

    id: str
    role: ClassVar[Role] = "steward"

    def __post_init__(self) -> None:
        _checked_id(self.id, "steward")


@dataclass(frozen=True)
class TeamLead:
    """A team lead: team, site and period figures of the units they lead.

    Parameters
    ----------
    id
        The lead's own id (not an agent id).
    teams
        The teams the lead leads; every report is limited to them.
    """

    id: str
    teams: frozenset[str] = field(default_factory=frozenset)
    role: ClassVar[Role] = "team_lead"

    def __init__(self, id: str, *, teams: Iterable[str]) -> None:
        object.__setattr__(self, "id", _checked_id(id, "team lead"))
        units = frozenset(teams) if not isinstance(teams, str) else frozenset([teams])
        if not units:
            raise ConfigurationError(
                "a team lead must lead at least one team",
                hint="pass teams=['<team name>', ...]",
            )
        object.__setattr__(self, "teams", units)


@dataclass(frozen=True)
class Employee:
    """An employee, known by their pseudonymous ``agent_id``: sees all of their own figures."""

    agent_id: str
    role: ClassVar[Role] = "employee"

    def __post_init__(self) -> None:
        _checked_id(self.agent_id, "employee")

    @property
    def id(self) -> str:
        """The employee's pseudonymous agent id."""
        return self.agent_id


@dataclass(frozen=True)
class Auditor:
    """An auditor or union representative: the audit log, the policy and group-level audits."""

    id: str
    role: ClassVar[Role] = "auditor"

    def __post_init__(self) -> None:
        _checked_id(self.id, "auditor")


Viewer = Steward | TeamLead | Employee | Auditor
