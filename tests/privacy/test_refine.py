"""The finer atoms in the one space: identities between a total and its parts, public zeros."""

from __future__ import annotations

import numpy as np
import pytest

from adherence._engine import HALF_HOURS, OUT_KINDS, OUT_PLACES
from adherence.privacy._refine import Possible, coordinates, root_of, slot_atom
from adherence.privacy._space import Vector, exposures

TOTAL = "out_of_adherence_charged_ms"
TEAM = [(a, 0) for a in range(6)]
OTHERS = [(a, 0) for a in range(1, 6)]
SHIFT = HALF_HOURS[16:30]  # 08:00-14:30


def _total(pairs: list[tuple[int, int]]) -> Vector:
    return Vector.of({TOTAL: 1}, pairs)


def _kinds(pairs: list[tuple[int, int]]) -> list[Vector]:
    return [Vector.of({f"out_of_adherence_{k}_ms": 1}, pairs) for k in OUT_KINDS]


def _places(pairs: list[tuple[int, int]]) -> list[Vector]:
    names = [
        f"out_of_adherence_in_{p}_ms" if p != "outside_shift" else f"out_of_adherence_{p}_ms"
        for p in OUT_PLACES
    ]
    return [Vector.of({n: 1}, pairs) for n in names]


def _slots(pairs: list[tuple[int, int]], labels: tuple[str, ...]) -> list[Vector]:
    return [Vector.of({slot_atom(TOTAL, s): 1}, pairs) for s in labels]


def _possible(alone: dict[str, list[tuple[int, int]]]) -> Possible:
    def key(pairs: list[tuple[int, int]]) -> np.ndarray:
        return np.array(sorted(a * (1 << 32) + d for a, d in pairs), dtype=np.int64)

    sets = {("slot", s): key([]) for s in HALF_HOURS}
    sets |= {("slot", s): key(TEAM) for s in SHIFT}
    sets |= {("slot", s): key(pairs) for s, pairs in alone.items()}
    return Possible(sets)


def test_coordinates() -> None:
    assert coordinates("out_of_adherence_long_meal_ms") == (TOTAL, {"kind": "long_meal"})
    assert coordinates("out_of_adherence_in_meeting_ms") == (TOTAL, {"place": "meeting"})
    assert coordinates("scheduled_ms@08:30") == ("scheduled_ms", {"slot": "08:30"})
    assert coordinates("meal_ms") is None
    assert root_of("out_of_adherence_outside_shift_ms") == TOTAL
    assert root_of("meal_ms") == "meal_ms"


@pytest.mark.parametrize(
    ("old", "new", "exposed"),
    [
        # The kinds of the team without agent 0 against the team's total: agent 0's total.
        ([_total(TEAM)], _kinds(OTHERS), True),
        ([_total(TEAM)], _kinds(TEAM), False),
        # The kinds of the team against the activities of the team without agent 0.
        (_kinds(TEAM), _places(OTHERS), True),
        (_kinds(TEAM), _places(TEAM), False),
        # Half hours of the others against the team's total.
        ([_total(TEAM)], _slots(OTHERS, SHIFT), True),
        ([_total(TEAM)], _slots(TEAM, SHIFT), False),
        # Half hours of the team against kinds of the others (the total ties them).
        (_slots(TEAM, SHIFT), _kinds(OTHERS), True),
        (_slots(TEAM, SHIFT), _kinds(TEAM), False),
    ],
)
def test_parts_and_totals_are_tied(old: list[Vector], new: list[Vector], exposed: bool) -> None:
    assert bool(exposures(old, new, k=5, possible=_possible({}))) is exposed


def test_the_schedules_zeros_are_known() -> None:
    # Agent 0 alone is scheduled at 07:30. The team's total minus its half hours 08:00-14:30
    # is agent 0's 07:30: exposed, though every released half hour covers six agents.
    possible = _possible({"07:30": [(0, 0)]})
    assert exposures([_total(TEAM)], _slots(TEAM, SHIFT), k=5, possible=possible)
    # Without the zeros, the same releases would look safe: they must be known.
    assert not exposures([_total(TEAM)], _slots(TEAM, SHIFT), k=5)


def test_restrict_keeps_the_pairs_that_can_contribute() -> None:
    meeting = np.array([0 * (1 << 32) + 0, 3 * (1 << 32) + 0], dtype=np.int64)
    possible = Possible({("place", "meeting"): meeting})
    pairs = np.array(TEAM, dtype=np.int64)
    kept = possible.restrict(pairs, ["out_of_adherence_in_meeting_ms"])
    assert kept.tolist() == [[0, 0], [3, 0]]
    assert possible.restrict(pairs, ["meal_ms"]).tolist() == pairs.tolist()
