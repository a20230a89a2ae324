"""Value-dependent rules of order statistics, on hand-built episodes."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from adherence.privacy._atoms import AGENT_CODE
from adherence.privacy._plans import few_contributors, grouped
from adherence.privacy.query import Query

DAY = date(2026, 3, 9)


def _cell(episodes_per_agent: list[int]) -> list[bool]:
    agents = [f"a{i}" for i in range(len(episodes_per_agent))]
    rows = pl.DataFrame(
        {
            "agent_id": agents,
            "local_date": [DAY] * len(agents),
            AGENT_CODE: list(range(len(agents))),
            "_day": [0] * len(agents),
            "team": ["Alpha"] * len(agents),
        }
    )
    episodes = pl.DataFrame(
        {
            "agent_id": [
                a for a, n in zip(agents, episodes_per_agent, strict=True) for _ in range(n)
            ],
            "local_date": [DAY] * sum(episodes_per_agent),
            AGENT_CODE: [i for i, n in enumerate(episodes_per_agent) for _ in range(n)],
            "state": ["MEAL"] * sum(episodes_per_agent),
            "duration_ms": [1_800_000] * sum(episodes_per_agent),
            "team": ["Alpha"] * sum(episodes_per_agent),
        }
    )
    query = Query.parse("meal_episode_median_ms", by=["team"])
    frame = grouped(rows, query.by, margins=False, sums=[])
    return few_contributors(episodes, rows, frame, query, 10, agents=2, share=0.9)


@pytest.mark.parametrize(
    ("episodes", "hidden"),
    [
        ([1] * 12, False),  # twelve agents with a meal each: released
        ([1] * 9 + [0] * 3, True),  # only nine contribute a value
        ([1] * 10 + [60, 60], True),  # ten contribute, but two hold 120 of 130 episodes
        ([0] * 11 + [5], True),  # one agent's episodes only: her own median
    ],
)
def test_an_order_statistic_needs_ten_contributors_none_dominating(
    episodes: list[int], hidden: bool
) -> None:
    assert _cell(episodes) == [hidden]
