"""The ``half_hour`` dimension and the breakdowns of charged time through the doors."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tests.privacy.test_figures_attacks import DAY, MIN, STEWARD, Agent, Org

from adherence import ForbiddenQueryError, PrivacyError
from adherence.rules import PauseLimit

#: Team Alpha (6) and Beta (5) on one site; Beta's agents are 10 minutes late.
ORG = Org(
    [
        *[Agent(f"a{i}", "Alpha", away=10) for i in range(6)],
        *[Agent(f"b{i}", "Beta", late=10) for i in range(5)],
    ]
)
WINDOW = (DAY, DAY)
#: 09:00-16:00 local: 14 half hours.
LABELS = [f"{h:02d}:{m:02d}" for h in range(9, 16) for m in (0, 30)]


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> object:
    return ORG.workspace(tmp_path_factory.mktemp("intraday"))


def test_team_by_half_hour(ws: object) -> None:
    table = ws.report(  # type: ignore[attr-defined]
        "out_of_adherence_ms", by=["team", "half_hour"], period=WINDOW, viewer=STEWARD
    )
    rows = {(r["team"], r["half_hour"]): r["out_of_adherence_ms"] for r in table.to_dicts()}
    assert sorted({h for _, h in rows}) == LABELS
    # Alpha: 10 minutes away from 14:00 local each; Beta: 10 minutes late at 09:00.
    assert rows[("Alpha", "14:00")] == 6 * 10 * MIN
    assert rows[("Beta", "09:00")] == 5 * 10 * MIN
    assert sum(v for v in rows.values() if v) == (60 + 50) * MIN


def test_adherence_by_half_hour_and_site(ws: object) -> None:
    table = ws.report(  # type: ignore[attr-defined]
        "adherence_pct", by=["site", "half_hour"], period=WINDOW, viewer=STEWARD
    )
    rows = {r["half_hour"]: r["adherence_pct"] for r in table.to_dicts()}
    # 09:00: 50 of 11 × 30 minutes out; 14:00: 60 of 330.
    assert rows["09:00"] == pytest.approx(100 * (1 - 50 / 330), abs=0.05)
    assert rows["14:00"] == pytest.approx(100 * (1 - 60 / 330), abs=0.05)
    assert rows["10:00"] == 100.0


def test_half_hour_alone_dry_run_and_report_many(ws: object) -> None:
    dry = ws.dry_run(  # type: ignore[attr-defined]
        "adherence_pct", by=["half_hour"], period=WINDOW, viewer=STEWARD
    )
    assert dry.allowed
    assert dry.cells["half_hour"].to_list() == LABELS
    tables = ws.report_many(  # type: ignore[attr-defined]
        [("adherence_pct", ["half_hour"]), ("out_of_adherence_ms", ["half_hour"])],
        period=WINDOW,
        viewer=STEWARD,
    )
    assert [t.height for t in tables] == [14, 14]


def test_kinds_and_activities_by_team(ws: object) -> None:
    tables = ws.report_many(  # type: ignore[attr-defined]
        [
            ("out_of_adherence_late_start_ms", ["team"]),
            ("out_of_adherence_unscheduled_pause_ms", ["team"]),
            ("out_of_adherence_in_open_ms", ["team"]),
        ],
        period=WINDOW,
        viewer=STEWARD,
    )
    late, pause, open_ = ({r["team"]: r[t.metric] for r in t.to_dicts()} for t in tables)
    assert late == {"Alpha": 0, "Beta": 50 * MIN}
    assert pause == {"Alpha": 60 * MIN, "Beta": 0}
    assert open_ == {"Alpha": 60 * MIN, "Beta": 50 * MIN}


@pytest.mark.parametrize(
    "call",
    [
        lambda ws: ws.report("meal_ms", by=["team", "half_hour"], period=WINDOW, viewer=STEWARD),
        lambda ws: ws.report(
            "out_of_adherence_late_start_ms", by=["half_hour"], period=WINDOW, viewer=STEWARD
        ),
        lambda ws: ws.audit_tolerance(
            PauseLimit("MEAL", timedelta(minutes=30)),
            by=["half_hour"],
            viewer=STEWARD,
        ),
    ],
)
def test_half_hour_only_for_figures_kept_per_half_hour(ws: object, call: object) -> None:
    with pytest.raises(ForbiddenQueryError) as caught:
        call(ws)  # type: ignore[operator]
    assert caught.value.code == "ADH-003"
    assert isinstance(caught.value, PrivacyError)
