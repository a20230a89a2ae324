"""Engine benchmark: ~10 M intervals to team x ISO-week adherence and conformance.

Usage (from the repository root, with the dev environment)::

    python bench/engine_run.py                 # 3 runs of adherence and DuckDB, 1 of pandas
    python bench/engine_run.py --runs 5 --pandas-runs 2
    python bench/engine_run.py --small         # a quick check (README left alone)
    python bench/engine_run.py --no-readme

Each pipeline (``engine_adherence.py``, ``engine_duckdb.py``, ``engine_pandas.py``) reads the
same prepared Parquet files (``engine_data.py``) and computes per-shift figures and the team x
ISO-week sums; every run is a fresh process wrapped by ``measure.py`` (wall time, peak RSS),
the order alternating. All runs must agree exactly on every cell; otherwise the differences
are printed and the exit status is 1. Raw results go to ``bench/out/engine-results-<size>.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
from pathlib import Path

from common import BENCH, OUT
from engine_data import prepare
from run import _git_state, _machine, _measure, _warm, write_readme

ENGINES = ("adherence", "duckdb", "pandas")
COMPARED = ("cells", "totals", "adherence_pct", "conformance_pct", "cells_digest", "first_cells")
START, END = "<!-- engine-results:start -->", "<!-- engine-results:end -->"
TARGETS = {"duckdb": 3.0, "pandas": 20.0}
TARGET_MIB = 4096


def _command(engine: str, folder: Path) -> list[str]:
    return [sys.executable, str(BENCH / f"engine_{engine}.py"), str(folder)]


def _fmt_s(seconds: float) -> str:
    return f"{seconds:.1f}" if seconds >= 10 else f"{seconds:.2f}"


def _report(runs: dict[str, list[dict[str, object]]]) -> str:
    wall = {e: statistics.median(float(r["wall_s"]) for r in rs) for e, rs in runs.items()}
    peak = {e: max(int(r["peak_rss_kib"]) for r in rs) / 1024 for e, rs in runs.items()}
    rows = [
        "| engine | runs | median wall s | min–max s | median CPU s | peak RSS MiB "
        "| peer / adherence (median wall) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for engine, rs in runs.items():
        walls = [float(r["wall_s"]) for r in rs]
        ratio = "" if engine == "adherence" else f"{wall[engine] / wall['adherence']:.1f}×"
        rows.append(
            f"| {engine} | {len(rs)} | {_fmt_s(wall[engine])} | {_fmt_s(min(walls))}–"
            f"{_fmt_s(max(walls))} | {_fmt_s(statistics.median(float(r['cpu_s']) for r in rs))} "
            f"| {peak[engine]:,.0f} | {ratio} |"
        )
    first = runs["adherence"][0]["result"]
    summary = (
        f"{first['intervals']:,} intervals, {first['shifts']:,} agent × shift rows, "
        f"{first['cells']:,} team × week cells; adherence {first['adherence_pct']:.3f} %, "
        f"conformance {first['conformance_pct']:.3f} % over all."
    )
    verdict = []
    for peer, factor in TARGETS.items():
        if peer not in wall:
            continue
        met = wall[peer] / wall["adherence"] >= factor
        verdict.append(
            f"- at least {factor:.0f}× faster than {peer}: **{'met' if met else 'not met'}** "
            f"({wall[peer] / wall['adherence']:.1f}×)"
        )
    small = peak["adherence"] < TARGET_MIB
    verdict.append(
        f"- peak memory under 4 GiB: **{'met' if small else 'not met'}** "
        f"({peak['adherence']:,.0f} MiB)"
    )
    stages = []
    for engine, rs in runs.items():
        names = rs[0]["result"]["seconds"]
        medians = {s: statistics.median(r["result"]["seconds"][s] for r in rs) for s in names}
        stages.append(f"- {engine}: " + ", ".join(f"{s} {v:.2f}" for s, v in medians.items()))
    return "\n\n".join(
        [
            "\n".join(rows),
            summary,
            "Targets:\n" + "\n".join(verdict),
            "Median seconds per stage:\n" + "\n".join(stages),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="130 agents x 4 weeks, quick")
    parser.add_argument("--runs", type=int, default=3, help="runs of adherence and DuckDB")
    parser.add_argument(
        "--pandas-runs", type=int, default=1, help="runs of pandas (slow; 0 skips it)"
    )
    parser.add_argument("--no-readme", action="store_true", help="leave bench/README.md alone")
    args = parser.parse_args()
    size = "small" if args.small else "full"
    paths = prepare(size)
    folder = paths["intervals"].parent
    for path in paths.values():
        _warm(path)
    counts = {"adherence": args.runs, "duckdb": args.runs, "pandas": args.pandas_runs}
    runs: dict[str, list[dict[str, object]]] = {e: [] for e in ENGINES}
    for i in range(max(counts.values())):
        order = ENGINES if i % 2 == 0 else ENGINES[::-1]
        for engine in order:
            if len(runs[engine]) >= counts[engine]:
                continue
            measured = _measure(_command(engine, folder))
            runs[engine].append(measured)
            print(
                f"{engine:10} run {len(runs[engine])}: {measured['wall_s']:7.2f} s, "
                f"{int(measured['peak_rss_kib']) / 1024:7,.0f} MiB",
                flush=True,
            )
    runs = {engine: rs for engine, rs in runs.items() if rs}  # --pandas-runs 0 skips pandas
    reference = runs["adherence"][0]["result"]
    failures = [
        f"{engine} run {i + 1}: {field}: {measured['result'].get(field)} vs {reference.get(field)}"
        for engine, rs in runs.items()
        for i, measured in enumerate(rs)
        for field in COMPARED
        if measured["result"].get(field) != reference.get(field)
    ]
    (OUT / f"engine-results-{size}.json").write_text(json.dumps(runs, indent=1) + "\n")
    stamp = (
        f"Measured {dt.date.today().isoformat()} at commit {_git_state()}; {_machine()}; "
        f"pandas {__import__('pandas').__version__}."
    )
    block = _report(runs) + "\n\n" + stamp
    print()
    print(block)
    if failures:
        print("\nTHE PIPELINES DISAGREE:", file=sys.stderr)
        print("\n".join(failures), file=sys.stderr)
        sys.exit(1)
    print("\nadherence, DuckDB and pandas agree exactly on every team × week cell, in every run.")
    if not args.small and not args.no_readme and len(runs) == len(ENGINES):
        write_readme(block, START, END)
        print("results written into bench/README.md")


if __name__ == "__main__":
    main()
