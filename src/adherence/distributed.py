"""Run one function over many buckets: in this process, on a process pool, or on a Dask cluster.

The out-of-core path (``adherence.buckets``) splits the data into buckets of whole agents;
every bucket is computed by the same module-level function, and the partial results are
merged by the caller. ``map_buckets`` is the one place that hands those calls to an
executor:

- ``None`` (the default): one bucket after the other, in this process (``LocalExecutor``);
- a ``concurrent.futures.Executor`` (e.g. a ``ProcessPoolExecutor``);
- a ``dask.distributed.Client`` (the ``dask`` extra: ``pip install "adherence[dask]"``): the
  calls are submitted as futures with ``client.map``, not as a ``dask.dataframe``. A worker
  that dies mid-run has its buckets rescheduled by the scheduler on the remaining workers;
  a bucket whose function raises is retried ``retries`` times.

Whatever the executor, the results come back in the order of the buckets, so a merge does
not depend on which worker finished first. Workers compute atoms only: the privacy layer,
its ledger and its audit log stay with the caller.

Examples
--------
>>> from adherence.distributed import map_buckets
>>> map_buckets(abs, [-2, 3, -1])
[2, 3, 1]
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, as_completed
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar, runtime_checkable

from adherence.errors import AdherenceError, ConfigurationError, DistributedError

__all__ = ["BucketDone", "LocalExecutor", "Progress", "map_buckets", "print_progress"]

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class BucketDone:
    """One finished bucket, as progress reports it.

    Attributes
    ----------
    index
        The bucket's position among the buckets mapped (0-based).
    done, total
        Buckets finished so far (this one included) and in all.
    elapsed_s
        Seconds since the mapping started [s].
    """

    index: int
    done: int
    total: int
    elapsed_s: float


#: Called once per finished bucket (in the caller's process).
Progress = Callable[[BucketDone], None]


def print_progress(step: BucketDone) -> None:
    """Write one line per finished bucket to standard error (``progress=True``)."""
    from adherence.locale import number

    share = 100 * step.done / step.total
    print(
        f"bucket {step.index}: {step.done}/{step.total} done "
        f"({number(share, 'en', digits=0)}%, {number(step.elapsed_s, 'en', digits=1)} s)",
        file=sys.stderr,
    )


class LocalExecutor:
    """The default executor: the buckets run in this process, one after the other.

    Memory holds one bucket's work at a time; this is the single-machine out-of-core path
    (``executor=None`` means the same).
    """

    def __repr__(self) -> str:
        return "LocalExecutor()"


@runtime_checkable
class _DaskClient(Protocol):
    """What ``map_buckets`` uses of a ``dask.distributed.Client``."""

    def map(self, func: Callable[..., Any], *iterables: Iterable[Any], **kwargs: Any) -> Any: ...
    def gather(self, futures: Any, **kwargs: Any) -> Any: ...
    def scheduler_info(self, **kwargs: Any) -> Any: ...


def map_buckets(
    fn: Callable[[T], R],
    items: Sequence[T],
    *,
    executor: object = None,
    progress: bool | Progress = False,
    retries: int = 2,
) -> list[R]:
    """Return ``[fn(item) for item in items]``, computed on ``executor``, in ``items`` order.

    Parameters
    ----------
    fn
        A module-level function (so that it pickles for other processes).
    items
        One argument per bucket (a path, or a small tuple).
    executor
        ``None`` (this process, one bucket at a time), a ``concurrent.futures.Executor`` or
        a ``dask.distributed.Client``.
    progress
        ``True`` writes a line per finished bucket to standard error; a callable receives a
        ``BucketDone`` per finished bucket instead.
    retries
        On a Dask cluster, how often a bucket whose function raised is tried again (a bucket
        whose worker died is rescheduled by the scheduler in any case).

    Raises
    ------
    DistributedError
        ``ADH-105``: a bucket failed on the executor (after its retries); the message names
        the bucket and the error's type, never its data.
    ConfigurationError
        ``executor`` is none of the kinds above.
    """
    report = print_progress if progress is True else (progress or None)
    started = time.perf_counter()
    total = len(items)

    def reported(index: int, done: int) -> None:
        if report is not None:
            report(BucketDone(index, done, total, time.perf_counter() - started))

    if executor is None or isinstance(executor, LocalExecutor):
        results: list[R] = []
        for index, item in enumerate(items):
            results.append(fn(item))
            reported(index, index + 1)
        return results
    futures: list[Any]
    finished: Iterator[Any]
    if isinstance(executor, Executor):
        futures = [executor.submit(fn, item) for item in items]
        finished = as_completed(futures)
    elif isinstance(executor, _DaskClient):
        from distributed import as_completed as dask_completed

        futures = executor.map(fn, list(items), pure=False, retries=retries)
        finished = iter(dask_completed(futures))  # type: ignore[no-untyped-call]
    else:
        raise ConfigurationError(
            f"executor must be None, a concurrent.futures.Executor or a dask.distributed."
            f"Client, not a {type(executor).__name__}",
            hint='for a cluster: pip install "adherence[dask]", then '
            "executor=dask.distributed.Client(address)",
        )
    position = {_identity(f): i for i, f in enumerate(futures)}
    gathered: dict[int, R] = {}
    for done, future in enumerate(finished, start=1):
        index = position[_identity(future)]
        gathered[index] = _result(future, index)
        release = getattr(future, "release", None)  # a Dask result leaves the worker
        if release is not None:
            release()
        reported(index, done)
    return [gathered[i] for i in range(total)]


def _identity(future: Any) -> object:
    """A Dask future's task key (its copies share it); a local future's identity."""
    return getattr(future, "key", None) or id(future)


def _result(future: Any, index: int) -> Any:
    """The future's result; a failure becomes ``DistributedError`` (ours pass through)."""
    try:
        return future.result()
    except AdherenceError:
        raise
    except Exception as err:
        raise DistributedError(
            f"bucket {index} failed on the executor ({type(err).__name__})",
            hint="run the same call with executor=None to see the error where it happens; "
            "on a cluster, check the workers' memory and logs",
        ) from err
