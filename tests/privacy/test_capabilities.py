"""Capabilities (G16): what a viewer other than the steward receives holds nothing more.

A share as its recipient sees it names no employee and cannot revoke itself; revoking is a
door of the workspace, checked against the caller's role and logged under the caller. Every
object handed to a team lead, an employee or an auditor — released tables, fairness audits,
share lists, audit records — is walked through everything it references: no workspace,
ledger, SQLite connection, polars frame or table of unreleased data, and no agent id but the
employee's own.
"""

from __future__ import annotations

import dataclasses
import gc
import re
import sqlite3
import sys
import types
from datetime import timedelta

import polars as pl
import pytest
from tests.privacy.conftest import OpenWorkspace
from tests.privacy.org import Agent, team

from adherence.errors import RoleError
from adherence.intervals import Intervals
from adherence.privacy import Auditor, Employee, OwnShare, Share, Steward, TeamLead, Workspace
from adherence.privacy._atoms import Tables
from adherence.privacy._release import Releaser
from adherence.privacy.ledger import Ledger
from adherence.rules import PauseLimit

LEAD = TeamLead("tl-1", teams=["Alpha"])
ME = Employee("alpha-0")
AUDITOR = Auditor("union")
STEWARD = Steward("s")
FORBIDDEN = (Workspace, Ledger, Releaser, Tables, Intervals, sqlite3.Connection,
             sqlite3.Cursor, pl.DataFrame, pl.LazyFrame, pl.Series)  # fmt: skip


@pytest.fixture
def ws(workspace: OpenWorkspace) -> Workspace:
    agents = team("Alpha", 6)
    agents[0] = Agent("alpha-0", "Alpha", meal=timedelta(minutes=42))
    return workspace(agents)


def _share(ws: Workspace) -> OwnShare:
    return ws.share(agent="alpha-0", to=LEAD, purpose="development_plan",
                    metrics=["meal_ms"], periods=["2026-W11"], viewer=ME)  # fmt: skip


def test_a_recipient_sees_a_share_without_the_employee(ws: Workspace) -> None:
    made = _share(ws)

    received = ws.shares(viewer=LEAD)
    audited = ws.shares(viewer=AUDITOR)
    own = ws.shares(viewer=ME)

    assert [type(s) for s in received] == [Share]
    assert [type(s) for s in audited] == [Share]
    assert "agent_id" not in {f.name for f in dataclasses.fields(Share)}
    assert not hasattr(received[0], "revoke")
    assert received[0].id == made.id
    assert received[0] == made.recipient_view()
    assert [(type(s), s.agent_id) for s in own] == [(OwnShare, "alpha-0")]  # type: ignore[attr-defined]
    assert ws.shares(viewer=Employee("alpha-1")) == []


@pytest.mark.parametrize("viewer", [LEAD, Employee("alpha-1"), AUDITOR], ids=str)
def test_only_the_employee_or_the_steward_revokes(ws: Workspace, viewer: object) -> None:
    share = _share(ws)

    with pytest.raises(RoleError):
        ws.revoke_share(share.id, viewer=viewer)  # type: ignore[arg-type]

    assert ws.shares(viewer=ME)[0].revoked_at is None
    assert [r.event for r in ws.audit_log.records()].count("share_revoked") == 0


@pytest.mark.parametrize(("viewer", "role"), [(ME, "employee"), (STEWARD, "steward")])
def test_the_audit_log_names_who_revoked(ws: Workspace, viewer: object, role: str) -> None:
    share = _share(ws)

    ws.revoke_share(share.id, viewer=viewer)  # type: ignore[arg-type]

    revoked = [r for r in ws.audit_log.records() if r.event == "share_revoked"]
    assert [(r.fields["actor_role"], r.fields["share_id"]) for r in revoked] == [(role, share.id)]
    expected = "steward:s" if role == "steward" else f"employee:{ws._subject('alpha-0')}"
    assert revoked[0].fields["actor"] == expected
    assert "alpha-0" not in str(revoked[0].fields["actor"])
    assert ws.shares(viewer=ME)[0].revoked_at is not None
    ws.revoke_share(share.id, viewer=viewer)  # type: ignore[arg-type]
    assert [r.event for r in ws.audit_log.records()].count("share_revoked") == 1


def _module_dicts() -> set[int]:
    return {id(vars(m)) for m in list(sys.modules.values()) if m is not None}


def _referents(obj: object) -> list[object]:
    """What ``obj`` holds: a function's closure and defaults, never its module's globals."""
    if isinstance(obj, types.FunctionType):
        cells = [c.cell_contents for c in obj.__closure__ or () if c.cell_contents is not None]
        return [*cells, *(obj.__defaults__ or ()), *(obj.__kwdefaults__ or {}).values()]
    if isinstance(obj, types.MethodType):
        return [obj.__self__, obj.__func__]
    if isinstance(obj, dict):  # a dict of text keys does not report its keys to the gc
        return [*obj.keys(), *obj.values()]
    return list(gc.get_referents(obj))


def _reachable(root: object) -> list[object]:
    """Everything ``root`` references, transitively (classes and modules are not followed)."""
    skip = _module_dicts()
    seen: dict[int, object] = {id(root): root}
    frontier = [root]
    while frontier:
        obj = frontier.pop()
        for ref in _referents(obj):
            if id(ref) in seen or id(ref) in skip:
                continue
            if isinstance(ref, type | types.ModuleType | types.BuiltinFunctionType):
                continue
            seen[id(ref)] = ref
            frontier.append(ref)
    return list(seen.values())


def _given_out(ws: Workspace) -> list[tuple[str, object]]:
    """(who, object) for everything the doors hand to viewers other than the steward."""
    share = _share(ws)
    rule = PauseLimit("MEAL", timedelta(minutes=30))
    return [
        ("lead", ws.report("meal_ms", by=["team"], viewer=LEAD)),
        ("lead", ws.open_share(share.id, viewer=LEAD)),
        ("lead", ws.shares(viewer=LEAD)),
        ("lead", ws.audit_tolerance(rule, by=["team"], viewer=LEAD)),
        ("employee", ws.self_view("alpha-0", viewer=ME)),
        ("employee", ws.self_exceptions("alpha-0", viewer=ME)),
        ("employee", ws.shares(viewer=ME)),
        ("employee", ws.audit_records(viewer=ME)),
        ("auditor", ws.audit_tolerance(rule, by=["team"], viewer=AUDITOR)),
        ("auditor", ws.shares(viewer=AUDITOR)),
        ("auditor", ws.audit_records(viewer=AUDITOR)),
        ("auditor", ws.policy_history(viewer=AUDITOR)),
    ]


def test_nothing_given_to_a_viewer_reaches_the_workspace_or_unreleased_data(
    ws: Workspace,
) -> None:
    for who, given in _given_out(ws):
        reached = _reachable(given)

        held = sorted({type(r).__name__ for r in reached if isinstance(r, FORBIDDEN)})
        assert held == [], (who, type(given).__name__)
        ids = {i for r in reached if isinstance(r, str) for i in re.findall(r"alpha-\d+", r)}
        assert ids <= ({"alpha-0"} if who == "employee" else set()), (who, ids)


def test_the_walk_finds_what_it_looks_for(ws: Workspace) -> None:
    """The walk itself reaches into closures, slots, containers and instances."""
    holder = [{"x": (lambda: ws)}]

    assert any(isinstance(r, Workspace) for r in _reachable(holder))
    assert any(isinstance(r, Ledger) for r in _reachable(ws))
    assert any(isinstance(r, sqlite3.Connection) for r in _reachable(ws))
    assert "alpha-1" in {r for r in _reachable(ws) if isinstance(r, str)}
