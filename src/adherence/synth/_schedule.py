"""The synthetic schedule: shifts per agent and day, tiled by planned activities.

Shift templates (minutes from shift start, local wall clock):

- ``full`` (8 h, starts 07:00-15:00): a 15 min break after 1.5-2.25 h, a 30 min lunch after
  3.5-4.25 h, a second 15 min break after 6-6.5 h; sometimes a meeting before lunch and
  training or off-queue work after it.
- ``half`` (4 h, 50 % contracts): one 15 min break, sometimes a meeting.
- ``night`` (00:00-06:00, the night team): breaks at 01:30 and 05:00, lunch 03:30-04:00. No
  boundary falls between 02:00 and 03:00, so the plan exists on both DST nights.
- ``saturday`` (10:00-16:00, chat only): one break and a lunch.

A whole shift can be ``TIME_OFF`` (a day off or a week of holiday); it is then one activity
that does not count for adherence.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from adherence.synth._roster import Organisation

__all__ = ["ACTIVITIES", "PAUSE_ACTIVITIES", "Shifts", "localise", "make_schedule"]

Int = npt.NDArray[np.int64]

#: Activity names by code.
ACTIVITIES = ("OPEN", "BREAK", "MEAL", "MEETING", "TRAINING", "OFF_QUEUE_WORK", "TIME_OFF")
_OPEN, _BREAK, _MEAL, _MEETING, _TRAINING, _OFF_QUEUE, _TIME_OFF = range(7)
#: Codes of the planned activities an agent leaves the queue for.
PAUSE_ACTIVITIES = (_BREAK, _MEAL, _MEETING, _TRAINING, _OFF_QUEUE)

_FULL, _HALF, _NIGHT, _SATURDAY = range(4)
_LENGTH_MIN = np.array([480, 240, 360, 360])
_DAY_HOURS = np.array([7, 8, 9, 10, 12])
_DAY_HOUR_P = [0.2, 0.3, 0.25, 0.15, 0.1]
_CHAT_HOURS = np.array([8, 10, 12, 15])
_CHAT_HOUR_P = [0.3, 0.25, 0.2, 0.25]
_PATTERN_CODE = {"day": 0, "chat": 1, "night": 2}

_EPOCH = dt.date(1970, 1, 1)
_DAY_S = 86_400


@dataclass(frozen=True)
class Shifts:
    """The worked shifts (not ``TIME_OFF``) and their pauses, in UTC seconds.

    Shifts are ordered by agent, then time; pauses by shift, then time.
    """

    agent: Int
    team: Int
    start_utc: Int
    end_utc: Int
    start_local: Int
    """Shift start as naive local wall-clock epoch seconds (its day and hour)."""
    pause_shift: Int
    pause_start_utc: Int
    pause_end_utc: Int
    pause_activity: Int


def localise(naive_s: Int, time_zone: str) -> Int:
    """Return UTC epoch seconds for naive local wall-clock epoch seconds.

    An ambiguous (fall-back) time takes the earlier reading; a time in a spring-forward gap
    the instant one hour later, i.e. just after the gap.
    """
    naive = pl.Series(naive_s * 1000).cast(pl.Datetime("ms"))
    frame = pl.DataFrame({"naive": naive}).select(
        pl.coalesce(
            pl.col("naive").dt.replace_time_zone(
                time_zone, ambiguous="earliest", non_existent="null"
            ),
            (pl.col("naive") + pl.duration(hours=1)).dt.replace_time_zone(
                time_zone, ambiguous="earliest", non_existent="null"
            ),
        )
        .dt.epoch("ms")
        .alias("utc_ms")
    )
    return (frame["utc_ms"].to_numpy() // 1000).astype(np.int64)


def _place(
    gap_start: Int, gap_end: Int, duration: Int, u: npt.NDArray[np.float64]
) -> tuple[Int, Int]:
    """Place an activity on the 15 min grid inside a gap, with >= 15 min open either side."""
    count = (gap_end - gap_start - duration - 30) // 15 + 1
    present = (duration > 0) & (count >= 1)
    start = gap_start + 15 + 15 * np.floor(u * np.maximum(count, 1)).astype(np.int64)
    return np.where(present, start, 0), np.where(present, duration, 0)


@dataclass(frozen=True)
class _Plan:
    """One element per planned shift (worked or ``TIME_OFF``), ordered by agent, then day."""

    agent: Int
    day: Int
    """Local date [days since 1970-01-01]."""
    team: Int
    template: Int
    hour: Int
    """Local start hour."""
    time_off: npt.NDArray[np.bool_]


def _plan_shifts(org: Organisation, start: dt.date, weeks: int, rng: np.random.Generator) -> _Plan:
    """Choose who works which day, from what hour, and which shifts are time off."""
    n_agents = len(org.agent_id)
    n_days = 7 * weeks
    days = (start - _EPOCH).days + np.arange(n_days, dtype=np.int64)
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday; Monday is 0
    week_of_day = np.arange(n_days) // 7

    team_pattern = np.array([_PATTERN_CODE[t.pattern] for t in org.teams])
    team_day = org.team_by_week[:, week_of_day]
    pattern = team_pattern[team_day]

    # Working days: the best-scored available days of each week; chat also works Saturdays.
    available = np.where(pattern == 1, weekday < 6, weekday < 5)
    scores = rng.random((n_agents, n_days)) + 0.5 * (weekday == 5)
    scores = np.where(available, scores, np.inf)
    rank = scores.reshape(n_agents, weeks, 7).argsort(axis=2).argsort(axis=2)
    days_per_week = np.select([org.contract_pct == 80, org.contract_pct == 60], [4, 3], 5)
    works = available & (rank.reshape(n_agents, n_days) < days_per_week[:, None])
    # The night team rotates: each agent has two nights off a week, at least two work each night.
    night_works = (days[None, :] + 2 * org.night_rank[:, None]) % 7 >= 2
    works = np.where(pattern == 2, night_works, works)

    # Start hours: one per agent and week, with a tenth of the days deviating.
    week_day_hour = rng.choice(_DAY_HOURS, size=(n_agents, weeks), p=_DAY_HOUR_P)
    week_chat_hour = rng.choice(_CHAT_HOURS, size=(n_agents, weeks), p=_CHAT_HOUR_P)
    deviates = rng.random((n_agents, n_days)) < 0.1
    other_day_hour = rng.choice(_DAY_HOURS, size=(n_agents, n_days), p=_DAY_HOUR_P)
    other_chat_hour = rng.choice(_CHAT_HOURS, size=(n_agents, n_days), p=_CHAT_HOUR_P)
    holiday_week = rng.random((n_agents, weeks)) < 0.03
    day_off = rng.random((n_agents, n_days)) < 0.025

    agent, d = np.nonzero(works)
    wk = week_of_day[d]
    pat = pattern[agent, d]
    saturday = (pat == 1) & (weekday[d] == 5)
    half = org.contract_pct[agent] == 50
    day_hour = np.where(deviates[agent, d], other_day_hour[agent, d], week_day_hour[agent, wk])
    chat_hour = np.where(deviates[agent, d], other_chat_hour[agent, d], week_chat_hour[agent, wk])
    return _Plan(
        agent=agent.astype(np.int64),
        day=days[d],
        team=team_day[agent, d].astype(np.int64),
        template=np.select([pat == 2, saturday, half], [_NIGHT, _SATURDAY, _HALF], _FULL),
        hour=np.select([pat == 2, saturday, pat == 1], [0, 10, chat_hour], day_hour),
        time_off=holiday_week[agent, wk] | day_off[agent, d],
    )


def _pause_slots(plan: _Plan, org: Organisation, rng: np.random.Generator) -> tuple[Int, Int, Int]:
    """Return start, length [min from shift start] and activity of five pause slots per shift.

    The slots are, in time order: break, meeting, lunch, training or off-queue work, break.
    An absent slot has length 0 and sits at the end of the slot before it.
    """
    template = plan.template
    n = template.size
    length = _LENGTH_MIN[template]
    skill = np.array([t.skill for t in org.teams])[plan.team]
    p_meeting = np.where(plan.team == 1, 0.3, 0.12)
    p_training = 0.04
    p_off_queue = np.where(skill == "faktura", 0.35, 0.1)

    u = rng.random((n, 9))
    full = template == _FULL
    night = template == _NIGHT
    b1 = np.select(
        [full, template == _HALF, night],
        [90 + 15 * np.floor(u[:, 0] * 4), 105 + 15 * np.floor(u[:, 0] * 2), np.full(n, 90)],
        105,
    ).astype(np.int64)
    meal = np.select(
        [full, night, template == _SATURDAY],
        [210 + 15 * np.floor(u[:, 1] * 4), np.full(n, 210), np.full(n, 225)],
        0,
    ).astype(np.int64)
    meal_dur = np.where(template == _HALF, 0, 30)
    b2 = np.select([full, night], [360 + 15 * np.floor(u[:, 2] * 3), np.full(n, 300)], 0)
    b2_dur = np.where(full | night, 15, 0)

    meeting_dur = np.where(
        (u[:, 3] < p_meeting) & (full | (template == _HALF)), np.where(u[:, 4] < 0.6, 30, 60), 0
    )
    x1, x1_dur = _place(b1 + 15, np.where(full, meal, length), meeting_dur, u[:, 5])
    training = u[:, 6] < p_training
    off_queue = ~training & (u[:, 6] < p_training + p_off_queue)
    x2_act = np.where(training, _TRAINING, _OFF_QUEUE)
    pick = np.floor(u[:, 7] * 3).astype(np.int64)
    x2_dur = np.where(
        full & training,
        np.array([60, 90, 120])[pick],
        np.where(full & off_queue, np.array([30, 45, 60])[pick], 0),
    )
    x2, x2_dur = _place(meal + 30, b2.astype(np.int64), x2_dur, u[:, 8])

    slot_start = np.stack([b1, x1, meal, x2, b2], axis=1).astype(np.int64)
    slot_dur = np.stack([np.full(n, 15), x1_dur, meal_dur, x2_dur, b2_dur], axis=1)
    slot_act = np.stack(
        [np.full(n, _BREAK), np.full(n, _MEETING), np.full(n, _MEAL), x2_act, np.full(n, _BREAK)],
        axis=1,
    )
    for j in range(1, 5):
        slot_start[:, j] = np.where(
            slot_dur[:, j] > 0, slot_start[:, j], slot_start[:, j - 1] + slot_dur[:, j - 1]
        )
    return slot_start, slot_dur.astype(np.int64), slot_act.astype(np.int64)


def _segments(
    slots: tuple[Int, Int, Int], length: Int, time_off: npt.NDArray[np.bool_]
) -> tuple[Int, Int, Int, Int]:
    """Tile each shift: open time around the pause slots, merged; return flat segments.

    Returns shift index, start and end [min from shift start] and activity code per segment.
    """
    slot_start, slot_dur, slot_act = slots
    n = length.size
    bounds = np.empty((n, 12), dtype=np.int64)
    bounds[:, 0] = 0
    bounds[:, 1:11:2] = slot_start
    bounds[:, 2:11:2] = slot_start + slot_dur
    bounds[:, 11] = length
    acts = np.full((n, 11), _OPEN, dtype=np.int64)
    acts[:, 1::2] = slot_act
    acts[time_off] = _TIME_OFF

    # Flatten, drop empty segments and merge neighbours with the same activity.
    seg_shift = np.repeat(np.arange(n, dtype=np.int64), 11)
    seg_start = bounds[:, :-1].ravel()
    seg_end = bounds[:, 1:].ravel()
    seg_act = acts.ravel()
    keep = seg_end > seg_start
    seg_shift, seg_start, seg_end, seg_act = (
        seg_shift[keep],
        seg_start[keep],
        seg_end[keep],
        seg_act[keep],
    )
    new_run = np.ones(seg_shift.size, dtype=np.bool_)
    new_run[1:] = (seg_act[1:] != seg_act[:-1]) | (seg_shift[1:] != seg_shift[:-1])
    first = np.flatnonzero(new_run)
    last = np.append(first[1:], seg_shift.size) - 1
    return seg_shift[first], seg_start[first], seg_end[last], seg_act[first]


def make_schedule(
    org: Organisation, start: dt.date, weeks: int, time_zone: str, rng: np.random.Generator
) -> tuple[pl.DataFrame, Shifts]:
    """Draw the shifts and activities of every agent in the period."""
    plan = _plan_shifts(org, start, weeks, rng)
    length = _LENGTH_MIN[plan.template]
    seg_shift, seg_start, seg_end, seg_act = _segments(
        _pause_slots(plan, org, rng), length, plan.time_off
    )
    shift_local = plan.day * _DAY_S + plan.hour * 3600
    local_start = shift_local[seg_shift] + seg_start * 60
    local_end = shift_local[seg_shift] + seg_end * 60

    schedule = _schedule_frame(
        org,
        plan,
        seg_shift=seg_shift,
        local_start=local_start,
        local_end=local_end,
        seg_act=seg_act,
    )

    worked = ~plan.time_off
    worked_index = np.cumsum(worked) - 1
    is_pause = np.isin(seg_act, PAUSE_ACTIVITIES) & worked[seg_shift]
    shifts = Shifts(
        agent=plan.agent[worked],
        team=plan.team[worked],
        start_utc=localise(shift_local[worked], time_zone),
        end_utc=localise(shift_local[worked] + length[worked] * 60, time_zone),
        start_local=shift_local[worked].astype(np.int64),
        pause_shift=worked_index[seg_shift[is_pause]].astype(np.int64),
        pause_start_utc=localise(local_start[is_pause], time_zone),
        pause_end_utc=localise(local_end[is_pause], time_zone),
        pause_activity=seg_act[is_pause],
    )
    return schedule, shifts


def _schedule_frame(
    org: Organisation,
    plan: _Plan,
    *,
    seg_shift: Int,
    local_start: Int,
    local_end: Int,
    seg_act: Int,
) -> pl.DataFrame:
    ids = pl.Series("agent_id", org.agent_id, dtype=pl.String)
    shift_ids = pl.DataFrame(
        {
            "agent_id": ids.gather(plan.agent),
            "day": pl.Series(plan.day.astype(np.int32)).cast(pl.Date),
        }
    ).select(pl.concat_str("agent_id", pl.lit("-"), pl.col("day").dt.strftime("%Y%m%d")))
    activity = pl.Series("activity", ACTIVITIES, dtype=pl.String)
    return pl.DataFrame(
        {
            "agent_id": ids.gather(plan.agent[seg_shift]),
            "shift_id": shift_ids.to_series().gather(seg_shift).alias("shift_id"),
            "start": pl.Series(local_start * 1000).cast(pl.Datetime("ms")),
            "end": pl.Series(local_end * 1000).cast(pl.Datetime("ms")),
            "activity": activity.gather(seg_act),
            "counts_for_adherence": pl.Series(seg_act != _TIME_OFF),
        }
    )
