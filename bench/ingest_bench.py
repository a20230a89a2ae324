"""Ingest benchmark: 10 M generated events to validated state intervals, adherence vs DuckDB.

Usage (from the repository root, with the dev extra installed)::

    python bench/ingest_bench.py            # 10 M events, 3 runs of each pipeline
    python bench/ingest_bench.py --small    # ~0.4 M events, for a quick check
    python bench/ingest_bench.py --runs 5 --no-readme

Steps measured, each pipeline in a fresh process, for a Parquet export (true UTC instants) and
a CSV export (naive local times in Europe/Oslo):

1. read the file; pseudonymise agent ids (HMAC-SHA256 with the steward's key, computed once
   per distinct id); parse and localise timestamps; map raw statuses to canonical states;
   quarantine rows without a usable time, agent or status;
2. order each agent's events, keep the last row at each (agent, instant), start an interval
   where (state, reason) changes, end it at the agent's next change, clip the last at as_of.

adherence does this with ``io.read_iws`` and ``intervals.from_events`` (pandera validation of
every table included). The DuckDB peer does the same in SQL with window functions. The two
must agree exactly on the number of valid rows, the number of intervals and the total time in
every state, or the benchmark fails.

Wall time and peak memory (maximum resident set size) are those of the whole child process.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
KEY = "benchmark key, not a secret, 32+ bytes"
ZONE = "Europe/Oslo"
SIZES = {"full": {"n_agents": 1300, "weeks": 26}, "small": {"n_agents": 60, "weeks": 12}}


# --- data ----------------------------------------------------------------------------------


def make_data(size: str) -> dict[str, Path]:
    """Generate (once) the events as CSV and Parquet with the project's seeded generator."""
    from adherence.synth import generate, write_iws_csv, write_parquet

    folder = OUT / size
    files = {"csv": folder / "status_log.csv", "parquet": folder / "status_log.parquet"}
    if all(f.is_file() for f in files.values()):
        return files
    folder.mkdir(parents=True, exist_ok=True)
    data = generate(**SIZES[size], seed=2026)
    write_iws_csv(data, files["csv"])
    write_parquet(data, folder)
    print(f"generated {data.events.height:,} events into {folder.relative_to(HERE.parent)}")
    return files


# --- the two pipelines ---------------------------------------------------------------------


def run_adherence(source: Path) -> dict[str, object]:
    """adherence: read_iws -> from_events, then the summary."""
    import polars as pl

    import adherence as adh

    log = adh.io.read_iws(source, key=KEY, time_zone=ZONE)
    intervals = adh.intervals.from_events(log.valid).intervals
    per_state = intervals.group_by(pl.col("state").cast(pl.String)).agg(
        (pl.col("end") - pl.col("start")).dt.total_milliseconds().sum().alias("ms")
    )
    return {
        "rows_valid": log.report.rows_valid,
        "rows_quarantined": log.report.rows_quarantined,
        "intervals": intervals.height,
        "ms_by_state": dict(sorted(zip(per_state["state"], per_state["ms"], strict=True))),
    }


def _status_table() -> list[tuple[str, str | None]]:
    from adherence.mapping import StatusMapping

    mapping = StatusMapping.default()
    rows: list[tuple[str, str | None]] = [(k, v.value) for k, v in mapping.states.items()]
    return rows + [(k, None) for k in mapping.heartbeats]


def run_duckdb(source: Path) -> dict[str, object]:
    """DuckDB: the same steps in SQL; the HMAC per distinct id is computed in Python (DuckDB
    has no HMAC) and joined as a table, as the library computes it once per distinct id."""
    import duckdb

    from adherence.pseudonym import Pseudonymiser

    con = duckdb.connect()
    if source.suffix == ".parquet":
        con.execute(
            f"""CREATE TEMP VIEW raw AS SELECT row_number() OVER () AS seq,
                    epoch_ms(timestamp) AS ts, agent_id, status, reason
                FROM read_parquet('{source}')"""
        )
    else:
        con.execute(
            f"""CREATE TEMP VIEW raw AS SELECT row_number() OVER () AS seq,
                    epoch_ms(timezone('{ZONE}', try_strptime(timestamp, '%Y-%m-%dT%H:%M:%S')))
                        AS ts,
                    agent_id, status, reason
                FROM read_csv('{source}', all_varchar = true, header = true)"""
        )
    ids = [
        r[0]
        for r in con.sql("SELECT DISTINCT agent_id FROM raw WHERE agent_id IS NOT NULL").fetchall()
    ]
    pseudonymiser = Pseudonymiser(KEY)
    con.execute("CREATE TEMP TABLE ids (agent_id VARCHAR, pseudonym VARCHAR)")
    con.executemany("INSERT INTO ids VALUES (?, ?)", [(i, pseudonymiser.pseudonym(i)) for i in ids])
    con.execute("CREATE TEMP TABLE statuses (key VARCHAR, state VARCHAR)")
    con.executemany("INSERT INTO statuses VALUES (?, ?)", _status_table())
    normalise = (
        "regexp_replace(regexp_replace(lower({x}), '[\u2010-\u2015\u2212]', '-', 'g'),"
        " '[\\s_]+', '', 'g')"
    )
    summary = con.sql(
        f"""
        WITH events AS (
            SELECT r.seq, r.ts, i.pseudonym AS agent, r.status, nullif(trim(r.reason), '') AS reason
            FROM raw r LEFT JOIN ids i USING (agent_id)
        ),
        valid AS (
            SELECT * FROM events
            WHERE ts IS NOT NULL AND agent IS NOT NULL AND nullif(trim(status), '') IS NOT NULL
        ),
        pairs AS (
            SELECT DISTINCT status, reason FROM valid
        ),
        mapped_pairs AS (
            SELECT p.status, p.reason,
                   coalesce(both_.state, alone.state, 'UNMAPPED') AS state,
                   alone.key IS NOT NULL AND alone.state IS NULL AS heartbeat
            FROM pairs p
            LEFT JOIN statuses both_
                   ON p.reason IS NOT NULL
                  AND both_.key = {normalise.format(x="p.status || '-' || p.reason")}
            LEFT JOIN statuses alone ON alone.key = {normalise.format(x="p.status")}
        ),
        mapped AS (
            SELECT v.*, m.state FROM valid v
            JOIN mapped_pairs m ON v.status = m.status AND v.reason IS NOT DISTINCT FROM m.reason
            WHERE NOT m.heartbeat
        ),
        as_of AS (SELECT max(ts) AS as_of FROM valid),
        kept AS (
            SELECT * FROM mapped
            QUALIFY row_number() OVER (PARTITION BY agent, ts ORDER BY seq DESC) = 1
        ),
        changes AS (
            SELECT * FROM kept
            WINDOW w AS (PARTITION BY agent ORDER BY ts)
            QUALIFY lag(state) OVER w IS DISTINCT FROM state
                 OR lag(reason) OVER w IS DISTINCT FROM reason
                 OR lag(agent) OVER w IS NULL
        ),
        intervals AS (
            SELECT agent, state, ts AS start_ms,
                   least(coalesce(lead(ts) OVER (PARTITION BY agent ORDER BY ts), as_of), as_of)
                       AS end_ms
            FROM changes, as_of
            WHERE ts < as_of
        )
        SELECT
            (SELECT count(*) FROM valid) AS rows_valid,
            (SELECT count(*) FROM events) - (SELECT count(*) FROM valid) AS rows_quarantined,
            (SELECT count(*) FROM intervals) AS intervals,
            (SELECT list(struct_pack(state := state, ms := ms) ORDER BY state) FROM (
                SELECT state, sum(end_ms - start_ms)::BIGINT AS ms FROM intervals GROUP BY state
            )) AS ms_by_state
        """
    ).fetchall()[0]
    return {
        "rows_valid": summary[0],
        "rows_quarantined": summary[1],
        "intervals": summary[2],
        "ms_by_state": {item["state"]: item["ms"] for item in summary[3]},
    }


PIPELINES = {"adherence": run_adherence, "duckdb": run_duckdb}


# --- measuring -----------------------------------------------------------------------------


def measure(engine: str, source: Path) -> dict[str, object]:
    """Run one pipeline in a child process; its wall time and peak RSS."""
    started = time.perf_counter()
    child = subprocess.run(
        [sys.executable, __file__, "pipeline", engine, str(source)],
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    if child.returncode != 0:
        sys.exit(f"{engine} on {source.name} failed:\n{child.stderr}")
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"wall_s": wall, "peak_mb": peak_kib / 1024, "summary": json.loads(child.stdout)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="a quick run on ~0.4 M events")
    parser.add_argument("--runs", type=int, default=3, help="runs of each pipeline (default 3)")
    parser.add_argument("--no-readme", action="store_true", help="do not update bench/README.md")
    args = parser.parse_args()
    files = make_data("small" if args.small else "full")
    rows = []
    for kind, source in files.items():
        results: dict[str, list[dict[str, object]]] = {name: [] for name in PIPELINES}
        for _ in range(args.runs):  # alternate, so drift in machine speed hits both alike
            for name in PIPELINES:
                results[name].append(
                    json.loads(
                        subprocess.run(
                            [sys.executable, __file__, "measure", name, str(source)],
                            capture_output=True,
                            text=True,
                            check=True,
                        ).stdout
                    )
                )
        summaries = {name: runs[0]["summary"] for name, runs in results.items()}
        if summaries["adherence"] != summaries["duckdb"]:
            sys.exit(f"the pipelines disagree on {source.name}:\n{json.dumps(summaries, indent=1)}")
        walls = {n: [float(r["wall_s"]) for r in runs] for n, runs in results.items()}
        peaks = {n: max(float(r["peak_mb"]) for r in runs) for n, runs in results.items()}
        ratio = statistics.median(walls["adherence"]) / statistics.median(walls["duckdb"])
        events = summaries["adherence"]["rows_valid"]
        for name in PIPELINES:
            rows.append(
                f"| {kind} | {name} | {events:,} | {statistics.median(walls[name]):.1f} "
                f"| {min(walls[name]):.1f}–{max(walls[name]):.1f} | {peaks[name]:,.0f} "
                f"| {ratio:.2f} |"
            )
    table = "\n".join(
        [
            "| source | pipeline | valid events | median wall s | min–max s | peak RSS MB "
            "| adherence / duckdb |",
            "|---|---|---:|---:|---:|---:|---:|",
            *rows,
        ]
    )
    print(table)
    print("the two pipelines agree exactly on rows, intervals and time per state")
    if not args.no_readme and not args.small:
        readme = HERE / "README.md"
        text = readme.read_text(encoding="utf-8")
        head, rest = text.split("<!-- results:start -->", 1)
        _, tail = rest.split("<!-- results:end -->", 1)
        stamp = f"{args.runs} runs each, alternating; {time.strftime('%Y-%m-%d')}"
        readme.write_text(
            f"{head}<!-- results:start -->\n{table}\n\n({stamp})\n<!-- results:end -->{tail}",
            encoding="utf-8",
        )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "pipeline":
        print(json.dumps(PIPELINES[sys.argv[2]](Path(sys.argv[3]))))
    elif len(sys.argv) > 1 and sys.argv[1] == "measure":
        print(json.dumps(measure(sys.argv[2], Path(sys.argv[3]))))
    else:
        main()
