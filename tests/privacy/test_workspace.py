"""The workspace as a whole: persistence, failing closed, the audit trail, scope and G12."""

from __future__ import annotations

import json
import pickle
import sqlite3
import subprocess
import sys
import textwrap
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from tests.privacy.conftest import OpenWorkspace
from tests.privacy.org import AUDIT_KEY, Agent, tables, team

import adherence
from adherence.errors import (
    AuditKeyError,
    ConfigurationError,
    ForbiddenQueryError,
    KeyMismatchError,
    LedgerUnavailableError,
    RoleError,
    ScopeError,
)
from adherence.privacy import (
    AuditLog,
    Auditor,
    AuditRecord,
    Employee,
    PrivacyPolicy,
    Steward,
    TeamLead,
    Workspace,
)

LEAD = TeamLead("tl-1", teams=["Alpha"])
LEAD_BOTH = TeamLead("tl-2", teams=["Alpha", "Beta"])


def test_a_team_lead_sees_only_their_own_teams(workspace: OpenWorkspace) -> None:
    ws = workspace(team("Alpha", 5) + team("Beta", 5))

    table = ws.report("adherence_pct", by=["team"], viewer=LEAD)

    assert [r["team"] for r in table.to_dicts()] == ["Alpha"]
    with pytest.raises(ScopeError) as refused:
        ws.report("adherence_pct", where={"team": "Beta"}, viewer=LEAD)
    assert refused.value.code == "ADH-004"


def test_figures_are_time_weighted_over_the_cell(workspace: OpenWorkspace) -> None:
    from datetime import timedelta

    long_meal = timedelta(minutes=51)
    agents = [*team("Alpha", 2), *(Agent(f"alpha-{x}", "Alpha", meal=long_meal) for x in "xyz")]
    ws = workspace(agents)

    table = ws.report("adherence_pct", by=["team", "iso_week"], viewer=LEAD)

    # 21 min out per day for three agents (no two of them dominate, G5):
    # 3 * 5 * 21 out of 5 agents * 5 days * 420 min.
    assert table.to_dicts() == [
        {
            "team": "Alpha",
            "iso_week": "2026-W11",
            "adherence_pct": pytest.approx(100 * (1 - 315 / 10_500)),
            "status": "released",
            "agents": 5,
        }
    ]


def test_a_sensitive_reason_code_is_only_reported_in_totals(workspace: OpenWorkspace) -> None:
    # Six agents take a 30-minute meal on five days; one agent's meals carry the reason
    # "Union duty". That time leaves MEAL for the folded 'other' atom: meal_ms counts the
    # other five agents only (5 × 5 × 30 min), pause_ms all six (6 × 5 × 30 min).
    agents = [*team("Alpha", 5), Agent("alpha-u", "Alpha", meal_reason="Union  duty")]
    ws = workspace(agents, PrivacyPolicy(sensitive_reasons=["union duty"]))

    meal = ws.report("meal_ms", by=["team"], viewer=LEAD)
    total = ws.report("pause_ms", by=["team"], viewer=LEAD)

    assert meal.to_dicts()[0]["meal_ms"] == 5 * 5 * 30 * 60_000
    assert total.to_dicts()[0]["pause_ms"] == 6 * 5 * 30 * 60_000


def test_a_state_marked_sensitive_is_never_broken_out(workspace: OpenWorkspace) -> None:
    ws = workspace(team("Alpha", 6), PrivacyPolicy(sensitive_states=["APPROVED"]))

    with pytest.raises(ForbiddenQueryError) as refused:
        ws.report("approved_ms", by=["team"], viewer=LEAD)

    assert refused.value.code == "ADH-003"


def test_every_release_and_refusal_is_in_a_verifiable_audit_log(workspace: OpenWorkspace) -> None:
    ws = workspace(team("Alpha", 5) + team("Beta", 4))
    ws.report("adherence_pct", by=["team"], viewer=Steward("s"))
    with pytest.raises(ForbiddenQueryError):
        ws.report("adherence_max", viewer=Steward("s"))

    records = ws.audit_records(viewer=Auditor("union"))

    assert [r.event for r in records] == ["release", "refusal"]
    assert records[0].fields["released"] == 1
    assert records[0].fields["suppressed"] == 1
    assert records[0].fields["policy"] == ws.policy.hash
    assert all(r.fields["policy"] == ws.policy.hash for r in records)
    assert records[1].fields["code"] == "ADH-003"
    assert ws.audit_log.verify().ok


def test_exports_are_logged(workspace: OpenWorkspace, tmp_path: Path) -> None:
    ws = workspace(team("Alpha", 5))
    table = ws.report("adherence_pct", by=["team"], viewer=LEAD)

    table.write_csv(tmp_path / "out.csv")

    last = ws.audit_records(viewer=Auditor("a"))[-1]
    assert (last.event, last.fields["format"], last.fields["release_id"]) == (
        "export",
        "csv",
        table.release_id,
    )
    assert last.fields["policy"] == ws.policy.hash


def test_a_tampered_audit_log_fails_verification(workspace: OpenWorkspace) -> None:
    ws = workspace(team("Alpha", 5))
    for _ in range(3):
        ws.report("adherence_pct", by=["team"], viewer=LEAD)
    path = ws.audit_log.path
    lines = path.read_text().splitlines(keepends=True)

    path.write_text("".join([lines[0], lines[2], lines[1]]))

    found = [(p.line, p.kind) for p in ws.audit_log.verify().problems]
    assert found == [(2, "chain"), (2, "sequence"), (3, "chain"), (3, "sequence")]


def test_a_read_only_store_releases_nothing(workspace: OpenWorkspace, tmp_path: Path) -> None:
    ws = workspace(team("Alpha", 5))
    ws.report("adherence_pct", by=["team"], viewer=LEAD)
    intervals, schedule, roster = tables(team("Alpha", 5))
    reader = Workspace.open(tmp_path / "adherence.db", audit_key=AUDIT_KEY, read_only=True)
    reader.add(intervals, schedule=schedule, roster=roster)

    with pytest.raises(LedgerUnavailableError) as refused:
        reader.report("adherence_pct", by=["team"], viewer=LEAD)

    assert refused.value.code == "ADH-040"
    assert reader.audit_log.verify().ok
    # Raised from a frame that holds no data: no agent id in the library's frames' locals.
    rendered = traceback.TracebackException.from_exception(refused.value, capture_locals=True)
    # The library's frames: files inside the installed package (a checkout folder that is
    # itself called "adherence" must not count the tests as library frames).
    package = Path(adherence.__file__).parent
    library = [f for f in rendered.stack if Path(f.filename).is_relative_to(package)]
    assert [f.name for f in library] == ["guarded"]  # the door's guard, and nothing below
    assert not any("alpha-" in value for f in library for value in (f.locals or {}).values())


def test_an_unwritable_audit_log_releases_nothing(tmp_path: Path) -> None:
    intervals, schedule, roster = tables(team("Alpha", 5))
    (tmp_path / "log-is-a-folder").mkdir()
    ws = Workspace.open(
        tmp_path / "adherence.db", audit_key=AUDIT_KEY, audit_log=tmp_path / "log-is-a-folder"
    )
    ws.add(intervals, schedule=schedule, roster=roster)

    with pytest.raises(LedgerUnavailableError):
        ws.report("adherence_pct", by=["team"], viewer=LEAD)

    # Nothing was recorded as released either: the same query still works elsewhere.
    store = sqlite3.connect(tmp_path / "adherence.db")
    assert store.execute("SELECT COUNT(*) FROM vectors").fetchone() == (0,)
    assert store.execute("SELECT COUNT(*) FROM releases").fetchone() == (0,)


def test_team_leads_cannot_read_the_policy_history(workspace: OpenWorkspace) -> None:
    ws = workspace(team("Alpha", 5))
    ws.report("adherence_pct", viewer=LEAD)

    history = ws.policy_history(viewer=Auditor("union"))

    assert [h for h, _, _ in history] == [ws.policy.hash]
    with pytest.raises(RoleError):
        ws.policy_history(viewer=LEAD)


def _ledger_release_ids(store: Path) -> set[str]:
    with sqlite3.connect(store) as db:
        ids = {str(row[0]) for row in db.execute("SELECT id FROM releases")}
    db.close()
    return ids


def test_a_release_whose_commit_fails_leaves_no_audit_record(
    workspace: OpenWorkspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = workspace(team("Alpha", 5))
    kept = ws.report("adherence_pct", by=["team"], viewer=LEAD)
    append = AuditLog.append

    def append_then_fail(self: AuditLog, event: str, **fields: Any) -> AuditRecord:
        record = append(self, event, **fields)
        if event == "release":
            raise sqlite3.OperationalError("disk I/O error")  # after the record, before COMMIT
        return record

    monkeypatch.setattr(AuditLog, "append", append_then_fail)
    with pytest.raises(LedgerUnavailableError):
        ws.report("occupancy_pct", by=["team"], viewer=LEAD)
    monkeypatch.undo()

    records = ws.audit_records(viewer=Auditor("union"))
    assert [(r.event, r.fields.get("release_id")) for r in records] == [
        ("release", kept.release_id)
    ]
    assert _ledger_release_ids(tmp_path / "adherence.db") == {kept.release_id}
    assert ws.audit_log.verify(release_ids={kept.release_id}).ok
    ws.report("adherence_pct", by=["team"], viewer=LEAD)  # the log goes on, nothing adopted
    assert ws.audit_log.verify().ok


def test_a_store_opened_with_another_audit_key_is_refused(
    workspace: OpenWorkspace, tmp_path: Path
) -> None:
    workspace(team("Alpha", 5)).report("adherence_pct", by=["team"], viewer=LEAD)

    with pytest.raises(AuditKeyError) as refused:
        Workspace.open(tmp_path / "adherence.db", audit_key="somebody else's audit key")

    assert refused.value.code == "ADH-042"


def test_a_released_table_holds_no_audit_key_and_its_exports_are_still_logged(
    workspace: OpenWorkspace, tmp_path: Path
) -> None:
    # A table in a team lead's hands must not carry the key that authenticates the audit
    # log (with it, any record could be forged). Its exports are queued beside the store
    # and adopted into the log by the workspace; a pickled copy's exports too.
    ws = workspace(team("Alpha", 5))
    table = ws.report("adherence_pct", by=["team"], viewer=LEAD)
    blob = pickle.dumps(table)
    copy = pickle.loads(blob)

    copy.write_csv(tmp_path / "copy.csv")
    table.write_csv(tmp_path / "table.csv")
    records = ws.audit_records(viewer=Auditor("a"))

    assert AUDIT_KEY.encode() not in blob
    assert not _reaches(table, AUDIT_KEY.encode())
    assert [r.event for r in records] == ["release", "export", "export"]
    assert {r.fields["release_id"] for r in records} == {table.release_id}
    assert ws.verify().ok


def test_each_interop_export_is_one_record_in_the_audit_log(
    workspace: OpenWorkspace, tmp_path: Path
) -> None:
    import duckdb
    import pyarrow as pa

    ws = workspace(team("Alpha", 5))
    released = ws.report("adherence_pct", by=["team"], viewer=LEAD)

    pl.DataFrame(released)
    pa.table(released)
    duckdb.sql("select * from released").fetchall()
    released.write_excel(tmp_path / "t.xlsx")
    released.write_csv(tmp_path / "t.csv", excel=True)
    records = ws.audit_records(viewer=Auditor("a"))

    assert [(r.event, r.fields.get("format")) for r in records] == [
        ("release", None), ("export", "arrow"), ("export", "arrow"), ("export", "arrow"),
        ("export", "excel"), ("export", "csv"),
    ]  # fmt: skip
    assert {r.fields["release_id"] for r in records} == {released.release_id}
    assert ws.verify().ok


def test_a_forged_export_line_never_becomes_another_kind_of_record(
    workspace: OpenWorkspace, tmp_path: Path
) -> None:
    ws = workspace(team("Alpha", 5))
    table = ws.report("adherence_pct", by=["team"], viewer=LEAD)
    queue = tmp_path / "adherence.exports.jsonl"
    forged = [
        {"actor": "x", "actor_role": "x", "format": "csv", "policy": "p", "release_id": "nope"},
        {"event": "share_revoked", "share_id": "s", "release_id": table.release_id},
        {"actor": "Kari Nordmann meal 2h26m", "actor_role": "auditor", "format": "csv",
         "policy": "p", "release_id": table.release_id},
    ]  # fmt: skip
    text = "\n".join(json.dumps(f) for f in forged) + "\nnot json\n"
    queue.write_bytes(text.encode() + b"\xff\xfe broken\n")

    records = ws.audit_records(viewer=Auditor("a"))

    # Only the well-formed export of a real release is adopted, naming whom the table was
    # released to (from the ledger), never what the line says.
    assert [r.event for r in records] == ["release", "export"]
    assert records[1].fields["actor"] == records[0].fields["actor"]
    assert records[1].fields["actor_role"] == "team_lead"
    assert "Kari" not in json.dumps([r.to_dict() for r in records])
    assert ws.verify().ok
    assert queue.read_bytes() == b""


def _reaches(root: object, secret: bytes) -> bool:
    """Whether ``secret`` is reachable from ``root`` through attributes and containers."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, bytes | bytearray | str):
            if secret in (item.encode() if isinstance(item, str) else bytes(item)):
                return True
            continue
        if isinstance(item, dict):
            stack.extend([*item.keys(), *item.values()])
        elif isinstance(item, list | tuple | set | frozenset):
            stack.extend(item)
        for name in getattr(type(item), "__slots__", ()):
            if hasattr(item, name):
                stack.append(getattr(item, name))
        if hasattr(item, "__dict__") and not isinstance(item, type):
            stack.extend(vars(item).values())
    return False


def test_the_ledger_survives_a_new_process(tmp_path: Path) -> None:
    agents = [*team("Alpha", 5), Agent("alpha-5", "Alpha", skill="billing")]
    intervals, schedule, roster = tables(agents)
    for name, frame in (("i", intervals), ("s", schedule), ("r", roster)):
        frame.write_parquet(tmp_path / f"{name}.parquet")
    script = textwrap.dedent(
        f"""
        import sys
        import polars as pl
        from adherence.privacy import TeamLead, Workspace
        from adherence.errors import DifferencingError
        folder = {str(tmp_path)!r}
        ws = Workspace.open(folder + "/adherence.db", audit_key={AUDIT_KEY!r})
        ws.add(*(pl.read_parquet(f"{{folder}}/{{n}}.parquet") for n in "i"),
               schedule=pl.read_parquet(folder + "/s.parquet"),
               roster=pl.read_parquet(folder + "/r.parquet"))
        lead = TeamLead("tl-1", teams=["Alpha"])
        if sys.argv[1] == "team":
            ws.report("adherence_pct", by=["team"], period="2026-W11", viewer=lead)
            print("released")
        else:
            try:
                ws.report("adherence_pct", by=["team"], period="2026-W11",
                          where={{"skill": "sales"}}, viewer=lead)
                print("released")
            except DifferencingError as err:
                print(err.code)
        """
    )

    def run(step: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", script, step], capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    assert run("team") == "released"
    assert run("tracker") == "ADH-002"


def _store_counts(path: Path) -> tuple[int, int]:
    with sqlite3.connect(path) as db:
        counts = (
            db.execute("SELECT COUNT(*) FROM vectors").fetchone()[0],
            db.execute("SELECT COUNT(*) FROM releases").fetchone()[0],
        )
    db.close()
    return counts


def test_a_dry_run_shows_the_decision_and_releases_nothing(
    workspace: OpenWorkspace, tmp_path: Path
) -> None:
    ws = workspace(team("Alpha", 6) + team("Beta", 3))
    before = _store_counts(tmp_path / "adherence.db")
    records = len(ws.audit_records(viewer=Auditor("union")))

    preview = ws.dry_run("meal_ms", by=["team"], period="2026-W11", viewer=LEAD_BOTH)

    assert preview.allowed
    assert preview.cells.to_dicts() == [
        {"team": "Alpha", "status": "released"},
        {"team": "Beta", "status": "suppressed"},
    ]
    assert _store_counts(tmp_path / "adherence.db") == before
    assert len(ws.audit_records(viewer=Auditor("union"))) == records
    table = ws.report("meal_ms", by=["team"], period="2026-W11", viewer=LEAD_BOTH)
    assert [r["status"] for r in table.to_dicts()] == ["released", "suppressed"]


def test_a_dry_run_warns_of_a_tracker_before_it_is_asked(workspace: OpenWorkspace) -> None:
    agents = [*team("Alpha", 6), Agent("alpha-b", "Alpha", skill="billing")]
    ws = workspace(agents)
    ws.report("meal_ms", by=["team"], period="2026-W11", viewer=LEAD)

    preview = ws.dry_run(
        "meal_ms", by=["team"], period="2026-W11", where={"skill": "sales"}, viewer=LEAD
    )

    assert not preview.allowed
    assert preview.code == "ADH-002"
    assert "ADH-002" in repr(preview)


def test_tables_released_together_share_one_suppression_pattern(
    workspace: OpenWorkspace,
) -> None:
    # Alpha (6) and Beta (3) make up site Oslo. Beta is too small; if both the site and
    # Alpha were released, Beta = Oslo − Alpha. Released together, one of them is held back,
    # whichever order the tables are asked in.
    ws = workspace(team("Alpha", 6) + team("Beta", 3))
    requests = [("meal_ms", ["team"]), ("meal_ms", ["site"])]

    by_team, by_site = ws.report_many(requests, period="2026-W11", viewer=Steward("s"))

    assert by_team.release_id == by_site.release_id
    statuses = {r["team"]: r["status"] for r in by_team.to_dicts()}
    assert statuses["Beta"] == "suppressed"
    assert "suppressed" in (statuses["Alpha"], by_site.to_dicts()[0]["status"])


def test_every_kind_of_release_is_in_both_the_ledger_and_the_audit_log(
    workspace: OpenWorkspace, tmp_path: Path
) -> None:
    ws = workspace(team("Alpha", 6))
    me = Employee("alpha-0")
    ws.report("adherence_pct", by=["team"], viewer=LEAD)
    ws.self_view("alpha-0", viewer=me)
    share = ws.share(
        agent="alpha-0", to=LEAD, purpose="development_plan", metrics=["meal_ms"],
        periods=["2026-W11"], viewer=me,
    )  # fmt: skip
    ws.open_share(share.id, viewer=LEAD)
    assert ws.verify().ok

    # A release removed from the ledger behind the library's back: its record is an orphan.
    with sqlite3.connect(tmp_path / "adherence.db") as db:
        db.execute("DELETE FROM releases WHERE metric = 'self_view'")
    db.close()

    result = ws.verify()
    assert not result.ok
    assert [p.kind for p in result.problems] == ["orphan"]


@pytest.mark.parametrize(
    "written", ["Union-duty", "Union - duty", "union_duty", "UNION DUTY", "Ｕｎｉｏｎ ｄｕｔｙ"]
)
def test_a_sensitive_code_is_folded_however_it_is_written(
    workspace: OpenWorkspace, written: str
) -> None:
    # Five agents take a 30-minute meal on five days; a sixth's meals carry the code. Written
    # with dashes or underscores it is still the default list's "Union duty": meal_ms counts
    # the five others only.
    ws = workspace([*team("Alpha", 5), Agent("alpha-u", "Alpha", meal_reason=written)])

    meal = ws.report("meal_ms", by=["team"], viewer=LEAD)

    assert meal.to_dicts()[0]["meal_ms"] == 5 * 5 * 30 * 60_000


def test_the_same_people_under_another_key_are_refused(workspace: OpenWorkspace) -> None:
    # Frames carry no key fingerprint; re-keyed, every pseudonym is new and the ledger
    # would forget who was released before. None of them known: refused.
    ws = workspace(team("Alpha", 6))
    ws.report("adherence_pct", by=["team"], viewer=LEAD)
    intervals, schedule, roster = tables(team("Alpha", 6, prefix="rekeyed-"))

    with pytest.raises(KeyMismatchError):
        ws.add(intervals, schedule=schedule, roster=roster)


def test_incidents_cannot_change_after_a_release(workspace: OpenWorkspace) -> None:
    ws = workspace(team("Alpha", 6))
    ws.report("out_of_adherence_ms", by=["team"], viewer=LEAD)
    intervals, schedule, roster = tables(team("Alpha", 6))
    outage = pl.DataFrame(
        {"site": ["Oslo"], "team": [None], "start": [datetime(2026, 3, 9, 14, tzinfo=UTC)],
         "end": [datetime(2026, 3, 9, 15, tzinfo=UTC)], "reason": ["telephony"]},
        schema_overrides={"team": pl.String, "start": pl.Datetime("ms", "UTC"),
                          "end": pl.Datetime("ms", "UTC")},
    )  # fmt: skip

    # The same cell asked again after carving an hour out would difference that hour.
    with pytest.raises(ConfigurationError):
        ws.add(intervals, schedule=schedule, roster=roster, incidents=outage)
