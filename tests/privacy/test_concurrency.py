"""Serialised decisions (G14): concurrent processes get the outcomes of some sequential order."""

from __future__ import annotations

import multiprocessing
from collections import defaultdict
from pathlib import Path

import pytest
from tests.privacy.processes import race, race_a_share

TRIALS = 10


@pytest.mark.slow
def test_a_team_and_the_team_minus_one_released_at_once_give_exactly_one(
    tmp_path: Path,
) -> None:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    results = context.Queue()
    processes = [
        context.Process(target=race, args=(str(tmp_path), TRIALS, where, barrier, results))
        for where in (None, {"skill": "sales"})
    ]
    for p in processes:
        p.start()
    outcomes: dict[int, dict[bool, str]] = defaultdict(dict)
    for _ in range(2 * TRIALS):
        trial, whole_team, outcome = results.get(timeout=300)
        outcomes[trial][whole_team] = outcome
    for p in processes:
        p.join(timeout=60)

    assert [p.exitcode for p in processes] == [0, 0]
    for trial in range(TRIALS):
        assert sorted(outcomes[trial].values()) == ["ADH-002", "released"], trial


@pytest.mark.slow
def test_a_report_and_an_opened_share_at_once_give_exactly_one(tmp_path: Path) -> None:
    """What the lead knows is read in the release's transaction too.

    Kari and four colleagues: the team's meals, with Kari protected, have 5 protected agents;
    once the lead has opened Kari's share they have 4 (refused), and once the team's meals
    are released, opening Kari's share would reveal the four (refused). Either order gives
    one of the two, never both.
    """
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    results = context.Queue()
    processes = [
        context.Process(target=race_a_share, args=(str(tmp_path), TRIALS, opens, barrier, results))
        for opens in (True, False)
    ]
    for p in processes:
        p.start()
    outcomes: dict[int, dict[bool, str]] = defaultdict(dict)
    for _ in range(2 * TRIALS):
        trial, opens, outcome = results.get(timeout=300)
        outcomes[trial][opens] = outcome
    for p in processes:
        p.join(timeout=60)

    assert [p.exitcode for p in processes] == [0, 0]
    for trial in range(TRIALS):
        released = [opens for opens, outcome in outcomes[trial].items() if outcome == "released"]
        assert len(released) == 1, (trial, outcomes[trial])
