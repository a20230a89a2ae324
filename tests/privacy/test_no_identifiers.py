"""Pseudonyms everywhere (G11): planted identifiers never get past ingest.

Input files carry login ids, names, e-mail addresses and phone numbers, in valid rows and in
rows that are quarantined; a shift id is built from the login id. None of them may appear in
a canonical table, a quarantine, an ingest report, a released table, the ledger file, the
audit log or the text of an error.
"""

from __future__ import annotations

import tempfile
import traceback
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.privacy.org import AUDIT_KEY

from adherence.errors import AdherenceError, ParseError
from adherence.io import read_iws, read_roster, read_schedule
from adherence.privacy import Employee, Steward, TeamLead, Workspace
from adherence.pseudonym import Pseudonymiser
from adherence.rules import PauseLimit

KEY = "the pseudonymisation key of the planted data"
DAYS = [date(2026, 3, 9) + timedelta(days=i) for i in range(5)]
FIRST = ["Kari", "Ola", "Ingrid", "Nils", "Sigrid", "Håkon", "Åse", "Øystein"]
LAST = ["Nordmann", "Hansen", "Johansen", "Olsen", "Lie", "Bakke", "Dahl", "Ødegård"]


@dataclass(frozen=True)
class Person:
    login: str
    name: str
    email: str
    phone: str
    team: str

    def planted(self) -> list[str]:
        return [self.login, self.name, self.email, self.phone]


@st.composite
def people(draw: st.DrawFn) -> list[Person]:
    count = draw(st.integers(6, 8))
    logins = draw(
        st.lists(st.from_regex(r"ag[0-9]{5}", fullmatch=True), min_size=count,
                 max_size=count, unique=True)
    )  # fmt: skip
    out = []
    for i, login in enumerate(logins):
        first, last = draw(st.sampled_from(FIRST)), draw(st.sampled_from(LAST))
        name = f"{first} {last}-{login[2:]}"
        email = f"{first}.{last}{login[2:]}@example.no".lower()
        phone = f"+47 9{draw(st.integers(1_000_000, 9_999_999))}"
        out.append(Person(login, name, email, phone, "Alpha" if i < 6 else "Beta"))
    return out


def _write(folder: Path, staff: list[Person]) -> tuple[Path, Path, Path]:
    log = ["timestamp,agent_id,agent_name,email,phone,team,status,reason"]
    plan = ["agent_id,shift_id,start,end,activity,agent_name"]
    roster = ["agent_id,agent_name,email,phone,team,site,valid_from,employment_type,skill"]
    for p in staff:
        who = f"{p.name},{p.email},{p.phone}"
        for day in DAYS:
            shift = f"{p.login}-{day:%Y%m%d}"
            for start, end, activity in (("09:00", "12:00", "Telefon"),
                                         ("12:00", "12:30", "Lunsj"),
                                         ("12:30", "16:00", "Telefon")):  # fmt: skip
                plan.append(
                    f"{p.login},{shift},{day}T{start}:00,{day}T{end}:00,{activity},{p.name}"
                )
            for at, status in (("08:55", "Ready"), ("12:00", "Not Ready - Lunch"),
                               ("12:34", "Ready"), ("16:00", "Log Off")):  # fmt: skip
                log.append(f"{day}T{at}:00,{p.login},{who},{p.team},{status},")
        roster.append(f"{p.login},{who},{p.team},Oslo,2026-01-01,permanent,sales")
        # Rows that are quarantined, each carrying the person's identifiers.
        log.append(f"not a time,{p.login},{who},{p.team},Ready,")
        log.append(f"{DAYS[0]}T10:00:00,,{who},{p.team},Ready,")
        plan.append(f"{p.login},{p.login}-{'x' * 1_000},{DAYS[0]}T17:00:00,"
                    f"{DAYS[0]}T18:00:00,Telefon,{p.name}")  # fmt: skip
        plan.append(f"{p.login},{p.login}-bad,{DAYS[0]}T19:00:00,{DAYS[0]}T20:00:00,"
                    f"Skiing,{p.name}")  # fmt: skip
        roster.append(f"{p.login},{who},,Oslo,2026-01-01,permanent,sales")
    paths = (folder / "status_log.csv", folder / "schedule.csv", folder / "roster.csv")
    for path, lines in zip(paths, (log, plan, roster), strict=True):
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return paths


def _everything_given_out(folder: Path, staff: list[Person]) -> list[str]:
    """Every text the library produced from the planted files."""
    log_path, schedule_path, roster_path = _write(folder, staff)
    log = read_iws(log_path, key=KEY)
    schedule = read_schedule(schedule_path, key=KEY)
    roster = read_roster(roster_path, key=KEY)
    texts = [
        t
        for ingest in (log, schedule, roster)
        for t in (ingest.valid.write_csv(), ingest.quarantine.write_csv(), str(ingest.report),
                  ingest.report.to_json(), repr(ingest))
    ]  # fmt: skip
    lead = TeamLead("tl-1", teams=["Alpha"])
    me = Employee(Pseudonymiser(KEY).pseudonym(staff[0].login))
    ws = Workspace.open(folder / "adherence.db", audit_key=AUDIT_KEY, key=KEY)
    ws.add(log, schedule=schedule, roster=roster)
    given = [
        ws.report("adherence_pct", by=["team"], viewer=Steward("wfm")),
        ws.report("meal_ms", by=["day"], where={"team": "Alpha"}, viewer=lead),
        ws.self_view(me.agent_id, viewer=me),
        ws.self_exceptions(me.agent_id, viewer=me),
    ]
    audit = ws.audit_tolerance(PauseLimit("MEAL", timedelta(minutes=30)),
                               by=["team"], viewer=Steward("wfm"))  # fmt: skip
    texts += [repr(audit), str(audit.groups.to_dicts())]
    share = ws.share(agent=me.agent_id, to=lead, purpose="development_plan",
                     metrics=["meal_ms"], periods=["2026-W11"], viewer=me)  # fmt: skip
    given.append(ws.open_share(share.id, viewer=lead))
    texts += [repr(t) for t in given] + [str(t.to_dicts()) for t in given]
    for attempt in (
        lambda: ws.self_view(me.agent_id, viewer=lead),
        lambda: ws.report("adherence_pct", by=["agent_name"], viewer=lead),
        lambda: ws.report("adherence_pct", by=["team"], where={"team": "Beta"}, viewer=lead),
        lambda: ws.report("adherence_pct", by=["day"], where={"team": "Beta"}, viewer=Steward("s")),
    ):
        try:
            attempt()
        except AdherenceError as err:
            texts.append(f"{err!r} {err}")
    texts.append(repr(ws))
    ws.close()
    for stored in folder.iterdir():
        if stored.suffix != ".csv":
            texts.append(stored.read_bytes().decode("utf-8", errors="replace"))
    return texts


@pytest.mark.slow
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(staff=people())
def test_no_planted_identifier_gets_past_ingest(staff: list[Person]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        texts = _everything_given_out(Path(folder), staff)

    text = "\n".join(texts).lower()
    planted = [value for p in staff for value in p.planted()]
    assert [value for value in planted if value.lower() in text] == []
    assert len(texts) > 20


@pytest.mark.parametrize("reader", [read_iws, read_schedule, read_roster])
def test_a_file_without_a_header_row_is_refused_without_quoting_it(reader: object) -> None:
    first_row = "ag12345,Kari Nordmann,kari.nordmann@example.no,+47 91234567,Alpha,Ready\n"

    with pytest.raises(ParseError) as refused:
        reader((first_row * 3).encode(), key=KEY)  # type: ignore[operator]

    rendered = "".join(
        traceback.TracebackException.from_exception(refused.value, capture_locals=False).format()
    )
    assert "the header has 6 columns" in refused.value.message
    for planted in ("ag12345", "Kari", "kari.nordmann", "91234567"):
        assert planted not in rendered
