from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adherence.errors import ConfigurationError, TimeZoneError
from adherence.synth import (
    SyntheticData,
    generate,
    write_iws_csv,
    write_parquet,
    write_roster_csv,
    write_sample,
    write_schedule_csv,
)
from adherence.synth._cli import main

ZONE = "Europe/Oslo"
SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"
SAMPLE_FILES = ("status_log.csv", "status_log.parquet", "schedule.csv", "roster.csv")
KNOWN_STATUSES = {
    "Log On",
    "Ready",
    "Talking",
    "After Call Work",
    "Not Ready - Break",
    "Not Ready - Lunch",
    "Not Ready - Meeting",
    "Not Ready - Training",
    "Not Ready - Deferred Transaction",
    "Not Ready",
    "Not Ready - Manager Approved",
    "Ikke klar - Annet",
    "Log Off",
}


@pytest.fixture(scope="module")
def sample() -> SyntheticData:
    return generate()


@pytest.fixture(scope="module")
def spring_week() -> SyntheticData:
    return generate(start=dt.date(2026, 3, 23), weeks=1)


@pytest.fixture(scope="module")
def fall_week() -> SyntheticData:
    return generate(start=dt.date(2026, 10, 19), weeks=1)


def _clean_stream(events: pl.DataFrame) -> pl.DataFrame:
    """Exact duplicates removed, sorted per agent, with the next event's time and status."""
    return (
        events.unique(keep="first", maintain_order=True)
        .sort("agent_id", "ts_utc")
        .with_columns(
            next_ts=pl.col("ts_utc").shift(-1).over("agent_id"),
            prev_status=pl.col("status").shift(1).over("agent_id"),
            prev2_status=pl.col("status").shift(2).over("agent_id"),
            prev2_ts=pl.col("ts_utc").shift(2).over("agent_id"),
        )
        .with_columns(seconds=(pl.col("next_ts") - pl.col("ts_utc")).dt.total_seconds())
    )


def _utc(column: str) -> pl.Expr:
    return (
        pl.col(column)
        .dt.replace_time_zone(ZONE, ambiguous="earliest", non_existent="raise")
        .dt.convert_time_zone("UTC")
    )


def _shifts(schedule: pl.DataFrame) -> pl.DataFrame:
    """One row per shift: local start/end, UTC start/end, whether it is time off."""
    return (
        schedule.group_by("agent_id", "shift_id")
        .agg(
            pl.col("start").min(),
            pl.col("end").max(),
            (pl.col("activity") == "TIME_OFF").all().alias("time_off"),
        )
        .with_columns(start_utc=_utc("start"), end_utc=_utc("end"))
        .sort("agent_id", "start")
    )


def _ambiguous(ts_utc: pl.Expr) -> pl.Expr:
    local = ts_utc.dt.convert_time_zone(ZONE).dt.replace_time_zone(None)
    return local.dt.replace_time_zone(ZONE, ambiguous="null", non_existent="null").is_null()


def _created_by(path: Path) -> bytes | None:
    """The writer named in a Parquet footer, e.g. ``Polars (python) version 2.1.0 (build ...)``."""
    found = re.search(rb"Polars \(python\) version [ -~]*?\)", path.read_bytes())
    return None if found is None else found.group()


# Determinism ------------------------------------------------------------------------------


def test_same_seed_gives_identical_frames() -> None:
    first = generate(n_agents=20, weeks=2, seed=11)
    second = generate(n_agents=20, weeks=2, seed=11)

    assert first.roster.equals(second.roster)
    assert first.schedule.equals(second.schedule)
    assert first.events.equals(second.events)
    assert first.time_zone == second.time_zone == ZONE


@pytest.mark.parametrize("variant", ["iws", "no"])
def test_same_seed_gives_identical_bytes(tmp_path: Path, variant: str) -> None:
    args = {"n_agents": 15, "weeks": 1, "seed": 3, "variant": variant}
    first = write_sample(tmp_path / "a", **args)  # type: ignore[arg-type]
    second = write_sample(tmp_path / "b", **args)  # type: ignore[arg-type]

    assert [p.name for p in first] == list(SAMPLE_FILES)
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_different_seed_gives_different_data() -> None:
    first = generate(n_agents=20, weeks=1, seed=1)
    second = generate(n_agents=20, weeks=1, seed=2)

    assert not first.roster.equals(second.roster)
    assert not first.schedule.equals(second.schedule)
    assert not first.events.equals(second.events)


# Shape of the frames ----------------------------------------------------------------------


def test_frames_have_the_documented_columns(sample: SyntheticData) -> None:
    assert dict(sample.roster.schema) == (
        {
            "agent_id": pl.String,
            "agent_name": pl.String,
            "email": pl.String,
            "phone": pl.String,
            "team": pl.String,
            "site": pl.String,
            "valid_from": pl.Date,
            "valid_to": pl.Date,
            "employment_type": pl.String,
            "work_location": pl.String,
            "contract_pct": pl.Float64,
            "skill": pl.String,
        }
    )
    assert dict(sample.schedule.schema) == (
        {
            "agent_id": pl.String,
            "shift_id": pl.String,
            "start": pl.Datetime("ms"),
            "end": pl.Datetime("ms"),
            "activity": pl.String,
            "counts_for_adherence": pl.Boolean,
        }
    )
    assert dict(sample.events.schema) == (
        {
            "ts_utc": pl.Datetime("ms", "UTC"),
            "agent_id": pl.String,
            "agent_name": pl.String,
            "team": pl.String,
            "status": pl.String,
            "reason": pl.String,
        }
    )


def test_roster_values(sample: SyntheticData) -> None:
    roster = sample.roster

    assert roster["agent_id"].str.contains(r"^ag\d{4,}$").all()
    assert roster["agent_name"].str.contains("[æøåÆØÅ]").any()
    assert set(roster["site"]) == {"Harstad", "Oslo"}
    assert set(roster["employment_type"]) == {"permanent", "temporary"}
    assert set(roster["work_location"]) == {"office", "home", "hybrid"}
    assert set(roster["contract_pct"]) <= {100.0, 80.0, 60.0, 50.0}
    assert set(roster["skill"]) == {"privat", "bedrift", "faktura", "chat"}
    assert roster["email"].str.contains(r"^[a-z.\-]+\d*@kundesenter\.example$").all()
    assert roster["phone"].str.contains(r"^\+47 [49]\d{2} \d{2} \d{3}$").all()
    first_rows = roster.group_by("agent_id").agg(pl.col("valid_from").min())
    assert (first_rows["valid_from"] <= dt.date(2026, 3, 9)).all()
    assert first_rows.height == 60


def test_team_sizes_at_start_include_four_and_five(sample: SyntheticData) -> None:
    day = dt.date(2026, 3, 9)
    at_start = sample.roster.filter(
        (pl.col("valid_from") <= day) & (pl.col("valid_to").is_null() | (pl.col("valid_to") >= day))
    )

    sizes = dict(at_start.group_by("team").len().iter_rows())

    assert sizes == {
        "Natt Oslo": 4,
        "Bedrift Oslo": 5,
        "Privat Harstad": 13,
        "Faktura Harstad": 13,
        "Chat Oslo": 13,
        "Privat Oslo": 12,
    }


def test_larger_organisation_keeps_the_small_teams() -> None:
    data = generate(n_agents=200, weeks=1)
    sizes = data.roster.group_by("team").len()

    assert dict(sizes.filter(pl.col("len") <= 5).iter_rows()) == {"Natt Oslo": 4, "Bedrift Oslo": 5}
    assert sizes.filter(pl.col("len") > 5)["len"].is_between(10, 15).all()
    assert sizes["len"].sum() == 200


def test_some_agents_change_team_with_consecutive_validity(sample: SyntheticData) -> None:
    movers = sample.roster.filter(pl.len().over("agent_id") == 2).sort("agent_id", "valid_from")
    pairs = movers.group_by("agent_id", maintain_order=True).agg(
        pl.col("valid_to").first().alias("first_to"),
        pl.col("valid_from").last().alias("second_from"),
        pl.col("team").n_unique().alias("teams"),
    )

    assert pairs.height >= 1
    assert (pairs["second_from"] == pairs["first_to"] + dt.timedelta(days=1)).all()
    assert (pairs["teams"] == 2).all()


# Schedule ---------------------------------------------------------------------------------


def test_activities_tile_each_shift(sample: SyntheticData) -> None:
    schedule = sample.schedule.sort("agent_id", "start")
    gaps = schedule.with_columns(prev_end=pl.col("end").shift(1).over("shift_id")).filter(
        pl.col("prev_end").is_not_null() & (pl.col("prev_end") != pl.col("start"))
    )

    assert gaps.height == 0
    assert (schedule["start"] < schedule["end"]).all()
    assert schedule.select(pl.col("shift_id").n_unique()).item() == _shifts(schedule).height


def test_schedule_activities_and_start_hours(sample: SyntheticData) -> None:
    schedule = sample.schedule
    shifts = _shifts(schedule)

    assert set(schedule["activity"]) == {
        "OPEN",
        "BREAK",
        "MEAL",
        "MEETING",
        "TRAINING",
        "OFF_QUEUE_WORK",
        "TIME_OFF",
    }
    assert (schedule["counts_for_adherence"] == (schedule["activity"] != "TIME_OFF")).all()
    assert set(shifts["start"].dt.hour()) == {0, 7, 8, 9, 10, 12, 15}
    breaks = schedule.filter(activity="BREAK").select(pl.col("end") - pl.col("start"))
    meals = schedule.filter(activity="MEAL").select(pl.col("end") - pl.col("start"))
    assert set(breaks.to_series()) == {dt.timedelta(minutes=15)}
    assert set(meals.to_series()) == {dt.timedelta(minutes=30)}
    assert shifts["time_off"].any()


@pytest.mark.parametrize(
    ("fixture", "night", "hours"),
    [
        ("spring_week", dt.date(2026, 3, 28), 6.0),
        ("spring_week", dt.date(2026, 3, 29), 5.0),
        ("fall_week", dt.date(2026, 10, 25), 7.0),
        ("fall_week", dt.date(2026, 10, 24), 6.0),
    ],
)
def test_night_shift_lasts_its_real_length(
    request: pytest.FixtureRequest, fixture: str, night: dt.date, hours: float
) -> None:
    data: SyntheticData = request.getfixturevalue(fixture)
    shifts = _shifts(data.schedule).filter(
        (pl.col("start") == dt.datetime.combine(night, dt.time(0)))
        & (pl.col("end") == dt.datetime.combine(night, dt.time(6)))
    )

    real = shifts.select((pl.col("end_utc") - pl.col("start_utc")).dt.total_seconds() / 3600)

    assert shifts.filter(~pl.col("time_off")).height >= 2
    assert set(real.to_series()) == {hours}


@pytest.mark.parametrize("fixture", ["spring_week", "fall_week"])
def test_no_schedule_boundary_in_a_dst_gap_or_fold(
    request: pytest.FixtureRequest, fixture: str
) -> None:
    schedule: pl.DataFrame = request.getfixturevalue(fixture).schedule

    localised = schedule.select(
        pl.col("start", "end").dt.replace_time_zone(ZONE, ambiguous="null", non_existent="null")
    )

    assert localised.null_count().sum_horizontal().item() == 0


# Events -----------------------------------------------------------------------------------


def test_statuses_and_reasons_are_the_documented_ones(sample: SyntheticData) -> None:
    events = sample.events

    assert set(events["status"]) == KNOWN_STATUSES
    reasons = events.filter(pl.col("reason").is_not_null())
    assert set(reasons["status"]) == {"Not Ready - Manager Approved"}
    assert set(reasons["reason"]) == {"Tillitsvalgt", "Helse"}
    assert (events["ts_utc"].dt.millisecond() == 0).all()


def test_events_per_shift_are_in_the_planned_range(sample: SyntheticData) -> None:
    worked = _shifts(sample.schedule).filter(~pl.col("time_off")).height

    assert 60 <= sample.events.height / worked <= 90


def test_no_agent_has_two_statuses_at_one_instant(sample: SyntheticData) -> None:
    conflicts = (
        sample.events.group_by("agent_id", "ts_utc")
        .agg(pl.col("status").n_unique())
        .filter(pl.col("status") > 1)
    )

    assert conflicts.height == 0


def test_events_contain_exact_duplicates(sample: SyntheticData) -> None:
    events = sample.events
    duplicates = events.height - events.unique().height

    assert 0.002 <= duplicates / events.height <= 0.01


def test_events_contain_out_of_order_rows(sample: SyntheticData) -> None:
    behind = sample.events.with_columns(
        latest=pl.col("ts_utc").cum_max().shift(1).over("agent_id")
    ).filter(pl.col("ts_utc") < pl.col("latest"))

    assert 0.001 <= behind.height / sample.events.height <= 0.02


def test_events_lie_within_their_shifts_give_or_take_overtime(sample: SyntheticData) -> None:
    shifts = _shifts(sample.schedule).filter(~pl.col("time_off"))
    events = sample.events.sort("ts_utc")

    nearest = events.join_asof(
        shifts.sort("start_utc").select("agent_id", "start_utc", "end_utc"),
        left_on="ts_utc",
        right_on="start_utc",
        by="agent_id",
        strategy="nearest",
        check_sortedness=False,  # both sides sorted by time above
    )

    early = nearest.filter(pl.col("ts_utc") < pl.col("start_utc") - dt.timedelta(minutes=30))
    late = nearest.filter(pl.col("ts_utc") > pl.col("end_utc") + dt.timedelta(minutes=90))
    assert early.height == 0
    assert late.height == 0


def _login_phases(sample: SyntheticData) -> pl.DataFrame:
    """Per worked shift: the agent, the local start hour and date, and Log On to Ready [s]."""
    return (
        _clean_stream(sample.events)
        .filter(pl.col("prev2_status") == "Log On", pl.col("prev_status") == "Not Ready")
        .filter(status="Ready")
        .with_columns(
            login_s=(pl.col("ts_utc") - pl.col("prev2_ts")).dt.total_seconds(),
            local=pl.col("prev2_ts").dt.convert_time_zone(ZONE),
        )
        .select("agent_id", "login_s", pl.col("local").dt.date().alias("date"), "local")
    )


def test_each_shift_logs_on_then_not_ready_then_ready(sample: SyntheticData) -> None:
    stream = _clean_stream(sample.events)
    log_on = stream.filter(status="Log On")
    not_ready = stream.filter(pl.col("prev_status") == "Log On")
    worked = _shifts(sample.schedule).filter(~pl.col("time_off")).height

    assert log_on.height == worked
    assert set(not_ready["status"]) == {"Not Ready"}
    assert (not_ready["seconds"] >= 5).all()  # login takes 20 s or more, Not Ready 3-15 s in
    assert _login_phases(sample).height == worked
    assert (log_on["seconds"].is_between(3, 15)).all()


def test_login_takes_minutes_for_some_agents_and_seconds_for_most(
    sample: SyntheticData,
) -> None:
    per_agent = _login_phases(sample).group_by("agent_id").agg(pl.col("login_s").median())

    slow = per_agent.filter(pl.col("login_s").is_between(60, 360))
    fast = per_agent.filter(pl.col("login_s") < 60)

    assert slow.height >= 8
    assert fast.height >= 30
    assert _login_phases(sample)["login_s"].min() >= 20


def test_some_mornings_logins_are_slow_for_everyone(sample: SyntheticData) -> None:
    mornings = (
        _login_phases(sample)
        .filter(pl.col("local").dt.hour().is_between(6, 10))
        .group_by("date")
        .agg(pl.col("login_s").median(), pl.len().alias("shifts"))
    )

    slow = mornings.filter(pl.col("login_s") > 180, pl.col("shifts") >= 10)
    assert 1 <= slow.height <= 6
    assert mornings["login_s"].median() < 90  # an ordinary morning  # type: ignore[operator]


def test_events_contain_a_missing_log_off(sample: SyntheticData) -> None:
    stream = _clean_stream(sample.events)
    log_on_without_log_off = stream.filter(
        (pl.col("status") == "Log On")
        & pl.col("prev_status").is_not_null()
        & (pl.col("prev_status") != "Log Off")
    )

    assert log_on_without_log_off.height > 0


def test_events_contain_the_unknown_status(sample: SyntheticData) -> None:
    assert sample.events.filter(status="Ikke klar - Annet").height > 0


def test_events_contain_a_lunch_over_thirty_minutes(sample: SyntheticData) -> None:
    lunches = _clean_stream(sample.events).filter(status="Not Ready - Lunch")

    over = lunches.filter(pl.col("seconds") > 30 * 60)
    a_little_over = over.filter(pl.col("seconds") <= 32 * 60)

    assert over.height > 0
    assert over.height / lunches.height < 0.35  # most end within the limit
    assert a_little_over.height / over.height > 0.5  # most overruns are small


def test_events_contain_a_break_started_late_because_of_a_call(sample: SyntheticData) -> None:
    planned = (
        sample.schedule.filter(activity="BREAK")
        .with_columns(planned_utc=_utc("start"))
        .select("agent_id", "planned_utc")
        .sort("planned_utc")
    )
    breaks = (
        _clean_stream(sample.events)
        .filter(
            (pl.col("status") == "Not Ready - Break")
            & (pl.col("prev_status") == "After Call Work")
            & (pl.col("prev2_status") == "Talking")
        )
        .sort("ts_utc")
        .join_asof(
            planned,
            left_on="ts_utc",
            right_on="planned_utc",
            by="agent_id",
            strategy="backward",
            check_sortedness=False,  # both sides sorted by time above
        )
    )

    late_by_call = breaks.filter(
        (pl.col("ts_utc") - pl.col("planned_utc") >= dt.timedelta(minutes=1))
        & (pl.col("prev2_ts") < pl.col("planned_utc"))
    )

    assert late_by_call.height > 0


def test_manager_approved_and_away_occur(sample: SyntheticData) -> None:
    statuses = sample.events["status"].value_counts()

    counts = dict(statuses.iter_rows())

    assert counts["Not Ready - Manager Approved"] > 0
    assert counts["Not Ready"] > counts["Not Ready - Manager Approved"]


def test_fall_back_hour_has_no_moved_or_duplicated_rows(fall_week: SyntheticData) -> None:
    events = fall_week.events.with_row_index("row")
    folded = events.filter(_ambiguous(pl.col("ts_utc")))

    assert folded.height > 0
    assert folded.height == folded.unique(["agent_id", "ts_utc", "status"]).height
    for (agent,), group in folded.group_by("agent_id"):
        rows = group.sort("row")
        assert rows["ts_utc"].is_sorted()
        window = events.filter(
            pl.col("row").is_between(rows["row"].min(), rows["row"].max())
            & (pl.col("agent_id") == agent)
        )
        assert window["ts_utc"].is_sorted()


@settings(max_examples=10, deadline=None)
@given(
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    n_agents=st.integers(min_value=10, max_value=40),
    start=st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2030, 12, 31)),
)
def test_invariants_hold_for_any_seed(seed: int, n_agents: int, start: dt.date) -> None:
    data = generate(n_agents=n_agents, weeks=1, seed=seed, start=start)

    conflicts = data.events.group_by("agent_id", "ts_utc").agg(pl.col("status").n_unique())
    assert (conflicts["status"] == 1).all()
    assert set(data.events["status"]) <= KNOWN_STATUSES
    assert data.roster["agent_id"].n_unique() == n_agents
    sizes = dict(
        data.roster.filter(pl.col("valid_from") <= start).group_by("team").len().iter_rows()
    )
    assert sizes["Natt Oslo"] == 4
    assert sizes["Bedrift Oslo"] == 5
    tiled = data.schedule.sort("agent_id", "start").with_columns(
        prev_end=pl.col("end").shift(1).over("shift_id")
    )
    assert tiled.filter(pl.col("prev_end") != pl.col("start")).height == 0
    assert set(data.events["agent_id"]) <= set(data.roster["agent_id"])


# Writers ----------------------------------------------------------------------------------


def test_iws_variant_format(tmp_path: Path) -> None:
    data = generate(n_agents=12, weeks=1, seed=5)

    raw = write_iws_csv(data, tmp_path / "log.csv").read_bytes()

    lines = raw.decode("utf-8").split("\n")
    assert not raw.startswith(b"\xef\xbb\xbf")
    assert b"\r" not in raw
    assert lines[0] == "timestamp,agent_id,agent_name,team,status,reason"
    assert lines[-1] == ""
    assert len(lines) == data.events.height + 2
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d,ag\d+,[^,]+,[^,]+,[^,]+,.*", lines[1])
    back = pl.read_csv(raw, schema_overrides={"reason": pl.String})
    assert back["status"].to_list() == data.events["status"].to_list()
    assert back["reason"].to_list() == data.events["reason"].to_list()
    expected = data.events.select(
        pl.col("ts_utc").dt.convert_time_zone(ZONE).dt.strftime("%Y-%m-%dT%H:%M:%S")
    ).to_series()
    assert back["timestamp"].to_list() == expected.to_list()


def test_no_variant_bytes(tmp_path: Path) -> None:
    data = generate(n_agents=12, weeks=1, seed=5)

    raw = write_iws_csv(data, tmp_path / "log.csv", variant="no").read_bytes()

    text = raw.decode("cp1252")
    lines = text.split("\r\n")
    assert b";" in raw
    assert b"\r\n" in raw
    assert b"\x96" in raw  # en dash in Windows-1252
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert lines[0] == "tidspunkt;ansattnr;navn;team;tilstand;årsak;"
    assert lines[-1] == ""
    assert len(lines) == data.events.height + 2
    assert all(line.endswith(";") for line in lines[:-1])
    assert all(line.count('"') == 2 for line in lines[1:-1])
    assert re.fullmatch(
        r'\d\d\.\d\d\.\d{4} \d\d:\d\d:\d\d;ag\d+;"[^"]+";[^;]+;[^;]+;[^;]*;', lines[1]
    )
    assert "Not Ready \u2013 Break" in text
    assert "Not Ready - " not in text


@pytest.mark.parametrize(
    ("variant", "encoding", "prefix"),
    [
        ("iws", "utf-8-sig", b"\xef\xbb\xbftimestamp,"),
        ("iws", "cp1252", b"timestamp,"),
        ("no", "utf-8", "tidspunkt;ansattnr;navn;team;tilstand;årsak;".encode()),
    ],
)
def test_encodings(tmp_path: Path, variant: str, encoding: str, prefix: bytes) -> None:
    data = generate(n_agents=12, weeks=1, seed=5)

    raw = write_iws_csv(data, tmp_path / "log.csv", variant=variant, encoding=encoding)  # type: ignore[arg-type]

    assert raw.read_bytes().startswith(prefix)
    assert "ø" in raw.read_bytes().decode("cp1252" if encoding == "cp1252" else "utf-8-sig")


def test_parquet_columns(tmp_path: Path) -> None:
    data = generate(n_agents=12, weeks=1, seed=5)

    back = pl.read_parquet(write_parquet(data, tmp_path))

    assert dict(back.schema) == (
        {
            "timestamp": pl.Datetime("ms", "UTC"),
            "agent_id": pl.String,
            "agent_name": pl.String,
            "team": pl.String,
            "status": pl.String,
            "reason": pl.String,
        }
    )
    assert back.equals(data.events.rename({"ts_utc": "timestamp"}))


def test_schedule_and_roster_csv(tmp_path: Path, sample: SyntheticData) -> None:
    data = sample

    schedule = write_schedule_csv(data, tmp_path).read_text(encoding="utf-8").split("\n")
    roster = write_roster_csv(data, tmp_path).read_text(encoding="utf-8").split("\n")

    assert schedule[0] == "agent_id,shift_id,start,end,activity,counts_for_adherence"
    assert re.fullmatch(
        r"ag\d+,ag\d+-\d{8},\d{4}-\d\d-\d\dT\d\d:\d\d:00,\d{4}-\d\d-\d\dT\d\d:\d\d:00,[A-Z_]+,(true|false)",
        schedule[1],
    )
    assert {line.rsplit(",", 1)[-1] for line in schedule[1:-1]} == {"true", "false"}
    assert roster[0] == (
        "agent_id,agent_name,email,phone,team,site,valid_from,valid_to,"
        "employment_type,work_location,contract_pct,skill"
    )
    assert len(roster) == data.roster.height + 2


def test_write_sample_rejects_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="formats"):
        write_sample(tmp_path, n_agents=12, weeks=1, formats=("xlsx",))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"n_agents": 9}, ConfigurationError),
        ({"weeks": 0}, ConfigurationError),
        ({"seed": -1}, ConfigurationError),
        ({"start": dt.datetime(2026, 3, 9, 8)}, ConfigurationError),
        ({"time_zone": "Europe/Narnia"}, TimeZoneError),
    ],
)
def test_generate_rejects_bad_arguments(kwargs: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error):
        generate(**kwargs)  # type: ignore[arg-type]


def test_cli_writes_files_and_prints_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["--out", str(tmp_path), "--agents", "12", "--weeks", "1", "--variant", "no"])

    printed = capsys.readouterr().out.splitlines()
    events = generate(n_agents=12, weeks=1).events.height
    assert status == 0
    assert printed == [str(tmp_path / name) for name in SAMPLE_FILES] + [f"{events} events"]
    assert (tmp_path / "status_log.csv").read_bytes().startswith(b"tidspunkt;")


def test_cli_rejects_bad_formats(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--out", str(tmp_path), "--formats", "xlsx"])

    assert exit_info.value.code == 2
    assert "formats" in capsys.readouterr().err


@pytest.mark.slow
def test_bundled_sample_is_what_write_sample_writes(tmp_path: Path) -> None:
    written = write_sample(tmp_path)

    assert [p.name for p in written] == list(SAMPLE_FILES)
    for path in written:
        bundled = SAMPLES / path.name
        if path.suffix == ".csv":
            assert bundled.read_bytes() == path.read_bytes(), path.name
            continue
        # Parquet metadata names the polars version that wrote it: bytes are only comparable
        # under that version; the content must match under any version.
        assert pl.read_parquet(bundled).equals(pl.read_parquet(path))
        same_writer = _created_by(bundled) == _created_by(path)
        if same_writer:
            assert bundled.read_bytes() == path.read_bytes()
