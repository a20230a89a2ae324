"""The synthetic IWS status log: what agents and the telephony system do during each shift.

The model, per worked shift (all times are true UTC instants in whole seconds):

1. The login phase: ``Log On`` a little before or after shift start (sometimes late, sometimes
   early), ``Not Ready`` a few seconds later while the desktop and the phone connect, then
   ``Ready``. Logging in takes most agents 20-90 s; for some (more often home workers, whose
   VPN and softphone start too) it takes 1-6 min on every shift, around a login time of their
   own. On a few mornings the systems are slow for everyone: shifts that start between 06:00
   and 10:59 local time on such a day take 3-10 min longer to become ``Ready``. An agent at
   the desk at 07:58 whose login takes 4 min is therefore ``Ready`` at 08:02.
2. Between two planned pauses the agent is in a *window* of cycles: ``Ready`` (idle, exponential),
   then a call (``Talking``, lognormal; ``After Call Work``, tens of seconds) or now and then an
   interruption (``Not Ready`` without reason, ``Not Ready - Manager Approved`` with a reason
   code, or the unknown status ``Ikke klar - Annet``), and ``Ready`` again.
3. A cycle must end before the agent's planned pause start, except that sometimes a call that
   was answered before it runs over: the pause then starts when the call's after-call work
   ends. Pauses mostly start on time and last their planned length give or take a minute;
   some run a few minutes over, and some agents take lunches a little over their 30 min
   (10-130 s over on half of their lunches: a lunch of 31:12).
4. ``Log Off`` at the end of the shift (sometimes overtime, sometimes an early leave); about
   2 % of shifts have no ``Log Off`` at all.

Windows depend on the one before (a late pause ends late), so the generator loops over the
window number (at most six) and is vectorised over all shifts inside each step.

Afterwards the rows are put in file order (by time, then agent), about 0.3 % are moved a few
positions earlier in their agent's stream and about 0.5 % are written twice. Rows whose local
wall-clock time is ambiguous (the fall-back hour) are never moved or duplicated, and neither
are rows that a move would jump over there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import polars as pl

from adherence.synth._roster import Organisation
from adherence.synth._schedule import ACTIVITIES, Shifts

__all__ = ["REASONS", "STATUSES", "make_events"]

Int = npt.NDArray[np.int64]
Float = npt.NDArray[np.float64]
Bool = npt.NDArray[np.bool_]
Small = npt.NDArray[np.int8]

#: Raw IWS statuses by code.
STATUSES = (
    "Log On",
    "Ready",
    "Talking",
    "After Call Work",
    "Not Ready - Break",
    "Not Ready - Lunch",
    "Not Ready - Meeting",
    "Not Ready - Training",
    "Not Ready - Deferred Transaction",
    "Not Ready",
    "Not Ready - Manager Approved",
    "Ikke klar - Annet",
    "Log Off",
)
_LOG_ON, _READY, _TALKING, _ACW = 0, 1, 2, 3
_AWAY, _APPROVED, _UNKNOWN, _LOG_OFF = 9, 10, 11, 12
#: Status code of each schedule activity code (OPEN and TIME_OFF have none).
_PAUSE_STATUS = np.array([-1, 4, 5, 6, 7, 8, -1])

#: Raw reason codes of ``Not Ready - Manager Approved``.
REASONS = ("Tillitsvalgt", "Helse")
_NO_REASON = -1

# Behaviour parameters [s unless named otherwise].
_MEAN_IDLE_S = 720.0
_TALK_MEDIAN_S = 330.0
_TALK_SIGMA = 0.6
_P_AWAY = 0.02
_P_APPROVED = 0.0008
_P_UNKNOWN = 0.0003
_LOGIN_FAST_S = (20.0, 90.0)  # login-to-Ready of most agents
_P_SLOW_LOGIN_AGENT = np.array([0.2, 0.35, 0.5])  # agents whose login takes minutes, by location
_SLOW_LOGIN_TYPICAL_S = (90.0, 300.0)  # such an agent's own typical login time
_SLOW_LOGIN_SIGMA = 0.35  # shift-to-shift spread around it (lognormal)
_SLOW_LOGIN_S = (60.0, 360.0)  # 1-6 min
_NOT_READY_AFTER_S = (3.0, 15.0)  # Log On to Not Ready
_P_SLOW_MORNING = 0.08  # a day whose morning logins are slow for everyone
_SLOW_MORNING_HOURS = (6, 10)  # local start hours of the shifts it hits, inclusive
_SLOW_MORNING_EXTRA_S = (180.0, 600.0)
_P_LONG_LUNCH_AGENT = 0.3  # agents who take lunches a little over their length
_P_LONG_LUNCH = 0.5  # share of such an agent's lunches that run over
_LONG_LUNCH_OVER_S = (10.0, 130.0)
_MEAL = ACTIVITIES.index("MEAL")
_P_MISSING_LOG_OFF = 0.02
_P_CALL_RUNS_INTO_PAUSE = 0.3
_P_MOVE = 0.003
_P_DUPLICATE = 0.005


@dataclass
class _Rows:
    """Event rows collected in chunks: shift index, instant, status code, reason code."""

    shift: list[npt.NDArray[np.int32]] = field(default_factory=list)
    ts: list[Int] = field(default_factory=list)
    status: list[Small] = field(default_factory=list)
    reason: list[Small] = field(default_factory=list)

    def add(self, shift: Int, ts: Int, status: Int | int, reason: Int | int = _NO_REASON) -> None:
        self.shift.append(shift.astype(np.int32))
        self.ts.append(ts)
        self.status.append(np.broadcast_to(np.asarray(status, dtype=np.int8), shift.shape))
        self.reason.append(np.broadcast_to(np.asarray(reason, dtype=np.int8), shift.shape))

    def arrays(self) -> tuple[npt.NDArray[np.int32], Int, Small, Small]:
        shift = np.concatenate(self.shift)
        self.shift.clear()
        ts = np.concatenate(self.ts)
        self.ts.clear()
        return shift, ts, np.concatenate(self.status), np.concatenate(self.reason)


def _uniform_s(rng: np.random.Generator, low: float, high: float, size: int) -> Int:
    return np.rint(rng.uniform(low, high, size)).astype(np.int64)


def _window(
    rows: _Rows, shift: Int, a: Int, b: Int, *, late: Bool, rng: np.random.Generator
) -> tuple[Int, Bool]:
    """Emit the cycles of one window per shift; return when the agent leaves it.

    ``a`` is when the agent becomes ready, ``b`` when they mean to leave the queue, ``late``
    whether a call answered before ``b`` may run past it. The agent leaves at
    ``max(b, end of the last kept cycle)``; the ``Ready`` that would start at that instant is
    left out (the next status replaces it), which the second array flags.
    """
    if a.size == 0:
        return a, np.zeros(0, dtype=np.bool_)
    n_max = np.maximum(b - a, 0) // 600 + 3
    first = np.cumsum(n_max) - n_max
    total = int(n_max.sum())
    win = np.repeat(np.arange(a.size), n_max)

    u = rng.random(total)
    kind = np.select(
        [u < _P_UNKNOWN, u < _P_UNKNOWN + _P_APPROVED, u < _P_UNKNOWN + _P_APPROVED + _P_AWAY],
        [_UNKNOWN, _APPROVED, _AWAY],
        _TALKING,
    )
    idle = 1 + np.floor(rng.exponential(_MEAN_IDLE_S, total)).astype(np.int64)
    talk = np.maximum(1, np.rint(rng.lognormal(np.log(_TALK_MEDIAN_S), _TALK_SIGMA, total)))
    acw = 5 + np.rint(rng.gamma(2.0, 22.0, total))
    other = np.select(
        [kind == _AWAY, kind == _APPROVED],
        [rng.uniform(40, 360, total), rng.uniform(900, 4500, total)],
        rng.uniform(120, 720, total),
    )
    talk_s = talk.astype(np.int64)
    busy = np.where(
        kind == _TALKING, talk_s + acw.astype(np.int64), np.rint(other).astype(np.int64)
    )
    reason = np.where(kind == _APPROVED, (rng.random(total) < 0.4).astype(np.int64), _NO_REASON)

    cycle = idle + busy
    cum = np.cumsum(cycle)
    base = cum[first] - cycle[first]
    end = a[win] + cum - base[win]
    begin = end - busy

    # Ends grow within a window, so the cycles that fit are a prefix.
    fits = end <= b[win]
    n_fit = np.add.reduceat(fits.astype(np.int64), first)
    over = np.where(n_fit < n_max, first + n_fit, first)
    runs_over = (n_fit < n_max) & late & (kind[over] == _TALKING) & (begin[over] < b)
    keep = fits.copy()
    keep[over[runs_over]] = True
    n_keep = n_fit + runs_over
    last = np.where(n_keep > 0, first + n_keep - 1, first)
    end_last = np.where(n_keep > 0, end[last], a)
    leave = np.maximum(b, end_last)

    opens = leave > a
    rows.add(shift[opens], a[opens], _READY)
    kept = np.flatnonzero(keep)
    rows.add(shift[win[kept]], begin[kept], kind[kept], reason[kept])
    call = kept[kind[kept] == _TALKING]
    rows.add(shift[win[call]], begin[call] + talk_s[call], _ACW)
    closes = kept[(kept != last[win[kept]]) | (leave[win[kept]] > end[kept])]
    rows.add(shift[win[closes]], end[closes], _READY)
    return leave.astype(np.int64), leave == end_last


def _login_delay(shifts: Shifts, org: Organisation, rng: np.random.Generator) -> Int:
    """Return the time from ``Log On`` to ``Ready`` of every shift [s].

    Agent-level: some agents take minutes on every shift (around a typical time of their own);
    day-level: on a slow morning every shift starting in the morning hours takes longer.
    """
    n = shifts.agent.size
    n_agents = org.work_location.size
    slow_agent = rng.random(n_agents) < _P_SLOW_LOGIN_AGENT[org.work_location]
    typical = rng.uniform(*_SLOW_LOGIN_TYPICAL_S, n_agents)
    slow = np.clip(typical[shifts.agent] * rng.lognormal(0.0, _SLOW_LOGIN_SIGMA, n), *_SLOW_LOGIN_S)
    fast = _uniform_s(rng, *_LOGIN_FAST_S, n)
    delay = np.where(slow_agent[shifts.agent], np.rint(slow).astype(np.int64), fast)

    day = shifts.start_local // 86_400
    first_day = int(day.min(initial=0))
    slow_day = rng.random(int(day.max(initial=0)) - first_day + 1) < _P_SLOW_MORNING
    hour = shifts.start_local % 86_400 // 3_600
    morning = (hour >= _SLOW_MORNING_HOURS[0]) & (hour <= _SLOW_MORNING_HOURS[1])
    extra = _uniform_s(rng, *_SLOW_MORNING_EXTRA_S, n)
    return delay + np.where(slow_day[day - first_day] & morning, extra, 0)


def _simulate(
    shifts: Shifts, org: Organisation, rng: np.random.Generator
) -> tuple[npt.NDArray[np.int32], Int, Small, Small]:
    """Return (shift, ts, status, reason) per event, in no particular order."""
    n = shifts.agent.size
    rows = _Rows()
    all_shifts = np.arange(n, dtype=np.int64)

    # Log on and become ready.
    u = rng.random((n, 4))
    offset = np.select(
        [u[:, 0] < 0.04, u[:, 0] < 0.08],
        [rng.uniform(180, 1500, n), -rng.uniform(300, 900, n)],
        np.clip(rng.normal(-60, 45, n), -240, 90),
    )
    login = shifts.start_utc + np.rint(offset).astype(np.int64)
    delay = _login_delay(shifts, org, rng)
    not_ready = _uniform_s(rng, *_NOT_READY_AFTER_S, n)
    rows.add(all_shifts, login, _LOG_ON)
    rows.add(all_shifts, login + not_ready, _AWAY)

    # Planned pauses: when the agent means to start, how long they take.
    n_pauses = np.bincount(shifts.pause_shift, minlength=n)
    pause_first = np.cumsum(n_pauses) - n_pauses
    m = shifts.pause_shift.size
    v = rng.random((m, 3))
    jitter = np.where(
        v[:, 0] < 0.85, np.clip(rng.normal(0, 25, m), -60, 60), rng.uniform(60, 200, m)
    )
    pause_intent = shifts.pause_start_utc + np.rint(jitter).astype(np.int64)
    overrun = np.where(v[:, 1] < 0.85, -rng.uniform(0, 100, m), rng.uniform(15, 300, m))
    long_lunch_agent = rng.random(org.work_location.size) < _P_LONG_LUNCH_AGENT
    long_lunch = (
        (shifts.pause_activity == _MEAL)
        & long_lunch_agent[shifts.agent[shifts.pause_shift]]
        & (rng.random(m) < _P_LONG_LUNCH)
    )
    overrun = np.where(long_lunch, rng.uniform(*_LONG_LUNCH_OVER_S, m), overrun)
    planned = shifts.pause_end_utc - shifts.pause_start_utc
    pause_length = np.maximum(60, planned + np.rint(overrun).astype(np.int64))
    pause_late = v[:, 2] < _P_CALL_RUNS_INTO_PAUSE
    pause_status = _PAUSE_STATUS[shifts.pause_activity]

    # Log off: on time, overtime, an early leave (not before the last pause is over), or never.
    last_pause_end = shifts.start_utc.copy()
    has_pauses = n_pauses > 0
    last_pause_end[has_pauses] = shifts.pause_end_utc[
        pause_first[has_pauses] + n_pauses[has_pauses] - 1
    ]
    w = rng.random((n, 2))
    logoff_intent = np.select(
        [w[:, 0] < 0.04, w[:, 0] < 0.065],
        [
            shifts.end_utc + _uniform_s(rng, 300, 1200, n),
            np.maximum(shifts.end_utc - _uniform_s(rng, 900, 4500, n), last_pause_end + 600),
        ],
        shifts.end_utc + _uniform_s(rng, 0, 150, n),
    )
    missing_logoff = w[:, 1] < _P_MISSING_LOG_OFF
    logoff_late = u[:, 2] < _P_CALL_RUNS_INTO_PAUSE

    ready = login + delay
    for k in range(int(n_pauses.max(initial=0)) + 1):
        active = np.flatnonzero(n_pauses >= k)
        has_pause = n_pauses[active] > k
        pause = np.where(has_pause, pause_first[active] + k, 0)
        intent = np.where(has_pause, pause_intent[pause], logoff_intent[active])
        late = np.where(has_pause, pause_late[pause], logoff_late[active])
        leave, ready_left_out = _window(rows, active, ready[active], intent, late=late, rng=rng)

        in_pause = active[has_pause]
        paused = pause[has_pause]
        rows.add(in_pause, leave[has_pause], pause_status[paused])
        ready[in_pause] = leave[has_pause] + pause_length[paused]
        logs_off = ~has_pause & ~missing_logoff[active]
        rows.add(active[logs_off], leave[logs_off], _LOG_OFF)
        # Without a Log Off the agent simply stays Ready after the last call.
        stays = ~has_pause & missing_logoff[active] & ready_left_out
        rows.add(active[stays], leave[stays], _READY)
    return rows.arrays()


def _ambiguous(ts: Int, time_zone: str) -> Bool:
    """True where the local wall-clock time of an instant happens twice (fall-back hour)."""
    local = (
        pl.Series(ts * 1000)
        .cast(pl.Datetime("ms", "UTC"))
        .dt.convert_time_zone(time_zone)
        .dt.replace_time_zone(None)
    )
    back = local.dt.replace_time_zone(time_zone, ambiguous="null", non_existent="null")
    return back.is_null().to_numpy()


def _file_order(
    agent: npt.NDArray[np.int32],
    ts: Int,
    shift: npt.NDArray[np.int32],
    *,
    time_zone: str,
    rng: np.random.Generator,
) -> npt.NDArray[np.int32]:
    """Return row indices in file order, with moved rows and duplicates.

    ``agent``, ``ts`` and ``shift`` are in agent-stream order (by agent, then time).
    """
    n = ts.size
    order = np.argsort(ts * (int(agent.max(initial=0)) + 1) + agent, kind="stable")
    rank = np.empty(n, dtype=np.float64)
    rank[order] = np.arange(n, dtype=np.float64)
    del order

    # Out of order: a row goes k = 1..3 places earlier in its agent's stream, within its shift.
    cand = np.flatnonzero(rng.random(n) < _P_MOVE)
    k = rng.integers(1, 4, size=cand.size)
    target = cand - k
    ok = (target >= 0) & (np.diff(cand, prepend=-10) > 4)
    ok &= shift[np.maximum(target, 0)] == shift[cand]
    span = np.maximum(cand[:, None] - np.arange(4)[None, :], 0)
    amb = _ambiguous(ts[span.ravel()], time_zone).reshape(span.shape)
    ok &= ~(amb & (np.arange(4)[None, :] <= k[:, None])).any(axis=1)
    key = rank
    key[cand[ok]] = rank[target[ok]] - 0.5

    # Exact duplicates, written right after the original.
    dup = np.flatnonzero(rng.random(n) < _P_DUPLICATE)
    dup = dup[~_ambiguous(ts[dup], time_zone)]
    rows = np.concatenate([np.arange(n, dtype=np.int32), dup.astype(np.int32)])
    keys = np.concatenate([key, key[dup] + 0.25])
    del key
    return rows[np.argsort(keys, kind="stable")]


def make_events(
    shifts: Shifts, org: Organisation, time_zone: str, rng: np.random.Generator
) -> pl.DataFrame:
    """Simulate the status log of every worked shift and return it in file order."""
    shift, ts, status, reason = _simulate(shifts, org, rng)
    agent = shifts.agent.astype(np.int32)[shift]
    # Agent-stream order: by agent, then time (an agent's shifts never overlap).
    stream = np.lexsort((ts, agent))
    shift, ts, agent = shift[stream], ts[stream], agent[stream]
    rows = _file_order(agent, ts, shift, time_zone=time_zone, rng=rng)
    rows_stream = stream[rows].astype(np.int32)
    del stream

    # Build one column at a time and drop each numpy array once used: 10 M rows are large.
    ts_ms = ts[rows]
    del ts
    ts_ms *= 1000
    columns = {"ts_utc": pl.Series(ts_ms).cast(pl.Datetime("ms", "UTC"))}
    del ts_ms
    agent_rows = agent[rows]
    del agent
    columns["agent_id"] = pl.Series(org.agent_id, dtype=pl.String).gather(agent_rows)
    columns["agent_name"] = pl.Series(org.agent_name, dtype=pl.String).gather(agent_rows)
    del agent_rows
    team_names = pl.Series([t.name for t in org.teams], dtype=pl.String)
    columns["team"] = team_names.gather(shifts.team[shift[rows]])
    del shift
    columns["status"] = pl.Series(STATUSES, dtype=pl.String).gather(status[rows_stream])
    reason_code = reason[rows_stream].astype(np.int64) + 1
    columns["reason"] = pl.Series([None, *REASONS], dtype=pl.String).gather(reason_code)
    return pl.DataFrame(columns)
