"""The sweep's sort key: 64 bits where agent and time fit, 128 bits where they do not."""

from __future__ import annotations

import polars as pl
import pytest

from adherence._engine.sweep import sort_key


def _points(times: list[int], agents: list[int]) -> pl.DataFrame:
    return pl.DataFrame(
        {"agent_id": agents, "_t": times}, schema={"agent_id": pl.UInt32, "_t": pl.Int64}
    )


@pytest.mark.parametrize(
    ("times", "n_agents", "dtype"),
    [
        ([1_773_000_000_000, 1_789_000_000_000, 1_780_000_000_000], 3, pl.Int64),
        # 2^62 ms apart: three agents' spans no longer fit in 63 bits.
        ([-(1 << 61), 1 << 61, 0], 3, pl.Int128),
    ],
)
def test_the_key_orders_by_agent_then_time(
    times: list[int], n_agents: int, dtype: pl.DataType
) -> None:
    points = _points(times, [2, 0, 1])
    low, key = sort_key(points, n_agents)
    assert low == min(times)
    keyed = points.with_columns(key)
    assert keyed.schema["_key"] == dtype
    assert keyed.sort("_key").select("agent_id", "_t").equals(points.sort("agent_id", "_t"))
