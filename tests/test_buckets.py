"""The bucket store and the out-of-core workspace path (``to_buckets``, ``add_buckets``)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import polars as pl
import pytest
from tests.privacy.org import AUDIT_KEY

import adherence as adh
from adherence.buckets import BUCKET, BucketStore, bucket_of, to_buckets
from adherence.distributed import BucketDone
from adherence.errors import ConfigurationError, KeyMismatchError, SourceNotFoundError
from adherence.privacy._atoms import Tables
from adherence.pseudonym import Pseudonymiser

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples"
KEY = "test key for the bucket store"
OTHER_KEY = "another key, not the store's one"


def _sorted(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sort(frame.columns)


def _assert_same_tables(a: Tables, b: Tables) -> None:
    for name in ("days", "shifts", "episodes", "exceptions"):
        left, right = getattr(a, name), getattr(b, name)
        assert left.schema == right.schema, name
        assert _sorted(left).equals(_sorted(right)), name


@pytest.fixture(scope="module")
def public() -> tuple[pl.DataFrame, pl.DataFrame]:
    schedule = adh.io.read_schedule(SAMPLES / "schedule.csv", key=KEY).valid
    roster = adh.io.read_roster(SAMPLES / "roster.csv", key=KEY).valid
    return schedule, roster


@pytest.fixture(scope="module")
def in_memory(
    tmp_path_factory: pytest.TempPathFactory, public: tuple[pl.DataFrame, pl.DataFrame]
) -> adh.Workspace:
    schedule, roster = public
    ws = adh.Workspace.open(tmp_path_factory.mktemp("mem") / "ws.db", audit_key=AUDIT_KEY)
    ws.add(adh.io.read_iws(SAMPLES / "status_log.csv", key=KEY), schedule=schedule, roster=roster)
    return ws


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> BucketStore:
    return to_buckets(
        [SAMPLES / "status_log.csv"], tmp_path_factory.mktemp("s") / "b", key=KEY, buckets=5
    )


def test_bucket_is_a_range_of_the_first_three_pseudonym_digits() -> None:
    # base32hex: "1vv" = 1*1024 + 31*32 + 31 = 2047 -> 2047*64 // 32768 = 3;
    # "g00" = 16*1024 = 16384 -> half of 32768 -> bucket 32 of 64; "vvv" = 32767 -> 63.
    frame = pl.DataFrame(
        {"agent_id": ["000000000000", "1vv000000000", "g00123456789", "vvv000000000"]}
    )
    assert bucket_of(frame, 64)[BUCKET].to_list() == [0, 3, 32, 63]
    assert bucket_of(frame, 1)[BUCKET].to_list() == [0, 0, 0, 0]


def test_two_sources_share_one_total_order_and_keep_their_row_numbers(tmp_path: Path) -> None:
    first = b"timestamp,agent_id,status\n2026-03-02 08:00:00,a1,Ready\n,a1,Ready\n2026-03-02 08:05:00,a2,Ready\n"
    second = (
        b"timestamp,agent_id,status\n2026-03-02 08:00:00,a1,Log Off\n2026-03-02 08:01:00,,Ready\n"
    )
    store = to_buckets([first, second], tmp_path / "store", key=KEY, buckets=2)
    events = store.events().collect().sort("seq")
    pseudonym = Pseudonymiser(KEY).pseudonym
    # The second file's rows follow the first file's three: seq 4 and 5.
    assert events.select("agent_id", "status", "seq").rows() == [
        (pseudonym("a1"), "Ready", 1),
        (pseudonym("a2"), "Ready", 3),
        (pseudonym("a1"), "Log Off", 4),
    ]
    quarantine = store.quarantine().collect().sort("source", "row")
    assert quarantine.select("row", "column", "reason").rows() == [
        (2, "timestamp", "missing_value"),
        (2, "agent_id", "missing_value"),
    ]
    assert [(r.rows_in, r.rows_valid, r.rows_quarantined) for r in store.reports] == [
        (3, 2, 1),
        (2, 1, 1),
    ]
    total = store.report
    assert (total.rows_in, total.rows_valid, total.rows_quarantined, total.agents) == (5, 3, 2, 2)
    assert dict(total.quarantine_reasons) == {"missing_value": 2}


def test_store_reconciles_per_bucket_and_in_total_like_read_iws(store: BucketStore) -> None:
    expected = adh.io.read_iws(SAMPLES / "status_log.csv", key=KEY).report
    for reports in store.bucket_reports:
        (report,) = reports
        assert report.rows_in == report.rows_valid + report.rows_quarantined
    assert sum(r.rows_in for (r,) in store.bucket_reports) == 109_735
    assert asdict(store.report) == asdict(expected)
    reopened = BucketStore.open(store.folder)
    assert reopened == store


@pytest.mark.parametrize("buckets", [1, 3, 16])
def test_bucketed_events_and_quarantine_equal_read_iws(tmp_path: Path, buckets: int) -> None:
    expected = adh.io.read_iws(SAMPLES / "status_log.csv", key=KEY)
    store = to_buckets([SAMPLES / "status_log.csv"], tmp_path / "b", key=KEY, buckets=buckets)
    events = store.events().collect()
    assert events.schema == expected.valid.schema
    assert _sorted(events).equals(_sorted(expected.valid))
    assert _sorted(store.quarantine().collect()).equals(_sorted(expected.quarantine))
    per_bucket = bucket_of(events, buckets).group_by(BUCKET).agg(pl.col("agent_id").n_unique())
    assert per_bucket.height <= buckets
    for bucket in range(buckets):
        part = store.events(bucket).collect()
        assert part.equals(part.sort("agent_id", "ts", "seq"))
        assert bucket_of(part, buckets)[BUCKET].unique().to_list() in ([], [bucket])


def test_add_buckets_gives_the_tables_and_releases_of_add(
    tmp_path: Path,
    store: BucketStore,
    public: tuple[pl.DataFrame, pl.DataFrame],
    in_memory: adh.Workspace,
) -> None:
    schedule, roster = public
    steps: list[BucketDone] = []
    ws = adh.Workspace.open(tmp_path / "ws.db", audit_key=AUDIT_KEY)
    ws.add_buckets(store, schedule=schedule, roster=roster, progress=steps.append)
    assert [(s.done, s.total) for s in steps] == [(i, 5) for i in range(1, 6)]
    _assert_same_tables(ws._data(), in_memory._data())
    steward = adh.Steward("wfm")
    ours = ws.report("adherence_pct", by=["team", "iso_week"], viewer=steward)
    theirs = in_memory.report("adherence_pct", by=["team", "iso_week"], viewer=steward)
    assert ours.to_polars().equals(theirs.to_polars())
    assert ours.released_count > 0


def test_empty_buckets_add_nothing(
    tmp_path: Path, public: tuple[pl.DataFrame, pl.DataFrame], in_memory: adh.Workspace
) -> None:
    schedule, roster = public
    store = to_buckets([SAMPLES / "status_log.csv"], tmp_path / "b", key=KEY, buckets=64)
    assert 0 in store.bucket_agents  # 60 agents cannot fill 64 buckets
    ws = adh.Workspace.open(tmp_path / "ws.db", audit_key=AUDIT_KEY)
    ws.add_buckets(store, schedule=schedule, roster=roster)
    _assert_same_tables(ws._data(), in_memory._data())


def test_shuffled_input_bucketed_gives_the_atoms_of_an_in_memory_run(
    tmp_path: Path, public: tuple[pl.DataFrame, pl.DataFrame], in_memory: adh.Workspace
) -> None:
    schedule, roster = public
    raw = pl.read_csv(SAMPLES / "status_log.csv", infer_schema=False)
    shuffled = tmp_path / "shuffled.csv"
    raw.sample(fraction=1.0, shuffle=True, seed=7).write_csv(shuffled)
    store = to_buckets([shuffled], tmp_path / "b", key=KEY, buckets=4)
    ws = adh.Workspace.open(tmp_path / "ws.db", audit_key=AUDIT_KEY)
    ws.add_buckets(store, schedule=schedule, roster=roster)
    # Only the order of the rows changed: every atom is the in-memory run's on the file.
    assert _sorted(ws._data().days).equals(_sorted(in_memory._data().days))
    assert _sorted(ws._data().shifts).equals(_sorted(in_memory._data().shifts))


def test_a_new_store_needs_an_empty_folder_and_a_bucket_count_in_range(tmp_path: Path) -> None:
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x.txt").write_text("x")
    csv = SAMPLES / "status_log.csv"
    with pytest.raises(ConfigurationError, match="not empty"):
        to_buckets([csv], tmp_path / "full", key=KEY)
    with pytest.raises(ConfigurationError, match="buckets must be"):
        to_buckets([csv], tmp_path / "new", key=KEY, buckets=0)
    with pytest.raises(SourceNotFoundError, match="no bucket store"):
        BucketStore.open(tmp_path / "nothing")


def test_add_buckets_refuses_a_store_of_another_key(
    tmp_path: Path, store: BucketStore, public: tuple[pl.DataFrame, pl.DataFrame]
) -> None:
    schedule, roster = public
    ws = adh.Workspace.open(tmp_path / "ws.db", audit_key=AUDIT_KEY)
    other = adh.io.read_roster(SAMPLES / "roster.csv", key=OTHER_KEY)
    with pytest.raises(KeyMismatchError):
        ws.add_buckets(store, schedule=schedule, roster=other)
    with pytest.raises(ConfigurationError, match="must be a BucketStore"):
        ws.add_buckets(str(store.folder), schedule=schedule, roster=roster)  # type: ignore[arg-type]
