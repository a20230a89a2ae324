"""``load_sample``: a synthetic contact centre, written as files and read back through ingest."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import NamedTuple

from adherence.ingest import Ingest
from adherence.io import read_iws, read_roster, read_schedule
from adherence.synth._writers import write_sample

__all__ = ["Sample", "load_sample"]


class Sample(NamedTuple):
    """The three ingested tables of a sample (pseudonymised with the given key)."""

    log: Ingest
    schedule: Ingest
    roster: Ingest


def load_sample(
    *, key: bytes | str, n_agents: int = 60, weeks: int = 6, seed: int = 2026
) -> Sample:
    """Generate a sample, write its CSV files to a temporary folder and ingest them.

    The files go through the same readers as real exports, so the result is what a steward
    gets from ``adherence.io``. With the defaults this is the bundled ``data/samples``.

    Examples
    --------
    >>> sample = load_sample(key="a key for the example", n_agents=30, weeks=1)
    >>> sample.log.report.rows_quarantined, sample.roster.report.agents
    (0, 30)
    """
    with tempfile.TemporaryDirectory(prefix="adherence-sample-") as folder:
        where = Path(folder)
        write_sample(where, n_agents=n_agents, weeks=weeks, seed=seed, formats=["csv"])
        return Sample(
            read_iws(where / "status_log.csv", key=key),
            read_schedule(where / "schedule.csv", key=key),
            read_roster(where / "roster.csv", key=key),
        )
