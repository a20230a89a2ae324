"""Which agents and protected sums a set of new cells would newly expose to linear algebra.

Every released cell is a sum over a set of unknowns, one unknown per (agent, day) pair. An
attacker who knows the released sums knows every linear combination of them: the row space of
the 0/1 matrix ``M`` (one row per cell, one column per unknown). Unknowns the attacker already
knows ("known" pairs) are constants: their columns are dropped.

Two kinds of exposure are tested.

Agent isolation
    Some nonzero vector of the row space is supported only on one agent's columns ``A``: a
    combination of cells that involves nobody else. Projecting the row space onto the other
    columns has that intersection as its kernel, so the test is
    ``rank(M) > rank(M without the columns A)``. With ``V`` an orthonormal basis of the row space
    (the first ``rank(M)`` right singular vectors), a unit vector ``x`` supported on ``A`` lies in
    the row space exactly when the projection keeps its norm, ``|V x| = 1``; the largest such
    norm is the largest singular value of ``V[:, A]``, so ``A`` is isolated when that value is
    1 (to a tolerance of ``1e-9``). A single unknown that is determined is the special case of
    a one-column support, but a difference such as ``x[a, d1] - x[a, d2]`` counts too.
Target determination
    A protected set of unknowns (say an earlier suppressed cell) has its sum determined when
    its 0/1 indicator ``s`` lies in the row space, that is ``|V s|^2 = |s|^2``. This can happen
    without any agent being isolated: total minus a released part gives the suppressed rest.

Only exposures that the new cells create count: each test is run on the old cells alone and on
old and new cells together, and the difference is reported.

The work is split by the connected components of the bipartite graph of cells and unknowns;
only components holding a new cell can change, and ``M`` is block diagonal over components, so
ranks and row-space membership can be tested per component. A target spanning several
components is determined exactly when its part in each of them is, so targets never join
components (a small team's whole year, kept hidden, would otherwise tie every week together).
Inside a component, unknowns of the same agent that lie in exactly the same cells and the same
targets are merged into one column.
Merged columns are identical columns of ``M``: dropping duplicates changes no rank, an agent's
columns are dropped or kept as whole groups, and a target indicator is constant on every group
(its membership is part of the grouping key), so it lies in the row space before merging exactly
when its merged form lies in the merged row space. Both tests stay exact.

Exposure only grows as cells are added, so the old cells of a component are tested only for
what old and new cells together expose. An agent newly isolated in one component may already
be isolated by old cells in another (say, another week); those components are consulted for
such candidates only.

Examples
--------
The classic tracker: a team total and the same total without one agent.

>>> from adherence.privacy._linear import new_exposure
>>> day = 20_000
>>> team = [(agent, day) for agent in range(1, 7)]
>>> new_exposure([team], [team[:5]])
Exposure(agents=frozenset({6}), targets=())
"""

from __future__ import annotations

import bisect
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np
from numpy.typing import NDArray

__all__ = ["Exposure", "Member", "new_exposure"]

Member = tuple[int, int]
"""One unknown: ``(agent_code, day_number)``."""

_TOLERANCE = 1e-9
"""Relative slack of the norm tests (the data are 0/1, so true and false cases lie far apart)."""

_Signature = tuple[int, tuple[int, ...], tuple[int, ...]]


@dataclass(frozen=True)
class Exposure:
    """What adding new cells would newly expose.

    Attributes
    ----------
    agents : frozenset[int]
        Agent codes that some combination of the cells would newly isolate.
    targets : tuple[int, ...]
        Positions in the ``targets`` argument of the protected sums that would newly be
        determined, ascending.

    Examples
    --------
    >>> bool(Exposure(agents=frozenset(), targets=()))
    False
    >>> bool(Exposure(agents=frozenset({3}), targets=()))
    True
    """

    agents: frozenset[int]
    targets: tuple[int, ...]

    def __bool__(self) -> bool:
        """True when any agent or target is exposed."""
        return bool(self.agents or self.targets)


@dataclass(frozen=True)
class _Component:
    """A connected part of the cell–unknown graph; rows and targets ascending."""

    rows: list[int]
    targets: list[int]
    members: list[int]


@dataclass(frozen=True)
class _System:
    """A component's matrix with merged columns, ready for the tests."""

    matrix: NDArray[np.float64]  # rows × merged columns, old rows first
    n_old: int  # how many leading rows of ``matrix`` are old cells
    agent_columns: dict[int, list[int]]  # agent code → its merged columns
    indicators: NDArray[np.float64]  # merged columns × the component's targets


def _flatten(
    groups: Sequence[Collection[Member]],
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """All members of ``groups`` as an n × 2 array, and the group each one came from."""
    lengths = np.fromiter(map(len, groups), dtype=np.int64, count=len(groups))
    total = int(lengths.sum())
    flat = chain.from_iterable(chain.from_iterable(groups))
    pairs = np.fromiter(flat, dtype=np.int64, count=2 * total).reshape(total, 2)
    return pairs, np.repeat(np.arange(len(groups), dtype=np.int64), lengths)


def _number(pairs: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """A dense id for every distinct pair, and the agent of each id."""
    low = pairs.min(axis=0)
    span = pairs.max(axis=0) - low + 1
    if int(span[0]) * int(span[1]) < 2**62:
        keys = (pairs[:, 0] - low[0]) * span[1] + (pairs[:, 1] - low[1])
        _, first, ids = np.unique(keys, return_index=True, return_inverse=True)
    else:  # codes too far apart to pack into one integer
        _, first, ids = np.unique(pairs, axis=0, return_index=True, return_inverse=True)
    return ids.reshape(-1), pairs[first, 0]


def _by_member(
    members: NDArray[np.int64], owners: NDArray[np.int64], n_members: int, n_owners: int
) -> tuple[NDArray[np.int64], list[int]]:
    """For each member, its distinct owners ascending: a flat array and offsets into it."""
    width = max(n_owners, 1)
    pairs = np.sort(members * width + owners)
    distinct = np.ones(len(pairs), dtype=np.bool_)
    np.not_equal(pairs[1:], pairs[:-1], out=distinct[1:])
    pairs = pairs[distinct]
    offsets: list[int] = np.searchsorted(pairs // width, np.arange(n_members + 1)).tolist()
    return pairs % width, offsets


def _by_owner(owners: NDArray[np.int64], n_owners: int) -> list[int]:
    """Offsets of each owner's run in an array sorted by owner."""
    counts = np.bincount(owners, minlength=n_owners)
    offsets: list[int] = np.concatenate([[0], np.cumsum(counts)]).tolist()
    return offsets


class _Graph:
    """Cells and targets after dropping known unknowns, indexed both ways.

    Unknowns are numbered densely; ``row_members[row_offsets[i]:row_offsets[i + 1]]`` are the
    unknowns of cell ``i`` and ``member_rows[member_row_offsets[m]:...]`` the cells holding
    unknown ``m``, ascending (likewise for targets). Building the index is a few sorts; only
    the components that are walked cost Python work.
    """

    def __init__(
        self,
        rows: Sequence[Collection[Member]],
        targets: Sequence[Collection[Member]],
        known: Collection[Member],
        n_old: int,
    ) -> None:
        row_pairs, row_of = _flatten(rows)
        target_pairs, target_of = _flatten(targets)
        known_pairs, _ = _flatten([known])
        pairs = np.concatenate([row_pairs, target_pairs, known_pairs])
        if len(pairs):
            ids, agents = _number(pairs)
        else:
            ids, agents = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        n_members = len(agents)
        n_rows, n_targets = len(row_pairs), len(target_pairs)
        is_known = np.zeros(n_members, dtype=np.bool_)
        is_known[ids[n_rows + n_targets :]] = True
        row_ids, target_ids = ids[:n_rows], ids[n_rows : n_rows + n_targets]
        keep_rows, keep_targets = ~is_known[row_ids], ~is_known[target_ids]
        row_ids, row_of = row_ids[keep_rows], row_of[keep_rows]
        target_ids, target_of = target_ids[keep_targets], target_of[keep_targets]

        self.n_old = n_old
        self.agent: list[int] = agents.tolist()
        self.row_members = row_ids
        self.row_offsets = _by_owner(row_of, len(rows))
        self.target_members = target_ids
        self.target_offsets = _by_owner(target_of, len(targets))
        self.member_rows, self.member_row_offsets = _by_member(
            row_ids, row_of, n_members, len(rows)
        )
        self.member_targets, self.member_target_offsets = _by_member(
            target_ids, target_of, n_members, len(targets)
        )
        self.seen_members = bytearray(n_members)
        self.seen_rows = bytearray(len(rows))
        self.seen_targets = bytearray(len(targets))
        self.component_of: dict[int, _Component] = {}

    def cell(self, row: int) -> list[int]:
        """The unknowns of a cell (a member listed twice appears twice)."""
        members: list[int] = self.row_members[
            self.row_offsets[row] : self.row_offsets[row + 1]
        ].tolist()
        return members

    def cells_of(self, member: int) -> list[int]:
        """The cells holding an unknown, ascending."""
        offsets = self.member_row_offsets
        rows: list[int] = self.member_rows[offsets[member] : offsets[member + 1]].tolist()
        return rows

    def targets_of(self, member: int) -> list[int]:
        """The targets holding an unknown, ascending."""
        offsets = self.member_target_offsets
        targets: list[int] = self.member_targets[offsets[member] : offsets[member + 1]].tolist()
        return targets

    def grow(self, seeds: Iterable[int]) -> _Component:
        """The component holding ``seeds``, skipping everything an earlier call collected."""
        seen = self.seen_members
        members: list[int] = []
        stack: list[int] = []
        rows: list[int] = []
        targets: list[int] = []
        touched: set[int] = set()

        def visit(group: Iterable[int]) -> None:
            for member in group:
                if not seen[member]:
                    seen[member] = 1
                    members.append(member)
                    stack.append(member)

        visit(seeds)
        while stack:
            member = stack.pop()
            for i in self.cells_of(member):
                if not self.seen_rows[i]:
                    self.seen_rows[i] = 1
                    rows.append(i)
                    visit(self.cell(i))
            for j in self.targets_of(member):
                if j not in touched:  # a target is tested per component, in parts
                    touched.add(j)
                    targets.append(j)
        component = _Component(sorted(rows), sorted(targets), members)
        for member in members:
            self.component_of[member] = component
        return component

    def system(self, component: _Component) -> _System:
        """Merge the component's duplicate columns and build its dense matrices."""
        local_row = {r: i for i, r in enumerate(component.rows)}
        local_target = {t: j for j, t in enumerate(component.targets)}
        columns: dict[_Signature, int] = {}
        agent_columns: dict[int, list[int]] = {}
        for member in component.members:
            agent = self.agent[member]
            signature = (agent, tuple(self.cells_of(member)), tuple(self.targets_of(member)))
            if signature not in columns:
                columns[signature] = len(columns)
                agent_columns.setdefault(agent, []).append(columns[signature])
        row_index: list[int] = []
        row_column: list[int] = []
        target_index: list[int] = []
        target_column: list[int] = []
        for (_, in_rows, in_targets), column in columns.items():
            row_index.extend(local_row[r] for r in in_rows)
            row_column.extend([column] * len(in_rows))
            target_index.extend(local_target[t] for t in in_targets)
            target_column.extend([column] * len(in_targets))
        matrix = np.zeros((len(component.rows), len(columns)))
        matrix[row_index, row_column] = 1.0
        indicators = np.zeros((len(columns), len(component.targets)))
        indicators[target_column, target_index] = 1.0
        n_old = bisect.bisect_left(component.rows, self.n_old)
        return _System(matrix, n_old, agent_columns, indicators)

    def isolated_by_old(self, component: _Component, agents: set[int]) -> set[int]:
        """Which of ``agents`` the (old) cells of a component without new cells isolate."""
        if len(component.rows) == 1:  # the common case, without linear algebra
            alone = {self.agent[m] for m in self.cell(component.rows[0])}
            return alone & agents if len(alone) == 1 else set()
        system = self.system(component)
        wanted = {a: system.agent_columns[a] for a in agents & system.agent_columns.keys()}
        return _isolated(_row_space(system.matrix), wanted)

    def rest_determined(self, target: int, analysed: set[int]) -> bool:
        """Whether the target's parts outside the ``analysed`` components are determined too.

        Those parts lie in components of old cells only (tested here, with the old cells) or
        in no cell at all (never determined).
        """
        offsets = self.target_offsets
        tested: set[int] = set()
        for member in self.target_members[offsets[target] : offsets[target + 1]].tolist():
            if member in analysed or member in tested:
                continue
            if not self.cells_of(member):
                return False
            component = self.component_of.get(member) or self.grow([member])
            tested.update(component.members)
            system = self.system(component)
            column = component.targets.index(target)
            if not _determined(_row_space(system.matrix), system.indicators[:, [column]])[0]:
                return False
        return True


def _row_space(matrix: NDArray[np.float64]) -> NDArray[np.float64]:
    """An orthonormal basis of the row space, one basis vector a row (rank as numpy's)."""
    if matrix.size == 0:
        return np.zeros((0, matrix.shape[1]))
    _, singular, vt = np.linalg.svd(matrix, full_matrices=False)
    tolerance = max(matrix.shape) * np.finfo(np.float64).eps * singular[0]
    rank = int(np.count_nonzero(singular > tolerance))
    return vt[:rank]


def _isolated(basis: NDArray[np.float64], agent_columns: dict[int, list[int]]) -> set[int]:
    """Agents with a nonzero row-space vector supported on their columns alone."""
    if basis.shape[0] == 0:
        return set()
    # One batched SVD per number of columns: no padding, so memory stays agents × rank × width.
    by_width: dict[int, list[int]] = {}
    for agent, cols in agent_columns.items():
        by_width.setdefault(len(cols), []).append(agent)
    isolated: set[int] = set()
    for agents in by_width.values():
        index = np.array([agent_columns[a] for a in agents])  # agents × width
        blocks = basis[:, index].transpose(1, 0, 2)  # agents × rank × width
        largest = np.linalg.svd(blocks, compute_uv=False)[:, 0]
        isolated.update(a for a, top in zip(agents, largest, strict=True) if top >= 1 - _TOLERANCE)
    return isolated


def _determined(basis: NDArray[np.float64], indicators: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Which indicator columns lie in the row space."""
    kept = np.square(basis @ indicators).sum(axis=0)
    result: NDArray[np.bool_] = kept >= indicators.sum(axis=0) * (1 - _TOLERANCE)
    return result


def new_exposure(
    old_rows: Sequence[Collection[Member]],
    new_rows: Sequence[Collection[Member]],
    *,
    targets: Sequence[Collection[Member]] = (),
    known: Collection[Member] = (),
) -> Exposure:
    """Agents and targets that releasing ``new_rows`` after ``old_rows`` would newly expose.

    Parameters
    ----------
    old_rows : Sequence[Collection[Member]]
        The cells already released, each the set of ``(agent_code, day_number)`` unknowns it
        sums (a member listed twice counts once).
    new_rows : Sequence[Collection[Member]]
        The cells about to be released.
    targets : Sequence[Collection[Member]], optional
        Protected sums (for example suppressed cells) that must not become determinable.
    known : Collection[Member], optional
        Unknowns the attacker knows exactly; they are removed from every cell and target. A
        target left empty is never reported.

    Returns
    -------
    Exposure
        The agents that some combination of the cells newly isolates (a nonzero combination
        that involves that agent alone) and the positions of the newly determined targets.
        What the old cells already expose on their own is not reported.

    Examples
    --------
    A suppressed cell {1, 2, 3} follows from a released total over agents 1–8 and a new cell
    over agents 4–8, though no single agent is isolated:

    >>> day = 20_000
    >>> total = [(agent, day) for agent in range(1, 9)]
    >>> rest = [(agent, day) for agent in range(4, 9)]
    >>> suppressed = [(agent, day) for agent in (1, 2, 3)]
    >>> new_exposure([total], [rest], targets=[suppressed])
    Exposure(agents=frozenset(), targets=(0,))

    Once agent 2 is known, a cell of agents 1 and 2 isolates agent 1:

    >>> new_exposure([], [[(1, day), (2, day)]], known=[(2, day)])
    Exposure(agents=frozenset({1}), targets=())
    """
    n_old = len(old_rows)
    graph = _Graph([*old_rows, *new_rows], targets, known, n_old)

    isolated_before: set[int] = set()
    isolated_after: set[int] = set()
    # A target's sum is determined exactly when its part in every component is: ``M`` is
    # block diagonal over components, so its parts are tested where they lie.
    after_parts: dict[int, bool] = {}
    before_parts: dict[int, bool] = {}
    analysed: set[int] = set()
    for start in range(n_old, len(graph.seen_rows)):
        if graph.seen_rows[start] or not graph.cell(start):
            continue
        component = graph.grow(graph.cell(start))
        system = graph.system(component)
        after = _row_space(system.matrix)
        isolated = _isolated(after, system.agent_columns)
        parts_after = _determined(after, system.indicators)
        if isolated or parts_after.any():
            # Adding rows only grows the row space: the old rows need testing only for what
            # old and new rows together expose.
            before = _row_space(system.matrix[: system.n_old])
            isolated_before |= _isolated(before, {a: system.agent_columns[a] for a in isolated})
            parts_before = _determined(before, system.indicators) & parts_after
        else:
            parts_before = parts_after
        isolated_after |= isolated
        for k, target in enumerate(component.targets):
            after_parts[target] = after_parts.get(target, True) and bool(parts_after[k])
            before_parts[target] = before_parts.get(target, True) and bool(parts_before[k])
        analysed.update(component.members)

    determined = [
        t
        for t, ok in after_parts.items()
        if ok and not before_parts[t] and graph.rest_determined(t, analysed)
    ]

    # An agent may also be isolated by old cells outside the components analysed above (other
    # days, say); the old cells alone then expose it already. Check only those candidates.
    candidates = isolated_after - isolated_before
    consulted: set[int] = set(analysed)
    for member, agent in enumerate(graph.agent):
        if not candidates:
            break
        if agent in candidates and member not in consulted and graph.cells_of(member):
            component = graph.component_of.get(member) or graph.grow([member])
            consulted.update(component.members)
            candidates -= graph.isolated_by_old(component, candidates)
    return Exposure(agents=frozenset(candidates), targets=tuple(sorted(determined)))
