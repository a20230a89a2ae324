"""Prepare the engine benchmark's input once: validated intervals, schedule and roster.

Usage (from the repository root)::

    python bench/engine_data.py            # from the ~10 M event log of bench/data.py
    python bench/engine_data.py --small

Writes ``bench/out/<size>/engine/``: ``intervals.parquet`` (``StateInterval`` rows from
``adherence.intervals.from_events``, a missing Log Off inferred from the schedule),
``schedule.parquet`` (``ScheduledActivity``) and ``roster.parquet`` (``Roster``), all read
with the library and keyed with the benchmark's key. ``meta.json`` is written last; the files
are reused while it matches the raw data's.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from common import KEY, SEED, SIZES, data_dir
from data import ensure

NAMES = ("intervals", "schedule", "roster")


def prepare(size: str) -> dict[str, Path]:
    """Return the engine inputs of ``size``, making them first if needed."""
    raw = ensure(size)
    folder = data_dir(size) / "engine"
    paths = {name: folder / f"{name}.parquet" for name in NAMES}
    meta_path = folder / "meta.json"
    wanted = {
        "seed": SEED,
        **SIZES[size],
        "raw": json.loads((raw["parquet"].parent / "meta.json").read_text()),
    }
    ready = meta_path.is_file() and all(p.is_file() for p in paths.values())
    if ready and json.loads(meta_path.read_text(encoding="utf-8")) == wanted:
        return paths
    import adherence
    from adherence.synth import generate, write_roster_csv

    started = time.perf_counter()
    folder.mkdir(parents=True, exist_ok=True)
    meta_path.unlink(missing_ok=True)
    data = generate(n_agents=SIZES[size]["n_agents"], weeks=SIZES[size]["weeks"], seed=SEED)
    roster_csv = write_roster_csv(data, folder)
    schedule = adherence.io.read_schedule(raw["schedule"], key=KEY).valid
    log = adherence.io.read_iws(raw["parquet"], key=KEY).valid
    intervals = adherence.intervals.from_events(log, schedule=schedule).intervals
    intervals.write_parquet(paths["intervals"])
    schedule.write_parquet(paths["schedule"])
    adherence.io.read_roster(roster_csv, key=KEY).valid.write_parquet(paths["roster"])
    roster_csv.unlink()
    meta_path.write_text(json.dumps(wanted, indent=2) + "\n", encoding="utf-8")
    print(f"prepared {intervals.height:,} intervals in {time.perf_counter() - started:.0f} s")
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="130 agents x 4 weeks")
    args = parser.parse_args()
    for name, path in prepare("small" if args.small else "full").items():
        print(f"{name}: {path} ({path.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
