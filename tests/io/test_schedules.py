from __future__ import annotations

from datetime import UTC, datetime

import pytest
from tests.conftest import KEY

from adherence.errors import MostlyQuarantinedWarning
from adherence.io import read_iws, read_roster, read_schedule
from adherence.schemas import Roster, ScheduledActivity, validate


@pytest.mark.parametrize(
    ("day", "hours"), [("2026-03-29", 5), ("2026-10-25", 7), ("2026-04-05", 6)]
)
def test_a_local_midnight_to_six_shift_lasts_real_hours(day: str, hours: int) -> None:
    csv = f"agent_id,start,end,activity\nag9,{day}T00:00:00,{day}T06:00:00,OPEN\n".encode()
    plan = read_schedule(csv, key=KEY)
    validate(plan.valid, ScheduledActivity)
    assert (plan.valid["end"] - plan.valid["start"]).dt.total_hours().to_list() == [hours]


def test_activities_map_counts_default_and_shift_ids_are_derived() -> None:
    csv = (
        "ansattnr;fra;til;aktivitet\n"
        "ag1;01.04.2026 08:00;01.04.2026 10:00;Telefon\n"
        "ag1;01.04.2026 10:00;01.04.2026 10:15;Pause\n"
        "ag1;01.04.2026 10:15;01.04.2026 16:00;telefon\n"
        "ag1;02.04.2026 08:00;02.04.2026 16:00;Ferie\n"
    ).encode("cp1252")
    plan = read_schedule(csv, key=KEY)
    assert plan.valid["activity"].to_list() == ["OPEN", "BREAK", "OPEN", "TIME_OFF"]
    assert plan.valid["counts_for_adherence"].to_list() == [True, True, True, False]
    assert plan.valid["shift_id"].n_unique() == 2
    assert plan.valid["start"][0] == datetime(2026, 4, 1, 6, tzinfo=UTC)


def test_unknown_activity_bad_flag_and_gap_time_are_quarantined() -> None:
    csv = (
        b"agent_id,start,end,activity,counts_for_adherence\n"
        b"a,2026-04-01T08:00,2026-04-01T09:00,Juggling,\n"
        b"a,2026-04-01T08:00,2026-04-01T09:00,OPEN,maybe\n"
        b"a,2026-03-29T02:30,2026-03-29T04:00,OPEN,true\n"
        b"a,2026-04-01T09:00,2026-04-01T08:00,OPEN,true\n"
        b"a,2026-04-01T09:00,2026-04-01T10:00,lunsj,false\n"
    )
    with pytest.warns(MostlyQuarantinedWarning):
        plan = read_schedule(csv, key=KEY, activity_names={"Kaffe": "BREAK"})
    assert plan.quarantine.select("row", "column", "reason").rows() == [
        (1, "activity", "unknown_activity"),
        (2, "counts_for_adherence", "invalid_value"),
        (3, "start", "nonexistent_local_time"),
        (4, "end", "invalid_interval"),
    ]
    assert plan.valid.select("activity", "counts_for_adherence").rows() == [("MEAL", False)]


def test_roster_reads_norwegian_values_and_quarantines_bad_ones() -> None:
    csv = (
        "ansattnr;navn;e-post;team;lokasjon;gyldig_fra;gyldig_til;ansettelsestype;"
        "arbeidssted;stillingsprosent;kompetanse\n"
        "ag1;Kari Nordmann;kari@example.org;Kundeservice 1;Harstad;01.01.2026;;fast;kontor;80 %;privat\n"
        "ag2;Ola Ås;ola@example.org;Kundeservice 1;Harstad;2026-01-01;2026-06-30;vikar;hjemme;0,5;\n"
        "ag3;X;x@example.org;Kundeservice 1;Harstad;2026-01-01;;consultant;kontor;100;\n"
        "ag4;Y;y@example.org;Kundeservice 1;Harstad;2026-02-01;2026-01-01;fast;kontor;100;\n"
        "ag5;Z;z@example.org;Kundeservice 1;Harstad;2026-01-01;;fast;kontor;140;\n"
    ).encode("cp1252")
    with pytest.warns(MostlyQuarantinedWarning):
        roster = read_roster(csv, key=KEY)
    validate(roster.valid, Roster)
    assert roster.valid.select("employment_type", "work_location", "contract_pct").rows() == [
        ("permanent", "office", 80.0),
        ("temporary", "home", 50.0),
    ]
    assert roster.quarantine.select("row", "column", "reason", "value").rows() == [
        (3, "employment_type", "invalid_value", "consultant"),
        (4, "valid_to", "invalid_value", "2026-01-01"),
        (5, "contract_pct", "invalid_value", "140"),
    ]
    text = str(roster.valid.to_dicts()) + roster.quarantine.write_csv()
    for raw in ("ag1", "Kari", "Ås", "example.org"):
        assert raw not in text


def test_pseudonyms_join_across_events_schedule_and_roster() -> None:
    log = read_iws(b"time,login,status\n2026-04-01 08:00,ag7,Ready\n", key=KEY)
    plan = read_schedule(
        b"login,start,end,activity\nag7,2026-04-01 08:00,2026-04-01 16:00,OPEN\n", key=KEY
    )
    roster = read_roster(b"login,team,site,valid_from\nag7,T,S,2026-01-01\n", key=KEY)
    ids = {
        log.valid["agent_id"].item(),
        plan.valid["agent_id"].item(),
        roster.valid["agent_id"].item(),
    }
    assert len(ids) == 1
    assert "ag7" not in ids
    other = read_iws(b"time,login,status\n2026-04-01 08:00,ag7,Ready\n", key=KEY + "!")
    assert other.valid["agent_id"].item() not in ids


def test_fall_back_ends_are_settled_by_the_agents_order() -> None:
    # 2026-10-25, Oslo: 02:00–02:59 local happens twice (CEST = UTC+2, then CET = UTC+1).
    # OPEN 01:30–02:40, BREAK 02:40–02:10, OPEN 02:10–06:00. The break goes from 02:40 to
    # 02:10: only "02:40 before the repeat, 02:10 after it" keeps the times in order, so
    # 01:30 CEST = 23:30Z, 02:40 CEST = 00:40Z, 02:10 CET = 01:10Z, 06:00 CET = 05:00Z.
    # Four fall-back times settled: 02:40 as an end and a start, 02:10 as an end and a start.
    csv = (
        b"agent_id,start,end,activity\n"
        b"ag9,2026-10-25T01:30,2026-10-25T02:40,OPEN\n"
        b"ag9,2026-10-25T02:40,2026-10-25T02:10,BREAK\n"
        b"ag9,2026-10-25T02:10,2026-10-25T06:00,OPEN\n"
    )
    plan = read_schedule(csv, key=KEY)
    z = lambda d, h, m: datetime(2026, 10, d, h, m, tzinfo=UTC)  # noqa: E731
    assert plan.valid.select("start", "end", "activity").rows() == [
        (z(24, 23, 30), z(25, 0, 40), "OPEN"),
        (z(25, 0, 40), z(25, 1, 10), "BREAK"),
        (z(25, 1, 10), z(25, 5, 0), "OPEN"),
    ]
    assert plan.report.repairs == {"ambiguous_time_resolved": 4}


def test_a_fall_back_end_no_order_settles_is_quarantined_not_read_as_the_earlier_instant() -> None:
    # 01:00–02:00 on 2026-10-25: 02:00 is 00:00Z or 01:00Z, both after the start (23:00Z),
    # and nothing follows: the activity lasts 1 h or 2 h. Quarantined, not guessed.
    csv = b"agent_id,start,end,activity\nag9,2026-10-25T01:00,2026-10-25T02:00,OPEN\n"
    with pytest.warns(MostlyQuarantinedWarning):
        plan = read_schedule(csv, key=KEY)
    assert plan.valid.height == 0
    assert plan.quarantine.select("row", "column", "reason", "value").rows() == [
        (1, "end", "ambiguous_local_time", "2026-10-25T02:00")
    ]


def test_an_end_in_the_spring_forward_gap_is_quarantined() -> None:
    # 2026-03-29, Oslo: 02:00–02:59 local does not exist. 00:00–02:30 is quarantined;
    # 00:00–03:00 is 23:00Z -> 01:00Z, 2 h.
    csv = (
        b"agent_id,start,end,activity\n"
        b"ag9,2026-03-29T00:00,2026-03-29T02:30,OPEN\n"
        b"ag8,2026-03-29T00:00,2026-03-29T03:00,OPEN\n"
    )
    plan = read_schedule(csv, key=KEY)
    assert plan.quarantine.select("row", "column", "reason", "value").rows() == [
        (1, "end", "nonexistent_local_time", "2026-03-29T02:30")
    ]
    assert plan.valid.select("start", "end").rows() == [
        (datetime(2026, 3, 28, 23, tzinfo=UTC), datetime(2026, 3, 29, 1, tzinfo=UTC))
    ]


def test_two_digit_years_in_schedules_and_rosters_are_quarantined() -> None:
    with pytest.warns(MostlyQuarantinedWarning):
        plan = read_schedule(
            b"agent_id,start,end,activity\n"
            b"ag1,09.03.26 08:00,09.03.2026 16:00,OPEN\n"
            b"ag2,09.03.2026 08:00,26-03-09T16:00:00,OPEN\n",
            key=KEY,
        )
    assert plan.quarantine.select("row", "column", "reason", "value").rows() == [
        (1, "start", "two_digit_year", "09.03.26 08:00"),
        (2, "end", "two_digit_year", "26-03-09T16:00:00"),
    ]
    # With the format named, 09.03.26 08:00–16:00 Oslo (CET) is 07:00Z–15:00Z.
    named = read_schedule(
        b"agent_id,start,end,activity\nag1,09.03.26 08:00,09.03.26 16:00,OPEN\n",
        key=KEY,
        timestamp_format="%d.%m.%y %H:%M",
    )
    assert named.valid.select("start", "end").rows() == [
        (datetime(2026, 3, 9, 7, tzinfo=UTC), datetime(2026, 3, 9, 15, tzinfo=UTC))
    ]
    with pytest.warns(MostlyQuarantinedWarning):
        roster = read_roster(b"agent_id,team,site,valid_from\nag1,T,S,01.01.26\n", key=KEY)
    assert roster.quarantine.select("row", "column", "reason", "value").rows() == [
        (1, "valid_from", "two_digit_year", "01.01.26")
    ]


def test_a_shift_id_built_from_a_login_id_is_pseudonymised() -> None:
    csv = (
        "agent_id,shift_id,start,end,activity\n"
        "ag2832,ag2832-20260309,2026-03-09T08:00:00,2026-03-09T12:00:00,Telefon\n"
        "ag2832,ag2832-20260309,2026-03-09T12:00:00,2026-03-09T13:00:00,Lunsj\n"
        "ag2832, ag2832-20260310 ,2026-03-10T08:00:00,2026-03-10T12:00:00,Telefon\n"
        f"ag2833,ag2833-{'9' * 1_000},2026-03-10T08:00:00,2026-03-10T12:00:00,Telefon\n"
    ).encode()

    plan = read_schedule(csv, key=KEY)
    other = read_schedule(csv, key="another key, sixteen bytes or more")

    shifts = plan.valid["shift_id"].to_list()
    assert shifts[0] == shifts[1] != shifts[2]
    assert all(len(s) == 12 and "ag28" not in s for s in shifts)
    assert set(shifts).isdisjoint(other.valid["shift_id"].to_list())
    assert plan.quarantine.select("row", "column", "reason", "value").rows() == [
        (4, "shift_id", "field_too_long", None)
    ]
