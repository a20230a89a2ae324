"""Finer atoms written on demand: the linear identities between a total and its parts.

Charged out-of-adherence time is one quantity seen three ways: by kind (late start, early
end, ...), by the scheduled activity it lies in (its *place*) and by local half hour (its
*slot*). In the space every one of these is a sum of the same finest unknowns
``x[a, d, charged | kind=k, place=p, slot=s]``, and the total ``out_of_adherence_charged_ms``
is the sum of them all. Releases of the total, of kinds, of places and of half-hour cells
are therefore tied by identities (the kinds sum to the total; a half hour is the total minus
the other half hours), and the one-space test must see them, or differencing through them
works.

Keeping the finest unknowns always would multiply the cost of every adherence release by
the number of combinations (hundreds). Instead, :func:`refine` rewrites the vectors of one
test only when some vector in it uses a finer atom, and only along the axes used there;
values of an axis no vector names are merged into one ``rest`` value (an unknown that lies
in the same vectors as another adds nothing). ``scheduled_ms`` and ``observed_state_ms`` are
refined by slot in the same way.

Some of the finest unknowns are zero for everyone to see: charged time lies only in counted
scheduled time, so ``x[a, d, slot=s]`` is zero unless agent ``a``'s schedule on day ``d`` has
counted time in half hour ``s``; time charged during a scheduled meeting is zero on a day
without one. An attacker knows these zeros, so the test must too: :class:`Possible` says,
from the schedule alone, where each finer unknown can be nonzero, and refined vectors leave
the others out. (Without that, the total over a team minus all half hours but one would look
like a sum over the whole team, while it is the sum over the few agents scheduled then.)
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import polars as pl
from numpy.typing import NDArray

from adherence._engine import HALF_HOURS, OUT_KINDS, OUT_PLACES

if TYPE_CHECKING:
    from adherence.privacy._space import Vector


@dataclass(frozen=True, eq=False)
class Parts:
    """A vector's terms in finer unknowns, one row per (pair, atom) entry."""

    names: tuple[str, ...]
    """The atoms the rows name (by position)."""
    pairs: NDArray[np.int64]
    """``n × 2`` (agent, day) pairs."""
    atom: NDArray[np.int64]
    """Per row, its atom's position in ``names``."""
    coefficient: NDArray[np.int64]
    """Per row, its coefficient."""


__all__ = ["Possible", "coordinates", "refine", "root_of", "slot_atom"]

_CHARGED = "out_of_adherence_charged_ms"
#: The axes each refinable atom has, with every value.
AXES: dict[str, dict[str, tuple[str, ...]]] = {
    _CHARGED: {"kind": OUT_KINDS, "place": OUT_PLACES, "slot": HALF_HOURS},
    "scheduled_ms": {"slot": HALF_HOURS},
    "observed_state_ms": {"slot": HALF_HOURS},
}
_NAMED: dict[str, tuple[str, dict[str, str]]] = {
    **{f"out_of_adherence_{k}_ms": (_CHARGED, {"kind": k}) for k in OUT_KINDS},
    **{
        (f"out_of_adherence_in_{p}_ms" if p != "outside_shift" else f"out_of_adherence_{p}_ms"): (
            _CHARGED,
            {"place": p},
        )
        for p in OUT_PLACES
    },
    **{root: (root, {}) for root in AXES},
}
#: The order axes are written in (see ``refine``).
_AXIS_ORDER = ("slot", "kind", "place")
#: Kinds that need a scheduled activity of the day (``long_meal``: a meal).
_KIND_NEEDS: dict[str, str] = {
    "long_meal": "meal",
    "late_from_break": "break",
    "unscheduled_pause": "open",
}


def slot_atom(atom: str, half_hour: str) -> str:
    """The atom of ``atom`` in one local half hour: ``"scheduled_ms@08:00"``."""
    return f"{atom}@{half_hour}"


def coordinates(atom: str) -> tuple[str, dict[str, str]] | None:
    """The refinable atom ``atom`` belongs to and its fixed axes, or ``None``."""
    root, at, slot = atom.partition("@")
    if at:
        return (root, {"slot": slot}) if root in AXES else None
    return _NAMED.get(atom)


def root_of(atom: str) -> str:
    """The atom the refinable ``atom`` is part of; any other atom is its own root."""
    found = coordinates(atom)
    return found[0] if found else atom


def _key(pairs: NDArray[np.int64]) -> NDArray[np.int64]:
    return pairs[:, 0].astype(np.int64) * (1 << 32) + pairs[:, 1].astype(np.int64)


@dataclass(frozen=True)
class Possible:
    """Where each finer unknown can be nonzero, from the schedule only.

    ``sets`` maps ``(axis, value)`` to the sorted keys (agent code × 2^32 + day) of the
    (agent, day) pairs where it can; an absent entry means everywhere.
    """

    sets: Mapping[tuple[str, str], NDArray[np.int64]] = field(default_factory=dict)

    @classmethod
    def of(cls, slots: pl.DataFrame, scheduled: pl.DataFrame, *, outside_shift: bool) -> Possible:
        """From the ``slots`` and ``scheduled`` tables (see ``_atoms.Tables``)."""
        sets: dict[tuple[str, str], NDArray[np.int64]] = {}
        keyed = slots.select(
            (pl.col("_agent").cast(pl.Int64) * (1 << 32) + pl.col("_day").cast(pl.Int64)).alias(
                "_k"
            ),
            "half_hour",
        )
        for (half_hour,), part in keyed.partition_by("half_hour", as_dict=True).items():
            sets[("slot", str(half_hour))] = np.unique(part["_k"].to_numpy())
        for s in HALF_HOURS:
            sets.setdefault(("slot", s), np.zeros(0, np.int64))
        days = scheduled.select(
            (pl.col("_agent").cast(pl.Int64) * (1 << 32) + pl.col("_day").cast(pl.Int64)).alias(
                "_k"
            ),
            "activities",
        ).explode("activities")
        for (activity,), part in days.partition_by("activities", as_dict=True).items():
            sets[("place", str(activity))] = np.unique(part["_k"].to_numpy())
        for p in OUT_PLACES:
            if p == "outside_shift" and outside_shift:
                continue
            sets.setdefault(("place", p), np.zeros(0, np.int64))
        for kind, activity in _KIND_NEEDS.items():
            sets[("kind", kind)] = sets[("place", activity)]
        return cls(sets)

    def mask(self, pairs: NDArray[np.int64], axis: str, value: str) -> NDArray[np.bool_]:
        """Which of ``pairs`` (sorted (agent, day) rows) can be nonzero at ``axis=value``."""
        allowed = self.sets.get((axis, value))
        if allowed is None:
            return np.ones(len(pairs), dtype=bool)
        keys = _key(pairs)
        at = np.searchsorted(allowed, keys)
        at[at == len(allowed)] = 0
        return allowed[at] == keys if len(allowed) else np.zeros(len(pairs), dtype=bool)

    def restrict(self, pairs: NDArray[np.int64], atoms: Sequence[str]) -> NDArray[np.int64]:
        """The pairs where some of ``atoms`` can be nonzero (all of them when none refines)."""
        keep = np.zeros(len(pairs), dtype=bool)
        for atom in atoms:
            found = coordinates(atom)
            if found is None:
                return pairs
            mine = np.ones(len(pairs), dtype=bool)
            for axis, value in found[1].items():
                mine &= self.mask(pairs, axis, value)
            keep |= mine
        return pairs[keep]


def refine(vectors: Sequence[Vector], possible: Possible | None) -> list[Parts | None]:
    """Per vector, its terms in the finer unknowns the test needs (``None``: as it is).

    Only marginals are ever released (a kind, a place or a half hour, never a kind in a half
    hour), so the unknowns per (agent, day) pair are the parts along each axis used, tied by
    one identity per further axis: every axis sums to the same total. The identity is kept by
    writing one part of each further axis (its *pivot*: the first that can be nonzero at the
    pair) as the total minus the others. Per pair this gives exactly the linear knowledge the
    marginals carry about the finest unknowns (kind × place × half hour, whose possible
    combinations connect every kind to every place), with a few unknowns where the product
    would have hundreds. Values of an axis no vector names are merged into one part; each
    part keeps only the pairs where it can be nonzero (``possible``).
    """
    used: dict[str, dict[str, set[str]]] = {}
    for v in vectors:
        for atom, _ in v.atoms:
            found = coordinates(atom)
            if found is not None:
                root, fixed = found
                axes = used.setdefault(root, {})
                for axis, value in fixed.items():
                    axes.setdefault(axis, set()).add(value)
    used = {root: axes for root, axes in used.items() if axes}
    if not used:
        return [None] * len(vectors)
    names: list[str] = []
    # Where the first axis of each root is named at all: elsewhere its parts always occur
    # together (in totals only) and are one unknown per pair.
    first_axis = {root: min(axes, key=_AXIS_ORDER.index) for root, axes in used.items()}
    covered = {root: _covered(vectors, root, axis) for root, axis in first_axis.items()}
    signature = (tuple(sorted((r, tuple(sorted((a, tuple(sorted(x))) for a, x in axes.items())))
                              for r, axes in used.items())), id(possible),
                 tuple(sorted((r, hash(c.tobytes())) for r, c in covered.items())))  # fmt: skip
    todo = [
        v
        for v in vectors
        if any(root_of(a) in used for a, _ in v.atoms) and _CACHE.get(v, (None,))[0] != signature
    ]
    supports = [v.support for v in todo if len(v)]
    keys = (
        np.unique(np.concatenate([_key(s) for s in supports]))
        if supports
        else np.zeros(0, np.int64)
    )
    layouts = _layouts(
        used, keys, first_axis=first_axis, covered=covered, possible=possible, names=names
    )
    refined: list[Parts | None] = []
    for v in vectors:
        if not any(root_of(a) in used for a, _ in v.atoms):
            refined.append(None)
            continue
        cached = _CACHE.get(v)
        if cached is not None and cached[0] == signature:
            refined.append(cached[1])
            continue
        rows = np.searchsorted(keys, _key(v.support)) if len(v) else np.zeros(0, np.int64)
        chunks: list[tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]] = []
        for atom, coefficient in v.atoms:
            found = coordinates(atom)
            if found is None or found[0] not in used:
                atom_index = len(names)
                names.append(atom)
                n = len(v.support)
                chunks.append(
                    (np.arange(n), np.full(n, atom_index), np.full(n, coefficient, np.int64))
                )
                continue
            chunks += _terms(found[1], coefficient, rows, layouts[found[0]])
        at = np.concatenate([c[0] for c in chunks]).astype(np.int64)
        parts = Parts(
            tuple(names),
            v.support[at],
            np.concatenate([c[1] for c in chunks]).astype(np.int64),
            np.concatenate([c[2] for c in chunks]).astype(np.int64),
        )
        _CACHE[v] = (signature, parts)
        refined.append(parts)
    return refined


#: Refined terms of recent vectors: the rounds of one decision test the same vectors again.
_CACHE: weakref.WeakKeyDictionary[Vector, tuple[object, Parts]] = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class _Layout:
    """One refined root: per axis its parts, their atoms' first position and their masks."""

    groups: dict[str, list[tuple[str, tuple[str, ...]]]]
    offset: dict[str, int]
    masks: dict[str, NDArray[np.bool_]]
    """Per axis: for every pair of the test, which parts can be nonzero there."""


def _layouts(
    used: Mapping[str, Mapping[str, set[str]]],
    keys: NDArray[np.int64],
    *,
    first_axis: Mapping[str, str],
    covered: Mapping[str, NDArray[np.int64]],
    possible: Possible | None,
    names: list[str],
) -> dict[str, _Layout]:
    """Per refined root: its axes' parts and their masks over the pairs ``keys``.

    The parts' atoms are appended to ``names``. The first axis of a root gets one more part,
    ``*``: the whole root at the pairs where no vector names a part of that axis.
    """
    pairs = np.column_stack([keys >> 32, keys & ((1 << 32) - 1)]).astype(np.int64)
    layouts: dict[str, _Layout] = {}
    for root, axes in used.items():
        layout = _Layout({}, {}, {})
        # The axis whose possible parts differ most between pairs (the half hours of each
        # shift) is written out in full; the others are tied to it by pivots, and their
        # pivot (the first part possible at a pair) is then the same at almost every pair,
        # so the pivots do not split the unknowns into many small blocks.
        for axis, values in sorted(axes.items(), key=lambda item: _AXIS_ORDER.index(item[0])):
            groups = _groups(AXES[root][axis], values)
            masks = np.column_stack(
                [_members_mask(possible, pairs, axis, members) for _, members in groups]
            )
            if axis == first_axis[root]:
                named = np.isin(keys, covered[root])
                groups = [*groups, ("*", ())]
                masks = np.column_stack([masks & named[:, None], masks.any(axis=1) & ~named])
            layout.offset[axis] = len(names)
            names += [f"{root}|{axis}={label}" for label, _ in groups]
            layout.groups[axis] = groups
            layout.masks[axis] = masks
        layouts[root] = layout
    return layouts


def _covered(vectors: Sequence[Vector], root: str, axis: str) -> NDArray[np.int64]:
    """The sorted keys of the pairs some vector fixing ``axis`` of ``root`` covers."""
    found = [
        _key(v.support)
        for v in vectors
        if len(v)
        and any(
            (c := coordinates(a)) is not None and c[0] == root and axis in c[1] for a, _ in v.atoms
        )
    ]
    return np.unique(np.concatenate(found)) if found else np.zeros(0, np.int64)


def _members_mask(
    possible: Possible | None, pairs: NDArray[np.int64], axis: str, members: Sequence[str]
) -> NDArray[np.bool_]:
    either = np.zeros(len(pairs), dtype=bool)
    for member in members:
        either |= (
            possible.mask(pairs, axis, member)
            if possible is not None
            else np.ones(len(pairs), dtype=bool)
        )
    return either


def _groups(values: Sequence[str], named: set[str]) -> list[tuple[str, tuple[str, ...]]]:
    """An axis's parts: each named value alone, the others merged (label, members)."""
    found = [(v, (v,)) for v in values if v in named]
    rest = tuple(v for v in values if v not in named)
    return found + ([("+".join(rest), rest)] if rest else [])


_Chunk = tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]


def _terms(
    fixed: Mapping[str, str], coefficient: int, rows: NDArray[np.int64], layout: _Layout
) -> list[_Chunk]:
    """The entries (position in the support, atom, coefficient) of one refinable atom."""
    masks = {axis: m[rows] for axis, m in layout.masks.items()}
    alive = np.logical_and.reduce([m.any(axis=1) for m in masks.values()])
    axes = list(layout.groups)
    first = axes[0]

    def spread(where: NDArray[np.bool_], axis: str, sign: int, skip: int = -1) -> _Chunk:
        chosen = masks[axis] & where[:, None]
        if skip >= 0:
            chosen[:, skip] = False
        at, group = np.nonzero(chosen)
        return at, group + layout.offset[axis], np.full(len(at), sign * coefficient, np.int64)

    if not fixed:
        return [spread(alive, first, 1)]
    ((axis, value),) = fixed.items()
    index = next(i for i, (_, members) in enumerate(layout.groups[axis]) if value in members)
    mine = alive & masks[axis][:, index]
    atom = layout.offset[axis] + index
    if axis == first:
        at = np.flatnonzero(mine)
        return [(at, np.full(len(at), atom), np.full(len(at), coefficient, np.int64))]
    # The pivot of this axis at each pair: the first part that can be nonzero there.
    at_pivot = mine & (np.argmax(masks[axis], axis=1) == index)
    plain = np.flatnonzero(mine & ~at_pivot)
    return [
        (plain, np.full(len(plain), atom), np.full(len(plain), coefficient, np.int64)),
        spread(at_pivot, first, 1),
        spread(at_pivot, axis, -1, skip=index),
    ]
