"""Incidents: scheduled time inside a site's or team's outage is neutral.

Five agents of team Alpha at site Oslo and one of team Beta at site Bergen work Monday
2026-03-09, 08:00-15:00 UTC (``OPEN``, ``MEAL`` 11:00-11:30, ``OPEN``; 420 minutes). The
telephony is down at Oslo 09:00-09:40 UTC (10:00-10:40 in Oslo). ``alpha-0`` is Away exactly
then, ``alpha-1`` from 08:50 to 09:40 and ``beta-0`` (Bergen) from 09:00 to 09:40; everyone
else is Ready all shift.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.privacy.org import AUDIT_KEY, MONDAY, Agent, tables, team

from adherence.errors import SchemaValidationError
from adherence.options import MetricOptions
from adherence.privacy import Employee, PrivacyPolicy, TeamLead, Workspace
from adherence.privacy._atoms import build_tables
from adherence.privacy._incidents import neutral_schedule
from adherence.schemas import UTC_MS

MIN = 60_000
LEAD = TeamLead("tl-1", teams=["Alpha"])


def _at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, 9, hour, minute, tzinfo=UTC)


def _incidents(**rows: list[object]) -> pl.DataFrame:
    base: dict[str, list[object]] = {
        "site": ["Oslo"], "team": [None], "start": [_at(9)], "end": [_at(9, 40)],
        "reason": ["telephony outage"],
    }  # fmt: skip
    return pl.DataFrame(
        base | rows,
        schema={"site": pl.String, "team": pl.String, "start": UTC_MS, "end": UTC_MS,
                "reason": pl.String},
    )  # fmt: skip


def _data() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    agents = [*team("Alpha", 5, days=[MONDAY]), Agent("beta-0", "Beta", site="Bergen",
                                                     days=[MONDAY])]  # fmt: skip
    intervals, schedule, roster = tables(agents)
    away = {"alpha-0": _at(9), "alpha-1": _at(8, 50), "beta-0": _at(9)}
    first = pl.col("start") == _at(7, 55)
    morning = intervals.filter(first & pl.col("agent_id").is_in(list(away)))
    ready = morning.with_columns(
        pl.col("agent_id").replace_strict(away, return_dtype=UTC_MS).alias("end")
    )
    gone = ready.with_columns(
        pl.col("end").alias("start"), pl.lit(_at(9, 40), dtype=UTC_MS).alias("end"),
        pl.lit("AWAY").cast(intervals.schema["state"]).alias("state"),
        pl.lit("Away").alias("status"),
    )  # fmt: skip
    back = morning.with_columns(pl.lit(_at(9, 40), dtype=UTC_MS).alias("start"))
    rest = intervals.filter(~(first & pl.col("agent_id").is_in(list(away))))
    return pl.concat([rest, ready, gone, back]).sort("agent_id", "start"), schedule, roster


#: Dominance (G5) counts the largest contributor alone and suppresses only a sum that is all
#: one agent's: Alpha's out-of-adherence time is two agents' (alpha-0 and alpha-1).
_ONE_AGENT = PrivacyPolicy(dominance_agents=1, dominance_share=1.0)


def _workspace(tmp_path: Path, incidents: pl.DataFrame | None) -> Workspace:
    intervals, schedule, roster = _data()
    ws = Workspace.open(tmp_path / "adherence.db", audit_key=AUDIT_KEY, policy=_ONE_AGENT)
    ws.add(intervals, schedule=schedule, roster=roster, incidents=incidents)
    return ws


def _own(ws: Workspace, agent: str) -> tuple[int, int, float]:
    (row,) = ws.self_view(Employee(agent)).to_dicts()
    return row["scheduled_ms"], row["out_of_adherence_ms"], row["adherence_pct"]


def test_time_inside_an_incident_is_neutral_for_the_site(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, _incidents())

    # 40 of 420 minutes leave the denominator: 380 scheduled at Oslo.
    assert _own(ws, "alpha-0") == (380 * MIN, 0, 100.0)
    # Away 08:50-09:40: only the 10 minutes before the outage are charged: 100 * (1 - 10/380).
    assert _own(ws, "alpha-1") == (380 * MIN, 10 * MIN, 97.4)
    # Bergen had no outage: 40 of 420 minutes charged, 100 * (1 - 40/420) = 90.48.
    assert _own(ws, "beta-0") == (420 * MIN, 40 * MIN, 90.5)
    table = ws.report("adherence_pct", by=["team"], viewer=LEAD)
    # 10 minutes out of 5 x 380 would be 100 * (1 - 10/1900) = 99.47, but those 10 minutes
    # are all alpha-1's: with the schedule public, the rate would give them back (G5).
    assert [(r["team"], r["status"]) for r in table.to_dicts()] == [("Alpha", "suppressed")]
    assert table.notes[-1] == (
        "incident applied: telephony outage, 2026-03-09 10:00 to 2026-03-09 10:40 (site Oslo); "
        "that time is neutral for everyone scheduled there"
    )


def test_without_the_incident_the_outage_is_charged(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, None)

    assert _own(ws, "alpha-0") == (420 * MIN, 40 * MIN, 90.5)
    table = ws.report("adherence_pct", by=["team"], viewer=LEAD)
    # 40 + 50 minutes out of 5 x 420: 100 * (1 - 90/2100) = 95.71.
    assert [r["adherence_pct"] for r in table.to_dicts()] == [95.7]
    assert not any(n.startswith("incident") for n in table.notes)


def test_a_team_incident_affects_only_that_team(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, _incidents(site=[None], team=["Beta"]))

    assert _own(ws, "alpha-0") == (420 * MIN, 40 * MIN, 90.5)
    assert _own(ws, "beta-0") == (380 * MIN, 0, 100.0)
    assert ws.incidents == (
        "incident applied: telephony outage, 2026-03-09 10:00 to 2026-03-09 10:40 (team Beta); "
        "that time is neutral for everyone scheduled there",
    )


def test_activities_are_cut_at_the_incident_edges() -> None:
    _, schedule, roster = _data()

    cut = neutral_schedule(
        schedule.filter(pl.col("agent_id") == "alpha-0"), _incidents(), roster, time_zone="UTC"
    )

    assert cut.select("start", "end", "activity", "counts_for_adherence").rows() == [
        (_at(8), _at(9), "OPEN", True),
        (_at(9), _at(9, 40), "OPEN", False),
        (_at(9, 40), _at(11), "OPEN", True),
        (_at(11), _at(11, 30), "MEAL", True),
        (_at(11, 30), _at(15), "OPEN", True),
    ]


@pytest.mark.parametrize(
    "changes",
    [
        {"site": ["Oslo"], "team": ["Alpha"]},  # both
        {"site": [None], "team": [None]},  # neither
        {"end": [_at(9)]},  # not after start
    ],
    ids=["both", "neither", "empty"],
)
def test_an_invalid_incident_is_a_schema_error(
    tmp_path: Path, changes: dict[str, list[object]]
) -> None:
    with pytest.raises(SchemaValidationError):
        _workspace(tmp_path, _incidents(**changes))


@settings(max_examples=25, deadline=None)
@given(
    start=st.integers(6 * 60, 17 * 60 - 1),
    length=st.integers(1, 4 * 60),
    unit=st.sampled_from([("site", "Oslo"), ("team", "Alpha")]),
)
def test_an_incident_takes_exactly_its_overlap_out_and_never_charges_more(
    start: int, length: int, unit: tuple[str, str]
) -> None:
    intervals, schedule, roster = _data()
    begin, end = _at(0) + timedelta(minutes=start), _at(0) + timedelta(minutes=start + length)
    where = {"site": [None], "team": [None], unit[0]: [unit[1]]}
    incident = _incidents(start=[begin], end=[end], **where)
    codes = {a: i for i, a in enumerate(sorted(roster["agent_id"]))}

    def days(incidents: pl.DataFrame | None) -> dict[str, dict[str, int]]:
        built = build_tables(intervals, schedule, roster, codes=codes, options=MetricOptions(),
                             sensitive_reasons=frozenset(), incidents=incidents)  # fmt: skip
        return {r["agent_id"]: r for r in built.days.iter_rows(named=True)}

    cut = neutral_schedule(schedule, incident, roster, time_zone="Europe/Oslo")
    with_, without = days(incident), days(None)

    # The cut schedule tiles the same time, in the same order.
    span = (pl.col("end") - pl.col("start")).sum()
    assert cut.select(span).item() == schedule.select(span).item()
    overlap = max(0, min(start + length, 15 * 60) - max(start, 8 * 60)) * MIN
    for agent, figures in with_.items():
        neutral = overlap if agent.startswith("alpha") else 0
        assert figures["scheduled_ms"] == without[agent]["scheduled_ms"] - neutral
        charged = "out_of_adherence_charged_ms"
        assert figures[charged] <= without[agent][charged]
