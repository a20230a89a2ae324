"""Plot functions return Axes and draw released cells only."""

from __future__ import annotations

import math
from datetime import timedelta
from pathlib import Path

import matplotlib.pyplot as plt
import pytest
from tests.privacy.org import AUDIT_KEY, Agent, tables, team

import adherence as adh
from adherence.plot import (
    plot_adherence_over_time,
    plot_breach_margins,
    plot_login_to_ready,
    plot_pause_distribution,
    plot_sensitivity,
)
from adherence.rules import LoginGrace, PauseLimit

STEWARD = adh.Steward("s")


@pytest.fixture
def ws(tmp_path: Path) -> adh.Workspace:
    agents = (
        team("Alpha", 6)
        + team("Beta", 4)
        + [
            Agent(f"c{i}", "Gamma", meal=timedelta(minutes=31), login_delay=timedelta(minutes=3))
            for i in range(10)
        ]
    )
    intervals, schedule, roster = tables(agents)
    workspace = adh.Workspace.open(tmp_path / "a.db", audit_key=AUDIT_KEY)
    workspace.add(intervals, schedule=schedule, roster=roster)
    return workspace


def test_adherence_over_time_leaves_suppressed_cells_as_gaps(ws: adh.Workspace) -> None:
    table = ws.report("adherence_pct", by=["team", "day"], viewer=STEWARD)

    ax = plot_adherence_over_time(table, target=90)

    lines = {line.get_label(): list(line.get_ydata()) for line in ax.lines}
    assert all(math.isnan(y) for y in lines["Beta"])  # the team of four: every day a gap
    assert not any(math.isnan(y) for y in lines["Gamma"])
    assert "target 90 %" in lines
    plt.close(ax.figure)


def test_audit_plots_draw_the_released_groups(ws: adh.Workspace) -> None:
    login = ws.audit_tolerance(LoginGrace(timedelta(minutes=2)), by=["team"], viewer=STEWARD)
    lunch = ws.audit_tolerance(
        PauseLimit("MEAL", timedelta(minutes=30)), by=["team"], viewer=STEWARD
    )

    axes = [
        plot_sensitivity(lunch),
        plot_breach_margins(lunch),
        plot_login_to_ready(login),
    ]

    assert all(isinstance(ax, plt.Axes) for ax in axes)
    bars = [p.get_height() for p in axes[2].patches]
    assert bars[2] == pytest.approx(3.0)  # Gamma: 3 minutes from login to Ready
    assert math.isnan(bars[1])  # Beta is suppressed
    for ax in axes:
        plt.close(ax.figure)


def test_pause_distribution_draws_only_groups_allowed_a_median(ws: adh.Workspace) -> None:
    median = ws.report("meal_episode_median_ms", by=["team"], viewer=STEWARD)

    ax = plot_pause_distribution(median)

    heights = [p.get_height() for p in ax.patches]
    assert math.isnan(heights[0])  # Alpha: 6 people, too few for a median
    assert heights[2] == pytest.approx(31.0)
    plt.close(ax.figure)


def test_a_plot_needs_the_right_released_table(ws: adh.Workspace) -> None:
    with pytest.raises(adh.ConfigurationError):
        plot_adherence_over_time(ws.report("meal_ms", by=["team", "day"], viewer=STEWARD))
