"""Seeded synthetic data: a contact centre's roster, schedule and raw IWS status log.

``generate`` builds a ``SyntheticData`` (three polars frames) that is identical for
the same arguments; the writers turn it into the files a contact centre would export. The data
is made up: names, e-mail addresses, phone numbers and login ids belong to nobody.

What is simulated
-----------------
- **Organisation**: sites ``Harstad`` and ``Oslo``; a night team of 4 (``Natt Oslo``), a team
  of exactly 5 (``Bedrift Oslo``) and large teams of 10-15 (more of them for more agents). A
  few agents change team on a week boundary (two roster rows with consecutive validity).
- **Schedule**: shifts start at 07:00, 08:00, 09:00, 10:00, 12:00 or 15:00 (8 h; 4 h on 50 %
  contracts), chat also works Saturdays 10:00-16:00, and the night team works 00:00-06:00
  every night in a rotation, DST nights included (in Europe/Oslo that shift is 5 h real time on
  2026-03-29 and 7 h on 2026-10-25). Shifts have 15 min breaks, a 30 min lunch, some meetings,
  training and off-queue work; some days and weeks are ``TIME_OFF``.
- **Status log** (raw IWS statuses): the login phase ``Log On``, ``Not Ready``, ``Ready``
  (20-90 s for most agents, 1-6 min on every shift for some, 3-10 min longer for everyone on a
  few slow mornings), then ``Ready`` / ``Talking`` / ``After Call Work`` cycles; planned
  pauses as ``Not Ready - Break``, ``- Lunch``, ``- Meeting``, ``- Training``, ``- Deferred
  Transaction``, mostly on time, some over their length (some agents' lunches a little over
  30:00), some late because a call ran into them; occasional ``Not Ready`` (away), ``Not
  Ready - Manager Approved`` (reason ``Tillitsvalgt`` or ``Helse``) and the unknown status
  ``Ikke klar - Annet``; ``Log Off`` at the end, missing in about 2 % of shifts; late logins,
  early leaves, a little overtime; about 0.5 % exact duplicate rows and 0.3 % rows moved a
  few places earlier in their agent's stream (never in the fall-back hour). No agent has two
  different statuses at one instant. Timestamps have whole seconds.

Files
-----
``write_iws_csv`` (``status_log.csv``, variants ``"iws"`` and Norwegian Excel ``"no"``),
``write_parquet`` (``status_log.parquet``), ``write_schedule_csv``
(``schedule.csv``), ``write_roster_csv`` (``roster.csv``) and ``write_sample``
(all of them); ``load_sample`` writes them to a temporary folder and ingests them. From the shell::

    python -m adherence.synth --out data/samples

Examples
--------
>>> from adherence.synth import generate
>>> data = generate(n_agents=12, weeks=1, seed=3)
>>> sorted(data.schedule["activity"].unique())[:3]
['BREAK', 'MEAL', 'MEETING']
>>> data.events.filter(status="Log On").height > 0
True
"""

from __future__ import annotations

from adherence.synth._generate import SyntheticData, generate
from adherence.synth._load import Sample, load_sample
from adherence.synth._writers import (
    write_iws_csv,
    write_parquet,
    write_roster_csv,
    write_sample,
    write_schedule_csv,
)

__all__ = [
    "Sample",
    "SyntheticData",
    "generate",
    "load_sample",
    "write_iws_csv",
    "write_parquet",
    "write_roster_csv",
    "write_sample",
    "write_schedule_csv",
]
