"""The ``adherence`` command line.

``adherence demo [--data DIR] [--out DIR]``
    The main job on the bundled sample (``data/samples``, or a freshly generated copy of it):
    ingest, open a privacy workspace in ``--out``, write the team report and the fairness
    audit of "lunch ≤ 30:00" and "login ≤ 2:00 late", and print where they are.

``adherence report --store DB --viewer ROLE:ID [--teams ...] [--period P] --out FILE``
    The team-lead HTML report of the data (``--data DIR`` or ``--log/--schedule/--roster``;
    ``--incidents FILE``: a CSV of site or team outages whose time is neutral).

``adherence audit RULE --store DB --viewer ROLE:ID [--by DIM ...] [--period P] [--json]``
    The tolerance-fairness audit of one rule (``MEAL<=30:00``, ``MEAL/week<=2:30:00``,
    ``login<=2:00``, ``adherence>=90``): the verdict and the group table.

``adherence validate PATH [--kind iws|iws_state_detail|schedule|roster] [--json]
[--time-zone ZONE] [--timestamp-format FMT]``
    Read one file and print its ingest report: rows in, valid and quarantined (by reason),
    repairs (by kind), agents, and for status logs the number of state intervals.

``adherence shares {create,list,revoke,import} --store DB ...``
    Employee-initiated shares: create (as the employee), list, revoke, or import a consent
    register CSV (as the steward).

``adherence ledger verify --store DB``
    Check the audit log: every record's MAC, the chain and the head kept in the store; print
    each problem with its line.

Exit codes: 0 success (quarantined rows are not a failure); 1 an ``adherence`` error — a file
that cannot be read, a privacy refusal, a tampered audit log — printed as one line on
standard error (``--debug`` shows the traceback); 2 wrong usage; 3 ``validate`` read the file
but quarantined more than half of its rows (likely a wrong ``--kind``, separator, time zone
or timestamp format), reported as usual plus one line on standard error.

The pseudonymisation key comes from the environment variable ``ADHERENCE_KEY``. ``validate``
and ``demo`` use a random key without it (they show no agent ids and use a fresh store);
``report``, ``audit`` and ``shares import`` need it, because the ledger only protects people
across runs if their pseudonyms stay the same.

The audit key, which authenticates every audit record, comes from ``ADHERENCE_AUDIT_KEY``; the
steward keeps it apart from the store. Every command that opens a store needs it, except
``demo``, which without it uses a fixed demonstration key (never use it for real data).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import tempfile
import time
import warnings
from collections import Counter
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import polars as pl

from adherence._timeparse import parse_instants
from adherence.errors import (
    AdherenceError,
    ConfigurationError,
    MostlyQuarantinedWarning,
    SourceNotFoundError,
)
from adherence.ingest import Ingest
from adherence.intervals import from_events, from_state_detail
from adherence.io import read_iws, read_iws_state_detail, read_roster, read_schedule
from adherence.privacy import Auditor, Employee, Steward, TeamLead, Viewer, Workspace
from adherence.report import DEFAULT_RULES, render_html
from adherence.rules import parse_rule

__all__ = ["main"]

KEY_VARIABLE = "ADHERENCE_KEY"
#: ``validate`` read the file but quarantined more than half of its rows.
EXIT_MOSTLY_QUARANTINED = 3
AUDIT_KEY_VARIABLE = "ADHERENCE_AUDIT_KEY"
#: The audit key of ``adherence demo`` when none is set: fixed, so a demo folder can be reopened.
DEMO_AUDIT_KEY = "adherence demo audit key (not for real data)"
SAMPLE_FILES = ("status_log.csv", "schedule.csv", "roster.csv")


def _key() -> str:
    return os.environ.get(KEY_VARIABLE) or secrets.token_hex(32)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="adherence",
        description="Privacy-first contact-centre agent-state analytics.",
        epilog="Exit codes: 0 ok; 1 an adherence error (cannot read, privacy refusal, "
        "tampered log); 2 usage; 3 validate quarantined more than half of the rows. "
        f"The pseudonymisation key is read from ${KEY_VARIABLE}, the audit key from "
        f"${AUDIT_KEY_VARIABLE}.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    validate = commands.add_parser(
        "validate",
        help="read one file and print its ingest report",
        description="Read one file and print its ingest report. Exits 0 when the file could "
        "be read, also if rows were quarantined; 3 when more than half of its rows were "
        "quarantined; 1 when it cannot be read.",
    )
    validate.add_argument(
        "path", type=Path, help="a CSV, Parquet or Excel file (Excel needs the excel extra)"
    )
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
    validate.add_argument(
        "--timestamp-format",
        default=None,
        help="the one strftime format of every time, e.g. '%%d.%%m.%%y %%H:%%M' for two-digit "
        "years (default: the accepted formats; not for rosters)",
    )

    demo = commands.add_parser(
        "demo",
        help="run the main job on the bundled sample",
        description="Ingest the sample status log, schedule and roster, open a privacy "
        "workspace, write the team report and the fairness audit of lunch <= 30:00 and "
        "login <= 2:00 late, and print where they are.",
    )
    demo.add_argument(
        "--out",
        type=Path,
        default=None,
        help="folder for the report, the audit, the ledger and the audit log "
        "(default: a new temporary folder)",
    )
    demo.add_argument(
        "--data",
        type=Path,
        default=None,
        help="folder with status_log.csv, schedule.csv, roster.csv "
        "(default: data/samples, else a generated copy)",
    )

    _add_workspace_commands(commands)
    _add_share_commands(commands)
    return parser


def _add_workspace_commands(commands: Any) -> None:
    """The report and audit commands, which read data into a workspace."""

    def data_options(command: argparse.ArgumentParser) -> None:
        command.add_argument("--store", type=Path, required=True, help="the ledger (SQLite)")
        command.add_argument(
            "--data", type=Path, default=None,
            help="folder with status_log.csv, schedule.csv and roster.csv (default: data/samples)",
        )  # fmt: skip
        command.add_argument("--log", type=Path, help="the status log (instead of --data)")
        command.add_argument("--schedule", type=Path, help="the schedule (instead of --data)")
        command.add_argument("--roster", type=Path, help="the roster (instead of --data)")
        command.add_argument(
            "--incidents", type=Path, default=None,
            help="a CSV of incidents (site or team, start, end, reason): neutral time",
        )  # fmt: skip
        command.add_argument("--period", default=None, help="e.g. 2026-W11, 2026-03, a/b")
        command.add_argument(
            "--viewer", required=True, help="who asks: steward:ID, team_lead:ID, auditor:ID"
        )
        command.add_argument("--teams", nargs="+", default=[], help="the teams a team lead leads")

    report = commands.add_parser(
        "report",
        help="write the team-lead HTML report",
        description="Write the self-contained team-lead report (figures, tables, trend, "
        "fairness audit, methods, privacy note) for one viewer and period.",
    )
    data_options(report)
    report.add_argument("--out", type=Path, required=True, help="the HTML file to write")

    audit = commands.add_parser(
        "audit",
        help="audit one tolerance rule by group",
        description="The tolerance-fairness audit of one rule: breach rates by group, "
        "disparity, margins, system-induced share, a suggested tolerance and a verdict.",
    )
    audit.add_argument("rule", help="MEAL<=30:00, MEAL/week<=2:30:00, login<=2:00, adherence>=90")
    data_options(audit)
    audit.add_argument("--by", nargs="+", default=["employment_type"], help="public dimensions")
    audit.add_argument("--json", action="store_true", help="print the audit as JSON")


def _add_share_commands(commands: Any) -> None:
    """The shares and ledger commands, which work on the store alone."""
    shares = commands.add_parser("shares", help="create, list, revoke or import shares")
    share_commands = shares.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = share_commands.add_parser("create", help="share figures (as the employee)")
    create.add_argument("--store", type=Path, required=True)
    create.add_argument(
        "--agent", required=True, help="your own login id (resolved with $ADHERENCE_KEY)"
    )
    create.add_argument("--to", required=True, help="the recipient, e.g. team_lead:tl-17")
    create.add_argument(
        "--purpose", required=True, choices=("development_plan", "quality_feedback", "team_bonus")
    )
    create.add_argument("--metrics", nargs="+", required=True)
    create.add_argument("--periods", nargs="+", required=True)
    create.add_argument("--days", type=int, default=None, help="valid for (default 14, max 90)")
    listing = share_commands.add_parser("list", help="list the shares a viewer may see")
    listing.add_argument("--store", type=Path, required=True)
    listing.add_argument("--viewer", required=True)
    revoke = share_commands.add_parser("revoke", help="revoke a share")
    revoke.add_argument("share_id")
    revoke.add_argument("--store", type=Path, required=True)
    revoke.add_argument("--viewer", required=True, help="employee:LOGIN or steward:ID")
    register = share_commands.add_parser("import", help="import a consent register CSV")
    register.add_argument("path", type=Path)
    register.add_argument("--store", type=Path, required=True)
    register.add_argument("--viewer", required=True, help="steward:ID")
    register.add_argument(
        "--pseudonymous", action="store_true", help="the agent column already holds pseudonyms"
    )

    ledger = commands.add_parser("ledger", help="check the audit log")
    ledger_commands = ledger.add_subparsers(dest="action", required=True, metavar="ACTION")
    verify = ledger_commands.add_parser(
        "verify", help="verify the audit log's MACs, chain and head"
    )
    verify.add_argument("--store", type=Path, required=True)


def _validate(args: argparse.Namespace) -> dict[str, Any]:
    key, zone, fmt = _key(), args.time_zone, args.timestamp_format
    intervals: int | None = None
    repairs: Counter[str] = Counter()
    if args.kind == "iws":
        ingest: Ingest = read_iws(args.path, key=key, time_zone=zone, timestamp_format=fmt)
        built = from_events(ingest.valid)
        intervals = built.intervals.height
        repairs.update(built.repairs)
    elif args.kind == "iws_state_detail":
        ingest = read_iws_state_detail(args.path, key=key, time_zone=zone, timestamp_format=fmt)
        built = from_state_detail(ingest.valid)
        intervals = built.intervals.height
        repairs.update(built.repairs)
    elif args.kind == "schedule":
        ingest = read_schedule(args.path, key=key, time_zone=zone, timestamp_format=fmt)
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
    if report.get("unmapped_statuses_omitted"):
        print(f"  ... and {report['unmapped_statuses_omitted']:,} more unmapped statuses")


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
    out = args.out or Path(tempfile.mkdtemp(prefix="adherence-demo-"))
    out.mkdir(parents=True, exist_ok=True)
    audit_key = os.environ.get(AUDIT_KEY_VARIABLE)
    if not audit_key:
        audit_key = DEMO_AUDIT_KEY
        _progress(f"(no ${AUDIT_KEY_VARIABLE}: the audit log uses the fixed demonstration key)")
    key = _key()
    workspace = Workspace.open(out / "adherence.db", audit_key=audit_key, key=key)
    _load(workspace, folder / "status_log.csv", folder / "schedule.csv", folder / "roster.csv",
          key=key)  # fmt: skip
    steward = Steward("demo")
    report = render_html(workspace, out / "report.html", viewer=steward)
    audits = [
        workspace.audit_tolerance(rule, by=["employment_type"], viewer=Auditor("demo"))
        for rule in DEFAULT_RULES
    ]
    from adherence.summary import write_fairness_summary  # the union summary (bokmål)

    audit_path, _ = write_fairness_summary(audits, out)  # fairness_summary.html and .txt
    for audit in audits:
        print(f"{audit.rule.name}: {audit.verdict}\n")
    verified = workspace.verify()
    workspace.close()
    print(f"Team report:    {report}")
    print(f"Fairness audit: {audit_path}")
    print(f"Audit log:      {workspace.audit_log.path} ({verified.records} records, intact)")
    print(str(out))


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _read_incidents(path: Path, *, time_zone: str) -> pl.DataFrame:
    """An incidents CSV (``site`` or ``team``, ``start``, ``end``, ``reason``) as a table.

    Times are read like the schedule's (naive ones are local in ``time_zone``); a fall-back
    time is read so that the window is the wider one. An unreadable time is left empty, and
    the workspace then refuses the table with a schema error naming the column.
    """
    if not path.is_file():
        raise SourceNotFoundError(f"no incidents file at {path}", hint="check --incidents")
    frame = pl.read_csv(path, infer_schema=False)
    for optional in ("site", "team"):
        if optional not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(optional))
    for column, prefix in (("start", "_s"), ("end", "_e")):
        if column not in frame.columns:
            raise ConfigurationError(
                f"the incidents file has no {column!r} column",
                hint="its columns are site or team, start, end and reason",
            )
        frame = parse_instants(
            frame, column, time_zone=time_zone, dtype=pl.String(), prefix=prefix
        ).collect()
    blank = pl.col("site", "team").str.strip_chars().replace("", None)
    return frame.select(
        blank,
        pl.col("_s_early").alias("start"),
        pl.col("_e_late").alias("end"),
        pl.col("reason") if "reason" in frame.columns else pl.lit(None, pl.String).alias("reason"),
    )


def _load(
    workspace: Workspace,
    log: Path,
    schedule: Path,
    roster: Path,
    *,
    key: str,
    incidents: Path | None = None,
) -> None:
    """Ingest the files into ``workspace``, showing progress on standard error."""
    started = time.perf_counter()
    _progress(f"reading {log.name} ...")
    events = read_iws(log, key=key)
    _progress(f"  {events.report.rows_valid:,} events valid, "
              f"{events.report.rows_quarantined:,} quarantined")  # fmt: skip
    plan = read_schedule(schedule, key=key)
    people = read_roster(roster, key=key)
    outages = None
    if incidents is not None:
        outages = _read_incidents(incidents, time_zone=workspace.options.time_zone)
        _progress(f"  {outages.height:,} incidents")
    _progress("computing figures ...")
    workspace.add(events, schedule=plan, roster=people, incidents=outages)
    _progress(f"  done in {time.perf_counter() - started:.1f} s")


def _viewer(text: str, teams: Sequence[str] = ()) -> Viewer:
    role, _, ident = text.partition(":")
    if role == "team_lead":
        return TeamLead(ident, teams=teams)
    kinds: dict[str, type[Steward | Auditor | Employee]] = {
        "steward": Steward,
        "auditor": Auditor,
        "employee": Employee,
    }
    if role not in kinds or not ident:
        raise ConfigurationError(
            f"cannot read the viewer {text!r}",
            hint="write steward:ID, team_lead:ID (with --teams), auditor:ID or employee:AGENT",
        )
    return kinds[role](ident)


def _required_key() -> str:
    key = os.environ.get(KEY_VARIABLE)
    if not key:
        raise ConfigurationError(
            f"set ${KEY_VARIABLE} to the steward's pseudonymisation key",
            hint="the ledger protects people across runs only if their pseudonyms stay the same",
        )
    return key


def _audit_key() -> str:
    key = os.environ.get(AUDIT_KEY_VARIABLE)
    if not key:
        raise ConfigurationError(
            f"set ${AUDIT_KEY_VARIABLE} to the steward's audit key",
            hint="the audit key authenticates the audit log; the steward keeps it apart "
            "from the store",
        )
    return key


def _workspace(args: argparse.Namespace) -> Workspace:
    key = _required_key()
    folder = args.data or Path("data/samples")
    files = [
        getattr(args, name) or folder / default
        for name, default in zip(("log", "schedule", "roster"), SAMPLE_FILES, strict=True)
    ]
    workspace = Workspace.open(args.store, audit_key=_audit_key(), key=key)
    _load(workspace, *files, key=key, incidents=args.incidents)
    return workspace


def _report(args: argparse.Namespace) -> None:
    workspace = _workspace(args)
    viewer = _viewer(args.viewer, args.teams)
    path = render_html(workspace, args.out, viewer=viewer, period=args.period)
    print(path)


def _audit(args: argparse.Namespace) -> None:
    rule = parse_rule(args.rule)
    workspace = _workspace(args)
    viewer = _viewer(args.viewer, args.teams)
    audit = workspace.audit_tolerance(rule, by=args.by, period=args.period, viewer=viewer)
    if args.json:
        document = {
            "rule": rule.name,
            "verdict": audit.verdict,
            "p_value": audit.p_value,
            "suggested_limit": audit.suggested_limit,
            "groups": audit.groups.to_dicts(),
            "sensitivity": audit.sensitivity.to_dicts(),
        }
        print(json.dumps(document, indent=2, ensure_ascii=False, default=str))
    else:
        print(audit)


def _resolved(workspace: Workspace, viewer: Viewer) -> Viewer:
    """An ``employee:LOGIN`` viewer as the workspace knows them (by pseudonym)."""
    if isinstance(viewer, Employee):
        return workspace.employee(viewer.agent_id, key=_required_key())
    return viewer


def _shares(args: argparse.Namespace) -> None:
    workspace = Workspace.open(args.store, audit_key=_audit_key())
    if args.action == "create":
        me = workspace.employee(args.agent, key=_required_key())
        created = workspace.share(
            agent=me.agent_id,
            to=_viewer(args.to, ["(recipient)"]),
            purpose=args.purpose,
            metrics=args.metrics,
            periods=args.periods,
            expires=None if args.days is None else timedelta(days=args.days),
            viewer=me,
        )
        print(created.id)
    elif args.action == "list":
        viewer = _resolved(workspace, _viewer(args.viewer, ["(any)"]))
        for share in workspace.shares(viewer=viewer):
            state = "revoked" if share.revoked_at else "valid" if share.is_valid() else "expired"
            periods = ",".join(share.periods)
            print(
                f"{share.id}  {share.purpose:<17} to {share.recipient:<20} {periods:<16} "
                f"until {share.expires_at:%Y-%m-%d}  {state}"
            )
    elif args.action == "revoke":
        workspace.revoke_share(args.share_id, viewer=_resolved(workspace, _viewer(args.viewer)))
        print(f"revoked {args.share_id}")
    else:
        key = None if args.pseudonymous else _required_key()
        imported = workspace.import_consents(args.path, viewer=_viewer(args.viewer), key=key)
        print(f"{len(imported)} shares in the register")


def _ledger(args: argparse.Namespace) -> int:
    workspace = Workspace.open(args.store, audit_key=_audit_key(), read_only=True)
    result = workspace.verify()
    for problem in result.problems:
        where = f"line {problem.line}" if problem.line else "ledger"
        print(f"{where}: {problem.kind}: {problem.message}")
    print(f"{result.records} records; {'intact' if result.ok else 'TAMPERED'}")
    return 0 if result.ok else 1


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "validate":
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", MostlyQuarantinedWarning)
                report = _validate(args)
            if args.json:
                print(json.dumps(report, indent=2, ensure_ascii=False))
            else:
                _print_report(report)
            mostly = [w for w in caught if issubclass(w.category, MostlyQuarantinedWarning)]
            for warning in mostly:
                print(f"adherence: warning: {warning.message}", file=sys.stderr)
            if mostly:
                return EXIT_MOSTLY_QUARANTINED
        elif args.command == "ledger":
            return _ledger(args)
        else:
            {"demo": _demo, "report": _report, "audit": _audit, "shares": _shares}[args.command](
                args
            )
    except AdherenceError as err:
        if args.debug:
            raise
        print(f"adherence: error {err.code}: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
