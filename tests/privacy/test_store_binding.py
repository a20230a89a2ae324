"""A store bound to its pseudonymisation key and to its history (G15)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from tests.privacy.oracle import Org, team
from tests.privacy.org import AUDIT_KEY

from adherence.errors import (
    AuditIntegrityError,
    ConfigurationError,
    DifferencingError,
    KeyMismatchError,
    RoleError,
)
from adherence.ingest import Ingest
from adherence.io import read_iws, read_roster, read_schedule
from adherence.privacy import Auditor, Employee, Steward, TeamLead, Workspace
from adherence.pseudonym import Pseudonymiser, key_fingerprint

KEY = "the first pseudonymisation key"
OTHER_KEY = "another pseudonymisation key"
STEWARD = Steward("wfm")
LEAD = TeamLead("tl-1", teams=["Alpha"])


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A team of 6; one of them has another skill, so ``skill == sales`` holds 5."""
    people = team("Alpha", 6)
    org = Org([people[0].__class__("alpha-0", "Alpha", skill="support"), *people[1:]])
    return org.write_csv(tmp_path_factory.mktemp("data"))


def _read(files: tuple[Path, Path, Path], key: str) -> tuple[Ingest, Ingest, Ingest]:
    log, schedule, roster = files
    return read_iws(log, key=key), read_schedule(schedule, key=key), read_roster(roster, key=key)


def _add(ws: Workspace, tables: tuple[Ingest, Ingest, Ingest]) -> None:
    log, schedule, roster = tables
    ws.add(log, schedule=schedule, roster=roster)


def _team(ws: Workspace, where: dict[str, str] | None = None) -> object:
    return ws.report("adherence_pct", by=["team"], where=where, viewer=STEWARD)


def test_every_ingest_carries_its_keys_fingerprint_never_the_key(
    files: tuple[Path, Path, Path],
) -> None:
    tables = _read(files, KEY)

    assert {t.key_fingerprint for t in tables} == {key_fingerprint(KEY)}
    assert key_fingerprint(KEY) != key_fingerprint(OTHER_KEY)
    assert all(KEY not in repr(t.report.to_dict()) for t in tables)


def test_a_store_opened_with_another_key_is_refused(tmp_path: Path) -> None:
    Workspace.open(tmp_path / "a.db", audit_key=AUDIT_KEY, key=KEY).close()

    with pytest.raises(KeyMismatchError) as refused:
        Workspace.open(tmp_path / "a.db", audit_key=AUDIT_KEY, key=OTHER_KEY)

    assert refused.value.code == "ADH-043"
    assert "rotate_key" in (refused.value.hint or "")
    assert KEY not in str(refused.value)
    assert OTHER_KEY not in str(refused.value)
    Workspace.open(tmp_path / "a.db", audit_key=AUDIT_KEY, key=KEY).close()


def test_data_read_under_another_key_is_refused_and_nothing_changes(
    tmp_path: Path, files: tuple[Path, Path, Path]
) -> None:
    ws = Workspace.open(tmp_path / "a.db", audit_key=AUDIT_KEY)  # bound by the first add
    _add(ws, _read(files, KEY))
    _team(ws)

    with pytest.raises(KeyMismatchError):
        _add(ws, _read(files, OTHER_KEY))

    with pytest.raises(DifferencingError):  # the data and the ledger are as they were
        _team(ws, {"skill": "sales"})


def test_tables_read_under_two_keys_are_refused(
    tmp_path: Path, files: tuple[Path, Path, Path]
) -> None:
    log, _, roster = _read(files, KEY)
    _, schedule, _ = _read(files, OTHER_KEY)
    ws = Workspace.open(tmp_path / "a.db", audit_key=AUDIT_KEY)

    with pytest.raises(KeyMismatchError, match="different keys"):
        ws.add(log, schedule=schedule, roster=roster)


def test_a_missing_store_beside_its_audit_log_is_refused_not_recreated(
    tmp_path: Path, files: tuple[Path, Path, Path]
) -> None:
    ws = Workspace.open(tmp_path / "a.db", audit_key=AUDIT_KEY, key=KEY)
    _add(ws, _read(files, KEY))
    _team(ws)
    ws.close()
    (tmp_path / "a.db").unlink()

    with pytest.raises(AuditIntegrityError) as refused:
        Workspace.open(tmp_path / "a.db", audit_key=AUDIT_KEY, key=KEY)

    assert refused.value.code == "ADH-041"
    assert not (tmp_path / "a.db").exists()


def test_an_older_store_restored_beside_a_newer_log_is_refused(
    tmp_path: Path, files: tuple[Path, Path, Path]
) -> None:
    ws = Workspace.open(tmp_path / "a.db", audit_key=AUDIT_KEY, key=KEY)
    _add(ws, _read(files, KEY))
    ws.close()
    shutil.copy(tmp_path / "a.db", tmp_path / "backup.db")
    ws = Workspace.open(tmp_path / "a.db", audit_key=AUDIT_KEY, key=KEY)
    _add(ws, _read(files, KEY))
    _team(ws)
    ws.close()
    shutil.copy(tmp_path / "backup.db", tmp_path / "a.db")

    with pytest.raises(AuditIntegrityError):
        Workspace.open(tmp_path / "a.db", audit_key=AUDIT_KEY, key=KEY)
    reader = Workspace.open(tmp_path / "a.db", audit_key=AUDIT_KEY, read_only=True)
    assert {p.kind for p in reader.audit_log.verify().problems} == {"head"}  # no head, records


def test_a_rotated_key_carries_the_ledger_over(
    tmp_path: Path, files: tuple[Path, Path, Path]
) -> None:
    ws = Workspace.open(tmp_path / "a.db", audit_key=AUDIT_KEY, key=KEY)
    _add(ws, _read(files, KEY))
    _team(ws)
    before = Employee(Pseudonymiser(KEY).pseudonym("alpha-2"))
    after = Employee(Pseudonymiser(OTHER_KEY).pseudonym("alpha-2"))
    share = ws.share(agent=before.agent_id, to=LEAD, purpose="development_plan",
                     metrics=["meal_ms"], periods=["2026-W11"], viewer=before)  # fmt: skip
    raw_ids = [f"alpha-{i}" for i in range(6)]

    ws.rotate_key(KEY, OTHER_KEY, agent_ids=raw_ids, viewer=STEWARD)
    ws.close()

    with pytest.raises(KeyMismatchError):
        Workspace.open(tmp_path / "a.db", audit_key=AUDIT_KEY, key=KEY)
    ws = Workspace.open(tmp_path / "a.db", audit_key=AUDIT_KEY, key=OTHER_KEY)
    _add(ws, _read(files, OTHER_KEY))
    with pytest.raises(DifferencingError):  # the team released under the old key still counts
        _team(ws, {"skill": "sales"})
    assert [(s.id, s.agent_id) for s in ws.shares(viewer=after)] == [(share.id, after.agent_id)]  # type: ignore[attr-defined]
    assert ws.shares(viewer=before) == []
    rotated = [r for r in ws.audit_log.records() if r.event == "key_rotated"]
    assert [r.fields["actor_role"] for r in rotated] == ["steward"]
    assert ws.audit_log.verify()


@pytest.mark.parametrize(
    ("old", "ids", "viewer", "error"),
    [
        (KEY, [f"alpha-{i}" for i in range(5)], STEWARD, ConfigurationError),  # one missing
        (OTHER_KEY, [f"alpha-{i}" for i in range(6)], STEWARD, KeyMismatchError),
        (KEY, [f"alpha-{i}" for i in range(6)], Auditor("u"), RoleError),
    ],
    ids=["an-agent-missing", "not-the-stores-key", "not-the-steward"],
)
def test_a_rotation_that_cannot_be_complete_changes_nothing(
    tmp_path: Path,
    files: tuple[Path, Path, Path],
    old: str,
    ids: list[str],
    viewer: Steward | Auditor,
    error: type[Exception],
) -> None:
    ws = Workspace.open(tmp_path / "a.db", audit_key=AUDIT_KEY, key=KEY)
    _add(ws, _read(files, KEY))
    _team(ws)

    with pytest.raises(error) as refused:
        ws.rotate_key(old, "a third pseudonymisation key", agent_ids=ids, viewer=viewer)

    assert "alpha-" not in str(refused.value)
    ws.close()
    Workspace.open(tmp_path / "a.db", audit_key=AUDIT_KEY, key=KEY).close()
