"""DuckDB peer: the engine benchmark's team x ISO-week totals in SQL, as one line of JSON.

Usage::

    python bench/engine_duckdb.py FOLDER

The same figures as ``engine_adherence.py`` with the default options, written the way SQL
does interval work: a range join of activities to state intervals (``ON agent AND overlap``),
another of shift windows to productive intervals, an ``ASOF JOIN`` for the roster. The bench
data has no two conformance windows of one agent that overlap (asserted below), so each
productive instant belongs to the one window that holds it, as in the engine.
"""

from __future__ import annotations

import time
from pathlib import Path

from common import TEAM_WEEK_SUMS, engine_main, team_week_summary

WINDOW_MS = 2 * 3600 * 1000
ZONE = "Europe/Oslo"

SQL = f"""
CREATE TEMP TABLE iv AS
SELECT agent_id, epoch_ms("start") AS s, epoch_ms("end") AS e, CAST(state AS VARCHAR) AS state,
       inferred
FROM read_parquet($intervals);

CREATE TEMP TABLE sc AS
SELECT agent_id, shift_id, epoch_ms("start") AS s, epoch_ms("end") AS e,
       CAST(activity AS VARCHAR) AS activity,
       counts_for_adherence AND CAST(activity AS VARCHAR) <> 'TIME_OFF' AS counts
FROM read_parquet($schedule);

CREATE TEMP TABLE shifts AS
SELECT agent_id, shift_id, min(s) AS ss, max(e) AS se,
       CAST(timezone('{ZONE}', make_timestamptz(min(s) * 1000)) AS DATE) AS local_date
FROM sc GROUP BY agent_id, shift_id;
"""

FIGURES = f"""
WITH as_of AS (SELECT max(e) AS t FROM iv),
observed AS (
    SELECT sc.*, least(sc.e, as_of.t) AS oe FROM sc, as_of WHERE sc.s < as_of.t
),
overlap AS (
    SELECT a.agent_id, a.shift_id, a.activity, a.counts, i.state,
           least(a.oe, i.e) - greatest(a.s, i.s) AS ms
    FROM observed a JOIN iv i
      ON a.agent_id = i.agent_id AND i.s < a.oe AND i.e > a.s
),
by_overlap AS (
    SELECT agent_id, shift_id,
        sum(ms) FILTER (WHERE counts AND state = 'UNMAPPED') AS not_calculated,
        sum(ms) FILTER (WHERE counts AND (state = 'APPROVED'
            OR (activity = 'OPEN' AND state IN ('READY', 'ON_CONTACT', 'AFTER_CONTACT_WORK'))
            OR (activity IN ('BREAK', 'MEAL') AND state IN ('BREAK', 'MEAL'))
            OR (activity NOT IN ('OPEN', 'BREAK', 'MEAL') AND state = activity))) AS in_adherence
    FROM overlap GROUP BY agent_id, shift_id
),
by_plan AS (
    SELECT agent_id, shift_id,
        sum(oe - s) FILTER (WHERE counts) AS counted,
        sum(oe - s) FILTER (WHERE activity = 'OPEN') AS conformance_scheduled
    FROM observed GROUP BY agent_id, shift_id
),
productive AS (
    SELECT w.agent_id, w.shift_id,
        sum(least(i.e, w.se + {WINDOW_MS}) - greatest(i.s, w.ss - {WINDOW_MS})) AS actual
    FROM shifts w JOIN iv i
      ON w.agent_id = i.agent_id AND i.s < w.se + {WINDOW_MS} AND i.e > w.ss - {WINDOW_MS}
    WHERE i.state IN ('READY', 'ON_CONTACT', 'AFTER_CONTACT_WORK') AND NOT i.inferred
    GROUP BY w.agent_id, w.shift_id
),
per_shift AS (
    SELECT s.agent_id, s.local_date,
        coalesce(p.counted, 0) - coalesce(o.not_calculated, 0) AS scheduled_ms,
        coalesce(o.in_adherence, 0) AS in_adherence_ms,
        coalesce(p.conformance_scheduled, 0) AS conformance_scheduled_ms,
        coalesce(q.actual, 0) AS conformance_actual_ms
    FROM shifts s
    LEFT JOIN by_plan p USING (agent_id, shift_id)
    LEFT JOIN by_overlap o USING (agent_id, shift_id)
    LEFT JOIN productive q USING (agent_id, shift_id)
),
teamed AS (
    SELECT f.*, CASE WHEN r.team IS NOT NULL
                      AND (r.valid_to IS NULL OR f.local_date <= r.valid_to)
                     THEN r.team ELSE '(none)' END AS team
    FROM per_shift f ASOF LEFT JOIN read_parquet($roster) r
      ON f.agent_id = r.agent_id AND f.local_date >= r.valid_from
)
SELECT team, strftime(local_date, '%G-W%V') AS iso_week,
    sum(scheduled_ms)::BIGINT, sum(in_adherence_ms)::BIGINT,
    sum(scheduled_ms - in_adherence_ms)::BIGINT,
    sum(conformance_scheduled_ms)::BIGINT, sum(conformance_actual_ms)::BIGINT
FROM teamed GROUP BY ALL
"""

OVERLAPPING_WINDOWS = f"""
SELECT count(*) FROM (
    SELECT ss - {WINDOW_MS} AS ws,
           lag(se + {WINDOW_MS}) OVER (PARTITION BY agent_id ORDER BY ss) AS previous_we
    FROM shifts
) WHERE ws < previous_we
"""


def run(folder: Path) -> dict[str, object]:
    """Compute the team-week totals with DuckDB and summarise them."""
    started = time.perf_counter()
    import duckdb

    imported = time.perf_counter()
    con = duckdb.connect()
    params = {name: str(folder / f"{name}.parquet") for name in ("intervals", "schedule")}
    for statement, name in zip(SQL.split(";")[:2], ("intervals", "schedule"), strict=True):
        con.execute(statement, {name: params[name]})
    con.execute(SQL.split(";")[2])
    read = time.perf_counter()
    overlapping = con.execute(OVERLAPPING_WINDOWS).fetchone()
    assert overlapping == (0,), f"{overlapping} overlapping conformance windows"
    cells = con.execute(FIGURES, {"roster": str(folder / "roster.parquet")}).fetchall()
    done = time.perf_counter()
    shifts = con.execute("SELECT count(*) FROM shifts").fetchone()
    intervals = con.execute("SELECT count(*) FROM iv").fetchone()
    assert len(TEAM_WEEK_SUMS) == len(cells[0]) - 2
    return {
        "engine": "duckdb",
        "intervals": intervals[0] if intervals else 0,
        "shifts": shifts[0] if shifts else 0,
        **team_week_summary(cells),
        "seconds": {
            "import": round(imported - started, 2),
            "read": round(read - imported, 2),
            "figures_team_week": round(done - read, 2),
        },
    }


if __name__ == "__main__":
    engine_main(__doc__, run)
