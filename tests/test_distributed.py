"""``map_buckets`` on every kind of executor, and the bucket path on a local Dask cluster."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import polars as pl
import pytest
from tests.privacy.org import AUDIT_KEY

import adherence as adh
from adherence.buckets import BucketStore, to_buckets
from adherence.distributed import BucketDone, LocalExecutor, map_buckets
from adherence.errors import ConfigurationError, DistributedError
from adherence.privacy._buckets import BucketJob, bucket_jobs, bucket_tables, merge_tables

distributed = pytest.importorskip("distributed")

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples"
KEY = "test key for the bucket store"


def _negative(x: int) -> int:
    if x < 0:
        raise ArithmeticError("negative")
    return x


@pytest.mark.parametrize("executor", [None, LocalExecutor(), "threads"])
def test_results_come_back_in_bucket_order_with_progress_per_bucket(executor: object) -> None:
    steps: list[BucketDone] = []
    if executor == "threads":
        with ThreadPoolExecutor(2) as pool:
            out = map_buckets(abs, [-3, 1, -2, 5], executor=pool, progress=steps.append)
    else:
        out = map_buckets(abs, [-3, 1, -2, 5], executor=executor, progress=steps.append)
    assert out == [3, 1, 2, 5]
    assert sorted(s.index for s in steps) == [0, 1, 2, 3]
    assert [s.done for s in steps] == [1, 2, 3, 4]
    assert {s.total for s in steps} == {4}


def test_progress_true_writes_one_line_per_bucket_to_stderr(
    capsys: pytest.CaptureFixture[str],
) -> None:
    map_buckets(abs, [-1, 2], progress=True)
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(" (")[0] for line in lines] == ["bucket 0: 1/2 done", "bucket 1: 2/2 done"]
    assert lines[1].split(" (")[1].startswith("100%, ")


def test_a_failed_bucket_is_named_and_an_unknown_executor_refused() -> None:
    with ThreadPoolExecutor(1) as pool, pytest.raises(DistributedError, match="bucket 1 failed"):
        map_buckets(_negative, [1, -1], executor=pool)
    with pytest.raises(ConfigurationError, match="executor must be"):
        map_buckets(abs, [1], executor="a cluster")


@pytest.fixture(scope="module")
def client() -> Iterator[object]:
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            memory_limit="2GiB",
        ) as cluster,
        Client(cluster) as connected,
    ):
        yield connected


@pytest.fixture(scope="module")
def jobs(tmp_path_factory: pytest.TempPathFactory) -> tuple[BucketStore, list[BucketJob]]:
    folder = tmp_path_factory.mktemp("dask") / "store"
    store = to_buckets([SAMPLES / "status_log.csv"], folder, key=KEY, buckets=4)
    schedule = adh.io.read_schedule(SAMPLES / "schedule.csv", key=KEY).valid
    roster = adh.io.read_roster(SAMPLES / "roster.csv", key=KEY).valid
    ids = sorted(
        set(store.agent_ids().to_list())
        | set(schedule["agent_id"].to_list())
        | set(roster["agent_id"].to_list())
    )
    codes = {a: i for i, a in enumerate(ids)}
    made = bucket_jobs(
        store,
        schedule,
        roster,
        incidents=None,
        codes=codes,
        options=adh.MetricOptions(),
        sensitive_reasons=adh.PrivacyPolicy().sensitive_reasons,
    )
    return store, made


def _sorted(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sort(frame.columns)


def test_cluster_totals_equal_the_single_machine_path(
    client: object, jobs: tuple[BucketStore, list[BucketJob]], tmp_path: Path
) -> None:
    store, _ = jobs
    schedule = adh.io.read_schedule(SAMPLES / "schedule.csv", key=KEY)
    roster = adh.io.read_roster(SAMPLES / "roster.csv", key=KEY)
    local = adh.Workspace.open(tmp_path / "local.db", audit_key=AUDIT_KEY)
    local.add_buckets(store, schedule=schedule, roster=roster)
    remote = adh.Workspace.open(tmp_path / "remote.db", audit_key=AUDIT_KEY)
    remote.add_buckets(store, schedule=schedule, roster=roster, executor=client)
    for name in ("days", "shifts", "episodes", "exceptions"):
        assert _sorted(getattr(remote._data(), name)).equals(
            _sorted(getattr(local._data(), name))
        ), name
    steward = adh.Steward("wfm")
    by = ["team", "iso_week"]
    assert (
        remote.report("adherence_pct", by=by, viewer=steward)
        .to_polars()
        .equals(local.report("adherence_pct", by=by, viewer=steward).to_polars())
    )


def test_a_worker_killed_mid_run_is_retried_and_the_result_is_identical(
    client: object, jobs: tuple[BucketStore, list[BucketJob]], tmp_path: Path
) -> None:
    _, made = jobs
    marker = tmp_path / "killed-once"

    def dies_once_on_bucket_2(job: BucketJob) -> object:
        # The first worker to take bucket 2 dies (SIGKILL: no clean-up, like a lost machine);
        # the scheduler gives the bucket to a worker that is still alive.
        if job.events.endswith("bucket=2.parquet") and not marker.exists():
            marker.touch()
            os.kill(os.getpid(), signal.SIGKILL)
        return bucket_tables(job)

    expected = merge_tables([bucket_tables(job) for job in made], outside_shift=False)
    merged = merge_tables(
        map_buckets(dies_once_on_bucket_2, made, executor=client), outside_shift=False
    )  # type: ignore[arg-type]
    assert marker.exists()
    for name in ("days", "shifts", "episodes", "exceptions"):
        assert _sorted(getattr(merged, name)).equals(_sorted(getattr(expected, name))), name
