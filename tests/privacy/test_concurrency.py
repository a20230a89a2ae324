"""Serialised decisions (G14): concurrent processes get the outcomes of some sequential order."""

from __future__ import annotations

import multiprocessing
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.privacy.processes import race, race_a_share

TRIALS = 10
#: The team, and the team without one or another agent: any two differ by fewer than k.
TEAMS = {"team": None, "sales": {"skill": "sales"}, "permanent": {"employment_type": "permanent"}}


def _race(
    target: Callable[..., None], racers: dict[str, tuple[object, ...]], folder: Path
) -> dict[int, dict[str, str]]:
    """Start one spawned process per racer, each running ``TRIALS`` trials in step with the
    others; their outcomes per trial, by racer."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(len(racers))
    results = context.Queue()
    processes = [
        context.Process(target=target, args=(str(folder), TRIALS, label, *extra, barrier, results))
        for label, extra in racers.items()
    ]
    for p in processes:
        p.start()
    outcomes: dict[int, dict[str, str]] = defaultdict(dict)
    for _ in range(len(racers) * TRIALS):
        trial, label, outcome = results.get(timeout=300)
        outcomes[trial][label] = outcome
    for p in processes:
        p.join(timeout=60)
    assert [p.exitcode for p in processes] == [0] * len(racers)
    return outcomes


@pytest.mark.slow
@pytest.mark.parametrize(
    "names", [("team", "sales"), ("team", "sales", "permanent")], ids=["two", "three"]
)
def test_overlapping_team_reports_released_at_once_give_exactly_one(
    tmp_path: Path, names: tuple[str, ...]
) -> None:
    outcomes = _race(race, {n: (TEAMS[n],) for n in names}, tmp_path)

    for trial in range(TRIALS):
        found = sorted(outcomes[trial].values())
        assert found == [*["ADH-002"] * (len(names) - 1), "released"], (trial, outcomes[trial])


@pytest.mark.slow
def test_a_report_and_an_opened_share_at_once_give_exactly_one(tmp_path: Path) -> None:
    """What the lead knows is read in the release's transaction too.

    Kari and four colleagues: the team's meals, with Kari protected, have 5 protected agents;
    once the lead has opened Kari's share they have 4 (refused), and once the team's meals
    are released, opening Kari's share would reveal the four (refused). Either order gives
    one of the two, never both.
    """
    outcomes = _race(race_a_share, {"open": (), "report": ()}, tmp_path)

    for trial in range(TRIALS):
        released = [label for label, outcome in outcomes[trial].items() if outcome == "released"]
        assert len(released) == 1, (trial, outcomes[trial])
