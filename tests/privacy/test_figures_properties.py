"""A property: random teams, random sequences of half-hour, kind, activity and total reports.

Whatever is released, the exact oracle over the finest unknowns (kind × activity × half hour
per agent-day, only where the schedule allows them) finds no set of fewer than k agents
isolated, and every released value is the true one.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.privacy.test_figures_attacks import (
    DAY,
    KINDS,
    PLACES,
    STEWARD,
    Agent,
    Org,
    Vec,
    _cells,
    _mount,
    _safe,
)

pytestmark = pytest.mark.slow

agents = st.builds(
    Agent,
    id=st.just(""),
    team=st.sampled_from(["Alpha", "Beta"]),
    work_location=st.sampled_from(["office", "office", "home"]),
    start=st.sampled_from([7, 8, 8, 9]),
    late=st.sampled_from([0, 0, 4, 12]),
    meal=st.sampled_from([20, 30, 30, 45]),
    away=st.sampled_from([0, 6, 15]),
)
#: (metric, by, office only)
queries = st.tuples(
    st.sampled_from(["out_of_adherence_ms", *KINDS, *PLACES]),
    st.sampled_from([["team"], ["team", "half_hour"], ["half_hour"]]),
    st.booleans(),
)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.lists(agents, min_size=6, max_size=10), st.lists(queries, min_size=2, max_size=5))
def test_no_small_set_is_isolated(
    people: list[Agent], asked: list[tuple[str, list[str], bool]]
) -> None:
    org = Org([Agent(**{**a.__dict__, "id": f"p{i}"}) for i, a in enumerate(people)])
    ws = org.workspace(Path(tempfile.mkdtemp()))
    released: list[Vec] = []
    for metric, by, office in asked:
        if "half_hour" in by and metric != "out_of_adherence_ms":
            continue  # only charged time and adherence are kept per half hour
        where = {"work_location": "office"} if office else None
        tables = _mount(
            lambda m=metric, b=by, w=where: ws.report(
                m, by=b, period=(DAY, DAY), where=w, viewer=STEWARD
            )
        )
        if tables is not None:
            released += _cells(org, tables[0], metric, office=office)
    _safe(released, [a.id for a in org.agents])
