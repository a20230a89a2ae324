"""A process of the race test: opens a shared store and releases one report on a signal.

Kept apart from the test module so that spawned processes import it by name.
"""

from __future__ import annotations

from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

from tests.privacy.org import AUDIT_KEY, Agent, team

from adherence.errors import AdherenceError
from adherence.privacy import Steward, Workspace


def racers() -> list[Agent]:
    """A team of 6; one agent differs in skill, so ``skill == sales`` holds 5 of them."""
    agents = team("Alpha", 6)
    agents[0] = Agent("alpha-0", "Alpha", skill="support")
    return agents


def race(
    folder: str, trials: int, where: dict[str, str] | None, barrier: Barrier, results: Any
) -> None:
    """In each trial's store: add the data, wait for the other process, release one report."""
    from tests.privacy.org import tables

    intervals, schedule, roster = tables(racers())
    for trial in range(trials):
        ws = Workspace.open(Path(folder) / f"trial-{trial}.db", audit_key=AUDIT_KEY)
        ws.add(intervals, schedule=schedule, roster=roster)
        barrier.wait()
        try:
            ws.report("adherence_pct", by=["team"], where=where, viewer=Steward("wfm"))
        except AdherenceError as err:
            results.put((trial, where is None, err.code))
        else:
            results.put((trial, where is None, "released"))
        finally:
            ws.close()
