"""Attacks on the intraday and breakdown figures: half hours, kinds and activities.

As in ``test_redteam``: each attack first runs its arithmetic on an UNPROTECTED system's
answers (the true figures of a hand-built organisation) and checks that it recovers its target;
then it mounts the attack through the public API and checks that it is stopped (a typed
refusal, or suppression) and that, by an exact oracle written from the model, nothing
released isolates one agent or a set of fewer than k.

The oracle's unknowns are the finest ones: charged out-of-adherence time per agent, day,
kind, scheduled activity and local half hour — only where the schedule makes them possible
(an attacker knows the rest are zero). A released cell of a kind, an activity or a half hour
is the sum of the matching unknowns over its support.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from pathlib import Path

import polars as pl
import pytest
from tests.privacy.oracle import (
    MIN,
    SENSITIVE,
    Vec,
    isolated_agents,
    recoverable,
    smallest_isolated_set,
)
from tests.privacy.org import AUDIT_KEY

from adherence import Employee, PrivacyError, PrivacyPolicy, ReleasedTable, Steward, Workspace
from adherence._engine import OUT_KINDS
from adherence.schemas import UTC_MS
from adherence.states import ACTIVITY_DTYPE, STATE_DTYPE

K = 5
POLICY = PrivacyPolicy(min_group_size=K, sensitive_reasons=SENSITIVE)
DAY = date(2026, 3, 9)  # Oslo is UTC+1
STEWARD = Steward("s")
KINDS = [f"out_of_adherence_{k}_ms" for k in OUT_KINDS]
PLACES = ["out_of_adherence_in_open_ms", "out_of_adherence_in_meal_ms"]
#: Every place the organisations' schedules have (open time and a meal).
SCHEDULED_PLACES = ("open", "meal")


@dataclass(frozen=True)
class Agent:
    """One agent's day: a 7-hour shift from ``start`` (UTC hour), a meal 3 h in."""

    id: str
    team: str
    work_location: str = "office"
    start: int = 8
    late: int = 0
    meal: int = 30
    away: int = 0
    away_reason: str | None = None

    def at(self, minutes: float) -> datetime:
        return datetime(DAY.year, DAY.month, DAY.day, self.start, tzinfo=UTC) + timedelta(
            minutes=minutes
        )

    def plan(self) -> list[tuple[float, float, str]]:
        return [(0, 180, "OPEN"), (180, 210, "MEAL"), (210, 420, "OPEN")]

    def states(self) -> list[tuple[float, float, str, str | None]]:
        meal_end = 180 + self.meal
        out: list[tuple[float, float, str, str | None]] = [(self.late, 180, "READY", None)]
        out.append((180, meal_end, "MEAL", None))
        out.append((meal_end, 300, "READY", None))
        if self.away:
            out.append((300, 300 + self.away, "AWAY", self.away_reason))
        out.append((300 + self.away, 420, "READY", None))
        out.append((420, 425, "OFFLINE", None))
        return out

    def charged(self) -> list[tuple[float, float, str, str]]:
        """(start, end, kind, place) of every charged run, in minutes from the shift start."""
        runs = []
        if self.late:
            runs.append((0, self.late, "late_start", "open"))
        if self.meal < 30:
            runs.append((180 + self.meal, 210, "other", "meal"))
        if self.meal > 30:
            runs.append((210, 180 + self.meal, "long_meal", "open"))
        if self.away:
            sensitive = self.away_reason in SENSITIVE
            kind = "other" if sensitive else "unscheduled_pause"
            runs.append((300, 300 + self.away, kind, "open"))
        return runs

    def half_hours(self) -> list[str]:
        """The local half hours of the shift (Oslo, UTC+1)."""
        return [_label(self.at(m)) for m in range(0, 420, 30)]

    def finest(self) -> dict[str, int]:
        """True charged ms per possible (kind, place, half hour) of the day."""
        kinds = [k for k in OUT_KINDS if k != "late_from_break"]  # no break is scheduled
        x = {
            f"{k}|{p}|{s}": 0
            for k in kinds
            for p in SCHEDULED_PLACES
            for s in self.half_hours()
            if not (k == "unscheduled_pause" and p != "open")
        }
        for start, end, kind, place in self.charged():
            for minute in range(int(start), int(end)):
                x[f"{kind}|{place}|{_label(self.at(minute))}"] += MIN
        return x


def _label(t: datetime) -> str:
    local = t + timedelta(hours=1)
    return f"{local.hour:02d}:{30 * (local.minute // 30):02d}"


@dataclass
class Org:
    agents: list[Agent] = field(default_factory=list)

    def tables(self) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
        states, plan, roster = [], [], []
        for a in self.agents:
            for s, e, activity in a.plan():
                plan.append(
                    {"agent_id": a.id, "shift_id": f"{a.id}-1", "start": a.at(s), "end": a.at(e),
                     "activity": activity, "counts_for_adherence": True}
                )  # fmt: skip
            for s, e, state, reason in a.states():
                states.append(
                    {"agent_id": a.id, "start": a.at(s), "end": a.at(e), "state": state,
                     "status": state.title(), "reason": reason, "open": False, "inferred": False}
                )  # fmt: skip
            roster.append(
                {"agent_id": a.id, "team": a.team, "site": "Oslo", "valid_from": date(2026, 1, 1),
                 "valid_to": None, "employment_type": "permanent",
                 "work_location": a.work_location, "contract_pct": 100.0, "skill": "sales"}
            )  # fmt: skip
        return (
            pl.DataFrame(states, schema_overrides={"start": UTC_MS, "end": UTC_MS,
                                                   "state": STATE_DTYPE, "reason": pl.String}),
            pl.DataFrame(plan, schema_overrides={"start": UTC_MS, "end": UTC_MS,
                                                 "activity": ACTIVITY_DTYPE}),
            pl.DataFrame(roster, schema_overrides={"valid_to": pl.Date,
                                                   "contract_pct": pl.Float64}),
        )  # fmt: skip

    def workspace(self, folder: Path) -> Workspace:
        ws = Workspace.open(folder / "adherence.db", audit_key=AUDIT_KEY, policy=POLICY)
        intervals, plan, roster = self.tables()
        ws.add(intervals, schedule=plan, roster=roster)
        return ws

    def chosen(self, team: str | None = None, office: bool = False) -> list[Agent]:
        return [
            a
            for a in self.agents
            if (team is None or a.team == team) and (not office or a.work_location == "office")
        ]

    # The oracle: vectors over the finest unknowns, and their true values.
    @staticmethod
    def vector(agents: Iterable[Agent], metric: str, half_hour: str | None = None) -> Vec:
        def keep(coord: str) -> bool:
            kind, place, slot = coord.split("|")
            if half_hour is not None and slot != half_hour:
                return False
            if metric in KINDS:
                return metric == f"out_of_adherence_{kind}_ms"
            if metric.startswith("out_of_adherence_in_"):
                return metric == f"out_of_adherence_in_{place}_ms"
            return metric == "out_of_adherence_ms"

        return {
            (a.id, DAY, coord): Fraction(1) for a in agents for coord in a.finest() if keep(coord)
        }

    def truth(self, v: Vec) -> Fraction:
        by_id = {a.id: a.finest() for a in self.agents}
        return sum((c * by_id[a][m] for (a, _, m), c in v.items()), Fraction(0))


def _released(table: ReleasedTable) -> list[dict[str, object]]:
    return [r for r in table.to_dicts() if r["status"] == "released"]


def _cells(org: Org, table: ReleasedTable, metric: str, *, office: bool = False) -> list[Vec]:
    """The oracle's vectors of a table's released cells; each value checked against the truth."""
    vectors = []
    for row in _released(table):
        team = row.get("team")
        agents = org.chosen(None if team in (None, "all") else str(team), office=office)
        half_hour = row.get("half_hour")
        slot = None if half_hour in (None, "all") else str(half_hour)
        if slot is not None:
            agents = [a for a in agents if slot in a.half_hours()]
        v = org.vector(agents, metric, slot)
        assert row[metric] == org.truth(v), (row, metric)  # the released value is the true one
        vectors.append(v)
    return vectors


def _mount(work: object) -> list[ReleasedTable] | None:
    try:
        result = work()  # type: ignore[operator]
    except PrivacyError:
        return None
    return result if isinstance(result, list) else [result]


def _safe(released: Sequence[Vec], agents: Iterable[str]) -> None:
    assert isolated_agents(released) == []
    assert smallest_isolated_set(released, k=K, universe=agents) is None


# Slot-vs-total differencing -------------------------------------------------------------
def _early_bird() -> Org:
    """Team Alpha: six agents 09:00-16:00 local and one, late 10 minutes, from 08:00."""
    six = [Agent(f"a{i}", "Alpha", away=5 * i) for i in range(6)]
    return Org([*six, Agent("x", "Alpha", start=7, late=10)])


@pytest.mark.parametrize("by", [["team", "half_hour"], ["half_hour"], ["site", "half_hour"]])
def test_half_hours_against_the_day_total(tmp_path: Path, by: list[str]) -> None:
    org = _early_bird()
    team = org.chosen("Alpha")
    x = org.chosen()[-1]
    # Unprotected: the day's total minus every half hour but x's first two is x's late start.
    others = team[0].half_hours()
    total = org.truth(org.vector(team, "out_of_adherence_ms"))
    slots = sum(
        org.truth(org.vector([a for a in team if s in a.half_hours()], "out_of_adherence_ms", s))
        for s in others
    )
    assert total - slots == 10 * MIN == org.truth(org.vector([x], "out_of_adherence_ms"))
    # Protected.
    ws = org.workspace(tmp_path)
    day = (DAY, DAY)
    first = ws.report("out_of_adherence_ms", by=["team"], period=day, viewer=STEWARD)
    released = _cells(org, first, "out_of_adherence_ms")
    assert released  # the team's total is out
    tables = _mount(lambda: ws.report("out_of_adherence_ms", by=by, period=day, viewer=STEWARD))
    if tables is not None:
        released += _cells(org, tables[0], "out_of_adherence_ms")
        shown = {r["half_hour"] for r in _released(tables[0])}
        assert {"08:00", "08:30"}.isdisjoint(shown)  # x alone: too few
        assert len(shown) < len(others)  # and one more held back
    _safe(released, [a.id for a in org.agents])


def test_half_hours_then_the_total_is_stopped(tmp_path: Path) -> None:
    org = _early_bird()
    ws = org.workspace(tmp_path)
    day = (DAY, DAY)
    first = ws.report("out_of_adherence_ms", by=["team", "half_hour"], period=day, viewer=STEWARD)
    released = _cells(org, first, "out_of_adherence_ms")
    tables = _mount(
        lambda: ws.report("out_of_adherence_ms", by=["team"], period=day, viewer=STEWARD)
    )
    if tables is not None:
        released += _cells(org, tables[0], "out_of_adherence_ms")
    _safe(released, [a.id for a in org.agents])


# Kind-vs-total complement ---------------------------------------------------------------
def _home_worker() -> Org:
    office = [Agent(f"b{i}", "Beta", away=4 + i, meal=30 + i) for i in range(5)]
    return Org([*office, Agent("y", "Beta", work_location="home", away=20, late=3, meal=40)])


@pytest.mark.parametrize("kinds_first", [False, True])
def test_kinds_of_the_others_against_the_team_total(tmp_path: Path, kinds_first: bool) -> None:
    org = _home_worker()
    team, office = org.chosen("Beta"), org.chosen("Beta", office=True)
    y = team[-1]
    # Unprotected: the team's total minus the office's kinds is y's total.
    total = org.truth(org.vector(team, "out_of_adherence_ms"))
    kinds = sum(org.truth(org.vector(office, m)) for m in KINDS)
    assert total - kinds == org.truth(org.vector([y], "out_of_adherence_ms")) == 33 * MIN
    ws = org.workspace(tmp_path)
    day = (DAY, DAY)
    released: list[Vec] = []

    def total_of_team() -> list[ReleasedTable] | None:
        return _mount(lambda: ws.report("out_of_adherence_ms", by=["team"], period=day,
                                        viewer=STEWARD))  # fmt: skip

    def kinds_of_office() -> list[ReleasedTable] | None:
        return _mount(lambda: ws.report_many([(m, ["team"]) for m in KINDS], period=day,
                                             where={"work_location": "office"},
                                             viewer=STEWARD))  # fmt: skip

    first, second = (
        (kinds_of_office, total_of_team) if kinds_first else (total_of_team, kinds_of_office)
    )
    got_first = first()
    assert got_first is not None
    got_second = second()
    for tables, office_only in ((got_first, kinds_first), (got_second, not kinds_first)):
        if tables is None:
            continue
        metrics = KINDS if office_only else ["out_of_adherence_ms"]
        for table, m in zip(tables, metrics, strict=True):
            released += _cells(org, table, m, office=office_only)
    assert got_second is None or sum(len(_released(t)) for t in got_second) < len(
        got_second
    )  # something held back
    _safe(released, [a.id for a in org.agents])


# Activity-vs-kind cross -----------------------------------------------------------------
def test_activities_of_the_others_against_the_kinds_of_the_team(tmp_path: Path) -> None:
    org = _home_worker()
    team, office = org.chosen("Beta"), org.chosen("Beta", office=True)
    y = team[-1]
    kinds = sum(org.truth(org.vector(team, m)) for m in KINDS)
    places = sum(org.truth(org.vector(office, m)) for m in PLACES)
    assert kinds - places == org.truth(org.vector([y], "out_of_adherence_ms"))
    ws = org.workspace(tmp_path)
    day = (DAY, DAY)
    first = _mount(lambda: ws.report_many([(m, ["team"]) for m in KINDS], period=day,
                                          viewer=STEWARD))  # fmt: skip
    assert first is not None
    released = [v for t, m in zip(first, KINDS, strict=True) for v in _cells(org, t, m)]
    second = _mount(lambda: ws.report_many([(m, ["team"]) for m in PLACES], period=day,
                                           where={"work_location": "office"},
                                           viewer=STEWARD))  # fmt: skip
    if second is not None:
        released += [
            v for t, m in zip(second, PLACES, strict=True) for v in _cells(org, t, m, office=True)
        ]
    _safe(released, [a.id for a in org.agents])


# Pair tracker with half hours -----------------------------------------------------------
def test_a_pair_tracker_by_half_hour(tmp_path: Path) -> None:
    office = [Agent(f"c{i}", "Gamma", away=3 + i) for i in range(5)]
    pair = [Agent(f"h{i}", "Gamma", work_location="home", away=11 + i) for i in range(2)]
    org = Org([*office, *pair])
    # Unprotected: the 14:00 half hour of the team minus that of the office is the pair's.
    whole = org.truth(org.vector(org.agents, "out_of_adherence_ms", "14:00"))
    part = org.truth(org.vector(office, "out_of_adherence_ms", "14:00"))
    assert whole - part == org.truth(org.vector(pair, "out_of_adherence_ms", "14:00")) > 0
    ws = org.workspace(tmp_path)
    day = (DAY, DAY)
    first = ws.report("out_of_adherence_ms", by=["team", "half_hour"], period=day, viewer=STEWARD)
    released = _cells(org, first, "out_of_adherence_ms")
    second = _mount(lambda: ws.report("out_of_adherence_ms", by=["team", "half_hour"], period=day,
                                      where={"work_location": "office"},
                                      viewer=STEWARD))  # fmt: skip
    if second is not None:
        released += _cells(org, second[0], "out_of_adherence_ms", office=True)
    _safe(released, [a.id for a in org.agents])


# Employee self-view and team half hours -------------------------------------------------
def test_an_employee_subtracting_their_own_half_hours(tmp_path: Path) -> None:
    org = Org([Agent(f"d{i}", "Delta", away=4 + 2 * i) for i in range(5)])
    me_agent = org.agents[0]
    # Unprotected: the team's 14:00 minus my own is the sum over four colleagues.
    whole = org.truth(org.vector(org.agents, "out_of_adherence_ms", "14:00"))
    mine = org.truth(org.vector([me_agent], "out_of_adherence_ms", "14:00"))
    assert whole - mine == org.truth(org.vector(org.agents[1:], "out_of_adherence_ms", "14:00"))
    ws = org.workspace(tmp_path)
    me = Employee(me_agent.id)
    ws.self_view(me_agent.id, viewer=me)
    tables = _mount(lambda: ws.report("out_of_adherence_ms", by=["team", "half_hour"],
                                      period=(DAY, DAY), viewer=me))  # fmt: skip
    assert tables is None or not _released(tables[0])


# Sensitive codes through the kinds (G12) ------------------------------------------------
def test_a_sensitive_pause_is_not_an_unscheduled_pause(tmp_path: Path) -> None:
    agents = [Agent(f"e{i}", "Eps", away=5 + i) for i in range(5)]
    org = Org([*agents, Agent("z", "Eps", away=25, away_reason="Helse")])
    ws = org.workspace(tmp_path)
    table = ws.report("out_of_adherence_unscheduled_pause_ms", by=["team"], period=(DAY, DAY),
                      viewer=STEWARD)  # fmt: skip
    (row,) = _released(table)
    assert row["out_of_adherence_unscheduled_pause_ms"] == sum(5 + i for i in range(5)) * MIN
    # Its time is under ``other`` only, where one person holds all of it here: dominance
    # (G5) holds that cell back, and it must stay hidden: the team's total minus every other
    # kind would be it.
    day = (DAY, DAY)
    other = _mount(lambda: ws.report("out_of_adherence_other_ms", by=["team"], period=day,
                                     viewer=STEWARD))  # fmt: skip
    assert other is None or _released(other[0]) == []
    team = org.agents
    assert (
        org.truth(org.vector(team, "out_of_adherence_ms"))
        - sum(org.truth(org.vector(team, m)) for m in KINDS if m != "out_of_adherence_other_ms")
        == 25 * MIN + 0
    )  # the unprotected complement recovers z's sensitive time
    released = _cells(org, table, "out_of_adherence_unscheduled_pause_ms")
    for m in ["out_of_adherence_late_start_ms", "out_of_adherence_early_end_ms",
              "out_of_adherence_long_meal_ms", "out_of_adherence_late_from_break_ms"]:  # fmt: skip
        got = _mount(lambda m=m: ws.report(m, by=["team"], period=day, viewer=STEWARD))
        if got is not None:
            released += _cells(org, got[0], m)
    total = _mount(lambda: ws.report("out_of_adherence_ms", by=["team"], period=day,
                                     viewer=STEWARD))  # fmt: skip
    if total is not None:
        released += _cells(org, total[0], "out_of_adherence_ms")
    assert not recoverable(org.vector(team, "out_of_adherence_other_ms"), released)
