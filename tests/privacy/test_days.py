"""Day attribution through the workspace: a night shift with and without split_at_midnight.

Five agents work one night shift, Sunday 2026-03-15 22:00 to Monday 06:00 in Oslo (UTC+1:
21:00-05:00 UTC), all of it ``OPEN``. They are Ready from 21:55 UTC until 05:00 UTC, except
``night-0``, ``night-1`` and ``night-2``, each Away 00:30-00:54 local (23:30-23:54 UTC,
after midnight): 24 minutes out of adherence each (three, so that no two of them dominate the
team's out-of-adherence time, G5). Oslo's midnight is 23:00 UTC, so the shift has 2 h on Sunday (ISO week 11) and
6 h on Monday (week 12).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Literal

import polars as pl
import pytest
from tests.privacy.org import AUDIT_KEY

from adherence.intervals import from_events
from adherence.options import MetricOptions
from adherence.privacy import Employee, Steward, Workspace
from adherence.privacy._atoms import ATOMS, agent_ids, build_tables
from adherence.rules import AdherenceTarget
from adherence.schemas import UTC_MS
from adherence.states import ACTIVITY_DTYPE, STATE_DTYPE
from adherence.synth import load_sample

MIN = 60_000
AGENTS = [f"night-{i}" for i in range(5)]


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def night_tables() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(intervals, schedule, roster) of the five agents' night shift."""
    plan = [
        {"agent_id": a, "shift_id": f"{a}@night", "start": _at(15, 21), "end": _at(16, 5),
         "activity": "OPEN", "counts_for_adherence": True}
        for a in AGENTS
    ]  # fmt: skip
    states = []
    for a in AGENTS:
        runs = [(_at(15, 20, 55), _at(16, 5), "READY")]
        if a in ("night-0", "night-1", "night-2"):
            runs = [
                (_at(15, 20, 55), _at(15, 23, 30), "READY"),
                (_at(15, 23, 30), _at(15, 23, 54), "AWAY"),
                (_at(15, 23, 54), _at(16, 5), "READY"),
            ]
        runs.append((_at(16, 5), _at(16, 5, 5), "OFFLINE"))
        states += [
            {"agent_id": a, "start": s, "end": e, "state": st, "status": st.title(),
             "reason": None, "open": False, "inferred": False}
            for s, e, st in runs
        ]  # fmt: skip
    intervals = pl.DataFrame(
        states,
        schema_overrides={
            "start": UTC_MS,
            "end": UTC_MS,
            "state": STATE_DTYPE,
            "reason": pl.String,
        },
    )
    schedule = pl.DataFrame(
        plan, schema_overrides={"start": UTC_MS, "end": UTC_MS, "activity": ACTIVITY_DTYPE}
    )
    roster = pl.DataFrame(
        [
            {"agent_id": a, "team": "Night", "site": "Oslo", "valid_from": date(2026, 1, 1),
             "valid_to": None, "employment_type": "permanent", "work_location": "office",
             "contract_pct": 100.0, "skill": "sales"}
            for a in AGENTS
        ],
        schema_overrides={"valid_to": pl.Date, "contract_pct": pl.Float64},
    )  # fmt: skip
    return intervals, schedule, roster


def _workspace(tmp_path: Path, *, split: bool) -> Workspace:
    ws = Workspace.open(
        tmp_path / "adherence.db",
        audit_key=AUDIT_KEY,
        options=MetricOptions(split_at_midnight=split, time_zone="Europe/Oslo"),
    )
    intervals, schedule, roster = night_tables()
    ws.add(intervals, schedule=schedule, roster=roster)
    return ws


def _cells(ws: Workspace, by: str) -> list[tuple[str, float]]:
    table = ws.report("adherence_pct", by=[by], viewer=Steward("s"))
    return [(r[by], r["adherence_pct"]) for r in table.to_dicts()]


def test_without_splitting_a_night_shift_belongs_to_the_day_it_starts(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, split=False)

    # 3 x 24 min out of 5 x 480 scheduled min: 100 * (1 - 72/2400) = 97.0.
    assert _cells(ws, "day") == [("2026-03-15", 97.0)]
    assert _cells(ws, "iso_week") == [("2026-W11", 97.0)]


def test_split_at_midnight_attributes_each_part_to_its_local_day(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, split=True)

    # Sunday: 5 x 120 min, nothing out. Monday: 3 x 24 min out of 5 x 360 min:
    # 100 * (1 - 72/1800) = 96.0.
    assert _cells(ws, "day") == [("2026-03-15", 100.0), ("2026-03-16", 96.0)]
    assert _cells(ws, "iso_week") == [("2026-W11", 100.0), ("2026-W12", 96.0)]
    assert _cells(ws, "month") == [("2026-03", 97.0)]


@pytest.mark.parametrize(
    ("split", "per", "expected"),
    [
        # One row on Sunday: 100 * (1 - 24/480) = 95.0.
        (False, "day", [("2026-03-15", 95.0, 24 * MIN, 480 * MIN)]),
        (False, "shift", [("2026-03-15", 95.0, 24 * MIN, 480 * MIN)]),
        # Sunday's 2 h all in adherence; Monday 100 * (1 - 24/360) = 93.33... -> 93.3.
        (
            True,
            "day",
            [("2026-03-15", 100.0, 0, 120 * MIN), ("2026-03-16", 93.3, 24 * MIN, 360 * MIN)],
        ),
        # Per shift the two days add up again, on the day the shift starts.
        (True, "shift", [("2026-03-15", 95.0, 24 * MIN, 480 * MIN)]),
    ],
)
def test_the_self_view_follows_the_day_attribution(
    tmp_path: Path, split: bool, per: Literal["shift", "day"], expected: list[tuple[object, ...]]
) -> None:
    ws = _workspace(tmp_path, split=split)

    rows = ws.self_view("night-0", viewer=Employee("night-0"), per=per).to_dicts()

    found = [
        (r["day"], r["adherence_pct"], r["out_of_adherence_ms"], r["scheduled_ms"]) for r in rows
    ]
    assert found == expected


@pytest.mark.parametrize(("split", "day"), [(False, "2026-03-15"), (True, "2026-03-16")])
def test_an_exception_after_midnight_is_on_the_day_the_option_says(
    tmp_path: Path, split: bool, day: str
) -> None:
    ws = _workspace(tmp_path, split=split)

    rows = ws.self_exceptions("night-0", viewer=Employee("night-0")).to_dicts()

    assert [(r["day"], r["start"], r["end"], r["raw_ms"]) for r in rows] == [
        (day, "2026-03-16 00:30:00", "2026-03-16 00:54:00", 24 * MIN)
    ]


def test_splitting_moves_time_between_days_but_keeps_every_total() -> None:
    # The sample's shifts and the night shift above: per-day time atoms move between days,
    # never appear or vanish; only the exception count and the charged time may differ (runs
    # are cut at midnight).
    sample = load_sample(key="a key for the day-attribution test", n_agents=30, weeks=1)
    night = night_tables()
    observed = from_events(sample.log.valid, schedule=sample.schedule.valid).intervals
    intervals, schedule, roster = (
        pl.concat([mine, theirs.select(mine.columns).cast(mine.schema)])
        for mine, theirs in zip(
            night, (observed, sample.schedule.valid, sample.roster.valid), strict=True
        )
    )
    codes = {a: i for i, a in enumerate(agent_ids(intervals, schedule, roster))}
    kept = [c for c in ATOMS if c not in ("exception_count", "out_of_adherence_charged_ms")]
    totals, rows = [], []
    for split in (False, True):
        days = build_tables(
            intervals,
            schedule,
            roster,
            codes=codes,
            options=MetricOptions(split_at_midnight=split),
            sensitive_reasons=frozenset(),
        ).days
        totals.append(days.select(pl.col(kept).sum()).row(0, named=True))
        rows.append(days.height)

    assert totals[0] == totals[1]
    assert totals[0]["scheduled_ms"] > 0
    assert rows[1] == rows[0] + len(AGENTS)  # each night shift covers a second day


@pytest.mark.parametrize("split", [False, True])
def test_a_shift_rule_judges_the_whole_night_shift(tmp_path: Path, split: bool) -> None:
    ws = _workspace(tmp_path, split=split)

    audit = ws.audit_tolerance(AdherenceTarget(95), viewer=Steward("s"), permutations=99)

    # Five shifts, one unit each; night-0's shift is 100 * (1 - 24/480) = 95.0: no breach
    # (its Monday part alone, 93.3, would be one).
    (group,) = audit.groups.to_dicts()
    assert (group["units"], group["breaches"]) == (5, 0)
