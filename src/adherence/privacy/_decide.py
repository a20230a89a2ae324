"""Deciding what a plan may release, from public inputs only (G1–G4, G6).

The decision sees each cell's support and vectors (from the roster and the schedule), the
viewer, the policy and the ledger — never a metric value, so a refusal or a suppression
leaks nothing about one (G6). The value-dependent rules (dominance, G5; contributors of an
order statistic) run afterwards through :func:`suppress_more` and can only suppress more.

Steps, in order:

1. **Small cells** (G1, G4): a cell with fewer than the minimum protected agents (``k``, or
   ``min_quantile_agents`` for order statistics) is suppressed. Protected means: not the
   viewer, and not an agent the viewer knows through an opened share.
2. **Nothing left**: when every cell is suppressed the plan is refused (``ADH-001``).
3. **The one-space test** (G2, G3, G9, G12): together with every earlier release (to anyone:
   viewers talk) and everything known through opened shares, no combination may involve
   fewer than ``k`` agents beyond what is known, and no hidden sum (a suppressed dominated
   cell, sensitive time) may be determined. While it fails, the smallest cell of the failing
   part of the space is suppressed too (complementary suppression). When nothing is left,
   the plan is refused (``ADH-002``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from adherence.privacy._plans import Cell
from adherence.privacy._refine import Possible
from adherence.privacy._space import Vector, exposure_groups

#: Atoms of folded sensitive time (G12): never released alone, perhaps known to be zero.
SENSITIVE_ATOMS = frozenset({"other_ms", "other_episodes", "other_episode_ms"})

__all__ = ["DIFFERENCING", "SMALL", "Decision", "Refusal", "decide", "suppress_more"]


@dataclass(frozen=True)
class Refusal:
    """Why a request is refused: a code, the rule and a remedy — never a count or an agent."""

    code: str
    rule: str
    remedy: str


@dataclass(frozen=True)
class Decision:
    """Which cells are released; the rest are suppressed."""

    released: tuple[bool, ...]

    @property
    def released_count(self) -> int:
        """How many cells are released."""
        return sum(self.released)

    @property
    def suppressed_count(self) -> int:
        """How many cells are suppressed."""
        return len(self.released) - self.released_count


SMALL = Refusal(
    "ADH-001",
    "every cell has too few protected agents to be released",
    "widen the period (e.g. to an ISO week or a month), group by fewer dimensions or merge teams",
)
DIFFERENCING = Refusal(
    "ADH-002",
    "together with figures released earlier or known through shares, this could reveal one "
    "person's figures or a group smaller than the minimum",
    "ask for the same grouping and period as the earlier reports, or a wider period; "
    "individual figures need a share from the employee",
)


def _complete(
    cells: Sequence[Cell],
    released: list[bool],
    *,
    old: Sequence[Vector],
    knowledge: Sequence[Vector],
    targets: Sequence[Vector],
    sizes: Sequence[int],
    k: int,
    own: int | None = None,
    possible: Possible | None = None,
) -> list[bool]:
    """Suppress more cells until the one-space test passes (at worst: all of them).

    A vector released before adds nothing and is left out of the test; a vector several
    cells share is tested once. For each exposure the test finds, the cells holding its
    culprit vector of the fewest protected agents are suppressed; then the test runs again.
    An employee knows every figure of their own (``own``): their unknowns are known numbers,
    left out of every vector, so what is left counts only the colleagues.
    """
    if own is not None:
        old, knowledge, targets = (_without(vs, own) for vs in (old, knowledge, targets))
        cells = [
            dataclasses.replace(
                c, vectors=tuple(_without(c.vectors, own)), targets=tuple(_without(c.targets, own))
            )
            for c in cells
        ]
    seen = {v.key for v in old}
    while any(released):
        owners: dict[object, list[int]] = {}
        new: list[Vector] = []
        hidden = list(targets)
        for i, (cell, shown) in enumerate(zip(cells, released, strict=True)):
            if not shown:
                continue
            hidden += cell.targets
            for vector in cell.vectors:
                if vector.key in seen:
                    continue
                if vector.key not in owners:
                    owners[vector.key] = []
                    new.append(vector)
                owners[vector.key].append(i)
        exposed = exposure_groups(
            old,
            new,
            k=k,
            knowledge=knowledge,
            targets=hidden,
            constants=SENSITIVE_ATOMS,
            possible=possible,
        )
        if not exposed:
            break
        # Per part of the space, as many culprits as it has independent exposures: the
        # vectors with the fewest protected agents (and all cells holding them), distinct.
        # Several exposures are mended in one round.
        chosen: dict[int, list[tuple[int, ...]]] = {}
        for part, group in exposed:
            holders = sorted(
                {tuple(owners[new[j].key]) for j in group},
                key=lambda g: (min(sizes[i] for i in g), min(g)),
            )
            taken = chosen.setdefault(part, [])
            fresh = [h for h in holders if h not in taken]
            taken.append(fresh[0] if fresh else holders[0])
        for cells_of_part in chosen.values():
            for holder in cells_of_part:
                for i in holder:
                    released[i] = False
    return released


def _without(vectors: Sequence[Vector], agent: int) -> list[Vector]:
    """The vectors with ``agent``'s unknowns left out (known numbers to that viewer)."""
    kept = []
    for v in vectors:
        mask = v.support[:, 0] != agent
        kept.append(v if mask.all() else Vector(v.atoms, v.support[mask]))
    return kept


def decide(
    cells: Sequence[Cell],
    *,
    min_agents: int,
    k: int,
    unprotected: frozenset[int],
    old: Sequence[Vector],
    knowledge: Sequence[Vector],
    targets: Sequence[Vector] = (),
    own: int | None = None,
    possible: Possible | None = None,
) -> Decision | Refusal:
    """Decide which cells are released, or refuse (steps 1–3 above).

    Parameters
    ----------
    cells
        The planned cells.
    min_agents
        Protected agents a cell needs (``k``, or the quantile minimum).
    k
        The policy's minimum group size (for the one-space test).
    unprotected
        Agents the viewer is or already knows through an opened share.
    own
        The viewer's own agent code when the viewer is an employee: all of that agent's
        unknowns are known to the viewer.
    possible
        Where finer unknowns can be nonzero, from the schedule (see ``_refine``).
    old, knowledge, targets
        The ledger's released vectors, everything known through opened shares, and the
        sums that must stay hidden.

    Examples
    --------
    A tracker: a team of six, then the same team without one member, on the same day.

    >>> from adherence.privacy._space import Vector
    >>> def cell(n):
    ...     v = Vector.of({"meal_ms": 1}, [(a, 0) for a in range(n)])
    ...     return Cell((str(n),), (v,), frozenset(range(n)))
    >>> decide([cell(6)], min_agents=5, k=5, unprotected=frozenset(), old=[], knowledge=[])
    Decision(released=(True,))
    >>> old = list(cell(6).vectors)
    >>> decide([cell(5)], min_agents=5, k=5, unprotected=frozenset(), old=old,
    ...        knowledge=[]).code
    'ADH-002'
    """
    sizes = [len(c.agents - unprotected) for c in cells]
    released = [size >= max(min_agents, c.need) for size, c in zip(sizes, cells, strict=True)]
    if not any(released):
        return SMALL
    released = _complete(
        cells,
        released,
        old=old,
        knowledge=knowledge,
        targets=targets,
        sizes=sizes,
        k=k,
        own=own,
        possible=possible,
    )
    if not any(released):
        return DIFFERENCING
    return Decision(tuple(released))


def suppress_more(
    cells: Sequence[Cell],
    decision: Decision,
    hide: Sequence[bool],
    *,
    keep_hidden: bool,
    k: int,
    old: Sequence[Vector],
    knowledge: Sequence[Vector],
    targets: Sequence[Vector] = (),
    own: int | None = None,
    possible: Possible | None = None,
) -> tuple[Decision, list[Vector]]:
    """Suppress the cells a value-dependent rule hides, and whatever would reveal them.

    With ``keep_hidden`` (dominance), each hidden cell's first vector — the sum the rule
    protects — becomes a target that must stay hidden, now and later. Returns the new
    decision and those targets.
    """
    released = [r and not h for r, h in zip(decision.released, hide, strict=True)]
    if released == list(decision.released):
        return decision, []
    hidden = [
        c.vectors[0]
        for c, h, r in zip(cells, hide, decision.released, strict=True)
        if h and r and keep_hidden
    ]
    sizes = [len(c.agents) for c in cells]
    released = _complete(
        cells,
        released,
        old=old,
        knowledge=knowledge,
        targets=[*targets, *hidden],
        sizes=sizes,
        k=k,
        own=own,
        possible=possible,
    )
    return Decision(tuple(released)), hidden
