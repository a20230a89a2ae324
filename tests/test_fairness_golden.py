"""Golden audit tables on the bundled sample: any change to a figure shows up as a diff.

Regenerate after an intended change with ``UPDATE_GOLDEN=1 python -m pytest
tests/test_fairness_golden.py`` and review the diff of ``tests/golden/``.
"""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.sample import sample_workspace

import adherence as adh
from adherence.rules import LoginGrace, PauseBudget, PauseLimit

GOLDEN = Path(__file__).parent / "golden"
CASES = {
    "lunch_by_employment_type": (PauseLimit("MEAL", timedelta(minutes=30)), ["employment_type"]),
    "login_by_site": (LoginGrace(timedelta(minutes=2)), ["site"]),
    "lunch_week_by_site": (PauseBudget("MEAL", timedelta(minutes=150), per="week"), ["site"]),
}


def _rounded(value: Any) -> Any:
    return round(value, 6) if isinstance(value, float) else value


def _snapshot(audit: adh.FairnessAudit) -> dict[str, Any]:
    return {
        "rule": audit.rule.name,
        "groups": [{k: _rounded(v) for k, v in r.items()} for r in audit.groups.to_dicts()],
        "sensitivity": [
            {k: _rounded(v) for k, v in r.items()} for r in audit.sensitivity.to_dicts()
        ],
        "p_value": _rounded(audit.p_value),
        "suggested_limit": audit.suggested_limit,
        "verdict": audit.verdict,
    }


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> adh.Workspace:
    return sample_workspace(tmp_path_factory.mktemp("golden") / "a.db")


@pytest.mark.parametrize("name", sorted(CASES))
def test_audit_tables_match_the_golden_files(workspace: adh.Workspace, name: str) -> None:
    rule, by = CASES[name]
    snapshot = _snapshot(workspace.audit_tolerance(rule, by=by, viewer=adh.Auditor("union")))
    path = GOLDEN / f"audit_{name}.json"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(json.dumps(snapshot, indent=1, ensure_ascii=False) + "\n")

    assert snapshot == json.loads(path.read_text())
