"""``generate``: one seeded synthetic contact centre (roster, schedule, raw status log)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

import numpy as np
import polars as pl

from adherence.errors import ConfigurationError, TimeZoneError
from adherence.synth._events import make_events
from adherence.synth._roster import MIN_AGENTS, make_organisation
from adherence.synth._schedule import make_schedule

__all__ = ["SyntheticData", "generate"]


@dataclass(frozen=True, eq=False, repr=False)
class SyntheticData:
    """A synthetic contact centre: roster, schedule and raw IWS status log.

    The frames are *raw*, as a contact centre would export them before any ingest: raw login
    ids, names, e-mail addresses and phone numbers are present.

    Attributes
    ----------
    roster
        One row per agent and validity period: ``agent_id``, ``agent_name``, ``email``,
        ``phone``, ``team``, ``site``, ``valid_from`` [Date], ``valid_to`` [Date, inclusive,
        null = open], ``employment_type``, ``work_location``, ``contract_pct`` [%], ``skill``.
    schedule
        One row per planned activity: ``agent_id``, ``shift_id``, ``start``, ``end`` [naive
        local wall clock in ``time_zone``, ms], ``activity``, ``counts_for_adherence``. The
        activities of one shift tile it.
    events
        One row per status change in file order (with duplicates and out-of-order rows):
        ``ts_utc`` [UTC, ms], ``agent_id``, ``agent_name``, ``team``, ``status`` (raw IWS
        text), ``reason`` (raw reason code, nullable).
    time_zone
        The IANA zone of the contact centre's wall clock.

    Examples
    --------
    >>> data = generate(n_agents=12, weeks=1, seed=1)
    >>> data.events.columns
    ['ts_utc', 'agent_id', 'agent_name', 'team', 'status', 'reason']
    >>> data.events.schema["ts_utc"]
    Datetime(time_unit='ms', time_zone='UTC')
    """

    roster: pl.DataFrame
    schedule: pl.DataFrame
    events: pl.DataFrame
    time_zone: str

    def __repr__(self) -> str:
        """Summarise the sizes instead of printing three frames."""
        agents = self.roster["agent_id"].n_unique()
        shifts = self.schedule["shift_id"].n_unique()
        return (
            f"SyntheticData(agents={agents}, shifts={shifts}, events={self.events.height}, "
            f"time_zone={self.time_zone!r})"
        )


def generate(
    *,
    n_agents: int = 60,
    start: dt.date = dt.date(2026, 3, 9),
    weeks: int = 6,
    seed: int = 2026,
    time_zone: str = "Europe/Oslo",
) -> SyntheticData:
    """Generate a synthetic contact centre, deterministic for a seed.

    The same arguments always give identical frames (numpy ``PCG64`` streams spawned from
    ``seed``; no clock, no global state). Organisation: a night team of 4 (``Natt Oslo``,
    00:00-06:00 every night in a rotation), a team of exactly 5 (``Bedrift Oslo``) and the other
    agents in teams of 10-15 at the sites ``Harstad`` and ``Oslo``. See
    ``SyntheticData`` for the columns and the module docstring of ``adherence.synth`` for
    the behaviour that is simulated.

    Parameters
    ----------
    n_agents
        Number of agents (at least 10).
    start
        First day of the period [local date]; the period is ``7 * weeks`` days.
    weeks
        Length of the period [weeks, at least 1].
    seed
        Seed of the random streams (a non-negative integer).
    time_zone
        IANA zone of the schedule's wall clock and of local times in written files.

    Returns
    -------
    SyntheticData
        Roster, schedule and raw status log.

    Raises
    ------
    ConfigurationError
        If ``n_agents``, ``weeks``, ``seed`` or ``start`` is out of range.
    TimeZoneError
        If ``time_zone`` is not an IANA zone.

    Examples
    --------
    >>> import datetime as dt
    >>> data = generate(n_agents=20, start=dt.date(2026, 3, 23), weeks=1, seed=7)
    >>> sorted(data.roster["site"].unique())
    ['Harstad', 'Oslo']
    >>> data.events.height == generate(n_agents=20, start=dt.date(2026, 3, 23), weeks=1,
    ...                                seed=7).events.height
    True
    """
    _check(n_agents=n_agents, start=start, weeks=weeks, seed=seed, time_zone=time_zone)
    roster_seq, schedule_seq, events_seq = np.random.SeedSequence(seed).spawn(3)
    org = make_organisation(
        n_agents, start, weeks, np.random.Generator(np.random.PCG64(roster_seq))
    )
    schedule, shifts = make_schedule(
        org, start, weeks, time_zone, np.random.Generator(np.random.PCG64(schedule_seq))
    )
    events = make_events(shifts, org, time_zone, np.random.Generator(np.random.PCG64(events_seq)))
    return SyntheticData(org.roster, schedule, events, time_zone)


def _check(*, n_agents: int, start: dt.date, weeks: int, seed: int, time_zone: str) -> None:
    if isinstance(n_agents, bool) or not isinstance(n_agents, int) or n_agents < MIN_AGENTS:
        raise ConfigurationError(
            f"n_agents must be an integer of at least {MIN_AGENTS}, got {n_agents!r}",
            hint="the night team (4) and the team of five need 9 agents, plus one more",
        )
    if isinstance(weeks, bool) or not isinstance(weeks, int) or weeks < 1:
        raise ConfigurationError(f"weeks must be a positive integer, got {weeks!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ConfigurationError(f"seed must be a non-negative integer, got {seed!r}")
    if isinstance(start, dt.datetime) or not isinstance(start, dt.date):
        raise ConfigurationError(
            f"start must be a datetime.date, got {type(start).__name__}",
            hint="pass datetime.date(2026, 3, 9), not a datetime",
        )
    try:
        zoneinfo.ZoneInfo(time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as err:
        raise TimeZoneError(
            f"unknown time zone {time_zone!r}", hint="use an IANA name such as 'Europe/Oslo'"
        ) from err
