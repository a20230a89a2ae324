"""The one-space test on hand-built vectors: each attack class as linear algebra.

Every case first shows, with plain arithmetic on the true figures, that the combination
recovers a person's value (the attack works on an unprotected system), then that the
test flags the vector that would complete it.
"""

from __future__ import annotations

import pytest

from adherence.privacy._space import Vector, exposures, knowledge_exposes

WEEK = range(7)
TRUTH = {(a, d): 1_000 * (a + 1) + d for a in range(12) for d in WEEK}


def vec(atoms: dict[str, int], agents: range | list[int], days: range | list[int]) -> Vector:
    return Vector.of(atoms, [(a, d) for a in agents for d in days])


def total(agents: range | list[int], days: range | list[int]) -> int:
    return sum(TRUTH[a, d] for a in agents for d in days)


def test_a_pair_tracker_is_flagged_whatever_the_window() -> None:
    # Team of 12 for the week, the same team minus agents 10 and 11: their sum falls out.
    assert total(range(12), WEEK) - total(range(10), WEEK) == total([10, 11], WEEK)
    team = vec({"meal_ms": 1}, range(12), WEEK)
    tracker = vec({"meal_ms": 1}, range(10), WEEK)

    assert exposures([team], [tracker], k=5) == [0]


def test_a_difference_of_five_agents_is_allowed() -> None:
    team = vec({"meal_ms": 1}, range(12), WEEK)

    assert exposures([team], [vec({"meal_ms": 1}, range(7), WEEK)], k=5) == []


def test_week_minus_a_day_with_one_agent_is_flagged() -> None:
    # Only agent 0 works on day 6: the week minus the weekdays is agent 0's Sunday.
    week = Vector.of({"m": 1}, [(a, d) for a in range(8) for d in range(6)] + [(0, 6)])
    weekdays = vec({"m": 1}, range(8), range(6))

    assert exposures([week], [weekdays], k=5) == [0]


def test_share_scope_creep_is_flagged_but_the_shared_figure_is_not() -> None:
    # The lead knows agent 0's whole-week meal; day 3 for the team and the team without her
    # gives her day-3 meal, which she did not share.
    known = [vec({"meal_ms": 1}, [0], WEEK)]
    day = vec({"meal_ms": 1}, range(12), [3])
    without_her = vec({"meal_ms": 1}, range(1, 12), [3])

    assert exposures([], [day, without_her], k=5, knowledge=known) == [0, 1]
    assert exposures([], [vec({"meal_ms": 1}, range(12), WEEK)], k=5, knowledge=known) == []


def test_a_cross_metric_complement_of_a_hidden_state_is_flagged() -> None:
    # pause = break + meal + training; training was suppressed (dominated) for the team.
    team = [(a, d) for a in range(12) for d in WEEK]
    hidden = Vector.of({"training_ms": 1}, team)
    released = [Vector.of({"break_ms": 1}, team), Vector.of({"meal_ms": 1}, team)]
    pause = Vector.of({"break_ms": 1, "meal_ms": 1, "training_ms": 1}, team)

    assert exposures(released, [pause], k=5, targets=[hidden]) == [0]
    assert exposures(released[:1], [pause], k=5, targets=[hidden]) == []


def test_a_small_cell_inside_released_margins_is_flagged() -> None:
    # A site of two teams: team A (8) released and the site total; team B has 3 agents.
    site = vec({"m": 1}, range(11), WEEK)
    team_a = vec({"m": 1}, range(8), WEEK)

    assert exposures([site], [team_a], k=5) == [0]


def test_a_repeated_release_changes_nothing() -> None:
    team = vec({"m": 1}, range(12), WEEK)

    assert exposures([team], [vec({"m": 1}, range(12), WEEK)], k=5) == []


def test_opening_a_share_that_would_leave_a_small_group_is_flagged() -> None:
    # Released: a team of ten and five of them. Knowing agent 0 would leave agents 1-4.
    assert total(range(5), [0]) - TRUTH[0, 0] == total(range(1, 5), [0])
    team = vec({"m": 1}, range(10), [0])
    five = vec({"m": 1}, range(5), [0])
    assert exposures([], [team, five], k=5) == []

    assert knowledge_exposes([team, five], [], [vec({"m": 1}, [0], [0])], k=5)
    assert not knowledge_exposes([team], [], [vec({"m": 1}, [0], [0])], k=5)


@pytest.mark.parametrize("k", [3, 5])
def test_isolating_one_agent_by_three_releases_is_flagged(k: int) -> None:
    # (A ∪ B) − A − (B minus one agent) leaves one agent.
    union = vec({"m": 1}, range(12), [0])
    first = vec({"m": 1}, range(6), [0])
    second = vec({"m": 1}, range(6, 11), [0])

    assert exposures([union, first], [second], k=k) == [0]
