from __future__ import annotations

from datetime import timedelta

import pytest

from adherence.rules import LoginGrace, PauseBudget, PauseLimit


@pytest.mark.parametrize(
    ("limit", "expected_ms"),
    [
        # 1.001 s is 1000.9999999999999 ms in binary floating point: a float conversion that
        # truncates reads it as 1,000 ms.
        (timedelta(seconds=1, milliseconds=1), 1_001),
        (timedelta(minutes=30, milliseconds=1), 1_800_001),
        (timedelta(minutes=2, seconds=3, milliseconds=7), 123_007),
        (timedelta(hours=1), 3_600_000),
    ],
)
def test_limits_convert_to_whole_milliseconds_exactly(limit: timedelta, expected_ms: int) -> None:
    assert PauseLimit("MEAL", limit).limit == expected_ms
    assert PauseBudget("BREAK", limit).limit == expected_ms
    assert LoginGrace(limit).limit == expected_ms
