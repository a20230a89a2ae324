"""Doors check their arguments first, and every error leaves them typed and clean (G16).

A wrong argument is refused with ``ConfigurationError`` before anything is read, decided or
logged; an unknown name with ``ForbiddenQueryError`` (logged) suggesting the closest one; an
unexpected error inside a door leaves it as ``InternalError``. Whatever leaves a door has no
cause, no context and no frame below the door's guard, so even a traceback rendered with
every local variable shows no agent id of the loaded data.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from tests.privacy.conftest import OpenWorkspace
from tests.privacy.org import AUDIT_KEY, team

import adherence
from adherence.errors import (
    AdherenceError,
    ConfigurationError,
    ForbiddenQueryError,
    InternalError,
    ScopeError,
)
from adherence.privacy import Auditor, Employee, Steward, TeamLead, Workspace
from adherence.rules import PauseLimit

LEAD = TeamLead("tl-1", teams=["Alpha"])
ME = Employee("alpha-0")
STEWARD = Steward("s")
AUDITOR = Auditor("union")
MEAL = PauseLimit("MEAL", timedelta(minutes=30))
Call = Callable[[Workspace], object]


@pytest.fixture
def ws(workspace: OpenWorkspace) -> Workspace:
    return workspace(team("Alpha", 6) + team("Beta", 6))


WRONG: dict[str, tuple[Call, str]] = {
    "rule as text": (
        lambda ws: ws.audit_tolerance("MEAL<=30:00", viewer=AUDITOR),  # type: ignore[arg-type]
        "rule must be an adherence.rules.Rule, not a str (a rule written as text)",
    ),
    "viewer as text": (
        lambda ws: ws.report("adherence_pct", by=["team"], viewer="tl-1"),  # type: ignore[arg-type]
        "viewer must be a Steward, TeamLead, Employee or Auditor, not a str",
    ),
    "no viewer object": (
        lambda ws: ws.audit_records(viewer=None),  # type: ignore[arg-type]
        "viewer must be a Steward, TeamLead, Employee or Auditor, not a NoneType",
    ),
    "filter value a number": (
        lambda ws: ws.report("adherence_pct", where={"skill": 3}, viewer=STEWARD),  # type: ignore[dict-item]
        "where['skill'] must be a text or a list of texts, not a int",
    ),
    "filter not a mapping": (
        lambda ws: ws.report("adherence_pct", where=["skill"], viewer=STEWARD),  # type: ignore[arg-type]
        "where must be a mapping of dimension to values, not a list",
    ),
    "period a datetime": (
        lambda ws: ws.report("adherence_pct", period=datetime(2026, 3, 9, 8), viewer=STEWARD),  # type: ignore[arg-type]
        "period is a datetime (a period is made of local dates)",
    ),
    "period a date": (
        lambda ws: ws.report("adherence_pct", period=date(2026, 3, 9), viewer=STEWARD),  # type: ignore[arg-type]
        "period is a single date (pass (day, day) or 'YYYY-MM-DD')",
    ),
    "period a pair of datetimes": (
        lambda ws: ws.audit_tolerance(
            MEAL, period=(datetime(2026, 3, 9), datetime(2026, 3, 13)), viewer=AUDITOR
        ),
        "period is a pair holding a datetime (a period is made of local dates)",
    ),
    "period a list": (
        lambda ws: ws.report("adherence_pct", period=[date(2026, 3, 9)] * 2, viewer=STEWARD),  # type: ignore[arg-type]
        "period is a list",
    ),
    "by a number": (
        lambda ws: ws.report("adherence_pct", by=3, viewer=STEWARD),  # type: ignore[arg-type]
        "by must be a text or a list of texts, not a int",
    ),
    "by lists a number": (
        lambda ws: ws.report("adherence_pct", by=["team", 3], viewer=STEWARD),  # type: ignore[list-item]
        "by must list texts, found a int",
    ),
    "metric a number": (
        lambda ws: ws.report(3, viewer=STEWARD),  # type: ignore[arg-type]
        "metric must be a non-empty text, not a int",
    ),
    "margins a text": (
        lambda ws: ws.report("adherence_pct", margins="yes", viewer=STEWARD),  # type: ignore[arg-type]
        "margins must be True or False, not a str",
    ),
    "permutations a float": (
        lambda ws: ws.audit_tolerance(MEAL, viewer=AUDITOR, permutations=99.5),  # type: ignore[arg-type]
        "permutations must be an integer, not a float",
    ),
    "level in percent": (
        lambda ws: ws.audit_tolerance(MEAL, viewer=AUDITOR, level=5),
        "level must be at most 1",
    ),
    "margin in seconds": (
        lambda ws: ws.audit_tolerance(MEAL, viewer=AUDITOR, measurement_margin=60),  # type: ignore[arg-type]
        "measurement_margin must be a timedelta of zero or more, not a int",
    ),
    "self view of a number": (
        lambda ws: ws.self_view(3, viewer=ME),  # type: ignore[arg-type]
        "agent must be a non-empty text, not a int",
    ),
    "share to a text": (
        lambda ws: ws.share(
            agent="alpha-0",
            to="tl-1",
            purpose="development_plan",  # type: ignore[arg-type]
            metrics=["meal_ms"],
            periods=["2026-W11"],
            viewer=ME,
        ),
        "to must be a Steward, TeamLead, Employee or Auditor, not a str",
    ),
    "share one metric as text": (
        lambda ws: ws.share(
            agent="alpha-0",
            to=LEAD,
            purpose="development_plan",
            metrics="meal_ms",
            periods=["2026-W11"],
            viewer=ME,
        ),
        "metrics must be a list of metric names, not one text",
    ),
    "share one period as text": (
        lambda ws: ws.share(
            agent="alpha-0",
            to=LEAD,
            purpose="development_plan",
            metrics=["meal_ms"],
            periods="2026-W11",
            viewer=ME,
        ),
        "periods must be a list of periods, not one text",
    ),
    "share expiry in days": (
        lambda ws: ws.share(
            agent="alpha-0",
            to=LEAD,
            purpose="development_plan",
            metrics=["meal_ms"],
            periods=["2026-W11"],
            expires=30,
            viewer=ME,
        ),  # type: ignore[arg-type]
        "expires must be a timedelta of zero or more, not a int",
    ),
    "open a share by number": (
        lambda ws: ws.open_share(123, viewer=LEAD),  # type: ignore[arg-type]
        "share_id must be a non-empty text, not a int",
    ),
    "revoke without an id": (
        lambda ws: ws.revoke_share(None, viewer=ME),  # type: ignore[arg-type]
        "share_id must be a non-empty text, not a NoneType",
    ),
    "shares for a text": (
        lambda ws: ws.shares(viewer="s"),  # type: ignore[arg-type]
        "viewer must be a Steward, TeamLead, Employee or Auditor, not a str",
    ),
    "policy history for a text": (
        lambda ws: ws.policy_history(viewer="union"),  # type: ignore[arg-type]
        "viewer must be a Steward, TeamLead, Employee or Auditor, not a str",
    ),
    "add a path": (
        lambda ws: ws.add("status_log.csv", schedule="schedule.csv", roster="roster.csv"),  # type: ignore[arg-type]
        "log must be an Ingest (adherence.io.read_*) or a polars frame, not a str",
    ),
    "rotate with one text": (
        lambda ws: ws.rotate_key(
            "an old key, sixteen bytes",
            "a new key, sixteen bytes",
            agent_ids="alpha-0",
            viewer=STEWARD,
        ),
        "agent_ids must be a list of raw login ids, not one text",
    ),
    "consents from a number": (
        lambda ws: ws.import_consents(3, viewer=STEWARD),  # type: ignore[arg-type]
        "path must be a path (str or pathlib.Path), not a int",
    ),
}


def _rendered(err: BaseException) -> str:
    """The traceback as printed with every frame's local variables (the tests' frames too)."""
    rendered = traceback.TracebackException.from_exception(err, capture_locals=True)
    return "".join(rendered.format())


def _library_frames(err: BaseException) -> list[traceback.FrameSummary]:
    package = Path(adherence.__file__).parent
    rendered = traceback.TracebackException.from_exception(err, capture_locals=True)
    return [f for f in rendered.stack if Path(f.filename).is_relative_to(package)]


def _assert_clean(err: BaseException) -> None:
    """No cause, no context, no frame below the guard, no other agent's id anywhere."""
    assert err.__cause__ is None
    assert err.__context__ is None
    assert [f.name for f in _library_frames(err)] == ["guarded"]
    text = _rendered(err)
    assert not any(f"alpha-{i}" in text or f"beta-{i}" in text for i in range(1, 6)), text


@pytest.mark.parametrize(("call", "message"), WRONG.values(), ids=WRONG.keys())
def test_a_wrong_argument_is_refused_before_anything_is_touched(
    ws: Workspace, call: Call, message: str
) -> None:
    before = len(ws.audit_log.records())

    with pytest.raises(ConfigurationError) as refused:
        call(ws)

    assert refused.value.code == "ADH-090"
    assert refused.value.message == message
    assert refused.value.hint
    assert len(ws.audit_log.records()) == before  # nothing was decided, so nothing logged
    _assert_clean(refused.value)


def test_opening_with_a_wrong_argument_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as refused:
        Workspace.open(tmp_path / "a.db", audit_key=AUDIT_KEY, policy="strict")  # type: ignore[arg-type]

    assert refused.value.message == "policy must be a PrivacyPolicy or None, not a str"
    assert not (tmp_path / "a.db").exists()


@pytest.mark.parametrize(
    ("call", "error", "hint"),
    [
        (
            lambda ws: ws.report("adherance_pct", by=["team"], viewer=STEWARD),
            ForbiddenQueryError,
            "did you mean adherence_pct?",
        ),
        (
            lambda ws: ws.report("adherence_pct", by=["teams"], viewer=STEWARD),
            ForbiddenQueryError,
            "did you mean team?",
        ),
        (
            lambda ws: ws.report("adherence_pct", where={"skil": "sales"}, viewer=STEWARD),
            ForbiddenQueryError,
            "did you mean skill?",
        ),
        (
            lambda ws: ws.report("adherence_pct", where={"team": "Alpah"}, viewer=LEAD),
            ScopeError,
            "did you mean Alpha?",
        ),
    ],
    ids=["metric", "dimension", "filter", "team"],
)
def test_a_misspelt_name_is_refused_with_the_closest_one(
    ws: Workspace, call: Call, error: type[AdherenceError], hint: str
) -> None:
    with pytest.raises(error) as refused:
        call(ws)

    assert (refused.value.hint or "").startswith(hint)
    assert ws.audit_log.records()[-1].event == "refusal"
    _assert_clean(refused.value)


def test_one_dimension_may_be_named_without_a_list(ws: Workspace) -> None:
    one = ws.report("adherence_pct", by="team", viewer=STEWARD)  # type: ignore[arg-type]
    listed = ws.report("adherence_pct", by=["team"], viewer=STEWARD)

    assert one.to_dicts() == listed.to_dicts()


def test_a_refusal_leaves_its_door_clean(ws: Workspace) -> None:
    with pytest.raises(ScopeError) as refused:
        ws.report("adherence_pct", by=["team"], where={"team": "Beta"}, viewer=LEAD)

    _assert_clean(refused.value)


def test_an_unexpected_error_inside_a_door_is_an_internal_error(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> object:
        raise KeyError("alpha-3 raw value 12345")

    monkeypatch.setattr("adherence.privacy._reports.covered", broken)

    with pytest.raises(InternalError) as failed:
        ws.report("adherence_pct", by=["team"], viewer=STEWARD)

    assert failed.value.code == "ADH-099"
    assert failed.value.message == (
        "an unexpected KeyError inside Workspace.report; nothing was released"
    )
    assert isinstance(failed.value, RuntimeError)
    guard = _library_frames(failed.value)[0]
    assert not any("12345" in value for value in (guard.locals or {}).values())
    assert "12345" not in str(failed.value)
    _assert_clean(failed.value)
