"""adherence: intervals, schedule and roster to team x ISO-week totals, as one line of JSON.

Usage::

    python bench/engine_adherence.py FOLDER

``FOLDER`` holds ``intervals.parquet``, ``schedule.parquet`` and ``roster.parquet`` (see
``bench/engine_data.py``). The steps are the library's: the engine's boundary sweep
(``adherence._engine.sweep``), its per agent x shift figures, then each shift's team (the
roster row valid on the shift's local date) and the sums per team and ISO week.
"""

from __future__ import annotations

import time
from pathlib import Path

from common import TEAM_WEEK_SUMS, engine_main, team_week_summary


def run(folder: Path) -> dict[str, object]:
    """Compute the team-week totals with adherence and summarise them."""
    started = time.perf_counter()
    import polars as pl

    from adherence import _engine

    imported = time.perf_counter()
    intervals = pl.read_parquet(folder / "intervals.parquet")
    schedule = pl.read_parquet(folder / "schedule.parquet")
    roster = pl.read_parquet(
        folder / "roster.parquet", columns=["agent_id", "team", "valid_from", "valid_to"]
    )
    read = time.perf_counter()
    sweep = _engine.sweep(intervals, schedule)
    swept = time.perf_counter()
    figures = sweep.figures()
    figured = time.perf_counter()
    # Each shift's team: the roster row of the agent valid on the shift's local date.
    teamed = figures.sort("local_date").join_asof(
        roster.sort("valid_from"),
        left_on="local_date",
        right_on="valid_from",
        by="agent_id",
        strategy="backward",
        check_sortedness=False,  # both sides are sorted by date just above
    )
    valid = pl.col("valid_to").is_null() | (pl.col("local_date") <= pl.col("valid_to"))
    cells = (
        teamed.with_columns(
            pl.when(valid & pl.col("team").is_not_null())
            .then(pl.col("team"))
            .otherwise(pl.lit("(none)")),
            pl.col("local_date").dt.strftime("%G-W%V").alias("iso_week"),
        )
        .pipe(_engine.totals, by=["team", "iso_week"])
        .select("team", "iso_week", *TEAM_WEEK_SUMS)
        .collect()
    )
    done = time.perf_counter()
    return {
        "engine": "adherence",
        "intervals": intervals.height,
        "shifts": figures.height,
        **team_week_summary(cells.iter_rows()),
        "seconds": {
            "import": round(imported - started, 2),
            "read": round(read - imported, 2),
            "sweep": round(swept - read, 2),
            "figures": round(figured - swept, 2),
            "team_week": round(done - figured, 2),
        },
    }


if __name__ == "__main__":
    engine_main(__doc__, run)
