from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import adherence


def test_every_name_in_all_resolves_and_all_is_sorted() -> None:
    for name in adherence.__all__:
        assert getattr(adherence, name) is not None

    # isort order, as ruff keeps it: CONSTANTS, then Classes, then functions and modules.
    def isort_key(name: str) -> tuple[int, str]:
        return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)

    assert list(adherence.__all__) == sorted(adherence.__all__, key=isort_key)


def test_version_comes_from_package_metadata() -> None:
    from importlib.metadata import version

    assert adherence.__version__ == version("adherence")


def test_import_does_not_import_matplotlib() -> None:
    code = "import sys, adherence; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_import_does_not_import_dask() -> None:
    # Dask is an optional extra: only a Dask client handed to the library brings it in.
    code = "import sys, adherence; print(any(m in sys.modules for m in ('dask', 'distributed')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_library_never_imports_pandas_itself() -> None:
    # pandera imports pandas when it is installed; adherence itself must not depend on it.
    sources = Path(adherence.__file__).parent.rglob("*.py")
    offenders = [
        p.name for p in sources if re.search(r"^\s*(import|from) pandas", p.read_text(), re.M)
    ]
    assert offenders == []


def test_errors_inherit_the_fitting_builtin() -> None:
    assert issubclass(adherence.ParseError, ValueError)
    assert issubclass(adherence.SourceNotFoundError, FileNotFoundError)
    assert issubclass(adherence.TimeZoneError, ValueError)
    assert issubclass(adherence.SchemaValidationError, adherence.AdherenceError)
    codes = [
        getattr(adherence, n).code
        for n in adherence.__all__
        if isinstance(getattr(adherence, n), type)
        and issubclass(getattr(adherence, n), adherence.AdherenceError)
    ]
    assert len(codes) == len(set(codes))


_FORK_CHILD = """
import multiprocessing, sys
import adherence  # noqa: F401  (the import must leave no polars thread pool behind)

def query(_):
    import polars as pl
    frame = pl.DataFrame({"a": list(range(10_000)), "b": [i % 7 for i in range(10_000)]})
    return frame.lazy().group_by("b").agg(pl.col("a").sum()).sort("b").collect().height

with multiprocessing.get_context("fork").Pool(1) as pool:
    print(pool.map_async(query, [0]).get(timeout=30))
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork() on this platform")
def test_a_child_forked_after_import_can_run_polars() -> None:
    # A polars query at import starts its thread pool; a child forked afterwards inherits the
    # pool's locks without its threads and hangs in its first query.
    out = subprocess.run(
        [sys.executable, "-c", _FORK_CHILD], check=False, capture_output=True, text=True, timeout=90
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[7]"
