from __future__ import annotations

from collections.abc import Collection, Sequence
from random import Random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adherence.privacy._linear import Exposure, Member, new_exposure

D = 20_000  # a day number
NOTHING = Exposure(agents=frozenset(), targets=())


def cell(agents: Sequence[int], days: Sequence[int] = (D,)) -> list[Member]:
    return [(a, d) for a in agents for d in days]


def week(agents: Sequence[int]) -> list[Member]:
    return cell(agents, range(D, D + 5))


# --------------------------------------------------------------------------- hand cases


def test_no_rows_at_all() -> None:
    assert new_exposure([], []) == NOTHING
    assert not new_exposure([], [])


def test_no_new_rows() -> None:
    assert new_exposure([cell([1])], []) == NOTHING


@pytest.mark.parametrize(
    ("old", "new", "agents"),
    [
        # A one-agent cell isolates that agent.
        ([], [cell([1])], {1}),
        ([], [cell([1], [D, D + 1])], {1}),
        # The classic tracker: a team total, then the same team without agent 6.
        ([cell(range(1, 7))], [cell(range(1, 6))], {6}),
        ([], [cell(range(1, 7)), cell(range(1, 6))], {6}),
        # Two disjoint team cells.
        ([cell([1, 2, 3])], [cell([4, 5, 6])], set()),
        # New rows that repeat old rows.
        ([cell(range(1, 7)), cell(range(1, 6))], [cell(range(1, 7))], set()),
        ([cell([1, 2]), cell([2, 3])], [cell([2, 1]), cell([3, 2])], set()),
        # A week cell equal to the sum of released day cells adds nothing ...
        ([cell([1, 2, 3], [d]) for d in range(D, D + 5)], [week([1, 2, 3])], set()),
        # ... a week cell of part of the team leaves agent 3's week as the difference ...
        ([cell([1, 2, 3], [d]) for d in range(D, D + 5)], [week([1, 2])], {3}),
        # ... and day cells of part of the team against a team week isolate nothing.
        ([week([1, 2, 3])], [cell([1, 2], [d]) for d in range(D, D + 5)], {3}),
        ([week([1, 2, 3])], [cell([1, 2], [d]) for d in range(D, D + 4)], set()),
        # Only x[1, D] - x[1, D + 1] is determined: a combination that involves agent 1 alone.
        ([], [[(1, D), (2, D)], [(1, D + 1), (2, D)]], {1}),
        ([[(1, D), (2, D)]], [[(1, D + 1), (2, D)]], {1}),
        # Agent 1 already isolated by old rows on another day: nothing new.
        ([cell([1], [D])], [cell([1], [D + 1])], set()),
        ([cell([1, 2], [D]), cell([2], [D])], [cell([1, 3], [D + 1]), cell([3], [D + 1])], {3}),
        # Already isolated in the same component.
        ([cell([1, 2]), cell([2])], [cell([1, 2]), cell([1])], set()),
        ([cell([1, 2]), cell([2])], [cell([1, 2, 3])], {3}),
    ],
)
def test_agents_isolated(
    old: list[list[Member]], new: list[list[Member]], agents: set[int]
) -> None:
    assert new_exposure(old, new) == Exposure(agents=frozenset(agents), targets=())


def test_known_member_removes_the_last_other_unknown() -> None:
    result = new_exposure([], [cell([1, 2])], known=[(2, D)])

    assert result == Exposure(agents=frozenset({1}), targets=())
    assert result


def test_known_members_empty_a_row() -> None:
    assert new_exposure([], [cell([1, 2])], known=cell([1, 2])) == NOTHING


def test_known_on_another_day_changes_nothing() -> None:
    assert new_exposure([], [cell([1, 2])], known=[(2, D + 1)]) == NOTHING


def test_target_determined_without_isolating_anyone() -> None:
    result = new_exposure(
        [cell(range(1, 9))], [cell(range(4, 9))], targets=[cell([1, 2, 3]), cell([1, 2])]
    )

    assert result == Exposure(agents=frozenset(), targets=(0,))


def test_target_already_determined_by_old_rows() -> None:
    old = [cell(range(1, 9)), cell(range(4, 9))]

    assert new_exposure(old, [cell([4, 5])], targets=[cell([1, 2, 3])]) == NOTHING


def test_targets_reported_sorted() -> None:
    targets = [cell([4]), cell([1, 2]), cell([9]), cell([3, 4]), cell([1, 2, 3, 4])]

    result = new_exposure([cell([1, 2, 3, 4])], [cell([4]), cell([3])], targets=targets)

    assert result == Exposure(agents=frozenset({3, 4}), targets=(0, 1, 3))


def test_target_spanning_components_needs_every_part() -> None:
    old = [cell([1, 2], [D])]
    new = [cell([3, 4], [D + 1])]
    whole = cell([1, 2], [D]) + cell([3, 4], [D + 1])
    part = cell([1, 2], [D]) + cell([3], [D + 1])

    assert new_exposure(old, new, targets=[whole, part]) == Exposure(
        agents=frozenset(), targets=(0,)
    )


def test_target_with_an_unreleased_member_is_never_determined() -> None:
    assert new_exposure([], [cell([1, 2])], targets=[cell([1, 2, 3])]) == NOTHING


def test_target_emptied_by_known_is_ignored() -> None:
    result = new_exposure([], [cell([1, 2])], targets=[cell([1, 2])], known=cell([1, 2]))

    assert result == NOTHING


def test_target_made_determinable_by_known() -> None:
    result = new_exposure([], [cell([1, 2, 3])], targets=[cell([1, 2])], known=[(3, D)])

    assert result == Exposure(agents=frozenset(), targets=(0,))


def test_duplicate_members_in_a_row_count_once() -> None:
    assert new_exposure([cell([1, 2])], [[(1, D), (1, D), (2, D)]]) == NOTHING


def test_codes_too_far_apart_to_pack() -> None:
    far, late = 2**40, 2**30
    old = [[(1, D), (far, D)], [(1, late), (far, late)]]

    result = new_exposure(old, [[(far, D)]], targets=[[(1, D), (1, late)]])

    assert result == Exposure(agents=frozenset({1, far}), targets=())


def test_exposure_truth() -> None:
    assert not Exposure(agents=frozenset(), targets=())
    assert Exposure(agents=frozenset({1}), targets=())
    assert Exposure(agents=frozenset(), targets=(2,))


# --------------------------------------------------------------------------- properties


def _exposed_by_rank(
    rows: list[frozenset[Member]],
    columns: list[Member],
    targets: list[frozenset[Member]],
) -> tuple[set[int], set[int]]:
    """The rank criterion on the full, uncompressed matrix."""
    position = {m: j for j, m in enumerate(columns)}
    matrix = np.zeros((len(rows), len(columns)))
    for i, row in enumerate(rows):
        for m in row:
            matrix[i, position[m]] = 1.0
    rank = np.linalg.matrix_rank(matrix) if rows else 0
    agents = set()
    for agent in {a for a, _ in columns}:
        others = [j for j, (a, _) in enumerate(columns) if a != agent]
        rest = np.linalg.matrix_rank(matrix[:, others]) if rows and others else 0
        if rank > rest:
            agents.add(agent)
    determined = set()
    for k, target in enumerate(targets):
        if not target:
            continue
        indicator = np.array([[1.0 if m in target else 0.0 for m in columns]])
        if np.linalg.matrix_rank(np.vstack([matrix, indicator])) == rank:
            determined.add(k)
    return agents, determined


def brute_force(
    old_rows: Sequence[Collection[Member]],
    new_rows: Sequence[Collection[Member]],
    targets: Sequence[Collection[Member]],
    known: Collection[Member],
) -> Exposure:
    known_set = set(known)
    old = [frozenset(r) - known_set for r in old_rows]
    new = [frozenset(r) - known_set for r in new_rows]
    cleaned = [frozenset(t) - known_set for t in targets]
    columns = sorted(set().union(*old, *new, *cleaned))
    old_agents, old_targets = _exposed_by_rank(old, columns, cleaned)
    all_agents, all_targets = _exposed_by_rank(old + new, columns, cleaned)
    return Exposure(
        agents=frozenset(all_agents - old_agents),
        targets=tuple(sorted(all_targets - old_targets)),
    )


members = st.tuples(st.integers(0, 5), st.integers(D, D + 2))
# Small groups as well as large ones, so that systems often split into several components.
groups = st.one_of(st.lists(members, max_size=2), st.lists(members, max_size=6))


@st.composite
def systems(
    draw: st.DrawFn,
) -> tuple[list[list[Member]], list[list[Member]], list[list[Member]], list[Member]]:
    rows = draw(st.lists(groups, max_size=6))
    split = draw(st.integers(0, len(rows)))
    # Unions of drawn rows, less a member or not, are often determinable: draw those too.
    unions = st.lists(st.sampled_from(rows), min_size=1).map(
        lambda picked: sorted(set().union(*picked))
    )
    trimmed = unions.flatmap(lambda t: st.sampled_from([t, t[1:], t[:-1]]))
    targets = draw(st.lists(st.one_of(groups, trimmed) if rows else groups, max_size=3))
    known = draw(st.lists(members, max_size=3))
    return rows[:split], rows[split:], targets, known


@settings(max_examples=400, deadline=None)
@given(systems())
def test_matches_the_rank_criterion(
    system: tuple[list[list[Member]], list[list[Member]], list[list[Member]], list[Member]],
) -> None:
    old, new, targets, known = system

    result = new_exposure(old, new, targets=targets, known=known)

    assert result == brute_force(old, new, targets, known)


@settings(max_examples=150, deadline=None)
@given(systems(), st.randoms(use_true_random=False))
def test_does_not_depend_on_row_or_member_order(
    system: tuple[list[list[Member]], list[list[Member]], list[list[Member]], list[Member]],
    random: Random,
) -> None:
    old, new, targets, known = system
    expected = new_exposure(old, new, targets=targets, known=known)

    def shuffled(rows: list[list[Member]]) -> list[list[Member]]:
        rows = [random.sample(row, len(row)) for row in rows]
        return random.sample(rows, len(rows))

    result = new_exposure(
        shuffled(old),
        shuffled(new),
        targets=[random.sample(t, len(t)) for t in targets],
        known=random.sample(known, len(known)),
    )

    assert result == expected
