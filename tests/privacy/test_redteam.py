"""Red-team attacks on the privacy layer, written against the one release model (privacy.md).

Every attack test does two things:

1. it runs the attack's arithmetic on what an UNPROTECTED system would answer (true figures
   of a hand-built organisation, ``tests.privacy.oracle``) and checks that it recovers the
   target exactly — the attack is real;
2. it mounts the attack through the public API (or the command line) and checks that it is
   stopped: a release is refused with a typed ``PrivacyError``, or the revealing cell is
   suppressed, and — by the independent exact oracle — no combination of everything released
   (pooled over viewers, who talk) and everything known (own figures, opened shares) isolates
   one agent, or a set of fewer than k agents, or recovers the target.

The oracle rebuilds each released cell's vectors from the cell's keys, the query and the
organisation's schedule and roster (never from the library's ledger), and checks the
released value against the true value of that support, so a wrong reconstruction shows.
"""

from __future__ import annotations

import dataclasses
import gc
import json
import math
import pickle
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from tests.privacy.oracle import (
    MIN,
    MONDAY,
    SATURDAY,
    SENSITIVE,
    SHIFT_MS,
    WEEKDAYS,
    Cell,
    Org,
    Pause,
    Person,
    Span,
    Vec,
    breach_atom,
    isolated_agents,
    reaches_atoms,
    recoverable,
    smallest_isolated_set,
    solve,
    team,
)
from tests.privacy.org import AUDIT_KEY

from adherence import (
    Auditor,
    Employee,
    FairnessAudit,
    PrivacyError,
    PrivacyPolicy,
    ReleasedTable,
    Steward,
    TeamLead,
    Workspace,
)
from adherence.cli import main
from adherence.metrics import METRICS
from adherence.rules import PauseLimit, Rule, parse_rule

K = 5
POLICY = PrivacyPolicy(min_group_size=K, sensitive_reasons=SENSITIVE)
W11 = "2026-W11"
W11_DAYS = (MONDAY, MONDAY + timedelta(days=6))
TUESDAY, WEDNESDAY, FRIDAY = (MONDAY + timedelta(days=i) for i in (1, 2, 4))
REFUSALS = {"ADH-001", "ADH-002", "ADH-003", "ADH-004", "ADH-010", "ADH-011", "ADH-012"}
LEAD = TeamLead("tl-1", teams=["Alpha", "Beta"])
STEWARD = Steward("s")
AUDITOR = Auditor("u")
PAUSE_METRICS = tuple(
    f"{s}_ms" for s in ("away", "approved", "break", "meal", "meeting", "off_queue_work",
                        "training")
)  # fmt: skip


# Helpers ------------------------------------------------------------------------------------
def period_days(period: str | tuple[date, date] | None) -> tuple[date, date] | None:
    """The first and last day of a period, read independently of the library."""
    if period is None or isinstance(period, tuple):
        return period
    if "/" in period:
        a, _, b = period.partition("/")
        return period_days(a)[0], period_days(b)[1]  # type: ignore[index]
    if "-W" in period:
        year, week = period.split("-W")
        monday = date.fromisocalendar(int(year), int(week), 1)
        return monday, monday + timedelta(days=6)
    if len(period) == 7:
        year, month = map(int, period.split("-"))
        following = date(year + month // 12, month % 12 + 1, 1)
        return date(year, month, 1), following - timedelta(days=1)
    day = date.fromisoformat(period)
    return day, day


def scope(org: Org, viewer: object) -> list[str] | None:
    if isinstance(viewer, TeamLead):
        return sorted(viewer.teams)
    if isinstance(viewer, Employee):
        return [org.person(viewer.agent_id).team]
    return None


def tolerance(unit: str) -> Fraction:
    """Released values are rounded: percentages to 0.1 pp, durations to whole seconds."""
    return {"pct": Fraction(1, 20), "ms": Fraction(500), "count": Fraction(0)}[unit] + Fraction(
        1, 10**6
    )


@dataclasses.dataclass(frozen=True)
class AuditAtoms:
    """What an audit's group cells reveal, in the model's atoms (episodes of a pause state,
    or per-shift budgets of one): units, and breaches at every limit of the rule's curve."""

    state: str
    per: str = "episodes"  # or "shift"

    def units(self) -> str:
        return f"{self.state.lower()}_episodes" if self.per == "episodes" else "shifts"

    def breaches(self, limit: float) -> str:
        return breach_atom(self.state, limit, per=self.per)


class Probe:
    """A workspace over an ``Org`` plus the oracle's record of every release and knowledge."""

    def __init__(self, folder: Path, org: Org, policy: PrivacyPolicy = POLICY) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.org = org
        self.ws = Workspace.open(folder / "adherence.db", audit_key=AUDIT_KEY, policy=policy)
        intervals, schedule, roster = org.tables()
        self.ws.add(intervals, schedule=schedule, roster=roster)
        self.cells: list[Cell] = []
        self.known: list[Vec] = []
        self.known_agents: set[str] = set()
        self.k = policy.min_group_size

    def reload(self, org: Org) -> None:
        """New data for the same store (a roster change); earlier cells keep their supports."""
        self.org = org
        intervals, schedule, roster = org.tables()
        self.ws.add(intervals, schedule=schedule, roster=roster)

    # Doors ---------------------------------------------------------------------------------
    def report(
        self,
        metric: str,
        *,
        viewer: object,
        by: Sequence[str] = (),
        period: str | tuple[date, date] | None = None,
        where: Mapping[str, str | Sequence[str]] | None = None,
        margins: bool = False,
    ) -> ReleasedTable | PrivacyError:
        if isinstance(viewer, Employee):
            self.known_agents.add(viewer.agent_id)
        try:
            table = self.ws.report(
                metric,
                by=by,
                period=period,
                where=where,
                margins=margins,
                viewer=viewer,  # type: ignore[arg-type]
            )
        except PrivacyError as err:
            return err
        for row in table.to_dicts():
            key = {d: row[d] for d in by}
            support = self.org.support(
                key=key, where=where, period=period_days(period), teams=scope(self.org, viewer)
            )
            if row["status"] != "released" or row[metric] is None:
                continue
            vectors = self.org.vectors(metric, support)
            self.cells.append(Cell(key, support, vectors, row[metric]))
            truth = self.org.value(metric, support)
            if truth is not None and METRICS[metric].kind != "quantile":
                gap = abs(Fraction(row[metric]) - truth)
                assert gap <= tolerance(METRICS[metric].unit), (
                    f"{metric} {key}: released {row[metric]} but the model's cell is {float(truth)}"
                )
        return table

    def audit(
        self,
        rule: Rule,
        atoms: AuditAtoms,
        *,
        viewer: object,
        by: Sequence[str] = (),
        period: str | None = None,
        where: Mapping[str, str | Sequence[str]] | None = None,
    ) -> FairnessAudit | PrivacyError:
        if isinstance(viewer, Employee):
            self.known_agents.add(viewer.agent_id)
        try:
            audit = self.ws.audit_tolerance(
                rule, by=by, period=period, where=where, viewer=viewer,  # type: ignore[arg-type]
                permutations=99,
            )  # fmt: skip
        except PrivacyError as err:
            return err
        self.record_audit_rows(
            audit.groups.to_dicts(), rule, atoms, by=by, period=period, where=where,
            teams=scope(self.org, viewer),
        )  # fmt: skip
        return audit

    def record_audit_rows(
        self,
        rows: Iterable[Mapping[str, Any]],
        rule: Rule,
        atoms: AuditAtoms,
        *,
        by: Sequence[str],
        period: str | None,
        where: Mapping[str, str | Sequence[str]] | None = None,
        teams: Sequence[str] | None = None,
    ) -> None:
        """The vectors of an audit's released group rows: units, breaches at every limit of the
        curve, and the system / within-margin counts (their own atoms)."""
        for row in rows:
            if row["status"] != "released":
                continue
            key = {d: row[d] for d in by}
            support = self.org.support(
                key=key, where=where, period=period_days(period), teams=teams
            )
            names = [atoms.units(), *(atoms.breaches(limit) for limit in rule.curve)]
            extra = [f"{atoms.breaches(rule.limit)}:{part}"
                     for part in ("system", "within30", "within60", "within120")]  # fmt: skip
            vectors = [self.org.vector(support, [n]) for n in [*names, *extra]]
            self.cells.append(Cell(key, support, vectors, row.get("units")))
            for column, name in (
                ("units", atoms.units()),
                ("breaches", atoms.breaches(rule.limit)),
            ):
                if row.get(column) is not None:
                    truth = self.org.truth(self.org.vector(support, [name]))
                    assert row[column] == truth, (
                        f"audit {key}: released {column} {row[column]}, the model's is {truth}"
                    )

    def open_share(
        self,
        agent: str,
        *,
        to: object,
        metrics: Sequence[str],
        periods: Sequence[str],
        purpose: str = "development_plan",
    ) -> ReleasedTable | PrivacyError:
        share = self.ws.share(
            agent=agent, to=to, purpose=purpose, metrics=metrics, periods=periods,  # type: ignore[arg-type]
            viewer=Employee(agent),
        )  # fmt: skip
        try:
            table = self.ws.open_share(share.id, viewer=to)  # type: ignore[arg-type]
        except PrivacyError as err:
            return err
        for p in periods:
            self.known += self.org.shared(agent, metrics, period_days(p))  # type: ignore[arg-type]
        return table

    def self_view(self, agent: str) -> ReleasedTable:
        self.known_agents.add(agent)
        return self.ws.self_view(agent, viewer=Employee(agent))

    # The oracle ------------------------------------------------------------------------------
    @property
    def released(self) -> list[Vec]:
        return [v for c in self.cells for v in c.vectors]

    def knowledge(self, *extra: Mapping[tuple[str, date, str], object]) -> list[Vec]:
        """Pooled knowledge: opened shares, plus every atom of every employee who asked."""
        coords = {c for v in [*self.released, *extra] for c in v}
        own = [{c: Fraction(1)} for c in coords if c[0] in self.known_agents]
        return [*self.known, *own]

    def recovers(self, target: Vec) -> bool:
        return recoverable(target, self.released, self.knowledge(target))

    def isolated(self) -> tuple[str, ...] | None:
        return smallest_isolated_set(self.released, self.knowledge(), k=self.k)

    def assert_stopped(self, outcome: object, *targets: Vec, codes: set[str] | None = None) -> None:
        """The attack is stopped: refused with a fitting code, or nothing it needs released;
        the oracle finds no target recoverable and no set of fewer than k agents isolated."""
        if isinstance(outcome, PrivacyError):
            assert outcome.code in (codes or REFUSALS), outcome.code
        for target in targets:
            assert not self.recovers(target), "the target is a combination of released figures"
        assert self.isolated() is None, f"isolated: {self.isolated()}"


def vec(org: Org, agents: Iterable[str], atoms: Iterable[str], period: str | None = W11) -> Vec:
    """The target: ``atoms`` of ``agents`` summed over the period's scheduled days."""
    return org.vector(org.support(agents=list(agents), period=period_days(period)), list(atoms))


def unprotected(org: Org, metric: str, **support: Any) -> Fraction:
    """What an unprotected system answers for one cell (period given as text)."""
    if "period" in support:
        support["period"] = period_days(support["period"])
    value = org.value(metric, org.support(**support))
    assert value is not None
    return value


def row(table: ReleasedTable | PrivacyError, **key: str) -> dict[str, Any] | None:
    if isinstance(table, PrivacyError):
        return None
    for r in table.to_dicts():
        if all(r.get(k) == v for k, v in key.items()):
            return r
    return None


def suppressed_or_refused(outcome: object, **key: str) -> bool:
    if isinstance(outcome, PrivacyError):
        return True
    found = row(outcome, **key)  # type: ignore[arg-type]
    return found is None or found["status"] == "suppressed"


def view(outcome: object) -> object:
    """An outcome as the viewer sees it (for comparing twins)."""
    if isinstance(outcome, PrivacyError):
        return ("refused", outcome.code)
    if isinstance(outcome, ReleasedTable):
        return ("table", outcome.to_dicts())
    if isinstance(outcome, FairnessAudit):
        p = None if math.isnan(outcome.p_value) else outcome.p_value
        return ("audit", outcome.groups.to_dicts(), outcome.sensitivity.to_dicts(),
                outcome.verdict, outcome.suggested_limit, p)  # fmt: skip
    raise TypeError(type(outcome))


def shape(outcome: object) -> object:
    """Only what G6 makes public: refused or not, the rows and their statuses."""
    if isinstance(outcome, PrivacyError):
        return ("refused", outcome.code)
    table = outcome.groups if isinstance(outcome, FairnessAudit) else outcome
    assert isinstance(table, ReleasedTable)
    keys = list(table.keys)
    return ("table", [(*(r[k] for k in keys), r["status"]) for r in table.to_dicts()])


def twins(
    tmp_path: Path, a: Org, b: Org, steps: Callable[[Probe], list[object]]
) -> tuple[list[object], list[object]]:
    """The same steps on two organisations with the same schedule and roster."""
    return steps(Probe(tmp_path / "a", a)), steps(Probe(tmp_path / "b", b))


def with_kari(*others: Person, **kari: Any) -> Org:
    return Org([*others, Person("kari", **{"team": "Alpha", **kari})])


# 0. The oracle itself ---------------------------------------------------------------------
def test_the_oracles_organisation_matches_the_engine(tmp_path: Path) -> None:
    # The org builder's atoms are what the engine computes (via the employee's own view).
    kari = Person("kari", "Alpha", meal={MONDAY: 41, TUESDAY: 0, WEDNESDAY: 22},
                  pauses={MONDAY: (Pause("BREAK", 12), Pause("APPROVED", 45, "Tillitsvalgt")),
                          FRIDAY: (Pause("TRAINING", 60),)})  # fmt: skip
    org = Org([kari, *team("Alpha", 5)])
    p = Probe(tmp_path, org)

    rows = {r["day"]: r for r in p.self_view("kari").to_dicts()}

    for day in kari.days:
        x = org.atoms(kari, day)
        r = rows[day.isoformat()]
        assert r["meal_ms"] == x["meal_ms"]
        assert r["break_ms"] == x["break_ms"]
        assert r["pause_ms"] == sum(x[m] for m in (*PAUSE_METRICS, "other_ms"))
        assert r["out_of_adherence_ms"] == x["out_of_adherence_charged_ms"]


def test_the_oracles_linear_algebra_on_hand_checked_cases() -> None:
    a, b, c = "a", "b", "c"
    d = MONDAY

    def v(*agents: str) -> Vec:
        return {(x, d, "m"): Fraction(1) for x in agents}

    assert isolated_agents([v(a, b, c), v(a, b)]) == ["c"]
    assert isolated_agents([v(a, b, c)], [v(a)]) == []
    assert smallest_isolated_set([v(a, b, c)], [v(a)], k=3) == ("b", "c")
    assert smallest_isolated_set([v(a, b, c)], k=3) is None
    assert recoverable(v(c), [v(a, b, c), v(a, b)])
    assert not recoverable(v(c), [v(a, b, c)])
    assert solve(v(c), [(v(a, b, c), Fraction(10)), (v(a, b), Fraction(7))]) == 3
    assert Span([v(a, b), v(b, c), v(a, c)]).rank == 3
    assert reaches_atoms(["m"], [v(a)])
    assert not reaches_atoms(["z"], [v(a)])


# 1. Small cells -----------------------------------------------------------------------------
def test_a_team_of_four_is_not_released(tmp_path: Path) -> None:
    org = Org([*team("Alpha", 4, meal=33), *team("Beta", 6)])
    four = vec(org, [f"alpha-{i}" for i in range(4)], ["meal_ms"])
    assert unprotected(org, "meal_ms", teams=["Alpha"], period=W11) == org.truth(four)

    p = Probe(tmp_path, org)
    table = p.report("meal_ms", by=["team"], period=W11, viewer=LEAD)

    assert suppressed_or_refused(table, team="Alpha")
    p.assert_stopped(table, four, codes={"ADH-001"})


def test_a_filter_to_two_agents_is_not_released(tmp_path: Path) -> None:
    org = Org([*team("Alpha", 6), *team("Alpha", 2, prefix="bill-", skill="billing", meal=47)])
    pair = vec(org, ["bill-0", "bill-1"], ["meal_ms"])
    assert unprotected(org, "meal_ms", where={"skill": "billing"}, period=W11) == org.truth(pair)

    p = Probe(tmp_path, org)
    table = p.report("meal_ms", by=["team"], where={"skill": "billing"}, period=W11, viewer=LEAD)

    p.assert_stopped(table, pair, codes={"ADH-001"})


def test_a_saturday_worked_by_one_agent_is_not_released_nor_recoverable(tmp_path: Path) -> None:
    org = with_kari(*team("Alpha", 6), days=(*WEEKDAYS, SATURDAY), meal={SATURDAY: 52})
    saturday = vec(org, ["kari"], ["meal_ms"], period=SATURDAY.isoformat())
    assert unprotected(org, "meal_ms", teams=["Alpha"], period=SATURDAY.isoformat()) == 52 * MIN

    p = Probe(tmp_path, org)
    p.report("meal_ms", by=["team"], period=W11, viewer=LEAD)
    table = p.report("meal_ms", by=["team", "day"], period=W11, viewer=LEAD)

    assert suppressed_or_refused(table, day=SATURDAY.isoformat())
    p.assert_stopped(table, saturday)


# 2. Filter trackers -------------------------------------------------------------------------
def test_team_minus_one_by_skill(tmp_path: Path) -> None:
    org = with_kari(*team("Alpha", 6), skill="billing", meal=41)
    target = vec(org, ["kari"], ["meal_ms"])
    whole = unprotected(org, "meal_ms", teams=["Alpha"], period=W11)
    rest = unprotected(org, "meal_ms", teams=["Alpha"], where={"skill": "sales"}, period=W11)
    assert whole - rest == org.truth(target) == 5 * 41 * MIN

    p = Probe(tmp_path, org)
    p.report("meal_ms", by=["team"], period=W11, viewer=LEAD)
    second = p.report("meal_ms", by=["team"], where={"skill": "sales"}, period=W11, viewer=LEAD)

    p.assert_stopped(second, target, codes={"ADH-002"})


def test_team_minus_a_pair_by_employment_type(tmp_path: Path) -> None:
    org = Org([*team("Alpha", 6), *team("Alpha", 2, prefix="tmp-", employment_type="temporary",
                                          meal=44)])  # fmt: skip
    pair = vec(org, ["tmp-0", "tmp-1"], ["out_of_adherence_charged_ms"])
    whole = unprotected(org, "out_of_adherence_ms", teams=["Alpha"], period=W11)
    rest = unprotected(org, "out_of_adherence_ms", where={"employment_type": "permanent"},
                       period=W11)  # fmt: skip
    assert whole - rest == org.truth(pair) == 2 * 5 * 14 * MIN

    p = Probe(tmp_path, org)
    p.report("out_of_adherence_ms", by=["team"], period=W11, viewer=LEAD)
    second = p.report("out_of_adherence_ms", where={"employment_type": "permanent"}, period=W11,
                      viewer=LEAD)  # fmt: skip

    p.assert_stopped(second, pair, codes={"ADH-002"})


def test_team_minus_one_by_work_location_on_a_rate(tmp_path: Path) -> None:
    org = with_kari(*team("Alpha", 6), work_location="home", meal=50)
    target = vec(org, ["kari"], ["out_of_adherence_charged_ms"])
    # The schedule is public: 420 minutes per agent-day.
    whole = unprotected(org, "adherence_pct", teams=["Alpha"], period=W11)
    rest = unprotected(org, "adherence_pct", where={"work_location": "office"}, period=W11)
    out = (1 - whole / 100) * 35 * SHIFT_MS - (1 - rest / 100) * 30 * SHIFT_MS
    assert out == org.truth(target) == 5 * 20 * MIN

    p = Probe(tmp_path, org)
    p.report("adherence_pct", by=["team"], period=W11, viewer=LEAD)
    second = p.report("adherence_pct", where={"work_location": "office"}, period=W11,
                      viewer=LEAD)  # fmt: skip

    p.assert_stopped(second, target, codes={"ADH-002"})


def test_pair_tracker_across_a_saturday_spec_example(tmp_path: Path) -> None:
    # T: 12 agents; H: 2 home workers, one of whom works Saturday. T and T minus H for W11
    # differ by the two agents of H, whatever days had data.
    home = [Person("h-0", "Alpha", work_location="home", meal=38),
            Person("h-1", "Alpha", work_location="home", meal=26,
                   days=(*WEEKDAYS, SATURDAY))]  # fmt: skip
    org = Org([*team("Alpha", 10), *home])
    pair = vec(org, ["h-0", "h-1"], ["meal_ms"])
    whole = unprotected(org, "meal_ms", teams=["Alpha"], period=W11)
    rest = unprotected(org, "meal_ms", where={"work_location": "office"}, period=W11)
    assert whole - rest == org.truth(pair)

    p = Probe(tmp_path, org)
    p.report("meal_ms", by=["team"], period=W11, viewer=LEAD)
    second = p.report("meal_ms", where={"work_location": "office"}, period=W11, viewer=LEAD)

    p.assert_stopped(second, pair, codes={"ADH-002"})


def test_pair_tracker_whose_windows_differ_only_by_a_day_without_data(tmp_path: Path) -> None:
    # T for Mon-Sun, then T minus H for Mon-Fri: nobody in T minus H works on the weekend, so
    # the second window covers the same agent-days as Mon-Sun would; the difference is H.
    home = [Person("h-0", "Alpha", work_location="home", meal=38),
            Person("h-1", "Alpha", work_location="home", meal=26,
                   days=(*WEEKDAYS, SATURDAY))]  # fmt: skip
    org = Org([*team("Alpha", 10), *home])
    pair = vec(org, ["h-0", "h-1"], ["meal_ms"])
    weekdays = f"{MONDAY}/{FRIDAY}"
    whole = unprotected(org, "meal_ms", teams=["Alpha"], period=W11)
    rest = unprotected(org, "meal_ms", where={"work_location": "office"}, period=weekdays)
    assert whole - rest == org.truth(pair)

    p = Probe(tmp_path, org)
    p.report("meal_ms", by=["team"], period=W11, viewer=LEAD)
    second = p.report("meal_ms", where={"work_location": "office"}, period=weekdays, viewer=LEAD)

    p.assert_stopped(second, pair, codes={"ADH-002"})


def test_team_minus_one_by_site_through_a_breakdown_for_another_viewer(tmp_path: Path) -> None:
    org = with_kari(*team("Alpha", 6), site="Harstad", meal=43)
    target = vec(org, ["kari"], ["meal_ms"])
    whole = unprotected(org, "meal_ms", teams=["Alpha"], period=W11)
    oslo = unprotected(org, "meal_ms", teams=["Alpha"], key={"site": "Oslo"}, period=W11)
    assert whole - oslo == org.truth(target)

    p = Probe(tmp_path, org)
    p.report("meal_ms", by=["team"], period=W11, viewer=LEAD)
    table = p.report("meal_ms", by=["site"], where={"team": "Alpha"}, period=W11, viewer=STEWARD)

    assert suppressed_or_refused(table, site="Harstad")
    p.assert_stopped(table, target)


# 3. Complements through margins ------------------------------------------------------------
def test_margins_inside_one_table(tmp_path: Path) -> None:
    org = Org([*team("Alpha", 6), *team("Alpha", 2, prefix="bill-", skill="billing", meal=47)])
    pair = vec(org, ["bill-0", "bill-1"], ["meal_ms"])
    total = unprotected(org, "meal_ms", period=W11)
    sales = unprotected(org, "meal_ms", where={"skill": "sales"}, period=W11)
    assert total - sales == org.truth(pair)

    p = Probe(tmp_path, org)
    table = p.report("meal_ms", by=["skill"], margins=True, period=W11, viewer=STEWARD)

    assert suppressed_or_refused(table, skill="billing")
    p.assert_stopped(table, pair)


def test_margin_from_an_earlier_release(tmp_path: Path) -> None:
    org = Org([*team("Alpha", 5), *team("Alpha", 3, prefix="tmp-", employment_type="temporary",
                                          meal=39)])  # fmt: skip
    temps = vec(org, [f"tmp-{i}" for i in range(3)], ["meal_episodes"])
    total = unprotected(org, "meal_episodes", period=W11)
    permanent = unprotected(org, "meal_episodes", where={"employment_type": "permanent"},
                            period=W11)  # fmt: skip
    assert total - permanent == org.truth(temps) == 15

    p = Probe(tmp_path, org)
    p.report("meal_episodes", by=["team"], period=W11, viewer=LEAD)
    table = p.report("meal_episodes", by=["employment_type"], period=W11, viewer=LEAD)

    p.assert_stopped(table, temps)


def test_margin_released_to_another_viewer(tmp_path: Path) -> None:
    # The lead holds the team total; the steward asks by skill: viewers talk.
    org = Org([*team("Alpha", 6), *team("Alpha", 2, prefix="bill-", skill="billing", meal=47)])
    pair = vec(org, ["bill-0", "bill-1"], ["meal_ms"])
    assert unprotected(org, "meal_ms", teams=["Alpha"], period=W11) - unprotected(
        org, "meal_ms", key={"skill": "sales"}, period=W11
    ) == org.truth(pair)

    p = Probe(tmp_path, org)
    p.report("meal_ms", by=["team"], period=W11, viewer=LEAD)
    table = p.report("meal_ms", by=["skill"], period=W11, viewer=STEWARD)

    p.assert_stopped(table, pair)


def test_two_dimensional_margins_team_by_day(tmp_path: Path) -> None:
    org = Org([*team("Alpha", 6), *team("Beta", 6),
               Person("kari", "Beta", days=(*WEEKDAYS, SATURDAY), meal={SATURDAY: 55})])  # fmt: skip
    target = vec(org, ["kari"], ["meal_ms"], period=SATURDAY.isoformat())
    saturday_all = unprotected(org, "meal_ms", key={"day": SATURDAY.isoformat()}, period=W11)
    assert saturday_all == org.truth(target)

    p = Probe(tmp_path, org)
    table = p.report("meal_ms", by=["team", "day"], margins=True, period=W11, viewer=STEWARD)

    p.assert_stopped(table, target)


# 4. Time windows ------------------------------------------------------------------------------
def test_week_minus_a_day(tmp_path: Path) -> None:
    # Only Kari works on Friday; the others work Monday to Thursday.
    others = team("Alpha", 6, days=WEEKDAYS[:4])
    org = with_kari(*others, meal={FRIDAY: 57})
    target = vec(org, ["kari"], ["meal_ms"], period=FRIDAY.isoformat())
    thursday = f"{MONDAY}/{MONDAY + timedelta(days=3)}"
    week = unprotected(org, "meal_ms", period=W11)
    assert week - unprotected(org, "meal_ms", period=thursday) == org.truth(target) == 57 * MIN

    p = Probe(tmp_path, org)
    p.report("meal_ms", by=["team"], period=W11, viewer=LEAD)
    second = p.report("meal_ms", by=["team"], period=thursday, viewer=LEAD)

    p.assert_stopped(second, target, codes={"ADH-002"})


def test_month_minus_its_weeks(tmp_path: Path) -> None:
    # Kari alone also worked Friday 6 March (W10); everybody works W11 and W12.
    w12 = tuple(d + timedelta(days=7) for d in WEEKDAYS)
    others = team("Alpha", 6, days=(*WEEKDAYS, *w12))
    alone = date(2026, 3, 6)
    org = with_kari(*others, days=(alone, *WEEKDAYS, *w12), meal={alone: 48})
    target = vec(org, ["kari"], ["meal_ms"], period=alone.isoformat())
    month = unprotected(org, "meal_ms", period="2026-03")
    weeks = unprotected(org, "meal_ms", period="2026-W11") + unprotected(
        org, "meal_ms", period="2026-W12"
    )
    assert month - weeks == org.truth(target) == 48 * MIN

    p = Probe(tmp_path, org)
    p.report("meal_ms", by=["team"], period="2026-W11", viewer=LEAD)
    p.report("meal_ms", by=["team"], period="2026-W12", viewer=LEAD)
    third = p.report("meal_ms", by=["team"], period="2026-03", viewer=LEAD)

    p.assert_stopped(third, target, codes={"ADH-002"})


def test_day_cells_against_the_week(tmp_path: Path) -> None:
    org = with_kari(*team("Alpha", 6), days=(*WEEKDAYS, SATURDAY), meal={SATURDAY: 52})
    target = vec(org, ["kari"], ["meal_ms"], period=SATURDAY.isoformat())
    week = unprotected(org, "meal_ms", period=W11)
    days = sum(unprotected(org, "meal_ms", period=d.isoformat()) for d in WEEKDAYS)
    assert week - days == org.truth(target)

    p = Probe(tmp_path, org)
    p.report("meal_ms", by=["team", "iso_week"], period=W11, viewer=LEAD)
    table = p.report("meal_ms", by=["team", "day"], period=W11, viewer=LEAD)

    p.assert_stopped(table, target)


# 5. Roster changes -----------------------------------------------------------------------------
def test_a_leaver_moved_out_of_the_team_between_releases(tmp_path: Path) -> None:
    before = with_kari(*team("Alpha", 5), *team("Beta", 6), meal=46)
    after = before.replace("kari", team="Beta")
    target = vec(before, ["kari"], ["meal_ms"])
    assert unprotected(before, "meal_ms", teams=["Alpha"], period=W11) - unprotected(
        after, "meal_ms", teams=["Alpha"], period=W11
    ) == org_truth(before, target)

    p = Probe(tmp_path, before)
    p.report("meal_ms", where={"team": "Alpha"}, period=W11, viewer=LEAD)
    p.reload(after)
    second = p.report("meal_ms", where={"team": "Alpha"}, period=W11, viewer=LEAD)

    p.assert_stopped(second, target, codes={"ADH-002"})


def org_truth(org: Org, v: Vec) -> Fraction:
    return org.truth(v)


def test_a_backdated_hire_between_releases(tmp_path: Path) -> None:
    before = Org(team("Alpha", 6))
    after = before.plus(Person("ola", "Alpha", meal=44))
    target = vec(after, ["ola"], ["meal_ms"])
    assert unprotected(after, "meal_ms", teams=["Alpha"], period=W11) - unprotected(
        before, "meal_ms", teams=["Alpha"], period=W11
    ) == after.truth(target)

    p = Probe(tmp_path, before)
    p.report("meal_ms", by=["team"], period=W11, viewer=LEAD)
    p.reload(after)
    second = p.report("meal_ms", by=["team"], period=W11, viewer=LEAD)

    p.assert_stopped(second, target, codes={"ADH-002"})


# 6. Side knowledge from shares -----------------------------------------------------------------
def test_team_of_five_minus_the_sharer(tmp_path: Path) -> None:
    org = with_kari(*team("Alpha", 4, meal=36), meal=41)
    four = vec(org, [f"alpha-{i}" for i in range(4)], ["meal_ms"])
    shared = org.truth(vec(org, ["kari"], ["meal_ms"]))
    assert unprotected(org, "meal_ms", teams=["Alpha"], period=W11) - shared == org.truth(four)

    p = Probe(tmp_path, org)
    p.open_share("kari", to=LEAD, metrics=["meal_ms"], periods=[W11])
    table = p.report("meal_ms", by=["team"], period=W11, viewer=LEAD)

    p.assert_stopped(table, four, codes={"ADH-001", "ADH-002"})


def test_share_scope_creep_to_one_day(tmp_path: Path) -> None:
    # Kari shares her weekly meal time; a day-level tracker reaches her Tuesday.
    org = with_kari(*team("Alpha", 6), skill="billing", meal={TUESDAY: 58})
    target = vec(org, ["kari"], ["meal_ms"], period=TUESDAY.isoformat())
    day = TUESDAY.isoformat()
    whole = unprotected(org, "meal_ms", teams=["Alpha"], period=day)
    rest = unprotected(org, "meal_ms", where={"skill": "sales"}, period=day)
    assert whole - rest == org.truth(target) == 58 * MIN

    p = Probe(tmp_path, org)
    p.open_share("kari", to=LEAD, metrics=["meal_ms"], periods=[W11])
    p.report("meal_ms", by=["team"], period=day, viewer=LEAD)
    second = p.report("meal_ms", by=["team"], where={"skill": "sales"}, period=day, viewer=LEAD)

    p.assert_stopped(second, target, codes={"ADH-002"})


def test_share_scope_creep_to_her_other_pauses(tmp_path: Path) -> None:
    # Kari shares meal_ms; pause_ms for the team and the team without her gives her breaks.
    org = with_kari(*team("Alpha", 6, pauses=(Pause("BREAK", 10),)), skill="billing",
                    pauses=(Pause("BREAK", 23),))  # fmt: skip
    target = vec(org, ["kari"], ["break_ms"])
    whole = unprotected(org, "pause_ms", teams=["Alpha"], period=W11)
    rest = unprotected(org, "pause_ms", where={"skill": "sales"}, period=W11)
    shared = org.truth(vec(org, ["kari"], ["meal_ms"]))
    assert whole - rest - shared == org.truth(target) == 5 * 23 * MIN

    p = Probe(tmp_path, org)
    p.open_share("kari", to=LEAD, metrics=["meal_ms"], periods=[W11])
    p.report("pause_ms", by=["team"], period=W11, viewer=LEAD)
    second = p.report("pause_ms", by=["team"], where={"skill": "sales"}, period=W11, viewer=LEAD)

    p.assert_stopped(second, target, codes={"ADH-002"})


def test_a_share_opened_after_the_team_of_five_was_released(tmp_path: Path) -> None:
    org = with_kari(*team("Alpha", 4, meal=36), meal=41)
    four = vec(org, [f"alpha-{i}" for i in range(4)], ["meal_ms"])
    shared = org.truth(vec(org, ["kari"], ["meal_ms"]))
    assert unprotected(org, "meal_ms", teams=["Alpha"], period=W11) - shared == org.truth(four)

    p = Probe(tmp_path, org)
    p.report("meal_ms", by=["team"], period=W11, viewer=LEAD)
    opened = p.open_share("kari", to=LEAD, metrics=["meal_ms"], periods=[W11])

    p.assert_stopped(opened, four)


def test_a_share_opened_after_a_day_level_release(tmp_path: Path) -> None:
    # The lead holds Alpha by day (5 agents a day, released); Kari then shares Monday's
    # figures: Monday minus Kari would be four agents.
    org = with_kari(*team("Alpha", 4, meal=36), meal={MONDAY: 41})
    monday = MONDAY.isoformat()
    four = vec(org, [f"alpha-{i}" for i in range(4)], ["meal_ms"], period=monday)
    shared = org.truth(vec(org, ["kari"], ["meal_ms"], period=monday))
    assert unprotected(org, "meal_ms", period=monday) - shared == org.truth(four)

    p = Probe(tmp_path, org)
    p.report("meal_ms", by=["team", "day"], period=W11, viewer=LEAD)
    opened = p.open_share("kari", to=LEAD, metrics=["meal_ms"], periods=[monday])

    p.assert_stopped(opened, four)


# 7. Self-knowledge -------------------------------------------------------------------------------
def test_an_employee_subtracts_her_own_view_from_a_team_of_five(tmp_path: Path) -> None:
    org = with_kari(*team("Alpha", 4, meal=36), meal=41)
    four = vec(org, [f"alpha-{i}" for i in range(4)], ["meal_ms"])
    p = Probe(tmp_path, org)
    own = sum(r["meal_ms"] for r in p.self_view("kari").to_dicts())
    assert unprotected(org, "meal_ms", teams=["Alpha"], period=W11) - own == org.truth(four)

    table = p.report("meal_ms", by=["team"], period=W11, viewer=Employee("kari"))

    p.assert_stopped(table, four, codes={"ADH-001"})


def test_an_employee_and_one_colleague_on_a_saturday(tmp_path: Path) -> None:
    org = Org([*team("Alpha", 5),
               Person("ola", "Alpha", days=(*WEEKDAYS, SATURDAY), meal={SATURDAY: 49}),
               Person("kari", "Alpha", days=(*WEEKDAYS, SATURDAY))])  # fmt: skip
    target = vec(org, ["ola"], ["meal_ms"], period=SATURDAY.isoformat())
    saturday = unprotected(org, "meal_ms", period=SATURDAY.isoformat())
    assert saturday - org.truth(vec(org, ["kari"], ["meal_ms"], SATURDAY.isoformat())) == 49 * MIN

    p = Probe(tmp_path, org)
    p.self_view("kari")
    table = p.report("meal_ms", by=["day"], period=W11, viewer=Employee("kari"))

    p.assert_stopped(table, target)


# 8. Collusion ----------------------------------------------------------------------------------
def test_one_lead_holds_a_share_another_gets_the_team_of_five(tmp_path: Path) -> None:
    # Viewers talk: the pooled knowledge makes the team of five a group of four.
    org = with_kari(*team("Alpha", 4, meal=36), meal=41)
    four = vec(org, [f"alpha-{i}" for i in range(4)], ["meal_ms"])
    shared = org.truth(vec(org, ["kari"], ["meal_ms"]))
    assert unprotected(org, "meal_ms", teams=["Alpha"], period=W11) - shared == org.truth(four)

    p = Probe(tmp_path, org)
    p.open_share("kari", to=LEAD, metrics=["meal_ms"], periods=[W11])
    table = p.report("meal_ms", by=["team"], period=W11,
                     viewer=TeamLead("tl-2", teams=["Alpha"]))  # fmt: skip

    p.assert_stopped(table, four)


def test_two_leads_split_a_tracker(tmp_path: Path) -> None:
    org = with_kari(*team("Alpha", 6), *team("Beta", 6), skill="billing", meal=41)
    target = vec(org, ["kari"], ["meal_ms"])
    assert unprotected(org, "meal_ms", teams=["Alpha"], period=W11) - unprotected(
        org, "meal_ms", teams=["Alpha"], where={"skill": "sales"}, period=W11
    ) == org.truth(target)

    p = Probe(tmp_path, org)
    p.report("meal_ms", period=W11, viewer=TeamLead("tl-a", teams=["Alpha"]))
    second = p.report("meal_ms", by=["team"], where={"skill": "sales"}, period=W11, viewer=LEAD)

    p.assert_stopped(second, target, codes={"ADH-002"})


# 9. Cross-metric complements ---------------------------------------------------------------------
def test_pause_total_minus_every_other_state_gives_the_suppressed_one(tmp_path: Path) -> None:
    # Only Kari trains (an hour a day): training_ms for the team is hers alone (dominated).
    org = with_kari(*team("Alpha", 6, pauses=(Pause("BREAK", 10),)),
                    pauses=(Pause("BREAK", 10), Pause("TRAINING", 60)))  # fmt: skip
    target = vec(org, [p.id for p in org.people], ["training_ms"])
    answers = {m: unprotected(org, m, period=W11) for m in ("pause_ms", *PAUSE_METRICS)}
    rest = answers["pause_ms"] - sum(v for m, v in answers.items() if m not in
                                     ("pause_ms", "training_ms"))  # fmt: skip
    assert rest == org.truth(target) == 5 * 60 * MIN

    p = Probe(tmp_path, org)
    first = p.report("training_ms", by=["team"], period=W11, viewer=STEWARD)
    for m in ("pause_ms", *PAUSE_METRICS):
        if m != "training_ms":
            p.report(m, by=["team"], period=W11, viewer=STEWARD)

    assert suppressed_or_refused(first, team="Alpha")
    # Side knowledge: nobody in Alpha has time under a sensitive code (who holds a union role
    # is public), so the 'other' atom is known to be zero.
    p.known += [{(a, d, "other_ms"): Fraction(1)} for a, d in org.support()]
    p.assert_stopped(None, target)


def test_episode_means_and_counts_for_team_and_team_minus_one(tmp_path: Path) -> None:
    org = with_kari(*team("Alpha", 6), skill="billing", meal={TUESDAY: 0, WEDNESDAY: 51})
    target = vec(org, ["kari"], ["meal_episode_ms"])
    sales = {"skill": "sales"}
    total = unprotected(org, "meal_episode_mean_ms", period=W11) * unprotected(
        org, "meal_episodes", period=W11
    )
    rest = unprotected(org, "meal_episode_mean_ms", where=sales, period=W11) * unprotected(
        org, "meal_episodes", where=sales, period=W11
    )
    assert total - rest == org.truth(target) == (3 * 30 + 51) * MIN

    p = Probe(tmp_path, org)
    p.report("meal_episode_mean_ms", by=["team"], period=W11, viewer=LEAD)
    p.report("meal_episodes", by=["team"], period=W11, viewer=LEAD)
    third = p.report("meal_episode_mean_ms", by=["team"], where=sales, period=W11, viewer=LEAD)
    fourth = p.report("meal_episodes", by=["team"], where=sales, period=W11, viewer=LEAD)

    p.assert_stopped(third, target)
    p.assert_stopped(fourth, target)


def test_a_sum_for_the_team_and_a_rate_for_the_team_minus_one(tmp_path: Path) -> None:
    org = with_kari(*team("Alpha", 6), employment_type="temporary", meal=50)
    target = vec(org, ["kari"], ["out_of_adherence_charged_ms"])
    whole = unprotected(org, "out_of_adherence_ms", period=W11)
    rate = unprotected(org, "adherence_pct", where={"employment_type": "permanent"}, period=W11)
    assert whole - (1 - rate / 100) * 30 * SHIFT_MS == org.truth(target)

    p = Probe(tmp_path, org)
    p.report("out_of_adherence_ms", by=["team"], period=W11, viewer=LEAD)
    second = p.report("adherence_pct", by=["team"], where={"employment_type": "permanent"},
                      period=W11, viewer=LEAD)  # fmt: skip

    p.assert_stopped(second, target, codes={"ADH-002"})


# 10. Order statistics --------------------------------------------------------------------------
def test_a_median_when_one_of_twelve_scheduled_agents_had_an_episode(tmp_path: Path) -> None:
    org = with_kari(*team("Alpha", 11), pauses=(Pause("BREAK", 17),))
    support = org.support(period=period_days(W11))
    assert org.value("break_episode_median_ms", support) == 17 * MIN  # her own break

    p = Probe(tmp_path, org)
    table = p.report("break_episode_median_ms", by=["team"], period=W11, viewer=STEWARD)

    assert suppressed_or_refused(table, team="Alpha")


def test_a_median_needs_ten_contributing_agents_not_ten_scheduled(tmp_path: Path) -> None:
    breakers = [Person(f"b-{i}", "Alpha", pauses=(Pause("BREAK", 10 + i),)) for i in range(9)]
    org = Org([*breakers, *team("Alpha", 3)])
    support = org.support(period=period_days(W11))
    assert len(org.contributors("BREAK", support)) == 9
    assert org.value("break_episode_median_ms", support) == 14 * MIN

    p = Probe(tmp_path, org)
    table = p.report("break_episode_median_ms", by=["team"], period=W11, viewer=STEWARD)

    assert suppressed_or_refused(table, team="Alpha")


# 11. Dominance and its complement ----------------------------------------------------------------
def _dominated() -> Org:
    # alpha-x is Alpha's only agent out of adherence (150 min a day); Beta's are 10 min a day
    # each, so the total over both teams is not dominated.
    return Org([*team("Alpha", 6), Person("alpha-x", "Alpha", meal=180), *team("Beta", 7, meal=40)])


def test_a_dominated_cell_is_not_recovered_from_the_margin(tmp_path: Path) -> None:
    org = _dominated()
    alpha = vec(org, [p.id for p in org.people if p.team == "Alpha"],
                ["out_of_adherence_charged_ms"])  # fmt: skip
    total = unprotected(org, "out_of_adherence_ms", period=W11)
    beta = unprotected(org, "out_of_adherence_ms", teams=["Beta"], period=W11)
    assert total - beta == org.truth(alpha) == 5 * 150 * MIN

    p = Probe(tmp_path, org)
    table = p.report("out_of_adherence_ms", by=["team"], margins=True, period=W11, viewer=STEWARD)

    assert suppressed_or_refused(table, team="Alpha")
    p.assert_stopped(table, alpha)


def test_a_dominated_cell_is_not_recovered_from_an_earlier_total(tmp_path: Path) -> None:
    org = _dominated()
    alpha = vec(org, [p.id for p in org.people if p.team == "Alpha"],
                ["out_of_adherence_charged_ms"])  # fmt: skip

    p = Probe(tmp_path, org)
    p.report("out_of_adherence_ms", period=W11, viewer=STEWARD)
    table = p.report("out_of_adherence_ms", by=["team"], period=W11, viewer=STEWARD)

    assert suppressed_or_refused(table, team="Alpha")
    p.assert_stopped(table, alpha)


# 12. Sensitive reason codes ---------------------------------------------------------------------
def _union(minutes: float | None, *, health: float = 20) -> Org:
    """Alpha: Kari has union duty (APPROVED, Tillitsvalgt) on Monday and Wednesday, Ola a
    health appointment (APPROVED, Helse) on Tuesday (``minutes=None``: neither); five
    colleagues have ordinary approved time; everybody takes a 10-minute break."""
    brk = Pause("BREAK", 10)

    def extra(pause: Pause) -> tuple[Pause, ...]:
        return (brk,) if minutes is None else (brk, pause)

    return Org([
        *team("Alpha", 4, pauses=(brk,)),
        *team("Alpha", 5, prefix="appr-", pauses=(brk, Pause("APPROVED", 15))),
        Person("kari", "Alpha", pauses={
            d: (brk, *extra(Pause("APPROVED", minutes or 0, "Tillitsvalgt"))[1:])
            if d in (MONDAY, WEDNESDAY) else (brk,) for d in WEEKDAYS}),
        Person("ola", "Alpha", pauses={
            d: (brk, *extra(Pause("APPROVED", health, "Helse"))[1:])
            if d == TUESDAY else (brk,) for d in WEEKDAYS}),
    ])  # fmt: skip


def _naive_approved(org: Org, day: date) -> list[float]:
    """APPROVED episode lengths [min] an unprotected system sees (sensitive ones included)."""
    return [q.minutes for p in org.people if day in p.days for q in p.pauses_on(day)
            if q.state == "APPROVED"]  # fmt: skip


def test_sensitive_time_by_a_direct_breakdown(tmp_path: Path) -> None:
    a, b = _union(50), _union(25, health=35)
    assert sum(_naive_approved(a, MONDAY)) != sum(_naive_approved(b, MONDAY))

    def steps(p: Probe) -> list[object]:
        return [p.report(m, by=by, period=W11, viewer=STEWARD)
                for m in ("approved_ms", "approved_episodes", "approved_episode_mean_ms")
                for by in (["team"], ["team", "day"])]  # fmt: skip

    seen_a, seen_b = twins(tmp_path, a, b, steps)
    assert [view(x) for x in seen_a] == [view(x) for x in seen_b]


def test_sensitive_time_by_complement_of_the_pause_total(tmp_path: Path) -> None:
    org = _union(50)
    answers = {m: unprotected(org, m, period=W11) for m in ("pause_ms", *PAUSE_METRICS)}
    other = answers["pause_ms"] - sum(v for m, v in answers.items() if m != "pause_ms")
    assert other == (2 * 50 + 20) * MIN  # her union duty and his health appointment

    p = Probe(tmp_path, org)
    for m in ("pause_ms", *PAUSE_METRICS):
        for by in (["team"], ["team", "day"]):
            p.report(m, by=by, period=W11, viewer=STEWARD)

    assert not reaches_atoms(["other_ms", "other_episodes", "other_episode_ms"], p.released,
                             p.knowledge())  # fmt: skip
    p.assert_stopped(None)


def test_sensitive_time_by_a_per_episode_audit_by_day(tmp_path: Path) -> None:
    a, b = _union(50), _union(25, health=35)
    # Unprotected: Monday's APPROVED episodes over 30:00 are hers: 1 in a, 0 in b.
    assert sum(m > 30 for m in _naive_approved(a, MONDAY)) == 1
    assert sum(m > 30 for m in _naive_approved(b, MONDAY)) == 0
    rule = PauseLimit("APPROVED", timedelta(minutes=30))

    def steps(p: Probe) -> list[object]:
        return [p.audit(rule, AuditAtoms("APPROVED"), by=["day"], period=W11, viewer=AUDITOR)]

    seen_a, seen_b = twins(tmp_path, a, b, steps)
    assert [view(x) for x in seen_a] == [view(x) for x in seen_b]


def test_sensitive_time_by_a_per_shift_budget_rule(tmp_path: Path) -> None:
    a, b = _union(50), _union(25, health=35)
    assert max(_naive_approved(a, MONDAY)) > 45 >= max(_naive_approved(b, MONDAY))
    rule = parse_rule("APPROVED/shift<=45:00")

    def steps(p: Probe) -> list[object]:
        return [p.audit(rule, AuditAtoms("APPROVED", per="shift"), by=["day"], period=W11,
                        viewer=AUDITOR)]  # fmt: skip

    seen_a, seen_b = twins(tmp_path, a, b, steps)
    assert [view(x) for x in seen_a] == [view(x) for x in seen_b]


def test_sensitive_time_by_bisecting_a_rules_limit(tmp_path: Path) -> None:
    a, b = _union(50), _union(25, health=35)
    limits = (10, 20, 30, 40, 60)
    # Unprotected: the breach counts at these limits bracket her union duty's length.
    assert [sum(m > x for m in _naive_approved(a, MONDAY)) for x in limits] == [6, 1, 1, 1, 0]
    assert [sum(m > x for m in _naive_approved(b, MONDAY)) for x in limits] == [6, 1, 0, 0, 0]

    def steps(p: Probe) -> list[object]:
        return [p.audit(PauseLimit("APPROVED", timedelta(minutes=x)), AuditAtoms("APPROVED"),
                        by=["team"], period=MONDAY.isoformat(), viewer=AUDITOR)
                for x in limits]  # fmt: skip

    seen_a, seen_b = twins(tmp_path, a, b, steps)
    assert [view(x) for x in seen_a] == [view(x) for x in seen_b]


def test_whether_anyone_had_sensitive_time_changes_no_decision(tmp_path: Path) -> None:
    # G6 and G12: with or without union duty in the data, the same answers to the same
    # questions about approved time (a refusal that depends on it would tell).
    a, b = _union(50), _union(None)
    assert _naive_approved(a, MONDAY) != _naive_approved(b, MONDAY)

    def steps(p: Probe) -> list[object]:
        return [
            *(p.report(m, by=["team"], period=W11, viewer=STEWARD)
              for m in ("approved_ms", "approved_episodes", "approved_episode_median_ms")),
            p.audit(PauseLimit("APPROVED", timedelta(minutes=30)), AuditAtoms("APPROVED"),
                    by=["team"], period=W11, viewer=AUDITOR),
        ]  # fmt: skip

    seen_a, seen_b = twins(tmp_path, a, b, steps)
    assert [view(x) for x in seen_a] == [view(x) for x in seen_b]


# 13. The fairness audit as a side channel ------------------------------------------------------
MEAL_30 = PauseLimit("MEAL", timedelta(minutes=30))


def test_a_relabelled_copy_of_a_rule_is_the_same_tracker(tmp_path: Path) -> None:
    org = with_kari(*team("Alpha", 6), skill="billing", meal=41)
    limit = 30 * MIN
    target = vec(org, ["kari"], [breach_atom("MEAL", limit)])
    breaches = org.truth(vec(org, [p.id for p in org.people], [breach_atom("MEAL", limit)]))
    rest = org.truth(vec(org, [f"alpha-{i}" for i in range(6)], [breach_atom("MEAL", limit)]))
    assert breaches - rest == org.truth(target) == 5
    fields = {f.name: getattr(MEAL_30, f.name) for f in dataclasses.fields(Rule)}
    copy = Rule(**{**fields, "label": "lunch (copy) ≤ {limit}"})

    p = Probe(tmp_path, org)
    p.audit(MEAL_30, AuditAtoms("MEAL"), by=["team"], period=W11, viewer=LEAD)
    second = p.audit(copy, AuditAtoms("MEAL"), by=["team"], where={"skill": "sales"},
                     period=W11, viewer=LEAD)  # fmt: skip

    p.assert_stopped(second, target, codes={"ADH-002", "ADH-003"})


def test_audit_unit_counts_against_report_episode_counts(tmp_path: Path) -> None:
    org = with_kari(*team("Alpha", 6), skill="billing", meal={TUESDAY: 0})
    target = vec(org, ["kari"], ["meal_episodes"])
    report = unprotected(org, "meal_episodes", period=W11)
    units = org.truth(vec(org, [f"alpha-{i}" for i in range(6)], ["meal_episodes"]))
    assert report - units == org.truth(target) == 4

    p = Probe(tmp_path, org)
    p.report("meal_episodes", by=["team"], period=W11, viewer=LEAD)
    second = p.audit(MEAL_30, AuditAtoms("MEAL"), by=["team"], where={"skill": "sales"},
                     period=W11, viewer=LEAD)  # fmt: skip

    p.assert_stopped(second, target, codes={"ADH-002"})


def test_an_audit_groups_row_does_not_exist_only_if_someone_took_a_lunch(tmp_path: Path) -> None:
    a = Org([*team("Alpha", 6), *team("Alpha", 5, prefix="home-", work_location="home")])
    b = Org(dataclasses.replace(p, meal=0) if p.work_location == "home" else p for p in a.people)
    home = a.support(key={"work_location": "home"}, period=period_days(W11))
    assert a.contributors("MEAL", home)
    assert not b.contributors("MEAL", home)

    def steps(p: Probe) -> list[object]:
        return [p.audit(MEAL_30, AuditAtoms("MEAL"), by=["work_location"], period=W11,
                        viewer=AUDITOR)]  # fmt: skip

    seen_a, seen_b = twins(tmp_path, a, b, steps)
    assert [shape(x) for x in seen_a] == [shape(x) for x in seen_b]


def test_a_custom_rule_that_measures_one_person_used_by_a_team_lead(tmp_path: Path) -> None:
    kari_only = pl.when(pl.col("agent_id") == "kari").then(pl.col("meal_episode_ms")).otherwise(0)
    rule = Rule(label="kari's lunch ≤ {limit}", unit="shift", measure=kari_only,
                limit=30 * MIN)  # fmt: skip
    a = with_kari(*team("Alpha", 6), meal=41)
    b = a.replace("kari", meal=29)
    # Unprotected: the audit's breaches are Kari's long lunches: 5 in a, 0 in b.
    assert [a.atom("kari", d, breach_atom("MEAL", 30 * MIN)) for d in WEEKDAYS] == [1] * 5

    def steps(p: Probe) -> list[object]:
        return [p.audit(rule, AuditAtoms("MEAL", per="shift"), by=["team"], period=W11,
                        viewer=LEAD)]  # fmt: skip

    seen_a, seen_b = twins(tmp_path, a, b, steps)
    assert [view(x) for x in seen_a] == [view(x) for x in seen_b]


def test_an_audit_of_a_team_of_five_after_one_opened_share(tmp_path: Path) -> None:
    org = with_kari(*team("Alpha", 4, meal=36), meal=41)
    four = vec(org, [f"alpha-{i}" for i in range(4)], ["meal_episodes"])
    assert org.truth(vec(org, [p.id for p in org.people], ["meal_episodes"])) - org.truth(
        vec(org, ["kari"], ["meal_episodes"])
    ) == org.truth(four)

    p = Probe(tmp_path, org)
    p.open_share("kari", to=LEAD, metrics=["meal_episodes", "meal_ms"], periods=[W11])
    audit = p.audit(MEAL_30, AuditAtoms("MEAL"), by=["team"], period=W11, viewer=LEAD)

    p.assert_stopped(audit, four, codes={"ADH-001", "ADH-002"})


# 14. Accidental release -------------------------------------------------------------------------
SENTINEL_AGENT = "zqx-sentinel-agent"
SENTINEL_MEAL = 37 + Fraction(13777, 60_000)  # 37:13.777
SENTINEL_DAY_MS = str(int((SENTINEL_MEAL - 30) * MIN))
SENTINEL_WEEK_MS = str(int((SENTINEL_MEAL - 30) * MIN) * 5)
SENTINEL_MEAL_MS = str(int(SENTINEL_MEAL * MIN))


def _reachable(root: object, depth: int = 8) -> list[object]:
    seen: dict[int, object] = {}
    frontier = [root]
    for _ in range(depth):
        nxt = []
        for obj in frontier:
            for ref in gc.get_referents(obj):
                if id(ref) not in seen and not isinstance(ref, type):
                    seen[id(ref)] = ref
                    nxt.append(ref)
        frontier = nxt
    return list(seen.values())


def test_released_objects_hold_no_unreleased_data(tmp_path: Path) -> None:
    sentinel = Person(SENTINEL_AGENT, "Gamma", meal=float(SENTINEL_MEAL))
    org = Org([*team("Alpha", 6), *team("Gamma", 3), sentinel])
    lead = TeamLead("tl-9", teams=["Alpha", "Gamma"])
    p = Probe(tmp_path, org)

    table = p.report("out_of_adherence_ms", by=["team"], period=W11, viewer=lead)
    meals = p.report("meal_ms", by=["team", "day"], period=W11, viewer=lead)
    audit = p.audit(MEAL_30, AuditAtoms("MEAL"), by=["team"], period=W11, viewer=lead)
    outputs: list[bytes] = []
    for obj in (table, meals, audit):
        if isinstance(obj, PrivacyError):
            outputs.append(str(obj).encode())
            continue
        tables = [obj.groups, obj.sensitivity] if isinstance(obj, FairnessAudit) else [obj]
        outputs += [repr(obj).encode(), str(obj).encode(), pickle.dumps(obj)]
        for t in tables:
            outputs += [t._repr_html_().encode(), t.to_polars().write_csv().encode(),
                        json.dumps(t.to_dicts(), default=str).encode()]  # fmt: skip
        for ref in _reachable(obj):
            assert not isinstance(ref, Workspace), "a released object reaches the workspace"
            if isinstance(ref, pl.DataFrame | pl.Series):
                outputs.append(repr(ref).encode())
            elif isinstance(ref, str | bytes):
                outputs.append(ref.encode() if isinstance(ref, str) else ref)
            elif isinstance(ref, int | float) and not isinstance(ref, bool) and math.isfinite(ref):
                outputs.append(str(int(ref)).encode())

    for output in outputs:
        for secret in (SENTINEL_AGENT, SENTINEL_DAY_MS, SENTINEL_WEEK_MS, SENTINEL_MEAL_MS):
            assert secret.encode() not in output, secret


# 15. Through the command line --------------------------------------------------------------------
def _cli_audit(folder: Path, store: Path, period: str, *extra: str) -> list[str]:
    log, schedule, roster = (folder / n for n in ("status_log.csv", "schedule.csv", "roster.csv"))
    return ["audit", "MEAL<=30:00", "--store", str(store), "--log", str(log), "--schedule",
            str(schedule), "--roster", str(roster), "--period", period, "--by", "team",
            "--viewer", "auditor:u", "--json", *extra]  # fmt: skip


def _saturday_org() -> Org:
    return with_kari(*team("Alpha", 6), days=(*WEEKDAYS, SATURDAY), meal={SATURDAY: 52})


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def _cli_stopped(p: Probe, code: int, out: str, err: str, target: Vec) -> None:
    if code != 0:
        assert code == 1, err
        assert any(c in err for c in REFUSALS), err
    else:
        document = json.loads(out)
        p.record_audit_rows(document["groups"], MEAL_30, AuditAtoms("MEAL"), by=["team"],
                            period=f"{MONDAY}/{FRIDAY}")  # fmt: skip
    assert not p.recovers(target)
    assert p.isolated() is None


def test_cli_audit_windows_that_differ_by_one_agents_saturday(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADHERENCE_KEY", "red-team key, sixteen bytes or more")
    monkeypatch.setenv("ADHERENCE_AUDIT_KEY", AUDIT_KEY)
    org = _saturday_org()
    target = vec(org, ["kari"], ["meal_episodes"], period=SATURDAY.isoformat())
    assert (
        org.truth(vec(org, [p.id for p in org.people], ["meal_episodes"], W11))
        - org.truth(vec(org, [p.id for p in org.people], ["meal_episodes"], f"{MONDAY}/{FRIDAY}"))
        == org.truth(target)
        == 1
    )
    org.write_csv(tmp_path / "data")
    p = Probe(tmp_path / "oracle", org)

    code, out, err = _run(_cli_audit(tmp_path / "data", tmp_path / "a.db", W11), capsys)
    assert code == 0, err
    p.record_audit_rows(json.loads(out)["groups"], MEAL_30, AuditAtoms("MEAL"), by=["team"],
                        period=W11)  # fmt: skip
    second = _run(_cli_audit(tmp_path / "data", tmp_path / "a.db", f"{MONDAY}/{FRIDAY}"), capsys)

    _cli_stopped(p, *second, target)


def test_cli_a_rekeyed_reload_does_not_reset_the_ledger(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    org = _saturday_org()
    target = vec(org, ["kari"], ["meal_episodes"], period=SATURDAY.isoformat())
    org.write_csv(tmp_path / "data")
    p = Probe(tmp_path / "oracle", org)

    monkeypatch.setenv("ADHERENCE_KEY", "the first key, sixteen bytes or more")

    monkeypatch.setenv("ADHERENCE_AUDIT_KEY", AUDIT_KEY)
    code, out, err = _run(_cli_audit(tmp_path / "data", tmp_path / "a.db", W11), capsys)
    assert code == 0, err
    p.record_audit_rows(json.loads(out)["groups"], MEAL_30, AuditAtoms("MEAL"), by=["team"],
                        period=W11)  # fmt: skip
    monkeypatch.setenv("ADHERENCE_KEY", "another key, sixteen bytes or more")
    monkeypatch.setenv("ADHERENCE_AUDIT_KEY", AUDIT_KEY)
    code, _, err = _run(_cli_audit(tmp_path / "data", tmp_path / "a.db", f"{MONDAY}/{FRIDAY}"),
                        capsys)  # fmt: skip

    assert code == 1
    assert err.startswith("adherence: error ADH-043: this is not the pseudonymisation key"), err
    assert not p.recovers(target)
    assert p.isolated() is None


def test_cli_sensitive_time_does_not_change_an_audit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADHERENCE_KEY", "red-team key, sixteen bytes or more")
    monkeypatch.setenv("ADHERENCE_AUDIT_KEY", AUDIT_KEY)
    a, b = _union(50), _union(25, health=35)
    assert sum(m > 30 for m in _naive_approved(a, MONDAY)) != sum(
        m > 30 for m in _naive_approved(b, MONDAY)
    )
    seen = []
    for name, org in (("a", a), ("b", b)):
        org.write_csv(tmp_path / name)
        log, schedule, roster = (tmp_path / name / n
                                 for n in ("status_log.csv", "schedule.csv", "roster.csv"))  # fmt: skip
        code, out, err = _run(
            ["audit", "APPROVED<=30:00", "--store", str(tmp_path / f"{name}.db"), "--log",
             str(log), "--schedule", str(schedule), "--roster", str(roster), "--period", W11,
             "--by", "day", "--viewer", "auditor:u", "--json"], capsys,
        )  # fmt: skip
        seen.append((code, out if code == 0 else err.split(":")[1]))

    assert seen[0] == seen[1]
