"""The workspace's tables from a bucket store: one bucket at a time, merged by addition.

``bucket_tables`` is the per-bucket function a worker runs: the bucket's events become
intervals (``from_events``) and then the private tables (``build_tables``) — the very
functions ``Workspace.add`` uses, so every atom they compute is computed here too. Buckets
hold whole agents, and every table is keyed by agent, so the merged tables are the tables of
the whole data: the atoms of one (agent, day) come from one bucket, and their sum over the
buckets is that bucket's row (``merge_tables`` checks that no key comes twice).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import polars as pl

from adherence.buckets import BUCKET, BucketStore, bucket_of
from adherence.errors import ConfigurationError, InternalError
from adherence.intervals import from_events
from adherence.options import MetricOptions
from adherence.privacy._atoms import AGENT_CODE, DAY, Tables, build_tables
from adherence.privacy._refine import Possible

__all__ = ["BucketJob", "bucket_jobs", "bucket_tables", "merge_tables"]


@dataclass(frozen=True)
class BucketJob:
    """Everything one bucket's tables need; small enough to send to a worker."""

    events: str
    """The bucket's events file."""
    schedule: pl.DataFrame
    roster: pl.DataFrame
    incidents: pl.DataFrame | None
    codes: dict[str, int]
    """Workspace codes of the bucket's agents."""
    options: MetricOptions
    sensitive_reasons: frozenset[str]
    as_of: datetime | None


def bucket_jobs(
    store: BucketStore,
    schedule: pl.DataFrame,
    roster: pl.DataFrame,
    *,
    incidents: pl.DataFrame | None,
    codes: dict[str, int],
    options: MetricOptions,
    sensitive_reasons: frozenset[str],
) -> list[BucketJob]:
    """One job per bucket: its events file and its agents' schedule, roster and codes."""
    n = store.buckets
    plans = bucket_of(schedule, n).partition_by(BUCKET, as_dict=True, include_key=False)
    people = bucket_of(roster, n).partition_by(BUCKET, as_dict=True, include_key=False)
    coded = bucket_of(pl.DataFrame({"agent_id": list(codes)}), n)
    agents = coded.partition_by(BUCKET, as_dict=True, include_key=False)
    return [
        BucketJob(
            events=str(store.event_path(b)),
            schedule=plans.get((b,), schedule.clear()),
            roster=people.get((b,), roster.clear()),
            incidents=incidents,
            codes={
                a: codes[a]
                for a in agents.get((b,), pl.DataFrame({"agent_id": []}))["agent_id"].to_list()
            },
            options=options,
            sensitive_reasons=sensitive_reasons,
            as_of=store.as_of,
        )
        for b in range(n)
    ]


def bucket_tables(job: BucketJob) -> Tables | None:
    """One bucket's private tables: its events to intervals to atoms (runs on a worker).

    ``None`` for a bucket without events and without a schedule: it holds no atoms.
    """
    events = pl.scan_parquet(job.events).collect(engine="streaming")
    if events.is_empty() and job.schedule.is_empty():
        return None
    built = from_events(
        events,
        as_of=job.as_of,
        schedule=job.schedule,
        auto_logoff_after=job.options.auto_logoff_after,
    )
    return build_tables(
        built.intervals,
        job.schedule,
        job.roster,
        incidents=job.incidents,
        codes=job.codes,
        options=job.options,
        sensitive_reasons=job.sensitive_reasons,
        as_of=job.as_of,
    )


def merge_tables(buckets: list[Tables | None], *, outside_shift: bool) -> Tables:
    """The tables of the whole data from its buckets' (agent-disjoint) tables.

    ``outside_shift`` is ``MetricOptions.count_work_outside_shift`` (where finer unknowns
    can be nonzero).

    Raises
    ------
    ConfigurationError
        No bucket holds events or a schedule.
    InternalError
        Two buckets hold rows of one agent and day (a store's buckets never split an agent).
    """
    parts = [p for p in buckets if p is not None]
    if not parts:
        raise ConfigurationError(
            "the bucket store and the schedule hold no agent",
            hint="check the store (store.report) and the schedule",
        )
    days = pl.concat([p.days for p in parts], how="vertical_relaxed").sort(AGENT_CODE, "local_date")
    if days.select(AGENT_CODE, "local_date").is_duplicated().any():
        raise InternalError(
            "two buckets hold atoms of one agent and day",
            hint="this is a bug in adherence; please report it with the store's shape",
        )

    def joined(name: str) -> pl.DataFrame:
        frames: list[pl.DataFrame] = [getattr(p, name) for p in parts]
        return pl.concat(frames, how="vertical_relaxed")

    slots = joined("slots").sort(AGENT_CODE, DAY, "half_hour")
    scheduled = joined("scheduled")
    return Tables(
        days=days,
        episodes=joined("episodes"),
        exceptions=joined("exceptions"),
        shifts=joined("shifts").sort("agent_id", "shift_id", "local_date"),
        slots=slots,
        scheduled=scheduled,
        possible=Possible.of(slots, scheduled, outside_shift=outside_shift),
    )
