"""``Workspace``: the only public way to obtain figures.

A workspace is opened on a persistent store — an embedded SQLite file holding the release
ledger, the shares and the policies — with its chained audit log beside it
(``<store>.audit.jsonl``), each record authenticated with the steward's audit key. The
steward adds the ingested status log, schedule and roster; from then on every figure
leaves through one of four doors, each checked and logged:

- ``report``: a team-level table for any viewer, with small and revealing cells suppressed;
- ``self_view``: an employee's own figures and exceptions, for that employee only;
- ``share`` / ``open_share``: individual figures the employee chose to show one recipient;
- ``audit_records``: the audit trail (all of it for auditors and stewards; one's own for employees).

Examples
--------
>>> import tempfile, pathlib
>>> import adherence as adh
>>> sample = adh.synth.load_sample(key="the steward's key", n_agents=30, weeks=1)
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> ws = adh.Workspace.open(folder / "adherence.db", audit_key="the steward's audit key")
>>> ws.add(sample.log, schedule=sample.schedule, roster=sample.roster)
>>> table = ws.report("adherence_pct", by=["site"], viewer=adh.Steward("wfm"))
>>> table.released_count, table.suppressed_count
(2, 0)
>>> bool(ws.audit_log.verify())
True
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import polars as pl

from adherence.buckets import BucketStore
from adherence.distributed import Progress, map_buckets
from adherence.errors import (
    AuditIntegrityError,
    AuditKeyError,
    ConfigurationError,
    ConsentError,
    DifferencingError,
    ForbiddenQueryError,
    KeyMismatchError,
    LedgerUnavailableError,
    PrivacyError,
    PurposeError,
    RecipientError,
    RoleError,
    ScopeError,
    SmallGroupError,
    UnknownAgentError,
)
from adherence.fairness import FairnessAudit
from adherence.ingest import Ingest
from adherence.intervals import Intervals, from_events
from adherence.options import MetricOptions
from adherence.privacy import _reports, _sharing, _tolerance
from adherence.privacy._arguments import (
    check_bool,
    check_by,
    check_instance,
    check_keys,
    check_metric,
    check_metrics,
    check_number,
    check_path,
    check_period,
    check_periods,
    check_rule,
    check_table,
    check_text,
    check_timedelta,
    check_viewer,
    check_where,
    door,
)
from adherence.privacy._atoms import AGENT_CODE, DAY, Tables, agent_ids, build_tables
from adherence.privacy._binding import bind_key, check_history, check_log_head, renames, wrong_key
from adherence.privacy._buckets import bucket_jobs, bucket_tables, merge_tables
from adherence.privacy._decide import Refusal
from adherence.privacy._exports import AuditExport, adopt_exports
from adherence.privacy._incidents import incident_notes, no_incidents, validated_incidents
from adherence.privacy._release import Releaser
from adherence.privacy._self import Per, own_exceptions, own_figures
from adherence.privacy.audit_log import AuditLog, AuditRecord, AuditVerification
from adherence.privacy.consents import read_register
from adherence.privacy.ledger import Ledger
from adherence.privacy.policy import PrivacyPolicy
from adherence.privacy.query import Period
from adherence.privacy.released import DryRun, ReleasedTable, Unit
from adherence.privacy.shares import OwnShare, Share, viewer_key
from adherence.privacy.viewers import Auditor, Employee, Steward, TeamLead, Viewer
from adherence.pseudonym import Pseudonymiser, key_fingerprint
from adherence.rules import Rule

__all__ = ["AuditExport", "Workspace"]

Table = pl.DataFrame | pl.LazyFrame | Ingest
T = TypeVar("T")
_ERRORS: dict[str, type[PrivacyError]] = {
    cls.code: cls
    for cls in (
        SmallGroupError,
        DifferencingError,
        ForbiddenQueryError,
        ScopeError,
        RoleError,
        ConsentError,
        PurposeError,
        RecipientError,
        LedgerUnavailableError,
        AuditIntegrityError,
        AuditKeyError,
    )
}


def _now() -> datetime:
    return datetime.now(UTC)


def _error(refusal: Refusal) -> PrivacyError:
    return _ERRORS[refusal.code](refusal.rule, remedy=refusal.remedy)


def _contained(work: Callable[[], T]) -> T | Refusal:
    """Run ``work``; a ledger failure deep inside becomes a refusal raised by the caller.

    The caller raises from its own frame, which holds no data, so a verbose traceback of a
    refusal never shows the frames (and their tables) where the decision was made.
    """
    try:
        return work()
    except LedgerUnavailableError as err:
        return Refusal(err.code, err.message, err.hint or "")


def _frame(table: Table) -> pl.DataFrame:
    if isinstance(table, Ingest):
        return table.valid
    return table.collect() if isinstance(table, pl.LazyFrame) else table


class Workspace:
    """The privacy layer: policy, ledger, audit log and shares over one organisation's data.

    Open one with ``Workspace.open``; add data with ``add``; every call that gives out
    figures takes the ``viewer`` asking.
    """

    def __init__(
        self,
        ledger: Ledger,
        audit_log: AuditLog,
        *,
        policy: PrivacyPolicy,
        options: MetricOptions,
    ) -> None:
        self._ledger = ledger
        self._audit = audit_log
        self._releaser = Releaser(ledger, audit_log, policy)
        self.policy = policy
        self.options = options
        self._tables: Tables | None = None
        self._codes: dict[str, int] = {}
        self._incidents = no_incidents()

    @classmethod
    @door
    def open(
        cls,
        path: str | Path,
        *,
        audit_key: str | bytes,
        key: str | bytes | None = None,
        policy: PrivacyPolicy | None = None,
        options: MetricOptions | None = None,
        audit_log: str | Path | None = None,
        read_only: bool = False,
        timeout: float = 30.0,
    ) -> Workspace:
        """Open (or create) the store at ``path``.

        Parameters
        ----------
        path
            The SQLite store of the ledger, shares and policies.
        audit_key
            The key that authenticates every audit record (text or bytes, at least 16
            bytes), held by the steward apart from the store; the store keeps only its
            fingerprint. Opening a store with another key raises ``AuditKeyError``.
        key
            The pseudonymisation key the data is read with (``adherence.io.read_*(...,
            key=...)``). The store keeps its keyed fingerprint, never the key, and is bound to
            it: opening with another key, or adding tables read under another key, raises
            ``KeyMismatchError`` (G15). Without it the store is bound to the key of the first
            ``Ingest`` added. ``rotate_key`` moves a store to a new key.
        policy
            The privacy thresholds (default ``PrivacyPolicy()``).
        options
            The metric options (default ``MetricOptions()``).
        audit_log
            The JSON Lines audit log (default: ``path`` with suffix ``.audit.jsonl``).
        read_only
            Open the store for reading: the audit log can be verified and shares listed, but
            nothing can be released (every release raises ``LedgerUnavailableError``).
        timeout
            How long a release waits for another process's lock on the store [s] before it
            raises ``LedgerUnavailableError`` (default 30).

        Raises
        ------
        AuditIntegrityError
            ``ADH-041``: the store is missing, or knows fewer records than its audit log holds
            (a replaced store, or an older one restored beside a newer log): the store's
            history is not silently started again (G15). Opened ``read_only``, such a store
            can still be read, for ``audit_log.verify()`` to show where the two part.
        KeyMismatchError
            ``ADH-043``: the store is bound to another pseudonymisation key.
        """
        check_path(path, "path")
        check_keys(audit_key, "audit_key")
        check_keys(key, "key", optional=True)
        check_instance(policy, PrivacyPolicy, "policy")
        check_instance(options, MetricOptions, "options")
        if audit_log is not None:
            check_path(audit_log, "audit_log")
        check_bool(read_only, "read_only")
        check_number(timeout, "timeout", low=0)
        store = Path(path)
        log_path = Path(audit_log) if audit_log is not None else store.with_suffix(".audit.jsonl")
        fingerprint = None if key is None else key_fingerprint(key)
        check_history(store, log_path)
        log = AuditLog(log_path, key=audit_key, head_store=store)
        ledger = Ledger(store, read_only=read_only, timeout=timeout)
        try:
            if not read_only:  # read only, nothing is written over it: verify() shows it
                check_log_head(log)
            if fingerprint is not None:
                bind_key(ledger, fingerprint)
        except PrivacyError:
            ledger.close()
            raise
        return cls(
            ledger, log, policy=policy or PrivacyPolicy(), options=options or MetricOptions()
        )

    @door
    def close(self) -> None:
        """Close the store (queued export records are adopted first, when possible)."""
        if not self._ledger.read_only:
            self._adopt_exports()
        self._ledger.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        loaded = "no data" if self._tables is None else f"{len(self._codes)} agents"
        return (
            f"Workspace({str(self._ledger.path)!r}, {loaded}, "
            f"k={self.policy.min_group_size}, policy {self.policy.hash[:12]})"
        )

    @door
    def verify(self) -> AuditVerification:
        """Check the audit log (MACs, chain, head) and cross-check it with the ledger.

        Every release in the ledger must have exactly one audit record, and every release
        record its ledger entry (a release and its record are committed together).
        """
        self._adopt_exports()
        return self._audit.verify(release_ids=self._ledger.release_ids())

    @property
    def audit_log(self) -> AuditLog:
        """The chained, keyed audit log (``verify()`` checks it)."""
        return self._audit

    # Data ---------------------------------------------------------------------------
    @door
    def add(
        self,
        log: Table | Intervals,
        *,
        schedule: Table,
        roster: Table,
        incidents: pl.DataFrame | pl.LazyFrame | None = None,
    ) -> None:
        """Load the data: status events or state intervals, the schedule and the roster.

        ``log`` is an ``Ingest`` of status events (``adherence.io.read_iws``), an
        ``Intervals``, or a frame of either. Events become intervals here, with the missing
        Log Off inferred against the schedule. A later ``add`` replaces the data; the ledger
        and the shares stay. An ``Ingest`` names the key its ids were pseudonymised with, and
        must name the store's (G15); frames and ``Intervals`` carry no key and are taken as
        the steward's word.

        ``incidents`` (``adherence.schemas.Incident``: ``site`` or ``team``, ``start``,
        ``end``, ``reason``) are windows in which a site or a team could not work as
        scheduled, e.g. a telephony outage: the scheduled time of everyone there inside the
        window is neutral, out of the adherence denominator and never charged. Reports'
        notes name each incident that overlaps their period (reason and window, never who).

        Raises
        ------
        SchemaValidationError
            A table, the incidents included, does not satisfy its schema.
        KeyMismatchError
            ``ADH-043``: a table was read under another pseudonymisation key than the store's.
        """
        check_table(log, "log", intervals=True)
        check_table(schedule, "schedule")
        check_table(roster, "roster")
        self._check_key(log, schedule, roster)
        plan = _frame(schedule)
        if isinstance(log, Intervals):
            intervals = log.intervals
        else:
            events = _frame(log)
            if "ts" in events.columns:
                built = from_events(
                    events, schedule=plan, auto_logoff_after=self.options.auto_logoff_after
                )
                intervals = built.intervals
            else:
                intervals = events
        people = _frame(roster)
        outages = validated_incidents(_frame(incidents)) if incidents is not None else None
        self._load(
            agent_ids(intervals, plan, people),
            outages,
            lambda codes: build_tables(
                intervals,
                plan,
                people,
                incidents=outages,
                codes=codes,
                options=self.options,
                sensitive_reasons=self.policy.sensitive_reasons,
            ),
        )

    @door
    def add_buckets(
        self,
        store: BucketStore,
        *,
        schedule: Table,
        roster: Table,
        incidents: pl.DataFrame | pl.LazyFrame | None = None,
        executor: object = None,
        progress: bool | Progress = False,
    ) -> None:
        """Load the data from a bucket store, one bucket at a time (out of core).

        The same as ``add`` with the store's events (``adherence.buckets.to_buckets``), but
        only one bucket's events are in memory at a time: each bucket becomes intervals and
        then atoms, and the workspace keeps the atoms of all (buckets hold whole agents, so
        the atoms add up to those of ``add`` with all the events). Observation ends at the
        store's last valid event for every bucket.

        ``executor`` runs the buckets: ``None`` in this process; a
        ``concurrent.futures.Executor`` or a ``dask.distributed.Client`` (the ``dask`` extra)
        elsewhere (``adherence.distributed.map_buckets``). Workers receive one bucket's
        events path, schedule, roster and agent codes, and return its atoms; the ledger,
        the audit log and every privacy decision stay in this process. ``progress=True``
        writes a line per finished bucket to standard error.

        Raises
        ------
        SchemaValidationError
            A table does not satisfy its schema.
        KeyMismatchError
            ``ADH-043``: the store or a table was read under another key than the store's.
        DistributedError
            ``ADH-105``: a bucket failed on the executor even after retries.
        """
        if not isinstance(store, BucketStore):
            raise ConfigurationError(
                f"store must be a BucketStore, not a {type(store).__name__}",
                hint="write one with adherence.buckets.to_buckets(paths, folder, key=...), "
                "or open one with BucketStore.open(folder)",
            )
        check_table(schedule, "schedule")
        check_table(roster, "roster")
        if not isinstance(progress, bool) and not callable(progress):
            check_bool(progress, "progress")
        self._check_key(store, schedule, roster)
        plan = _frame(schedule)
        people = _frame(roster)
        outages = validated_incidents(_frame(incidents)) if incidents is not None else None
        events = pl.DataFrame({"agent_id": store.agent_ids()})
        ids = agent_ids(events, plan, people)

        def build(codes: dict[str, int]) -> Tables:
            jobs = bucket_jobs(
                store,
                plan,
                people,
                incidents=outages,
                codes=codes,
                options=self.options,
                sensitive_reasons=self.policy.sensitive_reasons,
            )
            parts = map_buckets(bucket_tables, jobs, executor=executor, progress=progress)
            return merge_tables(parts, outside_shift=self.options.count_work_outside_shift)

        self._load(ids, outages, build)

    def _load(
        self,
        ids: list[str],
        outages: pl.DataFrame | None,
        build: Callable[[dict[str, int]], Tables],
    ) -> None:
        """Code the agents, build the tables and keep them (after the continuity checks)."""
        self._check_continuity(ids, outages)
        self._codes = self._ledger.agent_codes(ids)
        self._incidents = outages if outages is not None else no_incidents()
        tables = build(self._codes)
        self._check_released_agents(tables)
        self._tables = tables

    @property
    def incidents(self) -> tuple[str, ...]:
        """The incidents applied to the data, one line each (reason, local window, where)."""
        return tuple(incident_notes(self._incidents, time_zone=self.options.time_zone))

    def _check_continuity(self, ids: Sequence[str], incidents: pl.DataFrame | None) -> None:
        """Refuse data that would make earlier releases mean something else (G15, G3).

        Pseudonyms none of which the store has seen are the same people under another key
        (frames carry no key fingerprint to tell), and incidents changed after releases
        change what earlier figures summed: either would let the same question, asked again,
        difference a person out.
        """
        seen = self._ledger.known_agent_ids()
        if seen and ids and seen.isdisjoint(ids):
            raise KeyMismatchError(
                "none of these agents is one the store has seen: the data looks pseudonymised "
                "under another key",
                remedy="read the data with the store's key, or open a new store for a new "
                "organisation",
            ) from None
        fingerprint = hashlib.sha256(
            b"" if incidents is None else incidents.sort(incidents.columns).write_csv().encode()
        ).hexdigest()
        stored = self._ledger.meta("incidents")
        if stored is None:
            if not self._ledger.read_only:
                self._ledger.set_meta("incidents", fingerprint)
        elif stored != fingerprint and self._ledger.release_ids():
            raise ConfigurationError(
                "the incidents differ from those the store's releases were made with",
                hint="incidents are set before the first release; open a new store to change them",
            )
        elif stored != fingerprint and not self._ledger.read_only:
            self._ledger.set_meta("incidents", fingerprint)

    def _check_released_agents(self, tables: Tables) -> None:
        """Refuse data that drops agents released before on the days it covers.

        Every agent that an earlier release counted on a day this data covers must still be
        in it under the same pseudonym: otherwise the same cells asked again would sum
        other people (renamed ones, say) and difference the rest out.
        """
        days = tables.days[DAY]
        if days.is_empty():
            return
        released = self._ledger.released_agents(int(days.min()), int(days.max()))  # type: ignore[arg-type]
        if released and not released <= set(tables.days[AGENT_CODE].unique().to_list()):
            raise KeyMismatchError(
                "agents counted by earlier releases are missing from this data for the same "
                "days: it looks pseudonymised under another key, or cut",
                remedy="add the whole data, read with the store's key; for other data, open "
                "a new store",
            ) from None

    def _check_key(self, *tables: object) -> None:
        """Refuse ingested tables whose key is not the store's (binding an unbound store)."""
        keys = {
            t.key_fingerprint
            for t in tables
            if isinstance(t, Ingest | BucketStore) and t.key_fingerprint
        }
        if len(keys) > 1:
            raise KeyMismatchError(
                "the tables were pseudonymised under different keys, so their agents do not join",
                remedy="read the status log, schedule and roster with the same key",
            ) from None
        if keys:
            bind_key(self._ledger, keys.pop())

    @door
    def rotate_key(
        self,
        old_key: str | bytes,
        new_key: str | bytes,
        *,
        agent_ids: Iterable[str],
        viewer: Viewer,
    ) -> None:
        """Move the store to a new pseudonymisation key, carrying the ledger over (G15).

        Pseudonyms are keyed hashes of the raw login ids, which the library never keeps: the
        steward hands in the raw ids of every agent the store has seen (the raw rosters, say).
        Each stored pseudonym under ``old_key`` is renamed to its pseudonym under
        ``new_key`` — in the agent table and in the shares — and the store is bound to the
        new key, in one transaction logged as ``key_rotated``. Every release, known figure
        and hidden sum keeps its meaning, so nothing released before can be differenced by
        reloading under the new key. The data in memory is dropped: ``add`` it again, read
        with ``new_key``. Audit records written before keep naming subjects as they did.

        Raises
        ------
        RoleError
            ``ADH-005``: only the steward rotates the key.
        KeyMismatchError
            ``ADH-043``: ``old_key`` is not the key the store is bound to.
        ConfigurationError
            The new key is the old one, or some stored pseudonym has no raw id among
            ``agent_ids`` (nothing is changed).
        """
        check_keys(old_key, "old_key")
        check_keys(new_key, "new_key")
        check_viewer(viewer)
        if isinstance(agent_ids, str | bytes):
            raise ConfigurationError(
                "agent_ids must be a list of raw login ids, not one text",
                hint="pass the ids of every agent ever added",
            )
        if not isinstance(viewer, Steward):
            raise RoleError(
                "only the steward rotates the pseudonymisation key", remedy="ask the steward"
            ) from None
        old, new = Pseudonymiser(old_key), Pseudonymiser(new_key)
        ids = list(agent_ids)
        with self._ledger.transaction() as db:  # what is read is what is renamed
            stored = self._ledger.key_fingerprint(db)
            if stored is not None and not hmac.compare_digest(stored, old.fingerprint):
                raise wrong_key()
            renamed = renames(old, new, ids, self._ledger.agent_pseudonyms(db))
            self._ledger.rekey(db, renamed, new.fingerprint)
            self._audit.append(
                "key_rotated",
                via=db,
                actor_role=viewer.role,
                actor=self._actor(viewer),
                policy=self.policy.hash,
                detail=f"key {old.fingerprint[:12]} -> {new.fingerprint[:12]}",
            )
        self._audit.flush()
        self._tables, self._codes = None, {}

    def _data(self) -> Tables:
        if self._tables is None:
            raise ConfigurationError(
                "the workspace has no data yet", hint="call add(log, schedule=..., roster=...)"
            )
        return self._tables

    # Reports ------------------------------------------------------------------------
    @door
    def report(
        self,
        metric: str,
        *,
        by: Sequence[str] = (),
        period: Period = None,
        where: Mapping[str, str | Sequence[str]] | None = None,
        margins: bool = False,
        viewer: Viewer,
    ) -> ReleasedTable:
        """A team-level table of one metric, with every privacy rule applied.

        Parameters
        ----------
        metric
            A name from ``adherence.metrics.METRICS``, e.g. ``"adherence_pct"``.
        by
            Public dimensions to group by: team, site, skill, employment_type,
            work_location, day, iso_week, month.
        period
            ``"2025-W10"``, ``"2025-03"``, ``"2025-03-04"``, a range ``"a/b"``, a pair of
            dates, or ``None`` for all data (local dates of shift starts).
        where
            Filters on roster dimensions, e.g. ``{"skill": "sales"}``.
        margins
            Add total rows (``"all"``) over each grouping dimension.
        viewer
            Who asks. A team lead sees their own teams only; an employee their own team's.

        Returns
        -------
        ReleasedTable
            One row per cell; suppressed cells are null with status ``suppressed``.

        Raises
        ------
        ForbiddenQueryError
            ``ADH-003``: not a public dimension, not a catalogue metric, or a breakdown of a
            sensitive pause code.
        ScopeError
            ``ADH-004``: a filter reaches beyond the viewer's units.
        SmallGroupError
            ``ADH-001``: no cell has enough protected agents.
        DifferencingError
            ``ADH-002``: with earlier releases, the report could reveal an individual.
        LedgerUnavailableError
            ``ADH-040``: the ledger or the audit log cannot be written; nothing released.
        """
        check_metric(metric)
        check_by(by)
        check_period(period)
        check_where(where)
        check_bool(margins, "margins")
        check_viewer(viewer)
        outcome = _contained(
            lambda: _reports.report(
                self, metric, by=by, period=period, where=where, margins=margins, viewer=viewer
            )
        )
        if isinstance(outcome, Refusal):
            raise _error(outcome) from None
        return outcome

    def _refuse(self, refusal: Refusal, viewer: Viewer, **fields: Any) -> Refusal:
        """Log a refusal (best effort is not enough: if it cannot be logged, say so)."""
        return self._releaser.refuse(
            refusal, role=viewer.role, actor=self._actor(viewer), fields=fields
        )

    def _own_code(self, viewer: Viewer) -> int | None:
        """The viewer's own agent code, when the viewer is an employee in the data."""
        return self._codes.get(viewer.agent_id) if isinstance(viewer, Employee) else None

    def _unprotected(self, viewer: Viewer) -> frozenset[int]:
        """The viewer's own code (an employee) and the agents they know through shares."""
        known = self._ledger.known_agents(viewer_key(viewer))
        if isinstance(viewer, Employee) and viewer.agent_id in self._codes:
            return known | {self._codes[viewer.agent_id]}
        return known

    def _actor(self, viewer: Viewer) -> str:
        """How the audit log names a viewer; an employee by a salted hash, never their id."""
        if isinstance(viewer, Employee):
            return f"employee:{self._subject(viewer.agent_id)}"
        return viewer_key(viewer)

    def _exports(self, viewer: Viewer) -> AuditExport:
        """The recorder that logs exports of what ``viewer`` was given."""
        return AuditExport(self._export_queue, viewer.role, self._actor(viewer), self.policy.hash)

    @property
    def _export_queue(self) -> Path:
        """Where released tables queue their exports' records (beside the store)."""
        return self._ledger.path.with_suffix(".exports.jsonl")

    def _adopt_exports(self) -> None:
        """Move queued export records into the authenticated audit log."""
        adopt_exports(self._export_queue, self._audit, self._ledger.release_viewers())

    def _subject(self, agent_id: str) -> str:
        salted = f"{self._ledger.subject_salt}:{agent_id}".encode()
        return hashlib.sha256(salted).hexdigest()[:20]

    def _scope(self, viewer: Viewer) -> frozenset[str] | None:
        """The teams a viewer's reports are limited to (``None``: every team)."""
        if isinstance(viewer, TeamLead):
            return viewer.teams
        if isinstance(viewer, Employee):
            own = self._data().days.filter(pl.col("agent_id") == viewer.agent_id)
            return frozenset(own["team"].drop_nulls().unique().to_list())
        return None

    @door
    def report_many(
        self,
        requests: Sequence[tuple[str, Sequence[str]]],
        *,
        period: Period = None,
        where: Mapping[str, str | Sequence[str]] | None = None,
        margins: bool = False,
        viewer: Viewer,
    ) -> list[ReleasedTable]:
        """Several tables released together, with one consistent suppression pattern.

        ``requests`` are ``(metric, by)`` pairs, e.g. team × week and site × week of
        ``adherence_pct``; the period, filters and margins are shared. The cells of all
        tables are decided as one release: a cell suppressed in one table is protected in
        the others too, and nothing depends on the order the tables are asked in.

        Raises
        ------
        PrivacyError
            As for ``report``, for the set as a whole (nothing is released then).
        """
        if isinstance(requests, str | bytes) or not isinstance(requests, Sequence):
            raise ConfigurationError(
                "requests is a list of (metric, by) pairs",
                hint="e.g. [('adherence_pct', ['team', 'iso_week'])]",
            )
        for request in requests:
            if not (isinstance(request, tuple | list) and len(request) == 2):
                raise ConfigurationError(
                    "each request is a (metric, by) pair",
                    hint="e.g. ('adherence_pct', ['team', 'iso_week'])",
                )
            check_metric(request[0])
            check_by(request[1])
        check_period(period)
        check_where(where)
        check_bool(margins, "margins")
        check_viewer(viewer)
        outcome = _contained(
            lambda: _reports.report_many(
                self, requests, period=period, where=where, margins=margins, viewer=viewer
            )
        )
        if isinstance(outcome, Refusal):
            raise _error(outcome) from None
        return outcome

    @door
    def dry_run(
        self,
        metric: str,
        *,
        by: Sequence[str] = (),
        period: Period = None,
        where: Mapping[str, str | Sequence[str]] | None = None,
        margins: bool = False,
        viewer: Viewer,
    ) -> DryRun:
        """Whether a report would be allowed for ``viewer`` now, and which cells it would hold.

        Answered from public inputs only (the roster, the schedule, the query and the
        ledger); nothing is released or recorded. The dominance rule and the contributors
        of an order statistic depend on values and may still suppress a cell the dry run
        shows as released. A later release by anyone can change the answer.
        """
        outcome = _contained(
            lambda: _reports.dry_run(
                self, metric, by=by, period=period, where=where, margins=margins, viewer=viewer
            )
        )
        if isinstance(outcome, Refusal):
            return DryRun(False, outcome.code, outcome.rule, outcome.remedy, pl.DataFrame())
        return outcome

    # Fairness audit -------------------------------------------------------------------
    @door
    def audit_tolerance(
        self,
        rule: Rule,
        *,
        by: Sequence[str] = (),
        period: Period = None,
        where: Mapping[str, str | Sequence[str]] | None = None,
        viewer: Viewer,
        level: float = 0.05,
        measurement_margin: timedelta = timedelta(seconds=60),
        permutations: int = 9_999,
        seed: int = 2026,
    ) -> FairnessAudit:
        """Audit a tolerance rule by group: whether it is fair, and to whom (fairness.md).

        Groups are public dimensions, as for ``report``; a group with fewer than ``k``
        protected agents is suppressed, and the audit's cells enter the ledger like any other
        release (family ``fairness:<rule>``), so it cannot be used to difference reports.

        Parameters
        ----------
        rule
            What to audit, e.g. ``PauseLimit("MEAL", timedelta(minutes=30))``.
        by, period, where
            Groups, period and filters, as for ``report``.
        viewer
            Who asks (typically an ``Auditor``; a team lead audits their own teams).
        level
            The suggested tolerance keeps breaches explained by the system or the
            measurement below this share (default 5 %): one of ``AUDIT_LEVELS``.
        measurement_margin
            A breach no larger than this is within what the measurement can account for
            (default 60 s; not used for percentage rules): a whole number of 30 s up to
            5 minutes. Both lie on public grids, so that neither can be tuned to read one
            value (a free margin bisected over many audits would find the longest episode).
        permutations, seed
            The agent-clustered permutation test (seeded: the same data, the same p-value).

        Raises
        ------
        ForbiddenQueryError, ScopeError, SmallGroupError, DifferencingError,
        LedgerUnavailableError
            As for ``report``.
        ConfigurationError
            ``level`` or ``measurement_margin`` off their public grids.
        """
        check_rule(rule)
        check_by(by)
        check_period(period)
        check_where(where)
        check_viewer(viewer)
        check_number(level, "level", low=0, high=1)
        check_timedelta(measurement_margin, "measurement_margin")
        check_number(permutations, "permutations", integer=True, low=1)
        check_number(seed, "seed", integer=True)
        _tolerance.check_audit_grid(level, measurement_margin)
        outcome = _contained(
            lambda: _tolerance.audit_tolerance(
                self,
                rule,
                by=by,
                period=period,
                where=where,
                viewer=viewer,
                level=level,
                measurement=measurement_margin,
                permutations=permutations,
                seed=seed,
            )
        )
        if isinstance(outcome, Refusal):
            raise _error(outcome) from None
        return outcome

    # Individual figures -------------------------------------------------------------
    @door
    def employee(self, login_id: str, *, key: str | bytes | None = None) -> Employee:
        """The ``Employee`` viewer of a raw login id, e.g. ``ws.employee("ag1156")``.

        The workspace pseudonymises the id with the steward's pseudonymisation key, as the
        data was at ingest, and checks that the agent is one of its own: in the data added,
        or added to this store before.

        Parameters
        ----------
        login_id
            The id the employee logs in with (blanks around it are ignored).
        key
            The steward's pseudonymisation key.

        Raises
        ------
        UnknownAgentError
            ``ADH-150``: no agent of the workspace has that login id under that key.
        ConfigurationError
            No key given.
        """
        if key is None:
            raise ConfigurationError(
                "resolving a login id needs the steward's pseudonymisation key",
                hint="pass key= (the key the data was ingested with)",
            )
        if not isinstance(login_id, str) or not login_id.strip():
            raise ConfigurationError(
                "a login id is a non-empty text", hint='pass the id, e.g. ws.employee("ag1156")'
            )
        agent_id = Pseudonymiser(key).pseudonym(login_id)
        if agent_id not in self._codes and not self._ledger.knows_agent(agent_id):
            raise UnknownAgentError.for_login()
        return Employee(agent_id)

    @door
    def self_view(
        self, agent: str | Employee, *, viewer: Viewer | None = None, per: Per = "shift"
    ) -> ReleasedTable:
        """All of an employee's own figures — for that employee only (G8).

        Every figure the engine computes for them (``SELF_VIEW_FIGURES``): scheduled time,
        time in and out of adherence (raw and charged), not-calculated and unobserved time,
        exceptions, conformance, occupancy, shrinkage, time and episodes per state (the time
        under sensitive reason codes as ``other_ms``: it is theirs), lateness and login to
        Ready. Percentages are released to 0.1 point, durations to whole seconds.

        Parameters
        ----------
        agent
            The employee: an ``Employee`` (e.g. from ``Workspace.employee``), or their
            pseudonymous id.
        viewer
            Who asks (default: ``agent`` when it is an ``Employee``).
        per
            ``"shift"`` (default): one row per shift, on the local date it starts;
            ``"day"``: one row per local day, as ``split_at_midnight`` attributes time.

        Raises
        ------
        ConsentError
            ``ADH-010``: anybody else asking; individual figures need a share.
        ConfigurationError
            ``per`` is neither ``"shift"`` nor ``"day"``, or no viewer is given.
        """
        agent_id, asking = _own_viewer(agent, viewer)
        if per not in ("shift", "day"):
            raise ConfigurationError(
                f"per={per!r} is not a self-view breakdown", hint='use per="shift" or per="day"'
            )
        outcome = _contained(lambda: self._own(agent_id, asking, per=per, exceptions=False))
        if isinstance(outcome, Refusal):
            raise _error(outcome) from None
        return outcome

    @door
    def self_exceptions(
        self, agent: str | Employee, *, viewer: Viewer | None = None
    ) -> ReleasedTable:
        """Every out-of-adherence run of an employee — for that employee only (G8).

        Each run with its raw and charged length; runs no longer than the exception
        threshold are listed too, flagged ``under_threshold`` (charged 0). ``agent`` and
        ``viewer`` as for ``self_view``.
        """
        agent_id, asking = _own_viewer(agent, viewer)
        outcome = _contained(lambda: self._own(agent_id, asking, per="shift", exceptions=True))
        if isinstance(outcome, Refusal):
            raise _error(outcome) from None
        return outcome

    def _own(
        self, agent: str, viewer: Viewer, *, per: Per, exceptions: bool
    ) -> ReleasedTable | Refusal:
        tables = self._data()
        if not (isinstance(viewer, Employee) and viewer.agent_id == agent):
            refusal = Refusal(
                "ADH-010",
                "individual figures are shown only to the employee themself or through a share",
                "ask the employee to share the figures with you (Workspace.share)",
            )
            return self._refuse(refusal, viewer, purpose="self_view")
        zone = self.options.time_zone
        if exceptions:
            frame = own_exceptions(tables, agent, time_zone=zone)
            keys = ["day", "shift_id", "start", "end", "activities", "states", "under_threshold"]
            units: dict[str, Unit] = {"raw_ms": "ms", "charged_ms": "ms"}
            title = "Your own out-of-adherence time"
            notes = [
                f"times are local ({zone}); runs no longer than the exception threshold are "
                "listed with under_threshold and charged nothing",
            ]
        else:
            figures = own_figures(tables, agent, per=per)
            frame, keys, units = figures.frame, figures.keys, dict(figures.units)
            title = f"Your own figures, per {per}"
            notes = ["only you can see this table; share it with Workspace.share"]
        release_id = self._releaser.record(
            "self_view",
            metric="self_view",
            fields={
                "purpose": "self_view",
                "subjects": [self._subject(agent)],
                "detail": "exceptions" if exceptions else f"per {per}",
            },
            released=frame.height,
            role=viewer.role,
            actor=self._actor(viewer),
        )
        if isinstance(release_id, Refusal):
            return release_id
        return ReleasedTable(
            frame,
            keys=keys,
            values=list(units),
            metric="self_view",
            unit=units,
            title=title,
            release_id=release_id,
            recorder=self._exports(viewer),
            notes=notes,
        )

    @door
    def share(
        self,
        *,
        agent: str,
        to: Viewer,
        purpose: str,
        metrics: Sequence[str],
        periods: Sequence[str],
        expires: timedelta | None = None,
        viewer: Viewer,
    ) -> OwnShare:
        """Create a share: the employee lets one recipient see chosen figures (G8).

        Parameters
        ----------
        agent
            The employee's own pseudonymous id; only that employee may share.
        to
            The one recipient, e.g. their team lead.
        purpose
            ``development_plan`` or ``quality_feedback`` (opens individual figures), or
            ``team_bonus`` (consent to team-figure follow-up only; never opens anything).
        metrics, periods
            What the recipient may see: catalogue metrics (no order statistics) and periods
            (``"2025-W10"``, ``"2025-03"``, ...).
        expires
            How long it is valid (default the policy's ``share_expiry``, at most 90 days).
        viewer
            Who creates it: must be ``Employee(agent)``.
        """
        check_text(agent, "agent")
        check_viewer(to, "to")
        check_text(purpose, "purpose")
        check_metrics(metrics)
        check_periods(periods)
        check_timedelta(expires, "expires", optional=True)
        check_viewer(viewer)
        if not (isinstance(viewer, Employee) and viewer.agent_id == agent):
            raise RoleError(
                "only the employee themself can share their figures",
                remedy="ask the employee to create the share",
            ) from None
        lifetime = expires if expires is not None else self.policy.share_expiry
        _sharing.check_share(self, purpose, metrics, periods, lifetime)
        granted = _now()
        share = OwnShare(
            uuid.uuid4().hex,
            viewer_key(to),
            purpose,
            tuple(metrics),
            tuple(periods),
            granted,
            granted + lifetime,
            None,
            agent_id=agent,
        )
        _sharing.store_share(self, share, origin="employee", actor=viewer)
        return share

    @door
    def import_consents(
        self, path: str | Path, *, viewer: Viewer, key: bytes | str | None = None
    ) -> list[OwnShare]:
        """Import the shares of a consent register CSV (see ``adherence.privacy.consents``).

        All or nothing: every row is checked first. Importing the same register again adds
        nothing; a row that has gained a ``revoked_at`` revokes its share. Only the steward
        imports.

        Returns
        -------
        list of OwnShare
            The register's shares as stored now.
        """
        check_path(path, "path")
        check_viewer(viewer)
        check_keys(key, "key", optional=True)
        if not isinstance(viewer, Steward):
            raise RoleError(
                "only the steward imports a consent register", remedy="ask the steward"
            ) from None
        if key is not None:  # the register's ids are pseudonymised with it: the store's key
            bind_key(self._ledger, key_fingerprint(key))
        rows = read_register(path, time_zone=self.options.time_zone, key=key)
        for number, row in enumerate(rows, start=1):
            try:
                _sharing.check_share(
                    self, row.purpose, row.metrics, row.periods, row.expires_at - row.granted_at
                )
            except ConfigurationError as err:
                raise ConfigurationError(
                    f"consent register row {number}: {err.message}", hint=err.hint
                ) from None
        with self._ledger.transaction() as db:
            for share in rows:
                stored = self._ledger.shares(share_id=share.id)
                if not stored:
                    _sharing.record_share(self, db, share, origin="register", actor=viewer)
                elif share.revoked_at is not None and stored[0]["revoked_at"] is None:
                    _sharing.record_revoke(self, db, share, share.revoked_at, actor=viewer)
        self._audit.flush()
        ids = {row.id for row in rows}
        return [OwnShare.from_row(r) for r in self._ledger.shares() if r["id"] in ids]

    @door
    def revoke_share(self, share_id: str, *, viewer: Viewer) -> None:
        """End a share now. Only the employee who shared (or the steward) may revoke it.

        The audit log names who revoked it. Revoking a share that is revoked already does
        nothing (and logs nothing).

        Raises
        ------
        ConsentError
            ``ADH-010``: there is no such share.
        RoleError
            ``ADH-005``: the viewer is neither the employee who shared nor the steward.
        """
        check_text(share_id, "share_id")
        check_viewer(viewer)
        rows = self._ledger.shares(share_id=share_id)
        if not rows:
            raise ConsentError("there is no such share", remedy="list shares with shares()")
        share = OwnShare.from_row(rows[0])
        owner = isinstance(viewer, Employee) and viewer.agent_id == share.agent_id
        if not (owner or isinstance(viewer, Steward)):
            raise RoleError(
                "only the employee who shared, or the steward, can revoke a share",
                remedy="ask the employee to revoke it",
            ) from None
        if share.revoked_at is not None:
            return
        with self._ledger.transaction() as db:
            _sharing.record_revoke(self, db, share, _now(), actor=viewer)
        self._audit.flush()

    @door
    def shares(self, *, viewer: Viewer) -> list[Share]:
        """Shares a viewer may see.

        An employee sees their own shares as ``OwnShare`` (with their agent id) and the
        steward sees every share so; a recipient sees the shares addressed to them, and an
        auditor every share, as ``Share``: without the employee's id.
        """
        check_viewer(viewer)
        everything = [OwnShare.from_row(r) for r in self._ledger.shares()]
        if isinstance(viewer, Steward):
            return list(everything)
        if isinstance(viewer, Auditor):
            return [s.recipient_view() for s in everything]
        key = viewer_key(viewer)
        own = viewer.agent_id if isinstance(viewer, Employee) else None
        return [
            s if s.agent_id == own else s.recipient_view()
            for s in everything
            if s.agent_id == own or s.recipient == key
        ]

    @door
    def open_share(
        self, share_id: str, *, viewer: Viewer, purpose: str | None = None
    ) -> ReleasedTable:
        """Open a share addressed to ``viewer``: the employee's figures, per period.

        From then on the ledger notes that this viewer knows those figures (G9): later team
        reports for the viewer do not count the employee as protected.

        Raises
        ------
        ConsentError
            ``ADH-010``: no such share, or it expired or was revoked.
        RecipientError
            ``ADH-012``: the share is addressed to someone else.
        PurposeError
            ``ADH-011``: the share is for another purpose, or for ``team_bonus``.
        """
        check_text(share_id, "share_id")
        check_viewer(viewer)
        check_text(purpose, "purpose", optional=True)
        outcome = _contained(lambda: _sharing.open_share(self, share_id, viewer, purpose))
        if isinstance(outcome, Refusal):
            raise _error(outcome) from None
        return outcome

    # Audit ----------------------------------------------------------------------------
    @door
    def audit_records(self, *, viewer: Viewer) -> list[AuditRecord]:
        """The audit trail a viewer may read.

        Auditors and stewards read all of it; an employee reads the records that concern
        them (their shares, their self views, and every release that counted their figures).
        """
        check_viewer(viewer)
        self._adopt_exports()
        if isinstance(viewer, Auditor | Steward):
            return self._audit.records()
        if isinstance(viewer, Employee):
            subject = self._subject(viewer.agent_id)
            code = self._codes.get(viewer.agent_id)
            counted = self._ledger.releases_concerning(code) if code is not None else set()
            return [
                r
                for r in self._audit.records()
                if subject in _texts(r.fields.get("subjects"))
                or (r.event == "release" and r.fields.get("release_id") in counted)
            ]
        raise RoleError(
            "team leads do not read the audit log", remedy="ask an auditor or the steward"
        ) from None

    @door
    def policy_history(self, *, viewer: Viewer) -> list[tuple[str, dict[str, object], str]]:
        """Every policy used for a release: (hash, settings, first used). Auditors, stewards."""
        check_viewer(viewer)
        if not isinstance(viewer, Auditor | Steward):
            raise RoleError(
                "only auditors and stewards read the policy history",
                remedy="ask an auditor",
            ) from None
        return self._ledger.policies()


def _own_viewer(agent: str | Employee, viewer: Viewer | None) -> tuple[str, Viewer]:
    """The agent id of a self-view request and who asks (the employee, by default)."""
    if viewer is not None:
        check_viewer(viewer)
    if isinstance(agent, Employee):
        return agent.agent_id, viewer if viewer is not None else agent
    check_text(agent, "agent")
    if viewer is None:
        raise ConfigurationError(
            "a self view of an agent id needs the viewer asking",
            hint="pass the Employee from Workspace.employee(login_id), or viewer=",
        )
    return agent, viewer


def _texts(value: object) -> list[str]:
    """An audit field as a list of texts (empty when it is not one)."""
    return [str(v) for v in value] if isinstance(value, list | tuple) else []
