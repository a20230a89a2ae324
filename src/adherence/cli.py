"""The ``adherence`` command line.

``adherence validate PATH [--kind iws|iws_state_detail|schedule|roster] [--json]``
    Read one file and print its ingest report: rows in, valid and quarantined (by reason),
    repairs (by kind), agents, and for status logs the number of state intervals.

``adherence demo [--data DIR] [--out DIR]``
    Run the main job on the bundled sample (``data/samples``, or a freshly generated copy
    of it when that folder is not there): ingest, open a privacy workspace (its ledger and
    audit log in ``--out``) and print team figures through it.

Exit codes: 0 the file could be read (quarantined rows are not a failure); 1 it could not be
read, or another ``adherence`` error (one line on standard error; ``--debug`` shows the
traceback); 2 wrong usage.

The pseudonymisation key comes from the environment variable ``ADHERENCE_KEY``. Without it a
random key is used for the run: fine for ``validate`` and ``demo``, which print no agent ids.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from adherence.errors import AdherenceError
from adherence.ingest import Ingest
from adherence.intervals import from_events, from_state_detail
from adherence.io import read_iws, read_iws_state_detail, read_roster, read_schedule
from adherence.privacy import Steward, Workspace

__all__ = ["main"]

KEY_VARIABLE = "ADHERENCE_KEY"
SAMPLE_FILES = ("status_log.csv", "schedule.csv", "roster.csv")


def _key() -> str:
    return os.environ.get(KEY_VARIABLE) or secrets.token_hex(32)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="adherence",
        description="Privacy-first contact-centre agent-state analytics.",
        epilog="Exit codes: 0 ok, 1 cannot read / adherence error, 2 usage. "
        f"The pseudonymisation key is read from ${KEY_VARIABLE}.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    validate = commands.add_parser(
        "validate",
        help="read one file and print its ingest report",
        description="Read one file and print its ingest report. Exits 0 when the file could "
        "be read, also if rows were quarantined.",
    )
    validate.add_argument("path", type=Path, help="a CSV or Parquet file")
    validate.add_argument(
        "--kind",
        choices=("iws", "iws_state_detail", "schedule", "roster"),
        default="iws",
        help="what the file holds (default: iws, an event-shaped status log)",
    )
    validate.add_argument("--json", action="store_true", help="print the report as JSON")
    validate.add_argument(
        "--time-zone",
        default="Europe/Oslo",
        help="zone of naive local times (default: Europe/Oslo)",
    )

    demo = commands.add_parser(
        "demo",
        help="run the main job on the bundled sample",
        description="Ingest the sample status log, schedule and roster, open a privacy "
        "workspace and print team figures through it.",
    )
    demo.add_argument(
        "--out",
        type=Path,
        default=None,
        help="folder for the ledger and the audit log (default: a new temporary folder)",
    )
    demo.add_argument(
        "--data",
        type=Path,
        default=None,
        help="folder with status_log.csv, schedule.csv, roster.csv "
        "(default: data/samples, else a generated copy)",
    )
    return parser


def _validate(args: argparse.Namespace) -> dict[str, Any]:
    key, zone = _key(), args.time_zone
    intervals: int | None = None
    repairs: Counter[str] = Counter()
    if args.kind == "iws":
        ingest: Ingest = read_iws(args.path, key=key, time_zone=zone)
        built = from_events(ingest.valid)
        intervals = built.intervals.height
        repairs.update(built.repairs)
    elif args.kind == "iws_state_detail":
        ingest = read_iws_state_detail(args.path, key=key, time_zone=zone)
        built = from_state_detail(ingest.valid)
        intervals = built.intervals.height
        repairs.update(built.repairs)
    elif args.kind == "schedule":
        ingest = read_schedule(args.path, key=key, time_zone=zone)
    else:
        ingest = read_roster(args.path, key=key)
    report = ingest.report.to_dict()
    repairs.update(report["repairs"])
    report["repairs"] = dict(sorted(repairs.items()))
    report["intervals"] = intervals
    return report


def _print_report(report: dict[str, Any]) -> None:
    print(f"{report['source']} ({report['kind']})")
    print(f"  rows in          {report['rows_in']:>10,}")
    print(f"  valid            {report['rows_valid']:>10,}")
    print(f"  quarantined      {report['rows_quarantined']:>10,}")
    for reason, count in sorted(report["quarantine_reasons"].items()):
        print(f"    {reason:<28}{count:>8,}")
    print(f"  agents           {report['agents']:>10,}")
    if report["intervals"] is not None:
        print(f"  intervals        {report['intervals']:>10,}")
    for kind, count in report["repairs"].items():
        print(f"  repaired {kind:<24}{count:>8,}")
    for status, count in sorted(report["unmapped_statuses"].items()):
        print(f"  unmapped status {status!r}: {count:,} rows (extend the StatusMapping)")


def _sample_folder(data: Path | None) -> Path:
    if data is not None:
        return data
    bundled = Path("data/samples")
    if all((bundled / name).is_file() for name in SAMPLE_FILES):
        return bundled
    from adherence.synth import write_sample

    folder = Path(tempfile.mkdtemp(prefix="adherence-sample-"))
    write_sample(folder, formats=("csv",))
    print(f"(no data/samples here: generated the sample into {folder})")
    return folder


def _demo(args: argparse.Namespace) -> None:
    folder = _sample_folder(args.data)
    key = _key()
    log = read_iws(folder / "status_log.csv", key=key)
    schedule = read_schedule(folder / "schedule.csv", key=key)
    roster = read_roster(folder / "roster.csv", key=key)
    for ingest in (log, schedule, roster):
        print(ingest.report, end="\n\n")
    out = args.out or Path(tempfile.mkdtemp(prefix="adherence-demo-"))
    out.mkdir(parents=True, exist_ok=True)
    workspace = Workspace.open(out / "adherence.db")
    workspace.add(log, schedule=schedule, roster=roster)
    steward = Steward("demo")
    print("Team figures, as a steward sees them (cells of fewer than 5 people suppressed):\n")
    for metric, by in (
        ("adherence_pct", ["team", "iso_week"]),
        ("conformance_pct", ["site"]),
        ("meal_episode_median_ms", ["site"]),
        ("login_to_ready_mean_ms", ["team"]),
    ):
        print(workspace.report(metric, by=by, viewer=steward), end="\n\n")
    verified = workspace.audit_log.verify()
    print(f"Ledger and audit log: {out} ({verified.records} audit records, intact: {verified.ok})")
    workspace.close()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "validate":
            report = _validate(args)
            if args.json:
                print(json.dumps(report, indent=2, ensure_ascii=False))
            else:
                _print_report(report)
        else:
            _demo(args)
    except AdherenceError as err:
        if args.debug:
            raise
        print(f"adherence: error {err.code}: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
