"""The one space every release lives in, and the test that nothing in it isolates people.

Unknowns are ``x[a, d, m]``: agent ``a``'s additive atom ``m`` on local day ``d``. A released
figure is a :class:`Vector`: a combination of atoms (``{"meal_ms": 1}``, or every pause
state's atom for ``pause_ms``) summed over a *support* of (agent, day) pairs taken from the
roster and the schedule. What a viewer knows through an opened share is a vector of the same
kind over one agent.

The test (:func:`exposures`) looks at the span of every released vector together with the
knowledge vectors and asks two questions:

Small sets
    Is there a combination of released vectors that involves fewer than ``k`` agents and is
    not already known? A vector of the span takes the same value on unknowns that lie in
    exactly the same released vectors with the same coefficients (a *block*), so such a
    combination can only be supported on blocks of fewer than ``k`` agents (*small* blocks).
    With ``M`` the matrix of all vectors over block columns and ``L`` the small blocks, the
    span meets the small blocks in ``rank(M) - rank(M[:, not L])`` dimensions; knowledge
    vectors (one agent each) lie there by construction, so the release is safe exactly when
    that number equals the rank of the knowledge vectors. This covers one agent isolated
    (a team and the team minus one), pairs (a team and the team minus two, whatever the
    windows), a share used beyond its scope and complements across metrics (``pause_ms``
    minus the other pause states). It errs on the safe side: two small blocks of three
    agents each count as small although together they hold six.
Targets
    Is the sum of a suppressed cell (a dominated cell, say) in the span? Its indicator lies
    in the span exactly when appending it does not raise the rank.

The work is split into connected components of vectors that share unknowns; only components
holding a new vector can change. Nothing here sees a metric value (G6).

Examples
--------
A team of six and the same team without one member, on one day:

>>> team = Vector.of({"meal_ms": 1}, [(a, 0) for a in range(6)])
>>> tracker = Vector.of({"meal_ms": 1}, [(a, 0) for a in range(5)])
>>> exposures([team], [tracker], k=5)
[0]
>>> exposures([], [team], k=5)
[]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["Vector", "exposures", "knowledge_exposes"]


@dataclass(frozen=True, eq=False)
class Vector:
    """A combination of atoms summed over a support of (agent, day) pairs.

    Attributes
    ----------
    atoms
        ``(atom, coefficient)`` pairs, sorted by atom.
    support
        ``n × 2`` int64 array of distinct (agent code, day number) pairs, sorted.
    """

    atoms: tuple[tuple[str, int], ...]
    support: NDArray[np.int64]

    @classmethod
    def of(cls, atoms: Mapping[str, int], support: Iterable[tuple[int, int]]) -> Vector:
        """A vector from a mapping of atoms and any iterable of pairs."""
        pairs = np.asarray(sorted(set(support)), dtype=np.int64).reshape(-1, 2)
        return cls(tuple(sorted(atoms.items())), pairs)

    @property
    def agents(self) -> frozenset[int]:
        """The agents of the support."""
        return frozenset(np.unique(self.support[:, 0]).tolist())

    @property
    def key(self) -> tuple[tuple[tuple[str, int], ...], bytes]:
        """What makes two vectors equal (for removing repeats)."""
        return self.atoms, self.support.tobytes()

    def __len__(self) -> int:
        return len(self.support)


_SEEDS = np.random.default_rng(20_260_325).integers(1, 2**62, size=(2, 1 << 16), dtype=np.int64)


def _rank(matrix: NDArray[np.float64]) -> int:
    if matrix.size == 0:
        return 0
    return int(np.linalg.matrix_rank(matrix))


@dataclass(frozen=True)
class _Entries:
    """Every nonzero of the vectors: which unknown, which vector, which coefficient."""

    unknown: NDArray[np.int64]
    vector: NDArray[np.int64]
    coefficient: NDArray[np.int64]
    agent_of_unknown: NDArray[np.int64]


def _entries(vectors: Sequence[Vector]) -> _Entries:
    atom_ids: dict[str, int] = {}
    parts_pairs, parts_atom, parts_vec, parts_coef = [], [], [], []
    for i, v in enumerate(vectors):
        n = len(v.support)
        for name, coefficient in v.atoms:
            parts_pairs.append(v.support)
            parts_atom.append(np.full(n, atom_ids.setdefault(name, len(atom_ids)), np.int64))
            parts_vec.append(np.full(n, i, np.int64))
            parts_coef.append(np.full(n, coefficient, np.int64))
    if not parts_pairs:
        empty = np.zeros(0, np.int64)
        return _Entries(empty, empty, empty, empty)
    pairs = np.concatenate(parts_pairs)
    atom = np.concatenate(parts_atom)
    triples = np.column_stack([pairs, atom])
    uniq, unknown = np.unique(triples, axis=0, return_inverse=True)
    return _Entries(
        unknown.reshape(-1),
        np.concatenate(parts_vec),
        np.concatenate(parts_coef),
        uniq[:, 0],
    )


def _signatures(entries: _Entries, n_unknowns: int) -> NDArray[np.int64]:
    """A block id per unknown: unknowns in the same vectors with the same coefficients."""
    slot = (entries.vector * 7919 + entries.coefficient) % _SEEDS.shape[1]
    h = np.zeros((n_unknowns, 2), dtype=np.int64)
    for j in range(2):
        weight = _SEEDS[j][slot] * (entries.vector + 1) + entries.coefficient
        np.add.at(h[:, j], entries.unknown, weight)
    _, block = np.unique(h, axis=0, return_inverse=True)
    return block.reshape(-1)


def _components(
    n_vectors: int, block_of_entry: NDArray[np.int64], vector_of_entry: NDArray[np.int64]
) -> NDArray[np.int64]:
    """A component id per vector (vectors linked through shared blocks)."""
    parent = list(range(n_vectors))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    order = np.lexsort((vector_of_entry, block_of_entry))
    blocks, vecs = block_of_entry[order], vector_of_entry[order]
    same = np.flatnonzero(blocks[1:] == blocks[:-1])
    for a, b in zip(vecs[same].tolist(), vecs[same + 1].tolist(), strict=True):
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[ra] = rb
    return np.asarray([find(i) for i in range(n_vectors)], dtype=np.int64)


def _layout(
    old: Sequence[Vector],
    knowledge: Sequence[Vector],
    new: Sequence[Vector],
    targets: Sequence[Vector],
    *,
    k: int,
) -> _Layout | None:
    everything = [*old, *knowledge, *new, *targets]
    entries = _entries(everything)
    if len(entries.unknown) == 0:
        return None
    n_unknowns = int(entries.unknown.max()) + 1
    block_of_unknown = _signatures(entries, n_unknowns)
    n_blocks = int(block_of_unknown.max()) + 1
    block_of_entry = block_of_unknown[entries.unknown]
    agent_block = np.unique(np.column_stack([block_of_unknown, entries.agent_of_unknown]), axis=0)
    small = np.bincount(agent_block[:, 0], minlength=n_blocks) < k
    # One coefficient per (vector, block): every unknown of a block has the same one.
    cells = np.unique(
        np.column_stack([entries.vector, block_of_entry, entries.coefficient]), axis=0
    )
    return _Layout(
        n_old=len(old),
        n_known=len(knowledge),
        n_new=len(new),
        component=_components(len(everything), block_of_entry, entries.vector),
        small=small,
        cells=cells,
    )


@dataclass(frozen=True)
class _Layout:
    """Every vector of a test, in order old, knowledge, new, targets, over block columns."""

    n_old: int
    n_known: int
    n_new: int
    component: NDArray[np.int64]
    small: NDArray[np.bool_]
    cells: NDArray[np.int64]

    def unsafe(self, c: int) -> bool:
        """Whether component ``c`` holds a small-set combination or a determined target."""
        first_known, first_new = self.n_old, self.n_old + self.n_known
        first_target = first_new + self.n_new
        members = np.flatnonzero(self.component == c)
        rows = self.cells[np.isin(self.cells[:, 0], members)]
        local_blocks, column = np.unique(rows[:, 1], return_inverse=True)
        matrix = np.zeros((len(members), len(local_blocks)))
        matrix[np.searchsorted(members, rows[:, 0]), column.reshape(-1)] = rows[:, 2]
        is_target = members >= first_target
        is_known = (members >= first_known) & (members < first_new)
        spanning = matrix[~is_target]
        rank = _rank(spanning)
        big = ~self.small[local_blocks]
        if rank - _rank(spanning[:, big]) > _rank(matrix[is_known]):
            return True
        return any(
            _rank(np.vstack([spanning, matrix[i : i + 1]])) == rank
            for i in np.flatnonzero(is_target).tolist()
        )


def exposures(
    old: Sequence[Vector],
    new: Sequence[Vector],
    *,
    k: int,
    knowledge: Sequence[Vector] = (),
    targets: Sequence[Vector] = (),
    constants: frozenset[str] = frozenset(),
) -> list[int]:
    """Positions in ``new`` of vectors lying in a component that the release makes unsafe.

    ``old`` are the vectors released before (assumed safe), ``knowledge`` what viewers
    know, ``targets`` sums that must stay hidden (suppressed cells). ``constants`` are atoms
    an attacker may know from outside (the folded sensitive time, known to be zero where
    nobody holds a union role): the test is run with and without them as known numbers.
    An empty list means the new vectors may be released.
    """
    found = set(_exposed(old, knowledge, new, targets, k=k))
    if any(a in constants for v in [*old, *new] for a, _ in v.atoms):
        # Someone may know the constant atoms from outside (that nobody in a team holds a
        # union role, say): test again with them as known numbers.
        def strip(vectors: Sequence[Vector]) -> list[Vector]:
            return [
                Vector(tuple((a, c) for a, c in v.atoms if a not in constants), v.support)
                for v in vectors
            ]

        kept = [t for t in targets if not any(a in constants for a, _ in t.atoms)]
        stripped_new = strip(new)
        found |= {
            i
            for i in _exposed(strip(old), knowledge, stripped_new, kept, k=k)
            if stripped_new[i].atoms
        }
    return sorted(found)


def _exposed(
    old: Sequence[Vector],
    knowledge: Sequence[Vector],
    new: Sequence[Vector],
    targets: Sequence[Vector],
    *,
    k: int,
) -> list[int]:
    old = [v for v in old if v.atoms]
    keep = [i for i, v in enumerate(new) if v.atoms]
    layout = _layout(old, knowledge, [new[i] for i in keep], targets, k=k)
    if layout is None:
        return []
    first_new = layout.n_old + layout.n_known
    own = layout.component[first_new : first_new + layout.n_new]
    unsafe = [c for c in sorted(set(own.tolist())) if layout.unsafe(c)]
    return [keep[i] for i in np.flatnonzero(np.isin(own, unsafe)).tolist()]


def knowledge_exposes(
    old: Sequence[Vector],
    knowledge: Sequence[Vector],
    learned: Sequence[Vector],
    *,
    k: int,
    targets: Sequence[Vector] = (),
) -> bool:
    """Whether learning ``learned`` (an opened share) would, with ``old``, reveal others.

    ``learned`` is added to the knowledge; the components it joins are tested as a release
    is. What it reveals of its own agent is the share's purpose and does not count.
    """
    layout = _layout(old, [*knowledge, *learned], [], targets, k=k)
    if layout is None:
        return False
    first = layout.n_old + len(knowledge)
    touched = set(layout.component[first : first + len(learned)].tolist())
    return any(layout.unsafe(c) for c in sorted(touched))
