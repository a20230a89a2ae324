"""The bundled sample, read once per test session, in a workspace of its own."""

from __future__ import annotations

from pathlib import Path

from tests.privacy.org import AUDIT_KEY

import adherence as adh

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples"
KEY = "test key for the bundled sample"


def sample_workspace(store: Path) -> adh.Workspace:
    """A workspace at ``store`` holding the bundled sample."""
    ws = adh.Workspace.open(store, audit_key=AUDIT_KEY)
    ws.add(
        adh.io.read_iws(SAMPLES / "status_log.csv", key=KEY),
        schedule=adh.io.read_schedule(SAMPLES / "schedule.csv", key=KEY),
        roster=adh.io.read_roster(SAMPLES / "roster.csv", key=KEY),
    )
    return ws


def sample_agent_ids() -> list[str]:
    """Every pseudonymous agent id of the sample."""
    return adh.io.read_roster(SAMPLES / "roster.csv", key=KEY).valid["agent_id"].to_list()
