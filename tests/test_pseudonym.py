from __future__ import annotations

import polars as pl
import pytest

from adherence import Pseudonymiser, PseudonymKeyError


def test_short_key_is_refused() -> None:
    with pytest.raises(PseudonymKeyError, match="16 are needed"):
        Pseudonymiser("short")


def test_same_key_same_pseudonym_other_key_other_pseudonym() -> None:
    a, b = Pseudonymiser(b"k" * 32), Pseudonymiser(b"j" * 32)
    assert a.pseudonym("ag1") == Pseudonymiser(b"k" * 32).pseudonym(" ag1 ")
    assert a.pseudonym("ag1") != b.pseudonym("ag1")
    assert a.pseudonym("ag1") != a.pseudonym("ag2")


def test_series_maps_blank_to_null_and_hides_raw_ids() -> None:
    out = Pseudonymiser(b"k" * 32).series(pl.Series(["ag1", "", None, "ag1"]))
    assert out[0] == out[3]
    assert out[1] is None
    assert out[2] is None
    assert "ag1" not in out.to_list()


def test_repr_hides_the_key() -> None:
    assert "k" * 32 not in repr(Pseudonymiser(b"k" * 32))
