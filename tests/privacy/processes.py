"""What the processes started by the tests run (spawned processes import them by name)."""

from __future__ import annotations

import resource
import signal
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

from tests.privacy.org import AUDIT_KEY, Agent, tables, team

from adherence.errors import AdherenceError
from adherence.privacy import Employee, Steward, TeamLead, Workspace


def racers() -> list[Agent]:
    """A team of 7: ``skill == sales`` leaves out alpha-0, ``permanent`` staff alpha-1."""
    agents = team("Alpha", 7)
    agents[0] = Agent("alpha-0", "Alpha", skill="support")
    agents[1] = Agent("alpha-1", "Alpha", employment_type="temporary")
    return agents


def race(
    folder: str,
    trials: int,
    label: str,
    where: dict[str, str] | None,
    barrier: Barrier,
    results: Any,
) -> None:
    """In each trial's store: add the data, wait for the others, release one team report."""
    intervals, schedule, roster = tables(racers())
    for trial in range(trials):
        ws = Workspace.open(Path(folder) / f"trial-{trial}.db", audit_key=AUDIT_KEY)
        ws.add(intervals, schedule=schedule, roster=roster)
        barrier.wait()
        try:
            ws.report("adherence_pct", by=["team"], where=where, viewer=Steward("wfm"))
        except AdherenceError as err:
            results.put((trial, label, err.code))
        else:
            results.put((trial, label, "released"))
        finally:
            ws.close()


def kari_and_four() -> list[Agent]:
    """A team of 5; ``alpha-0`` (Kari) shares her meal figures with the lead."""
    return team("Alpha", 5)


def race_a_share(folder: str, trials: int, label: str, barrier: Barrier, results: Any) -> None:
    """In each trial's store: the lead opens Kari's share (``open``), or asks for the team's
    meals."""
    opens = label == "open"
    intervals, schedule, roster = tables(kari_and_four())
    lead = TeamLead("tl-1", teams=["Alpha"])
    kari = Employee("alpha-0")
    for trial in range(trials):
        ws = Workspace.open(Path(folder) / f"share-{trial}.db", audit_key=AUDIT_KEY)
        ws.add(intervals, schedule=schedule, roster=roster)
        share = None
        if opens:
            share = ws.share(agent="alpha-0", to=lead, purpose="development_plan",
                             metrics=["meal_ms"], periods=["2026-W11"], viewer=kari)  # fmt: skip
        barrier.wait()
        try:
            if share is not None:
                ws.open_share(share.id, viewer=lead)
            else:
                ws.report("meal_ms", by=["team"], period="2026-W11", viewer=lead)
        except AdherenceError as err:
            results.put((trial, label, err.code))
        else:
            results.put((trial, label, "released"))
        finally:
            ws.close()


def report_under_a_size_limit(folder: str) -> tuple[str, str]:
    """Load the data, then release a report while no file may grow: (code, message)."""
    intervals, schedule, roster = tables(racers())
    ws = Workspace.open(Path(folder) / "adherence.db", audit_key=AUDIT_KEY)
    ws.add(intervals, schedule=schedule, roster=roster)
    largest = max(f.stat().st_size for f in Path(folder).iterdir())
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails instead
    resource.setrlimit(resource.RLIMIT_FSIZE, (largest, resource.RLIM_INFINITY))
    try:
        ws.report("adherence_pct", by=["team"], viewer=Steward("wfm"))
    except AdherenceError as err:
        return err.code, str(err)
    return "released", ""
