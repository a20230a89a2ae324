"""Time the union summary and the exports of a released table.

Data: the project's own generator, ``--agents`` agents (default 300) over ``--weeks`` weeks
(default 4), in a workspace in a temporary folder. Timed, each as the best of ``--repeat``
runs:

1. the fairness audit of "MEAL ≤ 30:00" by site (the door, for scale);
2. the summary of that audit as text and as HTML, in bokmål;
3. exports of a team × ISO week report: Arrow stream into polars, pyarrow and DuckDB,
   ``write_excel`` and ``write_csv(excel=True)`` (each one recorded export).

Run: ``python bench/summary_run.py`` (``--agents 100 --weeks 2`` for a quick look).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa

import adherence as adh
from adherence.rules import PauseLimit
from adherence.summary import fairness_summary_html, fairness_summary_text

KEY = "bench pseudonymisation key, long enough"
AUDIT_KEY = "bench audit key, long enough"


def best(label: str, work: Callable[[], object], repeat: int) -> None:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    print(f"{label:<42} {1000 * min(times):9.1f} ms")


def _duckdb(released: object) -> list[tuple[object, ...]]:
    # DuckDB finds the table by its local name.
    return duckdb.sql("select * from released").fetchall()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=300)
    parser.add_argument("--weeks", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        where = Path(folder)
        sample = adh.synth.load_sample(key=KEY, n_agents=args.agents, weeks=args.weeks)
        ws = adh.Workspace.open(where / "a.db", audit_key=AUDIT_KEY, key=KEY)
        ws.add(sample.log, schedule=sample.schedule, roster=sample.roster)
        union = adh.Auditor("union-rep")
        rule = PauseLimit("MEAL", timedelta(minutes=30))
        best("audit MEAL <= 30:00 by site", lambda: ws.audit_tolerance(rule, by=["site"],
             viewer=union), 1)  # fmt: skip
        audit = ws.audit_tolerance(rule, by=["site"], viewer=union)
        best("summary text (nb)", lambda: fairness_summary_text(audit, "nb"), args.repeat)
        best("summary HTML (nb)", lambda: fairness_summary_html(audit, "nb"), args.repeat)
        released = ws.report("adherence_pct", by=["team", "iso_week"], viewer=adh.Steward("wfm"))
        print(f"report: {released.height} cells")
        best("arrow -> polars", lambda: pl.DataFrame(released), args.repeat)
        best("arrow -> pyarrow", lambda: pa.table(released), args.repeat)
        best("arrow -> duckdb", lambda: _duckdb(released), args.repeat)
        best("write_excel", lambda: released.write_excel(where / "t.xlsx"), args.repeat)
        best("write_csv(excel=True)", lambda: released.write_csv(where / "t.csv", excel=True),
             args.repeat)  # fmt: skip
        best("write_csv", lambda: released.write_csv(where / "p.csv"), args.repeat)
        ws.close()


if __name__ == "__main__":
    main()
