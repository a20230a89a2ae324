from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest

from adherence._timeparse import parse_instants, resolve_ambiguous


def settle(rows: list[tuple[str, str]]) -> list[tuple[str, datetime | None]]:
    frame = pl.LazyFrame(
        {"row": range(1, len(rows) + 1), "agent": [a for a, _ in rows], "ts": [t for _, t in rows]}
    )
    parsed = parse_instants(frame, "ts", time_zone="Europe/Oslo", dtype=pl.String(), prefix="t")
    out = resolve_ambiguous(parsed, agent="agent", order="row", prefix="t", usable=pl.lit(True))
    return out.sort("row").select("t_kind", "t").collect().rows()


def utc(hh: int, mm: int, day: int = 25) -> datetime:
    return datetime(2026, 10, day, hh, mm, tzinfo=UTC)


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        # One ambiguous time between exact neighbours: both readings fit -> unsettled.
        (["01:55", "02:10", "03:05"], [utc(23, 55, 24), None, utc(2, 5)]),
        # A descent inside the run: before it CEST (UTC+2), after it CET (UTC+1).
        (
            ["01:55", "02:10", "02:40", "02:20", "03:05"],
            [utc(23, 55, 24), utc(0, 10), utc(0, 40), utc(1, 20), utc(2, 5)],
        ),
        # No exact neighbours, but only one order works.
        (["02:50", "02:05"], [utc(0, 50), utc(1, 5)]),
        (["02:50", "02:55", "02:05", "02:10"], [utc(0, 50), utc(0, 55), utc(1, 5), utc(1, 10)]),
        # An exact neighbour in CET after the repeat forces the later reading.
        (["02:10", "02:20"], [None, None]),
    ],
)
def test_ambiguous_times_follow_the_agents_order(local: list[str], expected: list) -> None:
    got = settle([("a", f"2026-10-25 {t}:00") for t in local])
    assert [t for _, t in got] == expected


def test_kinds_of_times() -> None:
    got = settle(
        [
            ("a", "2026-03-29 02:30:00"),
            ("a", "garbage"),
            ("a", "2026-10-25T02:30:00+01:00"),
            ("a", "29.03.2026 03:00"),
        ]
    )
    assert [k for k, _ in got] == ["nonexistent", "unparseable", "exact", "exact"]
    assert got[2][1] == utc(1, 30)
    assert got[3][1] == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
