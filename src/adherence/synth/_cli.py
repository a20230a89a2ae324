"""The command line ``python -m adherence.synth --out DIR``: write a synthetic sample.

Examples
--------
>>> import contextlib, io, tempfile
>>> from pathlib import Path
>>> out = io.StringIO()
>>> with tempfile.TemporaryDirectory() as tmp, contextlib.redirect_stdout(out):
...     status = main(["--out", tmp, "--agents", "12", "--weeks", "1", "--formats", "csv"])
>>> status
0
>>> [Path(line).name for line in out.getvalue().splitlines()[:3]]
['status_log.csv', 'schedule.csv', 'roster.csv']
>>> out.getvalue().splitlines()[-1].endswith(" events")
True
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from typing import cast

from adherence.errors import AdherenceError
from adherence.synth._generate import generate
from adherence.synth._writers import Format, Variant, write_files

__all__ = ["main"]


def _formats(text: str) -> list[Format]:
    chosen = [part.strip() for part in text.split(",") if part.strip()]
    bad = [part for part in chosen if part not in ("csv", "parquet")]
    if bad or not chosen:
        raise argparse.ArgumentTypeError(f"expected csv, parquet or csv,parquet, got {text!r}")
    return cast("list[Format]", chosen)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m adherence.synth",
        description=(
            "Write a seeded synthetic contact centre: status_log.csv and/or status_log.parquet "
            "(raw IWS status log), schedule.csv and roster.csv. The same arguments always "
            "write the same bytes."
        ),
    )
    parser.add_argument("--out", required=True, metavar="DIR", help="folder to write to")
    parser.add_argument("--agents", type=int, default=60, metavar="N", help="agents (default 60)")
    parser.add_argument("--weeks", type=int, default=6, metavar="W", help="weeks (default 6)")
    parser.add_argument(
        "--start",
        type=dt.date.fromisoformat,
        default=dt.date(2026, 3, 9),
        metavar="YYYY-MM-DD",
        help="first day (default 2026-03-09)",
    )
    parser.add_argument("--seed", type=int, default=2026, metavar="S", help="seed (default 2026)")
    parser.add_argument(
        "--time-zone", default="Europe/Oslo", metavar="ZONE", help="IANA zone (default Europe/Oslo)"
    )
    parser.add_argument(
        "--variant",
        choices=("iws", "no"),
        default="iws",
        help="CSV flavour: iws (comma, UTF-8) or no (Norwegian Excel: semicolon, cp1252, CRLF)",
    )
    parser.add_argument(
        "--formats",
        type=_formats,
        default=["csv", "parquet"],
        metavar="LIST",
        help="status-log files to write: csv, parquet or csv,parquet (default both)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status.

    Parameters
    ----------
    argv
        The arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 2 when an argument is out of range.
    """
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        data = generate(
            n_agents=args.agents,
            start=args.start,
            weeks=args.weeks,
            seed=args.seed,
            time_zone=args.time_zone,
        )
        variant = cast("Variant", args.variant)
        paths = write_files(data, args.out, formats=args.formats, variant=variant)
    except AdherenceError as err:
        parser.error(str(err))
    for path in paths:
        sys.stdout.write(f"{path}\n")
    sys.stdout.write(f"{data.events.height} events\n")
    return 0
