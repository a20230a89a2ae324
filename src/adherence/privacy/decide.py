"""Deciding what a report may release, from public inputs only (G1–G4, G6).

The decision sees the cells a query asks for — each one's contributor set, the (agent, day)
pairs whose figures it sums, which comes from the roster and the schedule — the viewer, the
policy and the ledger. It never sees a metric value, so a refusal or a suppression leaks
nothing about one (G6). The value-dependent dominance rule (G5) runs afterwards, in the
workspace, and can only suppress more.

Steps, in order:

1. **Small cells** (G1, G4): a cell with fewer than ``k`` protected agents (``min_quantile_agents``
   for order statistics) is suppressed. Protected means: not the viewer, and not an agent
   whose figures of the metric's family the viewer already holds through an opened share
   for some day of the cell (G9).
2. **Nothing left**: when every cell is suppressed the query is refused (``ADH-001``).
3. **Complementary suppression** (G2): while some suppressed cell's sum — or the sum of a
   group's suppressed cells across the calendar, or of all suppressed cells, when that
   union has fewer than the minimum agents — could be worked out from everything released
   so far and this table's released cells, one more cell of this table — the smallest one
   linked to it — is suppressed.
4. **Differencing** (G3): the query is refused (``ADH-002``) when, together with every
   earlier release of the family (to anyone — viewers talk), some combination of released
   sums would isolate one agent or reveal a cell suppressed earlier; or when a released
   cell's protected contributors differ from those of an earlier released cell of the same
   family and period by between 1 and ``k − 1`` agents.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Sequence
from dataclasses import dataclass

from adherence.privacy._linear import Member, new_exposure
from adherence.privacy.ledger import StoredCell

__all__ = ["Decision", "PlannedCell", "Refusal", "complete", "decide"]


@dataclass(frozen=True)
class PlannedCell:
    """One cell a query asks for: its period and its exact contributor set."""

    first_day: int
    last_day: int
    members: frozenset[Member]

    @property
    def agents(self) -> frozenset[int]:
        """The contributing agents' codes."""
        return frozenset(a for a, _ in self.members)


@dataclass(frozen=True)
class Refusal:
    """Why a query is refused: a code, the rule and a remedy — never a count or an agent."""

    code: str
    rule: str
    remedy: str


@dataclass(frozen=True)
class Decision:
    """Which cells are released; the rest are suppressed.

    ``hidden`` are further small groups that must stay hidden: the union of the suppressed
    cells of one group across the calendar (a small team's weeks), and of all suppressed
    cells, when fewer than the minimum agents. The ledger keeps them with the suppressed
    cells.
    """

    released: tuple[bool, ...]
    hidden: tuple[frozenset[Member], ...] = ()

    @property
    def released_count(self) -> int:
        """How many cells are released."""
        return sum(self.released)

    @property
    def suppressed_count(self) -> int:
        """How many cells are suppressed."""
        return len(self.released) - self.released_count


_SMALL = Refusal(
    "ADH-001",
    "every cell of this report has too few protected agents to be released",
    "widen the period (e.g. to an ISO week or a month), group by fewer dimensions or merge teams",
)
_DIFFERENCING = Refusal(
    "ADH-002",
    "together with figures released earlier, this report could reveal one person's figures "
    "or a group smaller than the minimum",
    "ask for the same grouping and period as the earlier reports, or a wider period; "
    "individual figures need a share from the employee",
)


def _known_agents(
    agents: frozenset[int],
    first_day: int,
    last_day: int,
    knowledge: Sequence[tuple[int, int, int]],
    own: int | None,
) -> frozenset[int]:
    """Those of ``agents`` the viewer is, or already knows for some day of the period."""
    known = {a for a, first, last in knowledge if first <= last_day and last >= first_day}
    if own is not None:
        known.add(own)
    return agents & known


def decide(
    cells: Sequence[PlannedCell],
    *,
    min_agents: int,
    k: int,
    viewer_agent: int | None,
    viewer_knowledge: Sequence[tuple[int, int, int]],
    known: Collection[Member],
    ledger: Sequence[StoredCell],
    identities: Sequence[Hashable] | None = None,
) -> Decision | Refusal:
    """Decide which cells of a query are released, or refuse it (steps 1–4 above).

    Parameters
    ----------
    cells
        The cells the query asks for.
    min_agents
        Protected agents a cell needs (``k``, or the quantile minimum).
    k
        The policy's minimum group size (for the contributor-difference rule).
    viewer_agent
        The viewer's own agent code when the viewer is an employee.
    viewer_knowledge
        (agent, first day, last day) the viewer holds through opened shares, for the family.
    known
        (agent, day) pairs anybody holds through opened shares, for the family.
    ledger
        Every stored cell of the family connected to the query's days.
    identities
        Per cell, the group it belongs to apart from the calendar (e.g. its team when the
        query is by team and week): the suppressed cells of one group form a small group
        of their own that must stay hidden too.

    Examples
    --------
    A tracker: a team of six, then the same team without one member, on the same day.

    >>> team = PlannedCell(0, 0, frozenset((a, 0) for a in range(6)))
    >>> tracker = PlannedCell(0, 0, frozenset((a, 0) for a in range(5)))
    >>> earlier = [StoredCell(0, 0, True, team.members)]
    >>> decide([tracker], min_agents=5, k=5, viewer_agent=None, viewer_knowledge=[],
    ...        known=[], ledger=earlier).code
    'ADH-002'
    >>> decide([team], min_agents=5, k=5, viewer_agent=None, viewer_knowledge=[],
    ...        known=[], ledger=[])
    Decision(released=(True,), hidden=())
    """
    protected = [
        c.agents - _known_agents(c.agents, c.first_day, c.last_day, viewer_knowledge, viewer_agent)
        for c in cells
    ]
    released = [len(p) >= min_agents for p in protected]
    if not any(released):
        return _SMALL
    old_rows = [c.members for c in ledger if c.released]
    old_targets = [c.members for c in ledger if not c.released]
    hidden = _small_unions(cells, released, protected, identities, min_agents)
    released, refused = complete(
        cells,
        released,
        old_rows=old_rows,
        old_targets=old_targets,
        known=known,
        sizes=[len(p) for p in protected],
        hidden=hidden,
    )
    if refused:
        return _DIFFERENCING
    if _differs_by_few(
        cells, released, protected=protected, ledger=ledger, k=k,
        viewer_knowledge=viewer_knowledge, viewer_agent=viewer_agent,
    ):  # fmt: skip
        return _DIFFERENCING
    return Decision(tuple(released), tuple(hidden))


def _small_unions(
    cells: Sequence[PlannedCell],
    released: Sequence[bool],
    protected: Sequence[frozenset[int]],
    identities: Sequence[Hashable] | None,
    min_agents: int,
) -> list[frozenset[Member]]:
    """Unions of suppressed cells (per identity, and all of them) with too few agents."""
    suppressed = [i for i, r in enumerate(released) if not r]
    groups: dict[Hashable, list[int]] = {}
    if identities is not None:
        for i in suppressed:
            groups.setdefault(identities[i], []).append(i)
    candidates = [g for g in groups.values() if len(g) > 1]
    if len(suppressed) > 1:
        candidates.append(suppressed)
    unions: list[frozenset[Member]] = []
    for group in candidates:
        people = frozenset().union(*(protected[i] for i in group))
        members = frozenset().union(*(cells[i].members for i in group))
        if len(people) < min_agents and members not in unions:
            unions.append(members)
    return unions


def complete(
    cells: Sequence[PlannedCell],
    released: Sequence[bool],
    *,
    old_rows: Sequence[frozenset[Member]],
    old_targets: Sequence[frozenset[Member]],
    known: Collection[Member],
    sizes: Sequence[int],
    hidden: Sequence[frozenset[Member]] = (),
) -> tuple[list[bool], bool]:
    """Complementary suppression (G2) and the rank test (G3).

    Returns the released flags, with more cells suppressed (the smallest by ``sizes`` first)
    until neither a suppressed cell of this table nor a ``hidden`` group can be worked out,
    and whether the query must be refused because a released set would isolate an agent or
    reveal a cell suppressed earlier.
    """
    released = list(released)
    while True:
        new_rows = [c.members for c, r in zip(cells, released, strict=True) if r]
        suppressed = [i for i, r in enumerate(released) if not r]
        new_targets = [*(cells[i].members for i in suppressed), *hidden]
        targets = [*old_targets, *new_targets]
        exposure = new_exposure(old_rows, new_rows, targets=targets, known=known)
        if exposure.agents or any(t < len(old_targets) for t in exposure.targets):
            return released, True
        if not exposure.targets:
            return released, False
        target = new_targets[exposure.targets[0] - len(old_targets)]
        linked = _linked(
            target,
            old_rows,
            [c.members if r else None for c, r in zip(cells, released, strict=True)],
        )
        choice = min(linked, key=lambda i: (sizes[i], i))
        released[choice] = False


def _linked(
    target: frozenset[Member],
    old_rows: Sequence[frozenset[Member]],
    new_rows: Sequence[frozenset[Member] | None],
) -> list[int]:
    """Indices of this table's released cells connected to ``target`` through shared members."""
    reached = set(target)
    rows: list[tuple[int | None, frozenset[Member]]] = [(None, r) for r in old_rows]
    rows += [(i, r) for i, r in enumerate(new_rows) if r is not None]
    found: set[int] = set()
    grew = True
    while grew:
        grew = False
        for index, row in rows:
            if (index is None or index not in found) and not row.isdisjoint(reached):
                if index is not None:
                    found.add(index)
                if not row <= reached:
                    reached |= row
                    grew = True
    return sorted(found)


def _differs_by_few(
    cells: Sequence[PlannedCell],
    released: Sequence[bool],
    *,
    protected: Sequence[frozenset[int]],
    ledger: Sequence[StoredCell],
    k: int,
    viewer_knowledge: Sequence[tuple[int, int, int]],
    viewer_agent: int | None,
) -> bool:
    """Whether a released cell's protected agents differ from an earlier cell's by 1..k−1."""
    earlier: dict[tuple[int, int], list[frozenset[int]]] = {}
    for stored in ledger:
        if stored.released:
            earlier.setdefault((stored.first_day, stored.last_day), []).append(stored.agents)
    for cell, is_released, mine in zip(cells, released, protected, strict=True):
        if not is_released:
            continue
        for agents in earlier.get((cell.first_day, cell.last_day), []):
            theirs = agents - _known_agents(
                agents, cell.first_day, cell.last_day, viewer_knowledge, viewer_agent
            )
            if 1 <= len(mine ^ theirs) < k:
                return True
    return False
