"""What the benchmark scripts share: the key, the zone, the data sizes, the summary.

Standard library only: the DuckDB peer imports this module and must not pay for importing
polars or adherence.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections.abc import Callable, Iterable
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
    # scale_data.py: 10 groups of the full size, about 100.7 M events
    "huge": {"n_agents": 13000, "weeks": 26},
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


#: The team x ISO-week sums every engine pipeline reports, in order.
TEAM_WEEK_SUMS = (
    "scheduled_ms",
    "in_adherence_ms",
    "out_of_adherence_charged_ms",
    "conformance_scheduled_ms",
    "conformance_actual_ms",
)


def team_week_summary(rows: Iterable[tuple[object, ...]]) -> dict[str, object]:
    """Summarise (team, iso_week, *TEAM_WEEK_SUMS) rows for an exact comparison.

    Returns the number of cells, the grand total of each sum, the time-weighted adherence and
    conformance of the whole (rounded to 6 decimals) and a digest of every cell.
    """
    cells = sorted((str(r[0]), str(r[1]), *(int(v) for v in r[2:])) for r in rows)  # type: ignore[call-overload]
    totals = [sum(int(c[2 + k]) for c in cells) for k in range(len(TEAM_WEEK_SUMS))]
    grand = dict(zip(TEAM_WEEK_SUMS, totals, strict=True))
    text = "\n".join(",".join(str(v) for v in c) for c in cells)
    return {
        "cells": len(cells),
        "totals": grand,
        "adherence_pct": round(100 * grand["in_adherence_ms"] / grand["scheduled_ms"], 6),
        "conformance_pct": round(
            100 * grand["conformance_actual_ms"] / grand["conformance_scheduled_ms"], 6
        ),
        "cells_digest": hashlib.sha256(text.encode("utf-8")).hexdigest()[:16],
        "first_cells": [list(c) for c in cells[:3]],
    }


def engine_main(doc: str, run: Callable[[Path], dict[str, object]]) -> None:
    """The command line of an engine pipeline: ``FOLDER`` in, one line of JSON out."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("folder", type=Path, help="the prepared engine inputs")
    print(json.dumps(run(parser.parse_args().folder)))
