"""Dominance (G5) attacks a red team mounted on the breakdowns of charged time.

Each finds its target in the true figures of a synthetic centre, shows the attack's
arithmetic recovers it from unprotected answers, then mounts it through the public API as
the team's lead and checks the workspace stops it.

1. *Complement across kinds*: the kind one agent dominates is never asked for; the total and
   the other five kinds, each its own report, give it as a difference.
2. *Through the rate*: a half hour whose charged time is one agent's has its sum suppressed,
   but its adherence rate over public scheduled time gives the sum back.
3. *Limit after limit*: counts of breaches at many limits place each member's weekly lunch
   time, or a group's longest lunch, in a 30 s bracket.
"""

from __future__ import annotations

import itertools
from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest

import adherence as adh
from adherence._engine import OUT_KINDS
from adherence._engine.figures import sweep
from adherence.rules import PauseBudget, PauseLimit
from adherence.synth._load import load_sample

KEY = "a dominance attack test key, long enough"
AUDIT = "a dominance attack audit key, long enough"
SHARE = 0.9


@pytest.fixture(scope="module")
def centre() -> adh.synth.Sample:  # type: ignore[name-defined]
    return load_sample(key=KEY, n_agents=60, weeks=3, seed=2026)


def _on_team(frame: pl.DataFrame, roster: pl.DataFrame) -> pl.DataFrame:
    valid = (pl.col("local_date") >= pl.col("valid_from")) & (
        pl.col("valid_to").is_null() | (pl.col("local_date") <= pl.col("valid_to"))
    )
    return frame.join(
        roster.select("agent_id", "team", "valid_from", "valid_to"), on="agent_id"
    ).filter(valid)


def _truth(centre, slots: bool = False) -> pl.DataFrame:  # type: ignore[no-untyped-def]
    built = adh.intervals.from_events(centre.log.valid, schedule=centre.schedule.valid)
    run = sweep(built.intervals, centre.schedule.valid)
    return _on_team(run.slots() if slots else run.figures(), centre.roster.valid)


def _workspace(centre, folder: Path) -> adh.Workspace:  # type: ignore[no-untyped-def]
    folder.mkdir(parents=True, exist_ok=True)
    ws = adh.Workspace.open(folder / "a.db", key=KEY, audit_key=AUDIT)
    ws.add(centre.log, schedule=centre.schedule, roster=centre.roster)
    return ws


def _asked(
    ws: adh.Workspace, metric: str, lead: adh.TeamLead, **query: object
) -> pl.DataFrame | None:
    try:
        return ws.report(metric, viewer=lead, **query).to_polars()  # type: ignore[arg-type]
    except adh.PrivacyError:
        return None


def test_a_kind_one_agent_dominates_cannot_be_had_as_the_total_minus_the_other_kinds(
    centre,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    truth = _truth(centre).with_columns(pl.col("local_date").dt.strftime("%G-W%V").alias("week"))
    kind = "early_end"
    column = f"out_of_adherence_{kind}_ms"
    per_agent = truth.group_by("team", "week", "agent_id").agg(pl.col(column).sum())
    cells = (
        per_agent.group_by("team", "week")
        .agg(pl.col(column).max().alias("top"), pl.col(column).sum().alias("all"))
        .filter((pl.col("all") > 60_000) & (pl.col("top") >= SHARE * pl.col("all")))
        .sort("all", descending=True)
    )
    assert cells.height >= 2, "the sample must hold dominated cells for the attack"
    others = [k for k in OUT_KINDS if k != kind]
    for n, (team, week, top, _) in enumerate(cells.head(4).iter_rows()):
        cell = truth.filter((pl.col("team") == team) & (pl.col("week") == week))
        # Unprotected: the total minus the other kinds is the dominated kind.
        unprotected = cell["out_of_adherence_charged_ms"].sum() - sum(
            cell[f"out_of_adherence_{k}_ms"].sum() for k in others
        )
        assert unprotected == cell[column].sum()
        assert top >= SHARE * unprotected

        ws = _workspace(centre, tmp_path / str(n))
        lead = adh.TeamLead("tl", teams=[team])
        answers = [
            _asked(ws, m, lead, by=["team"], period=week)
            for m in ["out_of_adherence_ms", *(f"out_of_adherence_{k}_ms" for k in others)]
        ]
        released = [a for a in answers if a is not None and a["status"][0] == "released"]
        assert len(released) < len(answers), f"{team} {week}: one of six must be withheld"
        assert _asked(ws, column, lead, by=["team"], period=week) is None


def test_a_half_hour_one_agent_dominates_is_not_read_back_through_its_rate(
    centre,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    slots = _truth(centre, slots=True)
    cells = (
        slots.group_by("team", "local_date", "half_hour")
        .agg(
            pl.len().alias("n"),
            pl.col("out_of_adherence_charged_ms").sum().alias("charged"),
            pl.col("out_of_adherence_charged_ms").max().alias("top"),
            pl.col("scheduled_ms").sum().alias("scheduled"),
        )
        .filter(
            (pl.col("n") >= 6)
            & (pl.col("charged") >= 60_000)
            & (pl.col("top") >= SHARE * pl.col("charged"))
        )
        .sort("charged", descending=True)
    )
    assert cells.height, "the sample must hold a dominated half hour for the attack"
    team, day, half_hour, _, charged, _, scheduled = cells.row(0)
    # Unprotected: charged = (1 - rate) × scheduled, and scheduled time is public.
    rate = 100 * (1 - charged / scheduled)
    assert round((1 - round(rate, 1) / 100) * scheduled / 1000) == pytest.approx(
        charged / 1000, abs=0.0005 * scheduled / 1000 + 1
    )

    ws = _workspace(centre, tmp_path)
    lead = adh.TeamLead("tl", teams=[team])
    for metric in ("adherence_pct", "out_of_adherence_ms"):
        table = _asked(ws, metric, lead, by=["half_hour"], period=str(day))
        if table is None:
            continue
        row = table.filter(pl.col("half_hour") == half_hour)
        assert row["status"][0] != "released" or row[metric][0] is None


# The fairness audit at limit after limit ---------------------------------------------------


def _week_totals(centre, team: str) -> list[int]:  # type: ignore[no-untyped-def]
    truth = _truth(centre).filter(
        (pl.col("team") == team)
        & pl.col("local_date").is_between(pl.date(2026, 3, 16), pl.date(2026, 3, 22))
    )
    return sorted(truth.group_by("agent_id").agg(pl.col("meal_ms").sum())["meal_ms"].to_list())


def _bisect(count, lo: int, hi: int, k: int) -> tuple[int, int] | None:  # type: ignore[no-untyped-def]
    """The 30 s bracket (lo, hi] of the k-th largest value, from counts above limits."""
    while hi - lo > 30:
        mid = lo + ((hi - lo) // 60) * 30 if hi - lo > 60 else lo + 30
        found = count(mid)
        if found is None:
            return None
        lo, hi = (mid, hi) if found >= k else (lo, mid)
    return lo, hi


@pytest.mark.parametrize(
    "viewer", [adh.Auditor("union"), adh.TeamLead("tl", teams=["Bedrift Oslo"])]
)
def test_auditing_limit_after_limit_does_not_bracket_each_weekly_lunch(
    centre,
    tmp_path: Path,
    viewer: adh.Viewer,  # type: ignore[no-untyped-def]
) -> None:
    team = "Bedrift Oslo"
    totals = _week_totals(centre, team)
    assert len(totals) >= 5

    def unprotected(limit_s: int) -> int:
        return sum(1 for v in totals if v > limit_s * 1000)

    # Unprotected: each member's weekly lunch total to 30 s, the lowest one first.
    brackets = [_bisect(unprotected, 3600, 4 * 3600, k) for k in range(1, len(totals) + 1)]
    for (lo, hi), value in zip(brackets, sorted(totals, reverse=True), strict=True):  # type: ignore[misc]
        assert lo * 1000 < value <= hi * 1000

    ws = _workspace(centre, tmp_path)
    seen: dict[int, int | None] = {}

    def audited(limit_s: int) -> int | None:
        if limit_s not in seen:
            rule = PauseBudget("MEAL", timedelta(seconds=limit_s), per="week")
            try:
                audit = ws.audit_tolerance(rule, by=["team"], period="2026-W12", viewer=viewer)
                row = audit.groups.to_polars().filter(pl.col("team") == team)
                seen[limit_s] = row["breaches"][0] if row["status"][0] == "released" else None
            except adh.PrivacyError:
                seen[limit_s] = None
        return seen[limit_s]

    got = [_bisect(audited, 3600, 4 * 3600, k) for k in range(1, len(totals) + 1)]
    assert not any(got), got


def test_the_sensitivity_curve_and_a_second_audit_do_not_place_the_longest_lunch(
    centre,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    # Unprotected: a curve of counts every 30 s puts the group's longest lunch in a 30 s
    # bracket: the last limit with a breach and the next one.
    meals = _meals(centre).join(
        centre.roster.valid.select("agent_id", "employment_type"), on="agent_id"
    )
    longest = meals.filter(
        (pl.col("week") == "2026-W12") & (pl.col("employment_type") == "temporary")
    )["duration_ms"].max()
    last = (longest - 1) // 30_000 * 30_000  # type: ignore[operator]
    assert last < longest <= last + 30_000  # type: ignore[operator]
    ws = _workspace(centre, tmp_path)
    union = adh.Auditor("union")
    lunch = PauseLimit("MEAL", timedelta(minutes=30))
    audit = ws.audit_tolerance(lunch, by=["employment_type"], period="2026-W12", viewer=union)
    curve = audit.sensitivity.to_polars().filter(pl.col("employment_type") == "temporary")
    shown = curve.filter(pl.col("status") == "released")
    # Unprotected, the curve's last step with a breach and the next limit bracket the
    # group's longest lunch to 30 s; here, every pair of limits shown holds no one or at
    # least k people's lunches between them, so the last steps are not shown.
    units = audit.groups.to_polars().filter(pl.col("employment_type") == "temporary")["units"][0]
    counts = [round(p * units / 100) for p in shown["breach_pct"].to_list()]
    steps = [a - b for a, b in itertools.pairwise(counts) if a != b]
    assert all(step >= 1 for step in steps)
    tail = [c for c in counts if c > 0]
    assert not tail or tail[-1] >= 5 or len(tail) == len(counts)
    # A second audit just above the last breach shown adds no limit inside a small bin.
    second = ws.audit_tolerance(
        PauseLimit("MEAL", timedelta(minutes=33, seconds=30)),
        by=["employment_type"],
        period="2026-W12",
        viewer=union,
    )
    row = second.groups.to_polars().filter(pl.col("employment_type") == "temporary")
    assert row["status"][0] == "suppressed" or row["within_30s_pct"][0] is None


# A second red team: the bins across audits, rules, suggestions and the pause total ----------


def _meals(centre) -> pl.DataFrame:  # type: ignore[no-untyped-def]
    """Every lunch episode with its team and ISO week (the unprotected truth)."""
    built = adh.intervals.from_events(centre.log.valid, schedule=centre.schedule.valid)
    run = sweep(built.intervals, centre.schedule.valid)
    episodes = run.pause_episodes().filter(pl.col("state") == "MEAL")
    return _on_team(episodes, centre.roster.valid).with_columns(
        pl.col("local_date").dt.strftime("%G-W%V").alias("week")
    )


def _lone_longest(meals: pl.DataFrame) -> tuple[str, str, int]:
    """A team and week whose longest lunch is alone in its 30 s bin above 30:00."""
    ranked = (
        meals.group_by("team", "week")
        .agg(pl.col("duration_ms").sort(descending=True).head(2).alias("top"))
        .filter(pl.col("top").list.len() == 2)
        .with_columns(
            pl.col("top").list.get(0).alias("first"), pl.col("top").list.get(1).alias("second")
        )
        .with_columns(((pl.col("first") - 1) // 30_000 * 30_000).alias("below"))
        .filter((pl.col("below") >= pl.col("second")) & (pl.col("below") >= 1_800_000))
        .sort("team", "week")
    )
    assert ranked.height, "the sample must hold a lone longest lunch"
    team, week, below = ranked.select("team", "week", "below").row(0)
    return team, week, below


def _breaches(
    ws: adh.Workspace, rule: object, team: str, week: str, **options: object
) -> int | None:
    try:
        audit = ws.audit_tolerance(
            rule,
            period=week,
            where={"team": team},
            viewer=adh.Auditor("union"),
            **options,  # type: ignore[arg-type]
        )
    except adh.PrivacyError:
        return None
    row = audit.groups.to_polars()
    return row["breaches"][0] if row["status"][0] == "released" else None


def test_an_earlier_limit_off_the_new_audits_curve_still_bounds_its_bins(
    centre,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    team, week, below = _lone_longest(_meals(centre))
    meals = _meals(centre).filter((pl.col("team") == team) & (pl.col("week") == week))
    above = below + 30_000
    # Unprotected: count above `below` minus count above `above` is the one longest lunch.
    lone = (
        meals.filter(pl.col("duration_ms") > below).height
        - meals.filter(pl.col("duration_ms") > above).height
    )
    assert lone == 1

    ws = _workspace(centre, tmp_path)
    first = _breaches(ws, PauseLimit("MEAL", timedelta(milliseconds=below)), team, week)
    second = _breaches(ws, PauseLimit("MEAL", timedelta(milliseconds=above)), team, week)
    assert first is None or second is None


def test_a_per_shift_budget_and_a_per_episode_limit_share_their_bins(
    centre,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    meals = _meals(centre)
    team, week, below = _lone_longest(meals)
    above = below + 30_000
    # Unprotected: one lunch per shift, so the per-shift budget counts the same lunches; the
    # counts above the two limits (1 and 0) put the longest lunch in a 30 s bracket.
    mine = meals.filter((pl.col("team") == team) & (pl.col("week") == week))["duration_ms"]
    assert ((mine > below).sum(), (mine > above).sum()) == (1, 0)
    ws = _workspace(centre, tmp_path)
    first = _breaches(ws, PauseLimit("MEAL", timedelta(milliseconds=below)), team, week)
    budget = PauseBudget("MEAL", timedelta(milliseconds=above), per="shift")
    second = _breaches(ws, budget, team, week)
    assert first is None or second is None


def test_the_suggested_tolerance_is_a_limit_the_audit_shows(
    centre,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    ws = _workspace(centre, tmp_path)
    team, week, _ = _lone_longest(_meals(centre))
    audit = ws.audit_tolerance(
        PauseLimit("MEAL", timedelta(minutes=30)),
        period=week,
        where={"team": team},
        viewer=adh.Auditor("union"),
        level=0.01,
        measurement_margin=timedelta(minutes=5),
    )
    if audit.suggested_limit is None:
        return
    shown = audit.sensitivity.to_polars().filter(pl.col("status") == "released")["limit"]
    suggested = audit.rule.describe_limit(audit.suggested_limit)
    assert suggested in shown.to_list()


def test_a_dominated_pause_state_is_not_the_pause_total_minus_the_others(
    centre,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    truth = _truth(centre).with_columns(pl.col("local_date").dt.strftime("%G-W%V").alias("week"))
    states = [c for c in adh.metrics.METRICS["pause_ms"].numerator if c in adh.metrics.METRICS]
    found = None
    for state in states:
        per = truth.group_by("team", "week", "agent_id").agg(pl.col(state).sum())
        cells = (
            per.group_by("team", "week")
            .agg(pl.col(state).top_k(2).sum().alias("top"), pl.col(state).sum().alias("all"))
            .filter((pl.col("all") > 600_000) & (pl.col("top") >= SHARE * pl.col("all")))
            .sort("team", "week")
        )
        if cells.height:
            found = (state, *cells.row(0)[:2])
            break
    assert found, "the sample must hold a dominated pause state"
    state, team, week = found
    # Unprotected: the total minus the other states gives the state's time, which is one or
    # two agents' (at least 90 % of it).
    cell = truth.filter((pl.col("team") == team) & (pl.col("week") == week))
    total = sum(cell[s].sum() for s in states)
    recovered = total - sum(cell[s].sum() for s in states if s != state)
    per_agent = cell.group_by("agent_id").agg(pl.col(state).sum())[state].sort(descending=True)
    assert per_agent.head(2).sum() >= SHARE * recovered > 0
    ws = _workspace(centre, tmp_path)
    lead = adh.TeamLead("tl", teams=[team])
    asked = [
        _asked(ws, m, lead, by=["team"], period=week)
        for m in ["pause_ms", *(s for s in states if s != state)]
    ]
    released = [a for a in asked if a is not None and a["status"][0] == "released"]
    assert len(released) < len(asked)
