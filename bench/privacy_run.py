"""Time the privacy layer's decisions on a large organisation (issue: every decision < 2 s).

Data: the project's own generator, ``--agents`` agents (default 1,545: 119 teams) over
``--weeks`` weeks (default 8), loaded once into a workspace on disk. Each step below is one
door call, timed as a whole (plan, decision with the ledger, recording, values), in order, on
one ledger — so later steps are checked against everything released before them:

1. team × ISO week (adherence);
2. the same with margins (team totals, week totals, the grand total);
3. site × ISO week;
4. team × ISO week of meal_ms (another atom, dominance);
5. a fairness audit of "MEAL ≤ 30:00" by site;
6. a tracker: one team filtered to all but one skill (refused or suppressed);
7. team × local half hour (adherence) in the last week;
8. out-of-adherence time by kind, by team in the last week (six tables, one ``report_many``);
9. out-of-adherence time by scheduled activity, by team in the last week (``report_many``).

Run: ``python bench/privacy_run.py`` (``--agents 300 --weeks 2`` for a quick look).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import adherence as adh
from adherence.errors import PrivacyError
from adherence.rules import PauseLimit

KEY = "bench pseudonymisation key, long enough"
KINDS = [m for m in adh.metrics.METRICS if m.startswith("out_of_adherence_") and not
         m.startswith(("out_of_adherence_in_", "out_of_adherence_outside"))
         and m != "out_of_adherence_ms"]  # fmt: skip
PLACES = [m for m in adh.metrics.METRICS if m.startswith("out_of_adherence_in_")]
AUDIT_KEY = "bench audit key, long enough"


def timed(label: str, work: Callable[[], object]) -> None:
    start = time.perf_counter()
    try:
        result = work()
        outcome = getattr(result, "released_count", None)
        if outcome is None and hasattr(result, "groups"):
            outcome = result.groups.released_count  # type: ignore[attr-defined]
        text = f"released {outcome}"
    except PrivacyError as err:
        text = f"refused {err.code}"
    print(f"| {label} | {time.perf_counter() - start:.2f} | {text} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--agents", type=int, default=1545)
    parser.add_argument("--weeks", type=int, default=8)
    args = parser.parse_args()
    start = time.perf_counter()
    sample = adh.synth.load_sample(key=KEY, n_agents=args.agents, weeks=args.weeks)
    folder = Path(tempfile.mkdtemp())
    ws = adh.Workspace.open(folder / "adherence.db", audit_key=AUDIT_KEY)
    ws.add(sample.log, schedule=sample.schedule, roster=sample.roster)
    teams = ws.report("adherence_pct", by=["team"], viewer=adh.Steward("wfm"))
    print(f"loaded {args.agents} agents, {args.weeks} weeks, {teams.height} teams "
          f"in {time.perf_counter() - start:.1f} s", flush=True)  # fmt: skip
    steward = adh.Steward("wfm")
    auditor = adh.Auditor("union")
    first_team = str(teams.to_dicts()[0]["team"])
    print("| step | seconds | outcome |\n|---|---:|---|")
    timed("team × week", lambda: ws.report("adherence_pct", by=["team", "iso_week"],
                                           viewer=steward))  # fmt: skip
    timed("team × week with margins", lambda: ws.report(
        "adherence_pct", by=["team", "iso_week"], margins=True, viewer=steward))  # fmt: skip
    timed("site × week", lambda: ws.report("adherence_pct", by=["site", "iso_week"],
                                           viewer=steward))  # fmt: skip
    timed("team × week, meal_ms", lambda: ws.report("meal_ms", by=["team", "iso_week"],
                                                    viewer=steward))  # fmt: skip
    timed("audit MEAL ≤ 30:00 by site", lambda: ws.audit_tolerance(
        PauseLimit("MEAL", timedelta(minutes=30)), by=["site"], viewer=auditor))  # fmt: skip
    timed("tracker: one team, one skill", lambda: ws.report(
        "adherence_pct", by=["iso_week"], where={"team": first_team, "skill": "sales"},
        viewer=steward))  # fmt: skip
    week = f"{sample.schedule.valid['start'].max():%G-W%V}"
    timed("team × half hour, one week", lambda: ws.report(
        "adherence_pct", by=["team", "half_hour"], period=week, viewer=steward))  # fmt: skip
    timed("kinds by team, one week", lambda: _tables(ws.report_many(
        [(m, ["team"]) for m in KINDS], period=week, viewer=steward)))  # fmt: skip
    timed("activities by team, one week", lambda: _tables(ws.report_many(
        [(m, ["team"]) for m in PLACES], period=week, viewer=steward)))  # fmt: skip


class _Many:
    """The outcome of a ``report_many``: cells released over all its tables."""

    def __init__(self, tables: list[adh.ReleasedTable]) -> None:
        self.released_count = sum(t.released_count for t in tables)


def _tables(tables: list[adh.ReleasedTable]) -> _Many:
    return _Many(tables)


if __name__ == "__main__":
    main()
