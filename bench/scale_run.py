"""End-to-end benchmark: CSV status log to a released team x ISO-week report, vs DuckDB SQL.

Usage (from the repository root, with the dev environment)::

    python bench/scale_run.py                        # 10.07 M events: buckets, memory, DuckDB
    python bench/scale_run.py --runs 5
    python bench/scale_run.py --jobs buckets,dask2   # the local Dask cluster vs one process
    python bench/scale_run.py --size huge --runs 1 --jobs buckets   # 100 M events
    python bench/scale_run.py --small                # 0.16 M events, a quick check

Each job runs ``--runs`` times, every run a fresh process wrapped by ``measure.py`` (wall
time, CPU time and peak RSS of that one child and its waited-for children), the order of the
jobs rotating from run to run; the CSV is read once beforehand (warm page cache). Jobs:

- ``buckets``: ``scale_adherence.py --mode buckets`` (``to_buckets`` + ``add_buckets`` + the
  released report, one bucket at a time);
- ``memory``: ``scale_adherence.py --mode memory`` (``read_iws`` + ``add`` + the report);
- ``dask2``: ``buckets`` with the buckets on a local Dask cluster of 2 worker processes;
- ``duckdb``: ``scale_duckdb.py`` (CSV to the team x week table in SQL, no privacy layer).

Every job must give the same team x week sums (a digest of every cell); otherwise the
differences are printed and the exit status is 1. Results go to
``bench/out/scale-<size>.json`` and, unless ``--small`` or ``--no-readme``, into
``bench/README.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
from pathlib import Path

from common import BENCH, OUT, SIZES
from data import ensure, write_mapping
from engine_data import prepare
from run import _fmt_s, _git_state, _machine, _measure, _warm, write_readme
from scale_data import ensure as ensure_huge

JOBS = ("buckets", "memory", "duckdb")
COMPARED = ("rows_in", "rows_valid", "rows_quarantined", "cells", "totals", "cells_digest")
#: Buckets per size: about 1.3-1.6 M events a bucket (small: 2, to exercise the merge).
BUCKETS = {"small": 2, "full": 8, "huge": 64}


def _command(job: str, csv: Path, folder: Path, mapping: Path, size: str) -> list[str]:
    if job == "duckdb":
        return [sys.executable, str(BENCH / "scale_duckdb.py"), str(csv), str(folder),
                "--mapping", str(mapping)]  # fmt: skip
    mode = "memory" if job == "memory" else "buckets"
    command = [sys.executable, str(BENCH / "scale_adherence.py"), str(csv), str(folder),
               "--mode", mode, "--buckets", str(BUCKETS[size]), "--work", str(OUT)]  # fmt: skip
    if job.startswith("dask"):
        command += ["--workers", job.removeprefix("dask")]
    return command


def _table(runs: dict[str, list[dict[str, object]]], events: int) -> str:
    rows = [
        "| job | runs | median wall s | min–max s | median CPU s | peak RSS MiB "
        "| wall s per 10 M events | peak MiB per 10 M events | DuckDB / job (median wall) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    walls = {j: statistics.median(float(r["wall_s"]) for r in rs) for j, rs in runs.items()}
    for job, measured in runs.items():
        wall = walls[job]
        peak = max(int(r["peak_rss_kib"]) for r in measured) / 1024
        cpu = statistics.median(float(r["cpu_s"]) for r in measured)
        ratio = f"{walls['duckdb'] / wall:.2f}×" if "duckdb" in walls and job != "duckdb" else ""
        per = 1e7 / events
        rows.append(
            f"| {job} | {len(measured)} | {_fmt_s(wall)} "
            f"| {_fmt_s(min(float(r['wall_s']) for r in measured))}–"
            f"{_fmt_s(max(float(r['wall_s']) for r in measured))} | {_fmt_s(cpu)} "
            f"| {peak:,.0f} | {_fmt_s(wall * per)} | {peak * per:,.0f} | {ratio} |"
        )
    return "\n".join(rows)


def _stages(runs: dict[str, list[dict[str, object]]]) -> str:
    lines = []
    for job, measured in runs.items():
        stages = measured[0]["result"]["seconds"]  # type: ignore[index]
        medians = {
            s: statistics.median(r["result"]["seconds"][s] for r in measured)  # type: ignore[index]
            for s in stages
        }
        lines.append(f"- {job}: " + ", ".join(f"{s} {v:.2f}" for s, v in medians.items()))
    return "\n".join(lines)


def _privacy_share(runs: dict[str, list[dict[str, object]]]) -> str:
    lines = []
    for job, measured in runs.items():
        if job == "duckdb":
            continue
        shares = [
            r["result"]["seconds"]["report"] / float(r["wall_s"])  # type: ignore[index]
            for r in measured
        ]
        lines.append(
            f"- {job}: the privacy decision and the release take at most "
            f"{100 * max(shares):.1f} % of the wall time"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=tuple(SIZES), default="full")
    parser.add_argument("--small", action="store_true", help="the same as --size small")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", default=",".join(JOBS), help="comma-separated jobs")
    parser.add_argument("--groups", type=int, default=10, help="huge: groups of 1,300 agents")
    parser.add_argument("--tag", help="the README markers (default scale-<size>)")
    parser.add_argument("--no-readme", action="store_true")
    args = parser.parse_args()
    size = "small" if args.small else args.size
    jobs = [j.strip() for j in args.jobs.split(",") if j.strip()]
    if size == "huge":
        huge = ensure_huge(args.groups)
        csv, folder = huge["csv"], huge["folder"]
    else:
        csv = ensure(size)["csv"]
        folder = prepare(size)["schedule"].parent
    mapping = write_mapping(OUT / "status_mapping.json")
    _warm(csv)
    runs: dict[str, list[dict[str, object]]] = {j: [] for j in jobs}
    for i in range(args.runs):
        order = jobs[i % len(jobs) :] + jobs[: i % len(jobs)]
        for job in order:
            measured = _measure(_command(job, csv, folder, mapping, size))
            runs[job].append(measured)
            print(
                f"{job:8} run {i + 1}: {measured['wall_s']:7.2f} s, "
                f"cpu {measured['cpu_s']:7.2f} s, "
                f"{int(measured['peak_rss_kib']) / 1024:8,.0f} MiB  "
                f"{measured['result']['seconds']}",  # type: ignore[index]
                flush=True,
            )
    failures = []
    reference = runs[jobs[0]][0]["result"]
    for job, measured in runs.items():
        for i, m in enumerate(measured):
            for field in COMPARED:
                if m["result"][field] != reference[field]:  # type: ignore[index]
                    failures.append(f"{job} run {i + 1}: {field} differs")
    (OUT / f"scale-{size}.json").write_text(json.dumps(runs, indent=1) + "\n")
    events = int(reference["rows_in"])  # type: ignore[index]
    summary = reference
    block = "\n\n".join(
        [
            _table(runs, events),
            f"{events:,} events ({summary['rows_valid']:,} valid), {summary['cells']:,} "  # type: ignore[index]
            f"team × week cells ({summary.get('released_cells', '?')} released); "  # type: ignore[union-attr]
            f"{args.runs} runs of each job, order rotating; measured "
            f"{dt.date.today().isoformat()} at commit {_git_state()}; {_machine()}.",
            "Median seconds per stage:\n" + _stages(runs),
            "Privacy layer:\n" + _privacy_share(runs),
        ]
    )
    print()
    print(block)
    if failures:
        print("\nTHE JOBS DISAGREE:\n" + "\n".join(failures), file=sys.stderr)
        sys.exit(1)
    print("every job gives the same team × week sums in every run.")
    if size != "small" and not args.no_readme:
        tag = args.tag or f"scale-{size}"
        write_readme(block, f"<!-- {tag}:start -->", f"<!-- {tag}:end -->")
        print(f"results written into bench/README.md ({tag})")


if __name__ == "__main__":
    main()
