"""Attacks on the privacy layer, as tests: each must end in suppression or a typed error."""

from __future__ import annotations

import pickle
import traceback
from datetime import timedelta
from pathlib import Path

import pytest
from tests.privacy.conftest import OpenWorkspace
from tests.privacy.org import Agent, tables, team

from adherence.errors import (
    DifferencingError,
    ForbiddenQueryError,
    KeyMismatchError,
    PrivacyError,
    SmallGroupError,
)
from adherence.privacy import Employee, Steward, TeamLead, Workspace

LEAD = TeamLead("tl-1", teams=["Alpha", "Beta"])


def test_a_team_of_four_is_never_released(workspace: OpenWorkspace) -> None:
    ws = workspace(team("Alpha", 4) + team("Beta", 6))

    with pytest.raises(SmallGroupError) as refused:
        ws.report("adherence_pct", by=["team"], where={"team": "Alpha"}, viewer=LEAD)
    table = ws.report("adherence_pct", by=["team"], viewer=LEAD)

    assert refused.value.code == "ADH-001"
    assert table.to_dicts() == [
        {"team": "Alpha", "adherence_pct": None, "status": "suppressed", "agents": None},
        {"team": "Beta", "adherence_pct": 100.0, "status": "released", "agents": 6},
    ]


def test_the_team_filtered_to_a_skill_one_agent_lacks_is_refused(
    workspace: OpenWorkspace,
) -> None:
    agents = team("Alpha", 6)
    agents[5] = Agent("alpha-5", "Alpha", skill="billing")
    ws = workspace(agents)
    ws.report("adherence_pct", by=["team"], period="2026-W11", viewer=LEAD)

    with pytest.raises(DifferencingError) as refused:
        ws.report(
            "adherence_pct", by=["team"], period="2026-W11", where={"skill": "sales"}, viewer=LEAD
        )

    assert refused.value.code == "ADH-002"


def test_a_tracker_by_another_viewer_is_refused_too(workspace: OpenWorkspace) -> None:
    # Viewers talk: what one saw counts against what another asks.
    agents = [*team("Alpha", 5), Agent("alpha-5", "Alpha", skill="billing")]
    ws = workspace(agents)
    ws.report("adherence_pct", by=["team"], period="2026-W11", viewer=LEAD)

    with pytest.raises(DifferencingError):
        ws.report("adherence_pct", where={"skill": "sales"}, period="2026-W11", viewer=Steward("s"))


def test_a_small_cell_cannot_be_recovered_from_the_team_total_and_the_other_cell(
    workspace: OpenWorkspace,
) -> None:
    # Team total of 8 released first; then by employment type: temporary (3) is small,
    # so permanent (5) must be suppressed as well or temporary = total - permanent.
    agents = team("Alpha", 5) + team("Alpha", 3, prefix="temp-", employment_type="temporary")
    ws = workspace(agents)
    ws.report("out_of_adherence_ms", by=["team"], period="2026-W11", viewer=LEAD)

    with pytest.raises(DifferencingError) as refused:
        ws.report("out_of_adherence_ms", by=["employment_type"], period="2026-W11", viewer=LEAD)

    assert refused.value.code == "ADH-002"


def test_margins_inside_one_table_do_not_reveal_a_suppressed_cell(
    workspace: OpenWorkspace,
) -> None:
    agents = team("Alpha", 6) + team("Alpha", 2, prefix="b-", skill="billing")
    ws = workspace(agents)

    table = ws.report("adherence_pct", by=["skill"], margins=True, viewer=Steward("s"))

    statuses = {r["skill"]: r["status"] for r in table.to_dicts()}
    assert statuses["billing"] == "suppressed"
    # The total and the sales cell cannot both be released.
    assert "suppressed" in (statuses["sales"], statuses["all"])


def test_after_opening_one_share_the_team_of_five_is_not_released_to_that_lead(
    workspace: OpenWorkspace,
) -> None:
    agents = team("Alpha", 5)
    ws = workspace(agents)
    me = Employee("alpha-0")
    share = ws.share(
        agent="alpha-0", to=LEAD, purpose="development_plan", metrics=["adherence_pct"],
        periods=["2026-W11"], viewer=me,
    )  # fmt: skip
    ws.open_share(share.id, viewer=LEAD)

    with pytest.raises(SmallGroupError):
        ws.report("adherence_pct", by=["team"], period="2026-W11", viewer=LEAD)
    # Viewers talk: released to anyone, the team of five minus the shared figures would
    # leave four people, so nobody gets it for that week now.
    with pytest.raises(DifferencingError):
        ws.report("adherence_pct", by=["team"], period="2026-W11", viewer=Steward("s"))


def test_an_employee_viewing_a_team_of_five_does_not_count_themself(
    workspace: OpenWorkspace,
) -> None:
    ws = workspace(team("Alpha", 5))

    with pytest.raises(SmallGroupError):
        ws.report("adherence_pct", by=["team"], viewer=Employee("alpha-0"))


@pytest.mark.parametrize("name", ["adherence_min", "adherence_max", "top_5_adherence", "agent_id"])
def test_order_statistics_and_individual_rows_are_not_in_the_query_language(
    workspace: OpenWorkspace, name: str
) -> None:
    ws = workspace(team("Alpha", 12))

    with pytest.raises(ForbiddenQueryError) as refused:
        ws.report(name, by=["team"], viewer=LEAD)
    with pytest.raises(ForbiddenQueryError):
        ws.report("adherence_pct", by=["agent_id"], viewer=LEAD)

    assert refused.value.code == "ADH-003"


def test_a_median_needs_ten_protected_agents(workspace: OpenWorkspace) -> None:
    ws = workspace(team("Alpha", 9) + team("Beta", 10))

    table = ws.report("meal_episode_median_ms", by=["team"], viewer=LEAD)

    assert table.to_dicts() == [
        {"team": "Alpha", "meal_episode_median_ms": None, "status": "suppressed", "agents": None},
        {"team": "Beta", "meal_episode_median_ms": 1_800_000.0, "status": "released", "agents": 10},
    ]


def test_a_pause_sum_dominated_by_one_agent_is_suppressed(workspace: OpenWorkspace) -> None:
    # Everyone lunches exactly 30 min except one agent who takes 3 hours every day.
    agents = [*team("Alpha", 6), Agent("alpha-x", "Alpha", meal=timedelta(hours=3))]
    agents += team("Beta", 7)
    ws = workspace(agents)

    table = ws.report("out_of_adherence_ms", by=["team"], viewer=Steward("s"))

    # Alpha: only alpha-x is ever out of adherence (150 min a day), so the sum is all theirs.
    assert [r["status"] for r in table.to_dicts()] == ["suppressed", "released"]
    assert table.to_dicts()[1]["out_of_adherence_ms"] == 0


SENTINEL_REASON = "ZQX-SENTINEL-REASON"
SENTINEL_AGENT = "zqx-sentinel-agent"
SENTINEL_MEAL = timedelta(minutes=37, seconds=13, milliseconds=777)
SENTINEL_DAY_MS = str(int((SENTINEL_MEAL - timedelta(minutes=30)).total_seconds() * 1000))
SENTINEL_WEEK_MS = str(int(SENTINEL_DAY_MS) * 5)
ALL_TEAMS = TeamLead("tl-2", teams=["Alpha", "Beta", "Gamma"])


def _refusal_text(ws: Workspace) -> str:
    """The fully rendered traceback of a refusal, with every frame's local variables."""
    try:
        ws.report("adherence_pct", by=["team"], where={"team": "Gamma"}, viewer=ALL_TEAMS)
    except PrivacyError as err:
        rendered = traceback.TracebackException.from_exception(err, capture_locals=True)
        return "".join(rendered.format())
    raise AssertionError("a team of four was released")


def test_a_sentinel_planted_in_one_agents_data_appears_in_no_output(
    workspace: OpenWorkspace, tmp_path: Path
) -> None:
    sentinel = Agent(SENTINEL_AGENT, "Alpha", meal=SENTINEL_MEAL, meal_reason=SENTINEL_REASON)
    ws = workspace([*team("Alpha", 5), sentinel, *team("Beta", 6), *team("Gamma", 4)])
    outputs: list[bytes] = []
    for m in ("adherence_pct", "out_of_adherence_ms", "meal_ms", "meal_episode_mean_ms"):
        for by in (["team"], ["team", "day"], ["site", "iso_week"]):
            try:
                t = ws.report(m, by=by, viewer=ALL_TEAMS)
            except PrivacyError as err:  # some combinations are refused: fine
                outputs.append(str(err).encode())
                continue
            outputs += [str(t).encode(), t._repr_html_().encode(), pickle.dumps(t)]
    table = ws.report("meal_ms", by=["team", "day"], viewer=ALL_TEAMS)
    table.write_csv(tmp_path / "t.csv")
    table.write_parquet(tmp_path / "t.parquet")
    table.plot().figure.savefig(tmp_path / "t.png")
    for name in ("t.csv", "t.parquet", "t.png"):
        outputs.append((tmp_path / name).read_bytes())
    outputs.append(_refusal_text(ws).encode())
    outputs.append(ws.audit_log.path.read_bytes())
    outputs.append(repr(ws).encode())

    for output in outputs:
        for secret in (SENTINEL_REASON, SENTINEL_AGENT, SENTINEL_DAY_MS, SENTINEL_WEEK_MS):
            assert secret.encode() not in output


def test_a_small_teams_total_over_the_week_cannot_be_recovered_from_the_org_total(
    workspace: OpenWorkspace,
) -> None:
    # The organisation's total is released first; then team x day. Gamma (4 people) is
    # suppressed every day, and "total - every released cell" would be Gamma's week: one
    # more cell must be suppressed so that it cannot be worked out.
    ws = workspace(team("Alpha", 6) + team("Beta", 6) + team("Gamma", 4))
    steward = Steward("s")
    ws.report("out_of_adherence_ms", viewer=steward)

    table = ws.report("out_of_adherence_ms", by=["team", "day"], viewer=steward)

    suppressed = [(r["team"], r["day"]) for r in table.to_dicts() if r["status"] == "suppressed"]
    assert {t for t, _ in suppressed} > {"Gamma"}
    assert sum(t == "Gamma" for t, _ in suppressed) == 5


def test_medians_are_not_combined_with_sums_but_trackers_on_medians_are_refused(
    workspace: OpenWorkspace,
) -> None:
    agents = team("Alpha", 12) + team("Beta", 4) + [Agent("alpha-x", "Alpha", skill="billing")]
    ws = workspace(agents)
    steward = Steward("s")
    ws.report("meal_ms", by=["team"], viewer=steward)  # Beta suppressed

    # A median is not a sum: "site minus Alpha" recovers nothing, so it is released.
    site = ws.report("meal_episode_median_ms", by=["site"], viewer=steward)
    with pytest.raises(DifferencingError):  # ... but one agent fewer is a tracker
        ws.report("meal_episode_median_ms", where={"skill": "sales"}, viewer=steward)

    assert site.to_dicts()[0]["status"] == "released"


def test_an_employee_cannot_subtract_her_own_figures_from_two_released_cells(
    workspace: OpenWorkspace,
) -> None:
    # Team Alpha: alpha-0..4 in sales, billing-0..4 in billing, meals 30..39 minutes.
    # Team (10) − billing (5) − her own meal = the meals of alpha-1..4: four people.
    agents = [
        *(Agent(f"alpha-{i}", "Alpha", meal=timedelta(minutes=30 + i)) for i in range(5)),
        *(Agent(f"billing-{i}", "Alpha", skill="billing",
                meal=timedelta(minutes=35 + i)) for i in range(5)),
    ]  # fmt: skip
    meals = {a.id: a.meal // timedelta(milliseconds=1) * 5 for a in agents}
    team, billing = sum(meals.values()), sum(v for k, v in meals.items() if "billing" in k)
    assert team - billing - meals["alpha-0"] == sum(meals[f"alpha-{i}"] for i in range(1, 5))
    ws = workspace(agents)
    me = Employee("alpha-0")

    ws.report("meal_ms", by=["team"], period="2026-W11", viewer=me)
    with pytest.raises(DifferencingError):
        ws.report("meal_ms", by=["team"], period="2026-W11", where={"skill": "billing"}, viewer=me)
    # The same second report is fine for a team lead, who knows nobody's figures.
    lead = ws.report(
        "meal_ms", by=["team"], period="2026-W11", where={"skill": "billing"}, viewer=LEAD
    )
    assert lead.to_dicts()[0]["meal_ms"] == billing


def test_an_episode_mean_times_its_count_is_the_time_in_the_state(
    workspace: OpenWorkspace,
) -> None:
    # Eight agents; alpha-h alone works from home (meal 41 min a day). Team meal_ms minus
    # office meal_episodes × office meal_episode_mean_ms = her meals (episode time and time
    # in the state are the same quantity).
    agents = [*team("Alpha", 7), Agent("alpha-h", "Alpha", skill="home",
                                       meal=timedelta(minutes=41))]  # fmt: skip
    truth = 5 * 41 * 60_000
    team_ms = (7 * 30 + 41) * 5 * 60_000
    office_count, office_mean = 7 * 5, 30 * 60_000
    assert team_ms - office_count * office_mean == truth
    ws = workspace(agents)
    ws.report("meal_ms", by=["team"], period="2026-W11", viewer=LEAD)
    office = {"skill": "sales"}
    ws.report("meal_episodes", by=["team"], period="2026-W11", where=office, viewer=LEAD)

    with pytest.raises(DifferencingError):
        ws.report("meal_episode_mean_ms", by=["team"], period="2026-W11", where=office,
                  viewer=LEAD)  # fmt: skip


def test_renaming_some_agents_on_a_reload_is_refused(workspace: OpenWorkspace) -> None:
    # Keep one agent's pseudonym, rename the rest: the old releases would then count other
    # "people" and a tracker would pass. Agents released before must stay in the data.
    ws = workspace(team("Alpha", 7))
    ws.report("meal_ms", by=["team"], period="2026-W11", viewer=LEAD)
    intervals, schedule, roster = tables(
        [Agent("alpha-0", "Alpha"), *team("Alpha", 6, prefix="renamed-")]
    )

    with pytest.raises(KeyMismatchError):
        ws.add(intervals, schedule=schedule, roster=roster)
