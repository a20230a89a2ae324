"""What the benchmark scripts share: the key, the zone, the data sizes, the summary.

Standard library only: the DuckDB peer imports this module and must not pay for importing
polars or adherence.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
OUT = BENCH / "out"
#: The pseudonymisation key of the benchmark (made up, not a secret; at least 16 bytes).
KEY = "benchmark key, not a secret, 32+ bytes"
#: The zone of the naive local times in the CSV export.
ZONE = "Europe/Oslo"
SEED = 2026
#: Generator arguments per data size: ``full`` is about 10.07 M events.
SIZES = {
    "full": {"n_agents": 1300, "weeks": 26},
    "small": {"n_agents": 130, "weeks": 4},
}
#: The summary fields on which both pipelines must agree exactly.
COMPARED = (
    "rows_in",
    "rows_valid",
    "rows_quarantined",
    "quarantine_reasons",
    "agents",
    "agents_digest",
    "intervals",
    "ms_by_state",
    "total_ms",
)


def data_dir(size: str) -> Path:
    """The folder holding the generated files of ``size``."""
    return OUT / size


def agents_digest(pseudonyms: Iterable[str]) -> str:
    """A short fingerprint of a set of pseudonyms: both pipelines must pseudonymise alike."""
    text = "\n".join(sorted(pseudonyms))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
