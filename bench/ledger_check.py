"""The privacy ledger's check for one weekly team report, against a year of weekly reports.

Organisation: 500 agents in 50 teams of 10, each working Monday to Friday. The ledger holds a
year (52 weeks) of weekly team reports of one metric family: 2,600 released cells, each
summing 10 agents × 5 days. Timed (median of ``--runs``), in one process with the store on
disk:

- ``new week``: the 50 cells of the next week's team report (nothing earlier overlaps);
- ``repeat``: the 50 cells of a week already reported (another lead asks the same);
- ``site month``: a report by site (5 sites) for one month, overlapping 4-5 reported weeks;
- ``tracker``: one team's week without one agent, refused (ADH-002).

Each check is what ``Workspace.report`` does between planning the cells and computing values:
read the connected cells and the knowledge from the ledger, then ``decide``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from adherence.privacy.decide import PlannedCell, Refusal, decide
from adherence.privacy.ledger import Ledger, day_number

TEAMS, TEAM_SIZE, WEEKS, SITES = 50, 10, 52, 5
FIRST_MONDAY = date(2025, 1, 6)
FAMILY = "adherence"


def week_days(week: int) -> list[int]:
    monday = day_number(FIRST_MONDAY + timedelta(weeks=week))
    return [monday + d for d in range(5)]


def team_cell(team: int, days: list[int], drop: int | None = None) -> PlannedCell:
    agents = [team * TEAM_SIZE + i for i in range(TEAM_SIZE) if i != drop]
    return PlannedCell(days[0], days[0] + 6, frozenset((a, d) for a in agents for d in days))


def weekly_report(week: int) -> list[PlannedCell]:
    return [team_cell(t, week_days(week)) for t in range(TEAMS)]


def site_month(first_week: int, weeks: int) -> list[PlannedCell]:
    days = [d for w in range(first_week, first_week + weeks) for d in week_days(w)]
    per_site = TEAMS // SITES * TEAM_SIZE
    return [
        PlannedCell(
            days[0],
            days[-1],
            frozenset((a, d) for a in range(s * per_site, (s + 1) * per_site) for d in days),
        )
        for s in range(SITES)
    ]


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
                family=FAMILY,
                cells=[(c.first_day, c.last_day, True, c.members) for c in weekly_report(week)],
            )


def check(ledger: Ledger, cells: list[PlannedCell]) -> bool:
    lo = min(c.first_day for c in cells)
    hi = max(c.last_day for c in cells)
    stored = ledger.cells(FAMILY, lo, hi)
    decision = decide(
        cells,
        min_agents=5,
        k=5,
        viewer_agent=None,
        viewer_knowledge=ledger.knowledge(FAMILY, lo, hi, viewer="team_lead:tl"),
        known=[],
        ledger=stored,
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
