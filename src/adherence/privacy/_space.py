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
import scipy.linalg
import scipy.sparse
import scipy.sparse.csgraph
from numpy.typing import NDArray

from adherence.privacy._refine import Parts, Possible, refine, root_of

__all__ = ["Vector", "exposure_groups", "exposures", "knowledge_exposes"]


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
    parts: Parts | None = None
    """The vector's terms in finer unknowns, each over its own support (set by ``refine``
    for one test only; never stored)."""

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


def _packed_unique(
    columns: Sequence[NDArray[np.int64]],
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Distinct rows of non-negative integer columns (packed into one int64), and the inverse.

    Returns the distinct rows as a 2-D array and, per input row, its distinct row's index.
    """
    spans = [int(c.max()) + 1 if len(c) else 1 for c in columns]
    key = np.zeros(len(columns[0]), dtype=np.int64)
    for column, span in zip(columns, spans, strict=True):
        key = key * span + column
    distinct, inverse = np.unique(key, return_inverse=True)
    rows = np.empty((len(distinct), len(columns)), dtype=np.int64)
    rest = distinct
    for j in range(len(columns) - 1, -1, -1):
        rows[:, j] = rest % spans[j]
        rest = rest // spans[j]
    return rows, inverse.reshape(-1)


def _entries(vectors: Sequence[Vector]) -> _Entries:
    atom_ids: dict[str, int] = {}
    parts_pairs, parts_atom, parts_vec, parts_coef = [], [], [], []
    for i, v in enumerate(vectors):
        if v.parts is not None:
            ids = np.asarray(
                [atom_ids.setdefault(name, len(atom_ids)) for name in v.parts.names], np.int64
            )
            parts_pairs.append(v.parts.pairs)
            parts_atom.append(ids[v.parts.atom] if len(v.parts.atom) else v.parts.atom)
            parts_vec.append(np.full(len(v.parts.atom), i, np.int64))
            parts_coef.append(v.parts.coefficient)
            continue
        n = len(v.support)
        if not n:
            continue
        for name, coefficient in v.atoms:
            parts_pairs.append(v.support)
            parts_atom.append(np.full(n, atom_ids.setdefault(name, len(atom_ids)), np.int64))
            parts_vec.append(np.full(n, i, np.int64))
            parts_coef.append(np.full(n, coefficient, np.int64))
    if parts_pairs and not sum(len(p) for p in parts_pairs):
        parts_pairs = []
    if not parts_pairs:
        empty = np.zeros(0, np.int64)
        return _Entries(empty, empty, empty, empty)
    pairs = np.concatenate(parts_pairs)
    low = pairs.min(axis=0)
    uniq, unknown = _packed_unique(
        [pairs[:, 0] - low[0], pairs[:, 1] - low[1], np.concatenate(parts_atom)]
    )
    return _Entries(
        unknown,
        np.concatenate(parts_vec),
        np.concatenate(parts_coef),
        uniq[:, 0] + low[0],
    )


def _signatures(entries: _Entries, n_unknowns: int) -> NDArray[np.int64]:
    """A block id per unknown: unknowns in the same vectors with the same coefficients.

    Each (vector, coefficient) gets two pseudo-random 64-bit weights; an unknown's signature
    is the sum of its weights (wrapping), so equal sets give equal signatures and different
    ones differ but with negligible chance.
    """
    slot = (entries.vector * 7919 + entries.coefficient) % _SEEDS.shape[1]
    h = np.zeros((n_unknowns, 2), dtype=np.int64)
    for j in range(2):
        weight = _SEEDS[j][slot] * (entries.vector + 1) + entries.coefficient
        np.add.at(h[:, j], entries.unknown, weight)
    mixed = h[:, 0] * np.int64(-7046029254386353131) + h[:, 1]
    _, block = np.unique(mixed, return_inverse=True)
    return np.asarray(block, dtype=np.int64).reshape(-1)


def _components(n_vectors: int, n_blocks: int, cells: NDArray[np.int64]) -> NDArray[np.int64]:
    """A component id per vector (vectors linked through shared blocks)."""
    graph = scipy.sparse.coo_matrix(
        (np.ones(len(cells)), (cells[:, 0], n_vectors + cells[:, 1])),
        shape=(n_vectors + n_blocks, n_vectors + n_blocks),
    )
    _, labels = scipy.sparse.csgraph.connected_components(graph, directed=False)
    return np.asarray(labels[:n_vectors], dtype=np.int64)


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
    agents = entries.agent_of_unknown - entries.agent_of_unknown.min()
    agent_block, _ = _packed_unique([block_of_unknown, agents])
    small = np.bincount(agent_block[:, 0], minlength=n_blocks) < k
    # One coefficient per (vector, block): every unknown of a block has the same one.
    low = int(entries.coefficient.min())
    cells, _ = _packed_unique([entries.vector, block_of_entry, entries.coefficient - low])
    cells[:, 2] += low
    return _Layout(
        n_old=len(old),
        n_known=len(knowledge),
        n_new=len(new),
        component=_components(len(everything), n_blocks, cells),
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

    def culprits(self, c: int) -> list[list[int]] | None:
        """Per exposure in component ``c``, the new vectors taking part (``None``: safe).

        An exposure is a combination of the vectors that lives on small blocks and is not
        known, or a hidden target that the vectors determine. The new vectors with a nonzero
        coefficient in such a combination are its culprits (positions among the new
        vectors); when no new vector takes part (the exposure was there before), every new
        vector of the component is.
        """
        first_known, first_new = self.n_old, self.n_old + self.n_known
        first_target = first_new + self.n_new
        members = np.flatnonzero(self.component == c)
        rows = self.cells[np.isin(self.cells[:, 0], members)]
        local_blocks, column = np.unique(rows[:, 1], return_inverse=True)
        is_target = members >= first_target
        big = ~self.small[local_blocks]
        if big.all() and not is_target.any():
            return None  # no small block and nothing hidden: nothing to expose
        matrix = np.zeros((len(members), len(local_blocks)))
        matrix[np.searchsorted(members, rows[:, 0]), column.reshape(-1)] = rows[:, 2]
        # New vectors in the span of the old ones (and of other new ones) add nothing:
        # leave them out, so that a culprit is a vector the exposure really needs.
        independent, rank = _independent_rows(matrix, members < first_new, ~is_target)
        spanning_members = members[independent]
        spanning = matrix[independent]
        is_known = (spanning_members >= first_known) & (spanning_members < first_new)
        weights = (
            _small_set_weights(spanning, big, spanning[is_known][:, ~big]) if not big.all() else []
        )
        for i in np.flatnonzero(is_target).tolist():
            if _rank(np.vstack([spanning, matrix[i : i + 1]])) == rank:
                solved, *_ = np.linalg.lstsq(spanning.T, matrix[i], rcond=None)
                weights.append(solved)
        is_new = spanning_members >= first_new
        found: list[list[int]] = []
        for w in weights:
            involved = np.abs(w) > _TOLERANCE * max(1.0, float(np.abs(w).max()))
            found.append([int(v) - first_new for v in spanning_members[involved & is_new]])
        if not weights:
            return None
        if not any(found):
            return [[int(v) - first_new for v in members[(members >= first_new) & ~is_target]]]
        return [f for f in found if f]


_TOLERANCE = 1e-9


def _independent_rows(
    matrix: NDArray[np.float64], base: NDArray[np.bool_], candidates: NDArray[np.bool_]
) -> tuple[NDArray[np.bool_], int]:
    """``base`` rows, and a largest set of other ``candidates`` independent modulo them.

    Also returns the rank of all the ``candidates`` rows.

    A rank-revealing QR decomposition (column pivoting) of the rows as columns, with the
    base rows scaled up so that the pivoting takes every one of them it can first: the other
    rows it then takes before the rank is reached are independent of the base rows.
    """
    keep = base & candidates
    others = np.flatnonzero(candidates & ~base)
    if not len(others):
        return keep, _rank(matrix[keep])
    order = np.concatenate([np.flatnonzero(keep), others])
    weight = np.where(np.arange(len(order)) < int(keep.sum()), _BASE_WEIGHT, 1.0)
    columns = matrix[order].T * weight
    _, r, pivots = scipy.linalg.qr(columns, mode="economic", pivoting=True)
    diagonal = np.abs(np.diagonal(r))
    rank = int(np.count_nonzero(diagonal > _TOLERANCE * max(1.0, float(diagonal[0]))))
    chosen = order[pivots[:rank]]
    keep[chosen[~base[chosen]]] = True
    return keep, rank


#: How much more the pivoting favours a base row than another (0/1 data: far apart).
_BASE_WEIGHT = 1e6


def _small_set_weights(
    spanning: NDArray[np.float64], big: NDArray[np.bool_], known: NDArray[np.float64]
) -> list[NDArray[np.float64]]:
    """Row weights of combinations that vanish on big blocks and are not known."""
    on_big = spanning[:, big]
    if on_big.shape[1]:
        # A rank-revealing QR (column pivoting): the last columns of Q span the left null
        # space of the big-block part, as an SVD's would, at a fraction of the cost.
        q, r, _ = scipy.linalg.qr(on_big, mode="full", pivoting=True)
        diagonal = np.abs(np.diagonal(r))
        scale = max(1.0, float(diagonal[0])) if len(diagonal) else 1.0
        rank = int(np.count_nonzero(diagonal > _TOLERANCE * scale))
        left_null = q[:, rank:]
    else:
        left_null = np.eye(len(spanning))
    if not left_null.shape[1]:
        return []
    small_parts = left_null.T @ spanning[:, ~big]
    if known.size:
        _, singular, vt = np.linalg.svd(known, full_matrices=False)
        basis = vt[singular > max(known.shape) * np.finfo(np.float64).eps * singular[0]]
        small_parts = small_parts - (small_parts @ basis.T) @ basis
    norms = np.linalg.norm(small_parts, axis=1)
    scale = max(1.0, float(np.abs(spanning).max()))
    return [left_null[:, j] for j in np.flatnonzero(norms > 1e-7 * scale).tolist()]


def exposures(
    old: Sequence[Vector],
    new: Sequence[Vector],
    *,
    k: int,
    knowledge: Sequence[Vector] = (),
    targets: Sequence[Vector] = (),
    constants: frozenset[str] = frozenset(),
    possible: Possible | None = None,
) -> list[int]:
    """Positions in ``new`` of vectors taking part in an exposure the release would create.

    An empty list means the new vectors may be released; see :func:`exposure_groups`.
    """
    groups = exposure_groups(
        old, new, k=k, knowledge=knowledge, targets=targets, constants=constants, possible=possible
    )
    return sorted({i for _, group in groups for i in group})


def exposure_groups(
    old: Sequence[Vector],
    new: Sequence[Vector],
    *,
    k: int,
    knowledge: Sequence[Vector] = (),
    targets: Sequence[Vector] = (),
    constants: frozenset[str] = frozenset(),
    possible: Possible | None = None,
) -> list[tuple[int, list[int]]]:
    """Per exposure the release would create: its part of the space and the new vectors in it.

    The new vectors are given as positions in ``new``.

    ``old`` are the vectors released before (assumed safe), ``knowledge`` what viewers
    know, ``targets`` sums that must stay hidden (suppressed cells). ``constants`` are atoms
    an attacker may know from outside (the folded sensitive time, known to be zero where
    nobody holds a union role): the test is run with and without them as known numbers.
    ``possible`` says where finer unknowns can be nonzero (see ``_refine``).
    """
    found = _exposed(old, knowledge, new, targets, k=k, possible=possible)
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
        again = _exposed(strip(old), knowledge, stripped_new, kept, k=k, possible=possible)
        found += [
            (-1 - c, [i for i in g if stripped_new[i].atoms])
            for c, g in again
            if any(stripped_new[i].atoms for i in g)
        ]
    return found


def _atom_groups(vectors: Sequence[Vector]) -> list[int]:
    """Per vector, its group: vectors whose atoms are linked (share an atom, transitively)."""
    parent: dict[str, str] = {}

    def find(a: str) -> str:
        while parent.setdefault(a, a) != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for v in vectors:
        names = [root_of(a) for a, _ in v.atoms]
        for other in names[1:]:
            ra, rb = find(names[0]), find(other)
            if ra != rb:
                parent[ra] = rb
    roots: dict[str, int] = {}
    return [roots.setdefault(find(root_of(v.atoms[0][0])), len(roots)) for v in vectors]


def _exposed(
    old: Sequence[Vector],
    knowledge: Sequence[Vector],
    new: Sequence[Vector],
    targets: Sequence[Vector],
    *,
    k: int,
    possible: Possible | None = None,
) -> list[tuple[int, list[int]]]:
    """Exposures per part of the space, each group of linked atoms on its own.

    Vectors of unlinked atoms never mix, so each group is tested alone, and groups alike up
    to atom names (a rate's two sums, an audit's counts at each limit) only once.
    """
    kinds = [(0, old), (1, knowledge), (2, new), (3, targets)]
    tagged = [(kind, i, v) for kind, vs in kinds for i, v in enumerate(vs) if v.atoms and len(v)]
    group_of = _atom_groups([v for _, _, v in tagged])
    members: dict[int, list[tuple[int, int, Vector]]] = {}
    for g, item in zip(group_of, tagged, strict=True):
        members.setdefault(g, []).append(item)
    found: list[tuple[int, list[int]]] = []
    seen: dict[tuple[tuple[int, int], ...], list[tuple[int, list[int]]]] = {}
    for g, items in members.items():
        if not any(kind == 2 for kind, _, _ in items):
            continue
        new_positions = [i for kind, i, _ in items if kind == 2]
        terms = refine([v for _, _, v in items], possible)
        if any(t is not None for t in terms):
            # Finer unknowns: written out for this test, never shared with another group.
            written = [
                (kind, i, v if t is None else Vector(v.atoms, v.support, t))
                for (kind, i, v), t in zip(items, terms, strict=True)
            ]
            part = [[v for kind, _, v in written if kind == n] for n in range(4)]
            found += [
                (g * 1_000_000 + c, [new_positions[j] for j in group])
                for c, group in _exposed_in(part[0], part[1], part[2], part[3], k=k)
            ]
            continue
        shape = tuple((kind, hash((v.support.tobytes(), tuple(c for _, c in v.atoms))))
                      for kind, _, v in items)  # fmt: skip
        if shape not in seen:
            part = [[v for kind, _, v in items if kind == n] for n in range(4)]
            seen[shape] = _exposed_in(part[0], part[1], part[2], part[3], k=k)
        found += [
            (g * 1_000_000 + c, [new_positions[j] for j in group]) for c, group in seen[shape]
        ]
    return found


def _exposed_in(
    old: Sequence[Vector],
    knowledge: Sequence[Vector],
    new: Sequence[Vector],
    targets: Sequence[Vector],
    *,
    k: int,
) -> list[tuple[int, list[int]]]:
    layout = _layout(old, knowledge, new, targets, k=k)
    if layout is None:
        return []
    first_new = layout.n_old + layout.n_known
    own = layout.component[first_new : first_new + layout.n_new]
    found: list[tuple[int, list[int]]] = []
    for c in sorted(set(own.tolist())):
        culprits = layout.culprits(c)
        if culprits is not None:
            found += [(c, group) for group in culprits]
    return found


def knowledge_exposes(
    old: Sequence[Vector],
    knowledge: Sequence[Vector],
    learned: Sequence[Vector],
    *,
    k: int,
    targets: Sequence[Vector] = (),
    possible: Possible | None = None,
) -> bool:
    """Whether learning ``learned`` (an opened share) would, with ``old``, reveal others.

    ``learned`` is added to the knowledge; the components it joins are tested as a release
    is. What it reveals of its own agent is the share's purpose and does not count.
    """
    everything = [*old, *knowledge, *learned, *targets]
    terms = refine(everything, possible)
    if any(t is not None for t in terms):  # finer atoms: written out for this test
        everything = [
            v if t is None else Vector(v.atoms, v.support, t)
            for v, t in zip(everything, terms, strict=True)
        ]
        n_old, n_known = len(old), len(knowledge) + len(learned)
        old = everything[:n_old]
        knowledge = everything[n_old : n_old + len(knowledge)]
        learned = everything[n_old + len(knowledge) : n_old + n_known]
        targets = everything[n_old + n_known :]
    layout = _layout(old, [*knowledge, *learned], [], targets, k=k)
    if layout is None:
        return False
    first = layout.n_old + len(knowledge)
    touched = set(layout.component[first : first + len(learned)].tolist())
    return any(layout.culprits(c) is not None for c in sorted(touched))
