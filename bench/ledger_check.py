"""The one-space check for one weekly report, against a year of weekly reports in the ledger.

Organisation: 1,300 agents in 100 teams of 13, each working Monday to Friday. The ledger holds
a year (52 weeks) of weekly team × week reports of ``adherence_pct`` (two vectors per cell: the
charged out-of-adherence time and the scheduled time): 5,200 cells, 10,400 vectors, each
over 13 agents × 5 days. Timed (median of ``--runs``), in one process with the store on disk:

- ``new week``: the 100 cells of the next week's team report (nothing earlier overlaps);
- ``repeat``: the 100 cells of a week already reported (another lead asks the same);
- ``site month``: a report by site (5 sites) for one month, overlapping 4 reported weeks;
- ``tracker``: one team's week without one agent (refused, ADH-002).

Each check is what a release does between planning the cells and recording them: read the
connected part of the ledger (``Ledger.space``) and ``decide``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from adherence.privacy._decide import Refusal, decide
from adherence.privacy._plans import Cell
from adherence.privacy._space import Vector
from adherence.privacy.ledger import Ledger, day_number

TEAMS, TEAM_SIZE, WEEKS, SITES = 100, 13, 52, 5
FIRST_MONDAY = date(2025, 1, 6)
ATOMS = ({"out_of_adherence_charged_ms": 1}, {"scheduled_ms": 1})


def week_days(week: int) -> list[int]:
    monday = day_number(FIRST_MONDAY + timedelta(weeks=week))
    return [monday + d for d in range(5)]


def cell(agents: list[int], days: list[int]) -> Cell:
    support = [(a, d) for a in agents for d in days]
    return Cell(("",), tuple(Vector.of(atoms, support) for atoms in ATOMS), frozenset(agents))


def team_cell(team: int, days: list[int], drop: int | None = None) -> Cell:
    return cell([team * TEAM_SIZE + i for i in range(TEAM_SIZE) if i != drop], days)


def weekly_report(week: int) -> list[Cell]:
    return [team_cell(t, week_days(week)) for t in range(TEAMS)]


def site_month(first_week: int, weeks: int) -> list[Cell]:
    days = [d for w in range(first_week, first_week + weeks) for d in week_days(w)]
    per_site = TEAMS // SITES * TEAM_SIZE
    return [cell(list(range(s * per_site, (s + 1) * per_site)), days) for s in range(SITES)]


def fill(ledger: Ledger) -> None:
    with ledger.transaction() as db:
        for week in range(WEEKS):
            ledger.add_release(
                db,
                release_id=f"w{week}",
                time="2025-01-01T00:00:00+00:00",
                viewer_role="team_lead",
                viewer="team_lead:tl",
                metric="adherence_pct",
                fingerprint="f",
                policy=("p", "{}"),
            )
            vectors = [v for c in weekly_report(week) for v in c.vectors]
            ledger.add_vectors(db, f"w{week}", "released", vectors)


def check(ledger: Ledger, cells: list[Cell]) -> bool:
    space = ledger.read_space([v for c in cells for v in c.vectors])
    decision = decide(
        cells,
        min_agents=5,
        k=5,
        unprotected=frozenset(),
        old=space.released,
        knowledge=space.known,
        targets=space.hidden,
    )
    return not isinstance(decision, Refusal)


def timed(run: Callable[[], bool], runs: int) -> tuple[float, bool]:
    times, allowed = [], True
    for _ in range(runs):
        start = time.perf_counter()
        allowed = run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), allowed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        ledger = Ledger(Path(folder) / "ledger.db")
        fill(ledger)
        cases = {
            "new week": weekly_report(WEEKS),
            "repeat": weekly_report(WEEKS - 1),
            "site month": site_month(WEEKS - 5, 4),
            "tracker": [team_cell(0, week_days(WEEKS - 1), drop=3)],
        }
        print(f"ledger: {WEEKS * TEAMS:,} released cells ({TEAMS} teams x {WEEKS} weeks)")
        print("| check | cells | median time | decision |")
        print("|---|---|---|---|")
        for name, cells in cases.items():
            seconds, allowed = timed(lambda cells=cells: check(ledger, cells), args.runs)
            verdict = "released" if allowed else "refused"
            print(f"| {name} | {len(cells)} | {seconds * 1000:.1f} ms | {verdict} |")
        ledger.close()


if __name__ == "__main__":
    main()
