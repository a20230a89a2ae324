"""Hypothesis property tests of G1, G2, G3 and G6 over random organisations and query streams."""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.privacy.org import AUDIT_KEY, WEEK, Agent, tables

from adherence.errors import PrivacyError
from adherence.privacy import PrivacyPolicy, Steward, Workspace

K = 3
POLICY = PrivacyPolicy(min_group_size=K)
DIMENSIONS = ["team", "skill", "employment_type", "day"]
PERIODS: dict[str | None, tuple[date, date]] = {
    None: (WEEK[0], WEEK[-1]),
    "2026-W11": (WEEK[0], WEEK[-1]),
    "2026-03-09": (WEEK[0], WEEK[0]),
    "2026-03-10/2026-03-12": (WEEK[1], WEEK[3]),
}
FILTERS: list[dict[str, str] | None] = [None, {"skill": "sales"}, {"employment_type": "permanent"}]


@st.composite
def organisations(draw: st.DrawFn) -> list[Agent]:
    agents = []
    for t in range(draw(st.integers(1, 3))):
        for i in range(draw(st.integers(1, 7))):
            days = draw(st.sets(st.sampled_from(WEEK), min_size=1, max_size=5))
            agents.append(
                Agent(
                    f"t{t}-{i}",
                    f"Team {t}",
                    skill=draw(st.sampled_from(["sales", "billing"])),
                    employment_type=draw(st.sampled_from(["permanent", "temporary"])),
                    days=sorted(days),
                    meal=timedelta(minutes=draw(st.integers(10, 50))),
                )
            )
    return agents


queries = st.lists(
    st.fixed_dictionaries(
        {
            "by": st.lists(st.sampled_from(DIMENSIONS), max_size=2, unique=True),
            "period": st.sampled_from(list(PERIODS)),
            "where": st.sampled_from(FILTERS),
            "margins": st.booleans(),
        }
    ),
    min_size=1,
    max_size=5,
)


def _run(
    agents: list[Agent],
    stream: list[dict[str, Any]],
    metric: str,
    policy: PrivacyPolicy = POLICY,
) -> list[Any]:
    """Run the stream on a fresh workspace: per query, the error code or the table rows."""
    intervals, schedule, roster = tables(agents)
    with tempfile.TemporaryDirectory() as folder:
        ws = Workspace.open(Path(folder) / "a.db", audit_key=AUDIT_KEY, policy=policy)
        ws.add(intervals, schedule=schedule, roster=roster)
        outcomes: list[Any] = []
        for q in stream:
            try:
                table = ws.report(metric, viewer=Steward("s"), **q)
            except PrivacyError as err:
                outcomes.append(err.code)
            else:
                outcomes.append(table.to_dicts())
        ws.close()
    return outcomes


def _members(
    agents: list[Agent], query: dict[str, Any], row: dict[str, Any]
) -> set[tuple[str, date]]:
    """The (agent, day) pairs a result row sums, worked out from the organisation alone."""
    first, last = PERIODS[query["period"]]
    pairs = set()
    for a in agents:
        attributes = {"team": a.team, "skill": a.skill, "employment_type": a.employment_type}
        if query["where"] and any(attributes[d] != v for d, v in query["where"].items()):
            continue
        for day in a.days:
            attributes["day"] = day.isoformat()
            if first <= day <= last and all(row[d] in ("all", attributes[d]) for d in query["by"]):
                pairs.add((a.id, day))
    return pairs


def _in_row_space(rows: list[np.ndarray], vector: np.ndarray) -> bool:
    if not rows:
        return False
    matrix = np.array(rows)
    return np.linalg.matrix_rank(np.vstack([matrix, vector])) == np.linalg.matrix_rank(matrix)


SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(organisations(), queries)
def test_g1_every_released_cell_has_k_agents(
    agents: list[Agent], stream: list[dict[str, Any]]
) -> None:
    for query, outcome in zip(stream, _run(agents, stream, "adherence_pct"), strict=True):
        if isinstance(outcome, str):
            continue
        for row in outcome:
            if row["status"] == "released":
                people = {a for a, _ in _members(agents, query, row)}
                assert row["agents"] == len(people) >= K
            else:
                assert row["adherence_pct"] is None
                assert row["agents"] is None


@SETTINGS
@given(organisations(), queries)
def test_g2_g3_nothing_suppressed_and_no_single_agent_can_be_worked_out(
    agents: list[Agent], stream: list[dict[str, Any]]
) -> None:
    unknowns = sorted({(a.id, d) for a in agents for d in a.days})
    column = {u: i for i, u in enumerate(unknowns)}

    def vector(pairs: set[tuple[str, date]]) -> np.ndarray:
        v = np.zeros(len(unknowns))
        v[[column[p] for p in pairs]] = 1
        return v

    released: list[np.ndarray] = []
    small: list[np.ndarray] = []
    for query, outcome in zip(stream, _run(agents, stream, "adherence_pct"), strict=True):
        if isinstance(outcome, str):
            continue
        table_released = []
        for row in outcome:
            pairs = _members(agents, query, row)
            if row["status"] == "released":
                table_released.append(vector(pairs))
            elif len({a for a, _ in pairs}) < K:
                small.append(vector(pairs))
        released += table_released
    # G2: no small cell's sum lies in the span of what was released.
    for cell in small:
        assert not _in_row_space(released, cell)
    # G3: no combination of released sums is supported on one agent's unknowns.
    if released:
        matrix = np.array(released)
        full = np.linalg.matrix_rank(matrix)
        for agent in {a for a, _ in unknowns}:
            others = [i for u, i in column.items() if u[0] != agent]
            assert np.linalg.matrix_rank(matrix[:, others]) == full


@st.composite
def twin_datasets(draw: st.DrawFn) -> tuple[list[Agent], list[Agent]]:
    """Two organisations that differ only in metric values (every meal's length)."""
    agents = draw(organisations())
    twins = [
        Agent(a.id, a.team, skill=a.skill, employment_type=a.employment_type, days=a.days,
              meal=timedelta(minutes=draw(st.integers(1, 90))))
        for a in agents
    ]  # fmt: skip
    return agents, twins


# G6 covers the decisions of G1-G4. Dominance (G5) is value-dependent by design and applies to
# a rate's numerator; here it suppresses only a sum that is all one agent's, which productive
# time never is (every agent works), so what is left is G1-G4.
_G6_POLICY = PrivacyPolicy(min_group_size=K, dominance_agents=1, dominance_share=1.0)


@SETTINGS
@given(twin_datasets(), queries, st.sampled_from(["conformance_pct", "occupancy_pct"]))
def test_g6_decisions_do_not_depend_on_metric_values(
    twins: tuple[list[Agent], list[Agent]], stream: list[dict[str, Any]], metric: str
) -> None:
    def decisions(agents: list[Agent]) -> list[Any]:
        return [
            o if isinstance(o, str) else [(r["status"], r["agents"]) for r in o]
            for o in _run(agents, stream, metric, _G6_POLICY)
        ]

    assert decisions(twins[0]) == decisions(twins[1])
