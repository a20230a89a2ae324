"""The employee's whole view: every figure of theirs, per shift and per day, hand-computed.

``alpha-0`` works Monday 2026-03-09, 08:00-15:00 UTC: ``OPEN``, ``MEAL`` 11:00-11:30,
``OPEN`` (420 scheduled minutes, 390 of them on-queue). They log in Away at 08:00, are Ready
from 08:03, take a 42-minute meal from 11:00 and are Ready again from 11:42 to 15:00, then
Offline until 15:05 (the end of the data). Out of adherence: 08:00-08:03 (Away during OPEN)
and 11:30-11:42 (still at meal during OPEN).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from tests.privacy.org import AUDIT_KEY, MONDAY, Agent, tables, team

from adherence.errors import ConfigurationError, ConsentError, UnknownAgentError
from adherence.options import MetricOptions
from adherence.privacy import Employee, PrivacyPolicy, Steward, Workspace
from adherence.privacy._self import SELF_VIEW_FIGURES
from adherence.pseudonym import Pseudonymiser

MIN = 60_000
ME = Employee("alpha-0")
ZEROS = dict.fromkeys(SELF_VIEW_FIGURES, 0)
NO_EPISODES = {
    f"{s}_episode_mean_ms": None
    for s in ("approved", "away", "break", "meal", "meeting", "off_queue_work", "training")
}


def _workspace(
    tmp_path: Path, *, reason: str | None = None, threshold: timedelta = timedelta(0)
) -> Workspace:
    me = Agent("alpha-0", "Alpha", meal=timedelta(minutes=42), meal_reason=reason,
               login_delay=timedelta(minutes=3), days=[MONDAY])  # fmt: skip
    intervals, schedule, roster = tables([me, *team("Alpha", 5, days=[MONDAY], prefix="a")])
    ws = Workspace.open(
        tmp_path / "adherence.db",
        audit_key=AUDIT_KEY,
        policy=PrivacyPolicy(sensitive_reasons=["union duty"]),
        options=MetricOptions(exception_threshold=threshold),
    )
    ws.add(intervals, schedule=schedule, roster=roster)
    return ws


def _expected(**changes: object) -> dict[str, object]:
    row: dict[str, object] = {
        **ZEROS,
        **NO_EPISODES,
        "scheduled_ms": 420 * MIN,
        "in_adherence_ms": 405 * MIN,  # 177 + 30 + 198
        "out_of_adherence_raw_ms": 15 * MIN,  # 3 + 12
        "out_of_adherence_ms": 15 * MIN,
        "exception_count": 2,
        "adherence_pct": 96.4,  # 100 * 405 / 420 = 96.43
        "conformance_scheduled_ms": 390 * MIN,
        "conformance_actual_ms": 375 * MIN,  # Ready 177 + 198
        "conformance_pct": 96.2,  # 100 * 375 / 390 = 96.15
        "occupancy_pct": 0.0,  # no contacts in 375 available minutes
        "shrinkage_pct": 10.7,  # 45 of 420 minutes not productive
        "shrinkage_planned_pct": 7.1,  # the scheduled meal: 30 / 420
        "shrinkage_unplanned_pct": 3.6,  # Away 3 + meal overrun 12: 15 / 420
        "ready_ms": 375 * MIN,
        "away_ms": 3 * MIN,
        "away_episodes": 1,
        "away_episode_mean_ms": 3 * MIN,
        "meal_ms": 42 * MIN,
        "meal_episodes": 1,
        "meal_episode_mean_ms": 42 * MIN,
        "pause_ms": 45 * MIN,
        "offline_ms": 5 * MIN,
        "lateness_mean_ms": 3 * MIN,  # Ready at 08:03, the shift starts 08:00
        "login_to_ready_mean_ms": 3 * MIN,  # logged in (Away) at 08:00
    }
    return row | changes


def test_the_self_view_per_shift_holds_every_figure(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)

    rows = ws.self_view(ME).to_dicts()

    assert rows == [
        {"day": "2026-03-09", "shift_id": "alpha-0@2026-03-09", **_expected(), "status": "released"}
    ]


def test_the_self_view_per_day_counts_the_shifts(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)

    rows = ws.self_view(ME, per="day").to_dicts()

    assert rows == [{"day": "2026-03-09", "shifts": 1, **_expected(), "status": "released"}]


def test_time_under_a_sensitive_code_is_shown_to_the_employee_as_other(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, reason="Union duty")

    (row,) = ws.self_view(ME).to_dicts()

    # The meal's 42 minutes leave MEAL for 'other'; adherence is computed as before.
    expected = _expected(meal_ms=0, meal_episodes=0, meal_episode_mean_ms=None,
                         other_ms=42 * MIN, other_episodes=1)  # fmt: skip
    assert {k: row[k] for k in expected} == expected


def test_runs_under_the_exception_threshold_are_listed_and_flagged(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, threshold=timedelta(minutes=5))

    runs = ws.self_exceptions(ME).to_dicts()
    (row,) = ws.self_view(ME).to_dicts()

    assert [(r["start"], r["under_threshold"], r["raw_ms"], r["charged_ms"]) for r in runs] == [
        ("2026-03-09 09:00:00", True, 3 * MIN, 0),  # 08:00 UTC: 3 min, not an exception
        ("2026-03-09 12:30:00", False, 12 * MIN, 7 * MIN),  # charged 12 - 5
    ]
    # Charged 7 of 420 minutes: 100 * (1 - 7/420) = 98.33.
    assert (row["exception_count"], row["out_of_adherence_ms"], row["adherence_pct"]) == (
        1,
        7 * MIN,
        98.3,
    )
    assert row["out_of_adherence_raw_ms"] == 15 * MIN


def test_a_self_view_of_an_agent_id_needs_a_viewer(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)

    with pytest.raises(ConfigurationError):
        ws.self_view("alpha-0")
    with pytest.raises(ConsentError):
        ws.self_view(ME, viewer=Steward("s"))


def test_per_is_shift_or_day(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)

    with pytest.raises(ConfigurationError, match="per="):
        ws.self_view(ME, per="week")  # type: ignore[arg-type]


# The employee by login id ------------------------------------------------------------------
PSEUDONYM_KEY = "the steward's pseudonymisation key"


def test_an_employee_is_found_by_their_login_id(tmp_path: Path) -> None:
    me = Pseudonymiser(PSEUDONYM_KEY).pseudonym("ag1156")
    intervals, schedule, roster = tables(
        [Agent(me, "Alpha", days=[MONDAY]), *team("Alpha", 5, days=[MONDAY], prefix="a")]
    )
    ws = Workspace.open(tmp_path / "adherence.db", audit_key=AUDIT_KEY)
    ws.add(intervals, schedule=schedule, roster=roster)

    employee = ws.employee(" ag1156 ", key=PSEUDONYM_KEY)
    (row,) = ws.self_view(employee).to_dicts()

    assert employee == Employee(me)
    assert (row["scheduled_ms"], row["adherence_pct"]) == (420 * MIN, 100.0)
    assert ws.self_exceptions(employee).to_dicts() == []


@pytest.mark.parametrize(
    ("login", "key"), [("ag9999", PSEUDONYM_KEY), ("ag1156", "another key, long enough")]
)
def test_an_unknown_login_id_is_a_typed_error(tmp_path: Path, login: str, key: str) -> None:
    me = Pseudonymiser(PSEUDONYM_KEY).pseudonym("ag1156")
    intervals, schedule, roster = tables([Agent(me, "Alpha", days=[MONDAY])])
    ws = Workspace.open(tmp_path / "adherence.db", audit_key=AUDIT_KEY)
    ws.add(intervals, schedule=schedule, roster=roster)

    with pytest.raises(UnknownAgentError) as unknown:
        ws.employee(login, key=key)

    assert unknown.value.code == "ADH-150"
    assert login not in str(unknown.value)
    assert "Hint:" in str(unknown.value)


def test_a_store_knows_its_agents_without_data_loaded(tmp_path: Path) -> None:
    me = Pseudonymiser(PSEUDONYM_KEY).pseudonym("ag1156")
    intervals, schedule, roster = tables([Agent(me, "Alpha", days=[MONDAY])])
    with Workspace.open(tmp_path / "adherence.db", audit_key=AUDIT_KEY) as ws:
        ws.add(intervals, schedule=schedule, roster=roster)

    with Workspace.open(tmp_path / "adherence.db", audit_key=AUDIT_KEY) as reopened:
        assert reopened.employee("ag1156", key=PSEUDONYM_KEY) == Employee(me)
        with pytest.raises(ConfigurationError):
            reopened.employee("ag1156")
