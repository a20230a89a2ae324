"""The end-to-end job with adherence: CSV status log to a released team x ISO-week report.

Usage::

    python bench/scale_adherence.py CSV ENGINE_FOLDER [--mode buckets|memory]
                                    [--buckets N] [--workers N] [--work DIR]

One process, the library's public path:

- ``--mode buckets`` (default): ``adherence.buckets.to_buckets([CSV], ...)`` into a new
  folder under ``--work`` (a streaming pass writes the raw rows by bucket, then each bucket is
  ingested), ``Workspace.add_buckets`` (one bucket at a time; with ``--workers N`` on a local
  Dask cluster of N single-threaded worker processes started by this process, its start-up
  and the library's import in each worker timed as ``cluster``);
- ``--mode memory``: ``read_iws`` and ``Workspace.add`` with everything in memory;

then ``Workspace.report("adherence_pct", by=["team", "iso_week"], viewer=Steward)``: the plan,
the privacy decision against the ledger, the release and its audit record (``report``).
Schedule and roster are the prepared Parquet files of ``engine_data.py`` (``schedule.parquet``,
``roster.parquet``, read with the same key). After the timed stages, ``check`` sums the
private atoms per team and ISO week for the comparison with the DuckDB peer (not released).

Prints one line of JSON.
"""

from __future__ import annotations

import argparse
import importlib
import json
import shutil
import tempfile
import time
from pathlib import Path

from common import KEY, TEAM_WEEK_SUMS, team_week_summary

AUDIT_KEY = "benchmark audit key, not a secret, 32+ bytes"


def run(args: argparse.Namespace) -> dict[str, object]:
    """Run the job; return its summary."""
    started = time.perf_counter()
    import polars as pl

    import adherence as adh
    from adherence.buckets import to_buckets

    stamps = {"import": time.perf_counter()}
    work = Path(tempfile.mkdtemp(dir=args.work))
    schedule = pl.read_parquet(args.folder / "schedule.parquet")
    roster = pl.read_parquet(args.folder / "roster.parquet")
    ws = adh.Workspace.open(work / "ws.db", key=KEY, audit_key=AUDIT_KEY)
    client = cluster = None
    if args.workers:
        from distributed import Client, LocalCluster

        cluster = LocalCluster(
            n_workers=args.workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            memory_limit=f"{args.worker_gib}GiB",
        )
        client = Client(cluster)
        # Long-lived workers have the library imported; a fresh cluster pays it here.
        client.run(importlib.import_module, "adherence.privacy._buckets")
        stamps["cluster"] = time.perf_counter()
    if args.mode == "buckets":
        store = to_buckets([args.source], work / "store", key=KEY, buckets=args.buckets)
        report = store.report
        stamps["ingest"] = time.perf_counter()
        ws.add_buckets(store, schedule=schedule, roster=roster, executor=client)
    else:
        log = adh.io.read_iws(args.source, key=KEY)
        report = log.report
        stamps["ingest"] = time.perf_counter()
        ws.add(log, schedule=schedule, roster=roster)
        del log
    stamps["add"] = time.perf_counter()
    released = ws.report("adherence_pct", by=["team", "iso_week"], viewer=adh.Steward("wfm"))
    stamps["report"] = time.perf_counter()
    days = ws._data().days  # the private atoms, only to check agreement with the peer
    cells = (
        days.with_columns(pl.col("team").fill_null("(none)"))
        .group_by("team", "iso_week")
        .agg(pl.col(list(TEAM_WEEK_SUMS)).sum())
        .select("team", "iso_week", *TEAM_WEEK_SUMS)
    )
    stamps["check"] = time.perf_counter()
    if client is not None and cluster is not None:
        client.close()
        cluster.close()
    ws.close()
    shutil.rmtree(work, ignore_errors=True)
    seconds, previous = {}, started
    for name, stamp in stamps.items():
        seconds[name] = round(stamp - previous, 2)
        previous = stamp
    return {
        "engine": "adherence",
        "mode": args.mode + (f"+dask{args.workers}" if args.workers else ""),
        "rows_in": report.rows_in,
        "rows_valid": report.rows_valid,
        "rows_quarantined": report.rows_quarantined,
        "released_cells": released.released_count,
        "suppressed_cells": released.suppressed_count,
        **team_week_summary(cells.iter_rows()),
        "seconds": seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="the CSV status log")
    parser.add_argument("folder", type=Path, help="schedule.parquet and roster.parquet")
    parser.add_argument("--mode", choices=("buckets", "memory"), default="buckets")
    parser.add_argument("--buckets", type=int, default=16)
    parser.add_argument("--workers", type=int, default=0, help="a local Dask cluster")
    parser.add_argument("--worker-gib", type=int, default=8, help="memory limit per worker")
    parser.add_argument("--work", type=Path, default=None, help="where the store goes")
    args = parser.parse_args()
    print(json.dumps(run(args)))


if __name__ == "__main__":
    main()
