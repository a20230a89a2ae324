"""The tolerance-fairness audit on constructed cases (fairness.md)."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest
from tests.privacy.org import AUDIT_KEY, Agent, tables, team

from adherence.errors import ConfigurationError, ForbiddenQueryError, SmallGroupError
from adherence.fairness import permutation_p, wilson
from adherence.privacy import Auditor, Steward, Workspace
from adherence.rules import (
    AdherenceTarget,
    LoginGrace,
    PauseBudget,
    PauseLimit,
    Rule,
    clock,
    parse_rule,
)

AUDITOR = Auditor("union-rep")
MIN = 60_000


def _workspace(tmp_path: Path, agents: list[Agent]) -> Workspace:
    intervals, schedule, roster = tables(agents)
    ws = Workspace.open(tmp_path / "adherence.db", audit_key=AUDIT_KEY)
    ws.add(intervals, schedule=schedule, roster=roster)
    return ws


def test_rules_name_themselves_with_their_limit() -> None:
    assert PauseLimit("MEAL", timedelta(minutes=30)).name == "MEAL episode ≤ 30:00"
    assert (
        PauseBudget(["BREAK", "MEAL"], timedelta(minutes=50)).name == "BREAK+MEAL per shift ≤ 50:00"
    )
    assert LoginGrace(timedelta(minutes=2)).name == "login ≤ 2:00 late"
    assert AdherenceTarget(90).name == "adherence ≥ 90.0 %"
    assert LoginGrace(timedelta(minutes=2)).with_limit(150_000).name == "login ≤ 2:30 late"
    assert 120_000 in LoginGrace(timedelta(minutes=2)).curve
    assert clock(1_872_000) == "31:12"


def test_wilson_interval_matches_the_textbook_values() -> None:
    # p = 0.3, n = 10: Wilson 95 % interval (0.1078, 0.6032).
    assert wilson(3, 10) == (10.8, 60.3)
    assert wilson(10, 10) == (72.2, 100.0)


def test_login_breaches_caused_by_login_time_are_attributed_to_the_system(tmp_path: Path) -> None:
    # Every agent is at work on time but Ready only 3-5 minutes after logging in. Ten
    # agents: a median (of login-to-Ready) needs ten protected agents.
    delays = [3, 3.5, 4, 4.5, 5, 4, 3, 3.5, 4.5, 5]
    agents = [
        Agent(f"a{i}", "Alpha", login_delay=timedelta(minutes=d)) for i, d in enumerate(delays)
    ]
    ws = _workspace(tmp_path, agents)

    audit = ws.audit_tolerance(LoginGrace(timedelta(minutes=2)), viewer=AUDITOR)

    row = audit.groups.to_dicts()[0]
    assert (row["units"], row["breaches"], row["breach_pct"]) == (50, 50, 100.0)
    assert row["system_pct"] == 100.0
    assert row["median_system_ms"] == 4 * MIN
    # 5 % of 50 shifts is 2.5 shifts, fewer than k = 5: a suggestion would say where two or
    # three shifts lie, so there is none (the golden audits of the sample show one).
    assert audit.suggested_limit is None
    assert "the median time from the first login event to ready is 4:00" in audit.verdict.lower()
    assert "system delay, not lateness" in audit.verdict
    assert "100 % of the breaches are system-induced" in audit.verdict


def test_lunches_just_over_the_limit_show_in_the_margins(tmp_path: Path) -> None:
    agents = team("Alpha", 6, meal=timedelta(minutes=30, seconds=40))
    ws = _workspace(tmp_path, agents)

    audit = ws.audit_tolerance(PauseLimit("MEAL", timedelta(minutes=30)), viewer=AUDITOR)

    row = audit.groups.to_dicts()[0]
    assert row["breach_pct"] == 100.0
    assert (row["within_30s_pct"], row["within_60s_pct"], row["within_120s_pct"]) == (
        0.0,
        100.0,
        100.0,
    )
    assert "100 % of the breaches are within 60 s of the limit" in audit.verdict
    # 5 % of 30 lunches is fewer than k = 5 lunches: no suggestion (see the golden audits).
    assert audit.suggested_limit is None


def test_one_outlier_agent_is_not_a_significant_group_difference(tmp_path: Path) -> None:
    permanent = team("Alpha", 5, prefix="p-")
    permanent.append(Agent("p-outlier", "Alpha", meal=timedelta(minutes=45)))
    temporary = team("Alpha", 6, prefix="t-", employment_type="temporary")
    ws = _workspace(tmp_path, permanent + temporary)

    audit = ws.audit_tolerance(
        PauseLimit("MEAL", timedelta(minutes=30)), by=["employment_type"], viewer=AUDITOR
    )

    rows = {r["employment_type"]: r for r in audit.groups.to_dicts()}
    assert rows["permanent"]["breaches"] == 5  # all five lunches of the one agent
    assert rows["temporary"]["breaches"] == 0
    # Shuffling agents, the outlier lands in either group: no evidence against the groups.
    assert audit.p_value > 0.05
    assert (
        "significant" not in audit.verdict
        or "not significant" in audit.verdict
        or "No group" in audit.verdict
    )


def test_the_clustered_test_sees_a_difference_spread_over_many_agents() -> None:
    breaches = [5] * 8 + [0] * 8
    units = [5] * 16
    groups = ["a"] * 8 + ["b"] * 8

    assert permutation_p(breaches, units, groups, seed=7) < 0.01
    assert permutation_p(breaches, units, groups, seed=7) == permutation_p(
        breaches, units, groups, seed=7
    )


def test_a_per_episode_limit_and_a_weekly_budget_read_the_same_week_differently(
    tmp_path: Path,
) -> None:
    week = [timedelta(minutes=31, seconds=12), timedelta(minutes=27, seconds=55)] + [
        timedelta(minutes=30)
    ] * 3
    ws = _workspace(tmp_path, team("Alpha", 5, meals=week))

    per_episode = ws.audit_tolerance(PauseLimit("MEAL", timedelta(minutes=30)), viewer=AUDITOR)
    per_week = ws.audit_tolerance(
        PauseBudget("MEAL", timedelta(minutes=150), per="week"), viewer=AUDITOR
    )

    assert per_episode.groups.to_dicts()[0]["breach_pct"] == 20.0  # one lunch in five
    assert per_week.groups.to_dicts()[0]["breach_pct"] == 0.0  # 149:07 of 150:00


def test_small_groups_are_suppressed_and_audits_enter_the_ledger(tmp_path: Path) -> None:
    agents = team("Alpha", 6) + team("Beta", 4)
    ws = _workspace(tmp_path, agents)

    audit = ws.audit_tolerance(AdherenceTarget(90), by=["team"], viewer=AUDITOR)

    assert [r["status"] for r in audit.groups.to_dicts()] == ["released", "suppressed"]
    assert all(
        r["status"] == "suppressed" for r in audit.sensitivity.to_dicts() if r["team"] == "Beta"
    )
    assert ws.audit_records(viewer=AUDITOR)[0].event == "fairness_audit"
    with pytest.raises(SmallGroupError):
        ws.audit_tolerance(AdherenceTarget(90), by=["team"], where={"team": "Beta"}, viewer=AUDITOR)


def test_part_time_and_full_time_and_shift_start_hours_are_groups(tmp_path: Path) -> None:
    intervals, schedule, roster = tables(team("Alpha", 12))
    roster = roster.with_columns(contract_pct=pl.Series([100.0] * 6 + [60.0] * 6))
    ws = Workspace.open(tmp_path / "a.db", audit_key=AUDIT_KEY)
    ws.add(intervals, schedule=schedule, roster=roster)

    by_contract = ws.audit_tolerance(AdherenceTarget(90), by=["contract"], viewer=AUDITOR)
    by_hour = ws.report("adherence_pct", by=["start_hour"], viewer=AUDITOR)

    assert [r["contract"] for r in by_contract.groups.to_dicts()] == ["full_time", "part_time"]
    assert [r["start_hour"] for r in by_hour.to_dicts()] == ["09"]  # 08:00 UTC is 09 in Oslo


def test_a_pause_under_a_system_reason_code_is_system_induced(tmp_path: Path) -> None:
    # 32759 (UCCX: phone down) is set by the system, not chosen by the agent.
    agents = [
        Agent(f"a{i}", "Alpha", meal=timedelta(minutes=33), meal_reason="32759" if i < 3 else None)
        for i in range(6)
    ]
    ws = _workspace(tmp_path, agents)

    row = ws.audit_tolerance(
        PauseLimit("MEAL", timedelta(minutes=30)), viewer=AUDITOR
    ).groups.to_dicts()[0]

    assert row["breach_pct"] == 100.0
    assert row["system_pct"] == 50.0


def test_a_site_can_audit_its_own_rule(tmp_path: Path) -> None:
    import polars as pl

    from adherence.rules import Rule

    # "No more than 20 minutes of MEAL per shift outside the scheduled lunch" — here simply
    # time in MEAL per shift above 35 minutes.
    rule = Rule(
        label="MEAL per shift ≤ {limit}",
        unit="shift",
        measure=pl.col("meal_ms"),
        limit=35 * MIN,
        curve=(30 * MIN, 40 * MIN),
    )
    agents = team("Alpha", 5, meal=timedelta(minutes=36)) + team("Beta", 5)
    ws = _workspace(tmp_path, agents)

    with pytest.raises(ForbiddenQueryError) as refused:
        ws.audit_tolerance(rule, by=["team"], viewer=AUDITOR)
    audit = ws.audit_tolerance(rule, by=["team"], viewer=Steward("wfm"))

    # A custom rule computes over private rows: the steward's alone (not an auditor's).
    assert refused.value.code == "ADH-003"
    assert [r["breach_pct"] for r in audit.groups.to_dicts()] == [100.0, 0.0]
    assert audit.rule.name == "MEAL per shift ≤ 35:00"
    assert [r["limit"] for r in audit.sensitivity.to_dicts()][:3] == ["30:00", "35:00", "40:00"]


@pytest.mark.parametrize(
    ("level", "margin"),
    [
        (1e-12, timedelta(seconds=60)),  # a level tuned to read one count
        (0.05, timedelta(milliseconds=61_001)),  # a margin bisected to the millisecond
        (0.05, timedelta(minutes=10)),
    ],
)
def test_an_audits_level_and_margin_lie_on_public_grids(
    tmp_path: Path, level: float, margin: timedelta
) -> None:
    # Free parameters made the suggested limit an oracle: bisecting the margin over 23
    # audits read the longest meal to the millisecond. Only grid values are accepted.
    ws = _workspace(tmp_path, team("Alpha", 6))

    with pytest.raises(ConfigurationError):
        ws.audit_tolerance(
            PauseLimit("MEAL", timedelta(minutes=30)), viewer=AUDITOR, level=level,
            measurement_margin=margin,
        )  # fmt: skip


def test_a_built_in_rule_changed_in_place_is_audited_as_what_it_claims_to_be(
    tmp_path: Path,
) -> None:
    # Kari (billing) is the only agent with a 40-minute meal. An auditor narrows a built-in
    # rule in place to her alone and refines its curve to the second: what the audit
    # counts is then hers. Rebuilt from its arguments, the rule judges the whole team on
    # the public grid again.
    agents = [*team("Alpha", 10), Agent("kari", "Alpha", skill="billing",
                                        meal=timedelta(minutes=40))]  # fmt: skip
    ws = _workspace(tmp_path, agents)
    rule = PauseLimit("MEAL", timedelta(minutes=30))
    object.__setattr__(
        rule, "applies", (pl.col("state") == "MEAL") & (pl.col("skill") == "billing")
    )
    object.__setattr__(rule, "curve", tuple(float(s * 1000) for s in range(1700, 2500)))

    audit = ws.audit_tolerance(rule, by=["team"], viewer=AUDITOR)

    assert audit.groups.to_dicts()[0]["units"] == 11 * 5  # every meal of the team
    assert len(audit.sensitivity.to_dicts()) == len(PauseLimit("MEAL", timedelta(minutes=30)).curve)


def test_no_rule_reaches_the_folded_sensitive_time(tmp_path: Path) -> None:
    # Even the steward's own rule over episodes never sees time under a sensitive code.
    agents = [*team("Alpha", 6), Agent("alpha-u", "Alpha", meal_reason="Tillitsvalgt")]
    ws = _workspace(tmp_path, agents)
    rule = Rule(label="OTHER ≤ {limit}", unit="episode", measure=pl.col("duration_ms"),
                limit=60_000, applies=pl.col("state") == "OTHER")  # fmt: skip

    audit = ws.audit_tolerance(rule, by=["team"], viewer=Steward("wfm"))

    assert audit.groups.to_dicts()[0]["units"] == 0


class _Posing(timedelta):
    """A timedelta that shows one limit and measures another (an attacker's tool)."""


class _PosingText(str):
    __slots__ = ()

    def upper(self) -> str:
        return "MEAL"


@pytest.mark.parametrize(
    "make",
    [
        lambda: PauseLimit("MEAL", _Posing(minutes=29, seconds=37)),
        lambda: PauseLimit(_PosingText("TRAINING"), timedelta(minutes=30)),
        lambda: parse_rule("meal/week<=99999999999:00"),
        lambda: parse_rule("meal<=99999999999999999999"),
    ],
)
def test_rules_take_plain_values_of_sane_size(make: Callable[[], Rule]) -> None:
    # A subclass of timedelta or str could pass the grid and the sensitive-state checks
    # while polars compares against something else; a huge limit made a huge curve.
    with pytest.raises(ConfigurationError):
        make()


def _verdict(p_value: float, flagged: list[str]) -> str:
    from adherence.fairness import verdict

    return verdict(
        LoginGrace(timedelta(minutes=2)),
        breach_pct=62.0,
        system_pct=0.0,
        within_60s_pct=0.0,
        p_value=p_value,
        flagged_groups=flagged,
        median_system_ms=220_000.0,
        suggested=None,
    )


def test_the_verdict_states_the_p_value_at_its_released_precision() -> None:
    text = _verdict(0.0064, ["home"])
    assert "p = 0.01)" in text
    assert "0.006" not in text
    assert "median time from the first login event to Ready is 3:40, longer than" in text


def test_a_withheld_p_value_is_not_in_the_verdict() -> None:
    flagged = _verdict(math.nan, ["home"])
    assert flagged.endswith("Below four fifths of the best group's pass rate: home.")
    assert "p =" not in flagged
    assert "p =" not in _verdict(math.nan, [])
