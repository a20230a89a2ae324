"""Ingest benchmark: about 10 M events to validated state intervals, adherence vs DuckDB SQL.

Usage (from the repository root, with the dev environment)::

    python bench/run.py                # 10.07 M events, 3 runs of each pipeline per source
    python bench/run.py --runs 5
    python bench/run.py --small        # 0.16 M events, a quick check (README left alone)
    python bench/run.py --no-readme    # do not write the table into bench/README.md

For each source (Parquet with UTC instants, CSV with naive local times) each pipeline runs
``--runs`` times, every run in a fresh process wrapped by ``measure.py`` (wall time and peak
RSS of that one child); the order of the two pipelines alternates from run to run and the
file is read once beforehand so that both meet a warm page cache.

The two pipelines must agree exactly on every compared figure (rows in, valid and
quarantined, quarantine reasons, the set of pseudonyms, the number of intervals, the
milliseconds per state and in total), in every run; otherwise the differences are printed
and the exit status is 1. Raw results go to ``bench/out/results-<size>.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

from common import BENCH, COMPARED, OUT
from data import ensure, write_mapping

ENGINES = ("adherence", "duckdb")
SOURCES = ("parquet", "csv")
START, END = "<!-- results:start -->", "<!-- results:end -->"
TARGET_MIB = 4096


def _command(engine: str, source: Path, mapping: Path) -> list[str]:
    script = BENCH / f"{engine}_pipeline.py"
    extra = ["--mapping", str(mapping)] if engine == "duckdb" else []
    return [sys.executable, str(script), str(source), *extra]


def _measure(command: list[str]) -> dict[str, object]:
    wrapped = subprocess.run(
        [sys.executable, str(BENCH / "measure.py"), *command],
        capture_output=True,
        text=True,
        check=True,
    )
    measured = json.loads(wrapped.stdout)
    if measured["returncode"] != 0 or measured["result"] is None:
        sys.exit(f"failed: {' '.join(Path(c).name for c in command)}\n{measured['stderr']}")
    return measured


def _warm(path: Path) -> None:
    """Read the file once so that every run meets the same (warm) page cache."""
    with path.open("rb") as handle:
        while handle.read(1 << 24):
            pass


def _differences(a: dict[str, object], b: dict[str, object]) -> list[str]:
    """Human-readable differences between two summaries on the compared fields."""
    lines = []
    for field in COMPARED:
        left, right = a.get(field), b.get(field)
        if left == right:
            continue
        if isinstance(left, dict) and isinstance(right, dict):
            for key in sorted(set(left) | set(right)):
                if left.get(key) != right.get(key):
                    lines.append(f"  {field}[{key}]: {left.get(key)} vs {right.get(key)}")
        else:
            lines.append(f"  {field}: {left} vs {right}")
    return lines


def _git_state() -> str:
    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=BENCH.parent, capture_output=True, text=True, check=False
        )
        return done.stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--", "src")
    return f"`{commit}`" + (" with uncommitted changes in `src/`" if dirty else "")


def _machine() -> str:
    import duckdb
    import polars

    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.is_file():
        total_kib = int(meminfo.read_text().split("MemTotal:")[1].split()[0])
        memory = f", {total_kib / 2**20:.0f} GiB RAM"
    return (
        f"{os.cpu_count()} cores{memory}, {platform.system()} {platform.machine()}; "
        f"Python {platform.python_version()}, polars {polars.__version__}, "
        f"duckdb {duckdb.__version__}"
    )


def _fmt_s(seconds: float) -> str:
    return f"{seconds:.1f}" if seconds >= 10 else f"{seconds:.2f}"


def _table(results: dict[str, dict[str, list[dict[str, object]]]]) -> str:
    rows = [
        "| source | engine | valid events | intervals | median wall s | min–max s "
        "| median CPU s | peak RSS MiB | adherence / duckdb (median wall) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for kind, by_engine in results.items():
        walls = {e: [float(r["wall_s"]) for r in runs] for e, runs in by_engine.items()}
        ratio = statistics.median(walls["adherence"]) / statistics.median(walls["duckdb"])
        for engine, runs in by_engine.items():
            summary = runs[0]["result"]
            peak = max(int(r["peak_rss_kib"]) for r in runs) / 1024
            cpu = statistics.median(float(r["cpu_s"]) for r in runs)
            shown = f"{ratio:.2f}" if engine == "adherence" else ""
            rows.append(
                f"| {kind} | {engine} | {summary['rows_valid']:,} | {summary['intervals']:,} "
                f"| {_fmt_s(statistics.median(walls[engine]))} "
                f"| {_fmt_s(min(walls[engine]))}–{_fmt_s(max(walls[engine]))} "
                f"| {_fmt_s(cpu)} | {peak:,.0f} | {shown} |"
            )
    return "\n".join(rows)


def _stages(results: dict[str, dict[str, list[dict[str, object]]]]) -> str:
    """Median seconds per stage, as each pipeline reports them (informative)."""
    lines = []
    for kind, by_engine in results.items():
        for engine, runs in by_engine.items():
            stages = runs[0]["result"]["seconds"]
            medians = {
                s: statistics.median(r["result"]["seconds"][s] for r in runs) for s in stages
            }
            text = ", ".join(f"{s} {v:.2f}" for s, v in medians.items())
            lines.append(f"- {kind}, {engine}: {text}")
    return "\n".join(lines)


def _verdict(results: dict[str, dict[str, list[dict[str, object]]]]) -> str:
    lines = []
    for kind, by_engine in results.items():
        wall = {
            e: statistics.median(float(r["wall_s"]) for r in runs) for e, runs in by_engine.items()
        }
        peak = max(int(r["peak_rss_kib"]) for r in by_engine["adherence"]) / 1024
        fast = "met" if wall["adherence"] <= wall["duckdb"] else "not met"
        small = "met" if peak < TARGET_MIB else "not met"
        lines.append(
            f"- {kind}: at least as fast as DuckDB: **{fast}** "
            f"({wall['adherence']:.1f} s vs {wall['duckdb']:.1f} s); "
            f"peak memory under 4 GiB: **{small}** ({peak:,.0f} MiB)"
        )
    return "\n".join(lines)


def write_readme(block: str, start: str = START, end: str = END) -> None:
    """Put ``block`` between the ``start`` and ``end`` markers of ``bench/README.md``."""
    readme = BENCH / "README.md"
    text = readme.read_text(encoding="utf-8")
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    readme.write_text(f"{head}{start}\n{block}\n{end}{tail}", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="130 agents x 4 weeks, quick")
    parser.add_argument("--runs", type=int, default=3, help="runs per pipeline and source")
    parser.add_argument("--no-readme", action="store_true", help="leave bench/README.md alone")
    args = parser.parse_args()
    size = "small" if args.small else "full"
    files = ensure(size)
    mapping = write_mapping(OUT / "status_mapping.json")

    results: dict[str, dict[str, list[dict[str, object]]]] = {}
    failures = []
    for kind in SOURCES:
        source = files[kind]
        _warm(source)
        runs: dict[str, list[dict[str, object]]] = {e: [] for e in ENGINES}
        for i in range(args.runs):
            order = ENGINES if i % 2 == 0 else ENGINES[::-1]
            for engine in order:
                measured = _measure(_command(engine, source, mapping))
                runs[engine].append(measured)
                print(
                    f"{kind:8} {engine:10} run {i + 1}: {measured['wall_s']:6.2f} s, "
                    f"{int(measured['peak_rss_kib']) / 1024:7,.0f} MiB",
                    flush=True,
                )
        results[kind] = runs
        reference = runs["adherence"][0]["result"]
        for engine in ENGINES:
            for i, measured in enumerate(runs[engine]):
                diff = _differences(reference, measured["result"])
                if diff:
                    failures.append(f"{kind}: adherence run 1 vs {engine} run {i + 1}:")
                    failures.extend(diff)

    (OUT / f"results-{size}.json").write_text(json.dumps(results, indent=1) + "\n")
    table = _table(results)
    stamp = (
        f"{args.runs} runs of each pipeline per source, order alternating; measured "
        f"{dt.date.today().isoformat()} at commit {_git_state()}; {_machine()}."
    )
    block = "\n\n".join(
        [
            table,
            stamp,
            "Targets:\n" + _verdict(results),
            "Median seconds per stage:\n" + _stages(results),
        ]
    )
    print()
    print(block)
    cross = _differences(
        results["parquet"]["adherence"][0]["result"], results["csv"]["adherence"][0]["result"]
    )
    print()
    if cross:
        print("warning: the CSV and Parquet exports give different summaries:")
        print("\n".join(cross))
    else:
        print("CSV (local times) and Parquet (UTC) give identical summaries.")
    if failures:
        print("\nTHE PIPELINES DISAGREE:", file=sys.stderr)
        print("\n".join(failures), file=sys.stderr)
        sys.exit(1)
    print("adherence and DuckDB agree exactly on every compared figure, in every run.")
    if not args.small and not args.no_readme:
        write_readme(block)
        print("results written into bench/README.md")


if __name__ == "__main__":
    main()
