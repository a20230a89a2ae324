"""Generate the benchmark's input once, with the project's seeded generator.

Usage (from the repository root)::

    python bench/data.py            # about 10.07 M events (1300 agents, 26 weeks)
    python bench/data.py --small    # about 0.2 M events (130 agents, 4 weeks)
    python bench/data.py --force    # generate again even if the files are there

Writes into ``bench/out/<size>/`` (git-ignored): ``status_log.csv`` (variant ``iws``: naive
local times in Europe/Oslo, ``,``, UTF-8), ``status_log.parquet`` (true UTC instants) and
``schedule.csv``. ``meta.json`` is written last and records the generator's arguments and the
number of events: the files are reused only when it matches.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from common import REPO, SEED, SIZES, ZONE, data_dir

FILES = ("status_log.csv", "status_log.parquet", "schedule.csv")


def _meta(size: str) -> dict[str, object]:
    return {"seed": SEED, "time_zone": ZONE, "variant": "iws", **SIZES[size]}


def ensure(size: str, *, force: bool = False) -> dict[str, Path]:
    """Return the generated files of ``size`` (``csv``, ``parquet``, ``schedule``); make them
    first if they are missing or were made with other arguments."""
    folder = data_dir(size)
    paths = {
        kind: folder / name
        for kind, name in zip(("csv", "parquet", "schedule"), FILES, strict=True)
    }
    meta_path = folder / "meta.json"
    wanted = _meta(size)
    if not force and meta_path.is_file() and all(p.is_file() for p in paths.values()):
        recorded = json.loads(meta_path.read_text(encoding="utf-8"))
        if {k: recorded.get(k) for k in wanted} == wanted:
            return paths
    from adherence.synth import generate, write_iws_csv, write_parquet, write_schedule_csv

    folder.mkdir(parents=True, exist_ok=True)
    meta_path.unlink(missing_ok=True)
    started = time.perf_counter()
    data = generate(n_agents=SIZES[size]["n_agents"], weeks=SIZES[size]["weeks"], seed=SEED)
    write_iws_csv(data, paths["csv"], variant="iws")
    write_parquet(data, folder)
    write_schedule_csv(data, folder)
    events = data.events.height
    meta = {**wanted, "events": events, "schedule_rows": data.schedule.height}
    meta_path.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    seconds = time.perf_counter() - started
    print(f"generated {events:,} events into {folder.relative_to(REPO)} ({seconds:.0f} s)")
    return paths


def write_mapping(path: Path) -> Path:
    """Write the library's default status mapping as JSON for the DuckDB peer.

    ``{"states": {normalised raw status: state}, "heartbeats": [normalised raw status]}``,
    taken from ``adherence.mapping.StatusMapping.default()`` at the time of the run, so the
    peer maps with exactly the library's table without importing the library itself.
    """
    from adherence.mapping import StatusMapping

    mapping = StatusMapping.default()
    table = {
        "states": {key: state.value for key, state in sorted(mapping.states.items())},
        "heartbeats": sorted(mapping.heartbeats),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(table, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="130 agents x 4 weeks")
    parser.add_argument("--force", action="store_true", help="generate again")
    args = parser.parse_args()
    for kind, path in ensure("small" if args.small else "full", force=args.force).items():
        print(f"{kind}: {path.relative_to(REPO)} ({path.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
