from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from tests.privacy.org import AUDIT_KEY, Agent, tables

from adherence.privacy import PrivacyPolicy, Workspace

OpenWorkspace = Callable[..., Workspace]


@pytest.fixture
def workspace(tmp_path: Path) -> OpenWorkspace:
    """Open a workspace in ``tmp_path`` holding ``agents``."""

    def open_(agents: Sequence[Agent], policy: PrivacyPolicy | None = None) -> Workspace:
        intervals, schedule, roster = tables(agents)
        ws = Workspace.open(tmp_path / "adherence.db", audit_key=AUDIT_KEY, policy=policy)
        ws.add(intervals, schedule=schedule, roster=roster)
        return ws

    return open_
