"""Individual access: the employee's self view and the share lifecycle (G8, G9)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tests.privacy.conftest import OpenWorkspace
from tests.privacy.org import Agent, team

from adherence.errors import ConsentError, PurposeError, RecipientError, RoleError
from adherence.privacy import Auditor, Employee, Steward, TeamLead

LEAD = TeamLead("tl-1", teams=["Alpha"])
OTHER_LEAD = TeamLead("tl-2", teams=["Alpha"])
ME = Employee("alpha-0")


@pytest.fixture
def ws(workspace: OpenWorkspace):  # type: ignore[no-untyped-def]
    agents = team("Alpha", 6)
    agents[0] = Agent("alpha-0", "Alpha", meal=timedelta(minutes=42))
    return workspace(agents)


def _share(ws, **changes):  # type: ignore[no-untyped-def]
    arguments = {
        "agent": "alpha-0", "to": LEAD, "purpose": "development_plan",
        "metrics": ["adherence_pct", "meal_ms"], "periods": ["2026-W11"], "viewer": ME,
    } | changes  # fmt: skip
    return ws.share(**arguments)


def test_an_employee_sees_all_of_their_own_figures(ws) -> None:  # type: ignore[no-untyped-def]
    mine = ws.self_view("alpha-0", viewer=ME)
    rows = mine.to_dicts()

    assert len(rows) == 5
    # 12 min out of 420 scheduled: 100 * (1 - 12/420) = 97.142857...
    # Released to 0.1 point (G17).
    assert rows[0]["adherence_pct"] == round(100 * (1 - 12 / 420), 1)
    assert rows[0]["meal_ms"] == 42 * 60_000
    assert rows[0]["out_of_adherence_ms"] == 12 * 60_000


def test_an_employee_sees_their_own_exceptions(ws) -> None:  # type: ignore[no-untyped-def]
    rows = ws.self_exceptions("alpha-0", viewer=ME).to_dicts()

    assert len(rows) == 5
    assert rows[0]["start"] == "2026-03-09 12:30:00"  # 11:30 UTC in Oslo
    assert rows[0]["raw_ms"] == 12 * 60_000
    assert rows[0]["activities"] == "OPEN"
    assert rows[0]["states"] == "MEAL"


@pytest.mark.parametrize(
    "viewer", [LEAD, Steward("s"), Auditor("union"), Employee("alpha-1")], ids=str
)
def test_nobody_else_gets_a_self_view(ws, viewer) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConsentError) as refused:
        ws.self_view("alpha-0", viewer=viewer)
    assert refused.value.code == "ADH-010"


def test_an_opened_share_gives_the_recipient_the_chosen_figures(ws) -> None:  # type: ignore[no-untyped-def]
    share = _share(ws)

    opened = ws.open_share(share.id, viewer=LEAD)

    assert opened.to_dicts() == [
        {
            "period": "2026-W11",
            "adherence_pct": round(100 * (1 - 60 / 2100), 1),
            "meal_ms": 5 * 42 * 60_000,
            "status": "released",
        }
    ]


def test_no_share_is_refused(ws) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConsentError) as refused:
        ws.open_share("no-such-share", viewer=LEAD)
    assert refused.value.code == "ADH-010"


def test_an_expired_share_is_refused(ws) -> None:  # type: ignore[no-untyped-def]
    share = _share(ws, expires=timedelta(microseconds=1))

    with pytest.raises(ConsentError):
        ws.open_share(share.id, viewer=LEAD)


def test_a_revoked_share_is_refused(ws) -> None:  # type: ignore[no-untyped-def]
    share = _share(ws)
    ws.open_share(share.id, viewer=LEAD)

    ws.revoke_share(share.id, viewer=ME)

    with pytest.raises(ConsentError):
        ws.open_share(share.id, viewer=LEAD)
    assert [s.revoked_at is not None for s in ws.shares(viewer=ME)] == [True]


def test_a_share_for_someone_else_is_refused(ws) -> None:  # type: ignore[no-untyped-def]
    share = _share(ws)

    with pytest.raises(RecipientError) as refused:
        ws.open_share(share.id, viewer=OTHER_LEAD)
    assert refused.value.code == "ADH-012"


def test_a_share_opened_for_another_purpose_is_refused(ws) -> None:  # type: ignore[no-untyped-def]
    share = _share(ws)

    with pytest.raises(PurposeError) as refused:
        ws.open_share(share.id, viewer=LEAD, purpose="quality_feedback")
    assert refused.value.code == "ADH-011"


def test_a_team_bonus_share_never_opens_individual_figures(ws) -> None:  # type: ignore[no-untyped-def]
    share = _share(ws, purpose="team_bonus")

    with pytest.raises(PurposeError):
        ws.open_share(share.id, viewer=LEAD)


def test_only_the_employee_can_share(ws) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(RoleError):
        _share(ws, viewer=LEAD)
    with pytest.raises(RoleError):
        _share(ws, viewer=Employee("alpha-1"))


def test_a_share_lasts_at_most_ninety_days(ws) -> None:  # type: ignore[no-untyped-def]
    from adherence.errors import ConfigurationError

    with pytest.raises(ConfigurationError):
        _share(ws, expires=timedelta(days=91))
    share = _share(ws)
    assert share.expires_at - share.granted_at == timedelta(days=14)


def test_the_employee_lists_the_audit_records_about_them(ws) -> None:  # type: ignore[no-untyped-def]
    share = _share(ws)
    ws.open_share(share.id, viewer=LEAD)
    # (Not adherence: alpha-0's long lunch is all the team's out-of-adherence time, so the
    # team's rate is dominated and withheld, and that release concerns no one.)
    ws.report("meal_ms", by=["team"], viewer=Steward("s"))

    events = [r.event for r in ws.audit_records(viewer=ME)]
    strangers = [r.event for r in ws.audit_records(viewer=Employee("nobody"))]

    assert events == ["share_created", "share_opened", "release"]
    assert strangers == []
    with pytest.raises(RoleError):
        ws.audit_records(viewer=LEAD)


REGISTER_HEADER = "agent,purpose,recipient,metrics,period,granted_at,expires_at,revoked_at\n"


def test_a_consent_register_imports_shares_that_the_recipient_can_open(ws, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    granted, expires = (now - timedelta(days=1)).isoformat(), (now + timedelta(days=5)).isoformat()
    register = tmp_path / "consents.csv"
    register.write_text(
        REGISTER_HEADER
        + f"alpha-0,quality_feedback,team_lead:tl-1,meal_ms,2026-W11,{granted},{expires},\n"
    )

    imported = ws.import_consents(register, viewer=Steward("s"))
    again = ws.import_consents(register, viewer=Steward("s"))
    opened = ws.open_share(imported[0].id, viewer=LEAD)

    assert [(s.agent_id, s.purpose, s.recipient) for s in imported] == [
        ("alpha-0", "quality_feedback", "team_lead:tl-1")
    ]
    assert [s.id for s in again] == [imported[0].id]
    assert len(ws.shares(viewer=Steward("s"))) == 1
    assert opened.to_dicts() == [
        {"period": "2026-W11", "meal_ms": 5 * 42 * 60_000, "status": "released"}
    ]

    register.write_text(
        REGISTER_HEADER
        + f"alpha-0,quality_feedback,team_lead:tl-1,meal_ms,2026-W11,{granted},{expires},{now.isoformat()}\n"
    )
    ws.import_consents(register, viewer=Steward("s"))
    with pytest.raises(ConsentError):
        ws.open_share(imported[0].id, viewer=LEAD)


@pytest.mark.parametrize(
    ("row", "column"),
    [
        ("alpha-0,holiday,tl-1,meal_ms,2026-W11,2026-03-01T00:00,2026-03-10T00:00,", "purpose"),
        (
            "alpha-0,development_plan,tl-1,meal_ms,2026-W11,yesterday,2026-03-10T00:00,",
            "granted_at",
        ),
        (
            "alpha-0,development_plan,tl-1,meal_ms,2026-W11,2026-01-01T00:00,2026-06-01T00:00,",
            "90 days",
        ),
        (
            "alpha-0,development_plan,boss:x,meal_ms,2026-W11,2026-03-01T00:00,2026-03-10T00:00,",
            "recipient",
        ),
    ],
)
def test_a_consent_register_with_a_bad_row_imports_nothing(ws, tmp_path, row, column) -> None:  # type: ignore[no-untyped-def]
    from adherence.errors import ConfigurationError

    register = tmp_path / "consents.csv"
    good = "alpha-1,development_plan,tl-1,meal_ms,2026-W11,2026-03-01T00:00,2026-03-10T00:00,\n"
    register.write_text(REGISTER_HEADER + good + row + "\n")

    with pytest.raises(ConfigurationError, match=column):
        ws.import_consents(register, viewer=Steward("s"))
    assert ws.shares(viewer=Steward("s")) == []


def test_only_the_steward_imports_a_register(ws, tmp_path) -> None:  # type: ignore[no-untyped-def]
    register = tmp_path / "consents.csv"
    register.write_text(REGISTER_HEADER)
    with pytest.raises(RoleError):
        ws.import_consents(register, viewer=LEAD)
