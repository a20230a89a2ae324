"""adherence: one status log to validated state intervals, summarised as one line of JSON.

Usage::

    python bench/adherence_pipeline.py SOURCE

``SOURCE`` is a CSV or Parquet status log (see ``bench/data.py``). The steps are the library's
own: ``adherence.io.read_iws`` (sniffing, timestamp parsing and localisation with the DST rules,
keyed pseudonyms, status mapping, quarantine with reasons, the reconciled report, pandera
validation), then ``adherence.intervals.from_events`` on the valid rows (ordering, duplicates,
same-instant conflicts, heartbeats, change points, clipping at ``as_of``, validation).

Output (stdout, one line): ``rows_in``, ``rows_valid``, ``rows_quarantined``,
``quarantine_reasons``, ``agents`` and ``agents_digest`` (distinct pseudonyms and their
fingerprint), ``intervals``, ``ms_by_state`` (total interval milliseconds per state),
``total_ms`` (the sum of ``end - start`` over all intervals) and ``seconds`` per stage
(informative, not compared).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from common import KEY, ZONE, agents_digest


def run(source: Path) -> dict[str, object]:
    """Read ``source`` into intervals with adherence and summarise them."""
    started = time.perf_counter()
    import polars as pl

    import adherence

    imported = time.perf_counter()
    log = adherence.io.read_iws(source, key=KEY, time_zone=ZONE)
    read = time.perf_counter()
    intervals = adherence.intervals.from_events(log.valid).intervals
    built = time.perf_counter()
    ms = (pl.col("end") - pl.col("start")).dt.total_milliseconds()
    per_state = intervals.group_by(pl.col("state").cast(pl.String)).agg(ms.sum().alias("ms"))
    agents = log.valid["agent_id"].unique().to_list()
    report = log.report
    return {
        "engine": "adherence",
        "source": source.name,
        "rows_in": report.rows_in,
        "rows_valid": report.rows_valid,
        "rows_quarantined": report.rows_quarantined,
        "quarantine_reasons": dict(sorted(report.quarantine_reasons.items())),
        "agents": len(agents),
        "agents_digest": agents_digest(agents),
        "intervals": intervals.height,
        "ms_by_state": dict(sorted(zip(per_state["state"], per_state["ms"], strict=True))),
        "total_ms": int(intervals.select(ms.sum()).item()),
        "seconds": {
            "import": round(imported - started, 2),
            "read_iws": round(read - imported, 2),
            "from_events": round(built - read, 2),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="a CSV or Parquet status log")
    args = parser.parse_args()
    print(json.dumps(run(args.source)))


if __name__ == "__main__":
    main()
