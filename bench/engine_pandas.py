"""pandas peer: the engine benchmark's team x ISO-week totals, as one line of JSON.

Usage::

    python bench/engine_pandas.py FOLDER

The same figures as ``engine_adherence.py`` with the default options, written the way a pandas
user would: merge each agent's activities with their intervals and keep the overlapping
pairs (agent by agent, so the merge fits in memory), the same for shift windows and
productive intervals, then ``merge_asof`` for the roster and ``groupby`` for the sums. As in
the DuckDB peer, the bench data has no overlapping conformance windows (asserted).
"""

from __future__ import annotations

import time
from pathlib import Path

from common import TEAM_WEEK_SUMS, engine_main, team_week_summary

WINDOW_MS = 2 * 3600 * 1000
ZONE = "Europe/Oslo"
OPEN_STATES = {"READY", "ON_CONTACT", "AFTER_CONTACT_WORK"}
PAUSES = {"BREAK", "MEAL"}


def _ms(column):  # type: ignore[no-untyped-def]
    return column.astype("int64")  # datetime64[ms, UTC] -> milliseconds


def run(folder: Path) -> dict[str, object]:
    """Compute the team-week totals with pandas and summarise them."""
    started = time.perf_counter()
    import pandas as pd

    imported = time.perf_counter()
    iv = pd.read_parquet(
        folder / "intervals.parquet", columns=["agent_id", "start", "end", "state", "inferred"]
    )
    sc = pd.read_parquet(folder / "schedule.parquet")
    roster = pd.read_parquet(
        folder / "roster.parquet", columns=["agent_id", "team", "valid_from", "valid_to"]
    )
    iv = pd.DataFrame(
        {
            "agent_id": iv["agent_id"],
            "i_s": _ms(iv["start"].dt.as_unit("ms")),
            "i_e": _ms(iv["end"].dt.as_unit("ms")),
            "state": iv["state"].astype(str),
            "inferred": iv["inferred"],
        }
    )
    sc = pd.DataFrame(
        {
            "agent_id": sc["agent_id"],
            "shift_id": sc["shift_id"],
            "a_s": _ms(sc["start"].dt.as_unit("ms")),
            "a_e": _ms(sc["end"].dt.as_unit("ms")),
            "activity": sc["activity"].astype(str),
            "counts": sc["counts_for_adherence"] & (sc["activity"].astype(str) != "TIME_OFF"),
        }
    )
    read = time.perf_counter()
    per_shift = _per_shift(iv, sc, pd.read_parquet(folder / "schedule.parquet"))
    figured = time.perf_counter()
    cells = _team_week(per_shift, roster)
    done = time.perf_counter()
    return {
        "engine": "pandas",
        "intervals": len(iv),
        "shifts": len(per_shift),
        **team_week_summary(cells.itertuples(index=False, name=None)),
        "seconds": {
            "import": round(imported - started, 2),
            "read": round(read - imported, 2),
            "figures": round(figured - read, 2),
            "team_week": round(done - figured, 2),
        },
    }


def _per_shift(iv, sc, full):  # type: ignore[no-untyped-def]
    """Per agent and shift: local date and the five sums."""
    import numpy as np
    import pandas as pd

    as_of = iv["i_e"].max()
    sc = sc[sc["a_s"] < as_of].copy()
    sc["a_e"] = sc["a_e"].clip(upper=as_of)
    shifts = sc.groupby(["agent_id", "shift_id"], as_index=False).agg(
        ss=("a_s", "min"), se=("a_e", "max")
    )
    spans = (
        pd.DataFrame(
            {
                "agent_id": full["agent_id"],
                "shift_id": full["shift_id"],
                "s": _ms(full["start"].dt.as_unit("ms")),
                "e": _ms(full["end"].dt.as_unit("ms")),
            }
        )
        .groupby(["agent_id", "shift_id"], as_index=False)
        .agg(ss=("s", "min"), se=("e", "max"))
        .sort_values(["agent_id", "ss"])
    )
    previous_end = spans.groupby("agent_id")["se"].shift(1) + WINDOW_MS
    assert not ((spans["ss"] - WINDOW_MS) < previous_end).any(), "overlapping conformance windows"
    spans["local_date"] = (
        pd.to_datetime(spans["ss"], unit="ms", utc=True).dt.tz_convert(ZONE).dt.date
    )
    productive = iv[iv["state"].isin(OPEN_STATES) & ~iv["inferred"]]

    overlap_rows = []
    window_rows = []
    by_agent_iv = dict(tuple(iv.groupby("agent_id", sort=False)))
    by_agent_prod = dict(tuple(productive.groupby("agent_id", sort=False)))
    for agent, acts in sc.groupby("agent_id", sort=False):
        pairs = acts.merge(by_agent_iv.get(agent, iv.iloc[:0]), on="agent_id")
        pairs = pairs[(pairs["i_s"] < pairs["a_e"]) & (pairs["i_e"] > pairs["a_s"])]
        ms = np.minimum(pairs["a_e"], pairs["i_e"]) - np.maximum(pairs["a_s"], pairs["i_s"])
        overlap_rows.append(
            pairs[["agent_id", "shift_id", "activity", "counts", "state"]].assign(ms=ms)
        )
        windows = spans[spans["agent_id"] == agent]
        work = windows.merge(by_agent_prod.get(agent, productive.iloc[:0]), on="agent_id")
        lo, hi = work["ss"] - WINDOW_MS, work["se"] + WINDOW_MS
        work = work[(work["i_s"] < hi) & (work["i_e"] > lo)]
        ms = np.minimum(work["i_e"], hi[work.index]) - np.maximum(work["i_s"], lo[work.index])
        window_rows.append(work[["agent_id", "shift_id"]].assign(actual=ms))
    overlap = pd.concat(overlap_rows, ignore_index=True)
    state, activity = overlap["state"], overlap["activity"]
    allowed = (
        (state == "APPROVED")
        | ((activity == "OPEN") & state.isin(OPEN_STATES))
        | (activity.isin(PAUSES) & state.isin(PAUSES))
        | (~activity.isin({"OPEN"} | PAUSES) & (state == activity))
    )
    overlap["nc"] = overlap["ms"].where(overlap["counts"] & (state == "UNMAPPED"), 0)
    overlap["in"] = overlap["ms"].where(overlap["counts"] & (state != "UNMAPPED") & allowed, 0)
    by_overlap = overlap.groupby(["agent_id", "shift_id"])[["nc", "in"]].sum()
    sc["counted"] = (sc["a_e"] - sc["a_s"]).where(sc["counts"], 0)
    sc["open"] = (sc["a_e"] - sc["a_s"]).where(sc["activity"] == "OPEN", 0)
    by_plan = sc.groupby(["agent_id", "shift_id"])[["counted", "open"]].sum()
    by_window = (
        pd.concat(window_rows, ignore_index=True)
        .groupby(["agent_id", "shift_id"])[["actual"]]
        .sum()
    )
    per_shift = (
        spans.set_index(["agent_id", "shift_id"])[["local_date"]]
        .join(by_plan)
        .join(by_overlap)
        .join(by_window)
        .fillna(0)
        .reset_index()
    )
    per_shift = per_shift[
        per_shift.set_index(["agent_id", "shift_id"]).index.isin(
            shifts.set_index(["agent_id", "shift_id"]).index
        )
    ]
    per_shift["scheduled_ms"] = (per_shift["counted"] - per_shift["nc"]).astype("int64")
    per_shift["in_adherence_ms"] = per_shift["in"].astype("int64")
    per_shift["out_of_adherence_charged_ms"] = (
        per_shift["scheduled_ms"] - per_shift["in_adherence_ms"]
    )
    per_shift["conformance_scheduled_ms"] = per_shift["open"].astype("int64")
    per_shift["conformance_actual_ms"] = per_shift["actual"].astype("int64")
    return per_shift


def _team_week(per_shift, roster):  # type: ignore[no-untyped-def]
    """Each shift's team on its local date, summed per team and ISO week."""
    import pandas as pd

    per_shift["date"] = pd.to_datetime(per_shift["local_date"])
    roster = roster.assign(
        valid_from=pd.to_datetime(roster["valid_from"]), valid_to=pd.to_datetime(roster["valid_to"])
    )
    teamed = pd.merge_asof(
        per_shift.sort_values("date"),
        roster.sort_values("valid_from"),
        left_on="date",
        right_on="valid_from",
        by="agent_id",
        direction="backward",
    )
    valid = teamed["team"].notna() & (
        teamed["valid_to"].isna() | (teamed["date"] <= teamed["valid_to"])
    )
    teamed["team"] = teamed["team"].where(valid, "(none)")
    iso = teamed["date"].dt.isocalendar()
    teamed["iso_week"] = iso["year"].astype(str) + "-W" + iso["week"].astype(str).str.zfill(2)
    return teamed.groupby(["team", "iso_week"], as_index=False)[list(TEAM_WEEK_SUMS)].sum()


if __name__ == "__main__":
    engine_main(__doc__, run)
