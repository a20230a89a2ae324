from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adherence import MappingError, State, StatusMapping
from adherence.mapping import tidy_status_expr


@pytest.mark.parametrize(
    "raw",
    [
        "Not Ready - Break",
        "Not Ready – Break",  # en dash
        "Not Ready — Break",  # em dash
        "NotReady-Break",
        "not ready - break",
        "  NOT  READY\u00a0-\u00a0BREAK ",
    ],
)
def test_spellings_of_one_status_map_to_one_state(raw: str) -> None:
    assert StatusMapping.default().state_of(raw) is State.BREAK


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("Ready", State.READY),
        ("Talking", State.ON_CONTACT),
        ("After Call Work", State.AFTER_CONTACT_WORK),
        ("Not Ready - Lunch", State.MEAL),
        ("Not Ready - Meeting", State.MEETING),
        ("Not Ready - Training", State.TRAINING),
        ("Not Ready - Manager Approved", State.APPROVED),
        ("Not Ready - Deferred Transaction", State.OFF_QUEUE_WORK),
        ("Not Ready", State.AWAY),
        ("Log Off", State.OFFLINE),
        ("Logged Out", State.OFFLINE),
        ("Ikke klar - Annet", State.UNMAPPED),
    ],
)
def test_default_mapping_follows_metrics_md(status: str, state: State) -> None:
    assert StatusMapping.default().state_of(status) is state


def test_reason_column_completes_a_bare_not_ready() -> None:
    m = StatusMapping.default()
    assert m.state_of("Not Ready", reason="Lunch") is State.MEAL
    assert m.state_of("Not Ready - Break", reason="unknown code") is State.BREAK


def test_site_extends_mapping_without_code(tmp_path) -> None:
    site_file = tmp_path / "site.csv"
    site_file.write_text("status,state\nNot Ready - Tillitsvalgt,approved\n", encoding="utf-8")
    m = StatusMapping.from_csv(site_file)
    assert m.state_of("not ready – tillitsvalgt") is State.APPROVED
    assert StatusMapping.default().state_of("Not Ready - Tillitsvalgt") is State.UNMAPPED


def test_extending_with_an_unknown_state_is_a_typed_error() -> None:
    with pytest.raises(MappingError, match="not a canonical state"):
        StatusMapping.default().extend({"Coffee": "CAFFEINATED"})


def test_polars_expression_agrees_with_python_lookup() -> None:
    m = StatusMapping.default()
    statuses = ["Not Ready – Break", "Not Ready", "Ready", "xyz", "Heart Beat"]
    reasons = [None, "Lunch", None, None, None]
    frame = pl.DataFrame({"s": statuses, "r": reasons})
    got = frame.select(m.state_expr(pl.col("s"), pl.col("r"))).to_series().to_list()
    assert got == ["BREAK", "MEAL", "READY", "UNMAPPED", None]


_TEXTS = st.one_of(
    st.none(),
    st.sampled_from(["Ready", "Not Ready – Break", " Not  Ready ", "Lunch", "", "  ", "Log Off"]),
    st.text(alphabet="ab -–_\t", max_size=6),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_TEXTS, _TEXTS), max_size=12))
def test_annotate_in_memory_and_lazy_agree_row_by_row(
    rows: list[tuple[str | None, str | None]],
) -> None:
    m = StatusMapping.default()
    frame = pl.DataFrame(
        {"row": range(len(rows)), "status": [s for s, _ in rows], "reason": [r for _, r in rows]},
        schema={"row": pl.Int64, "status": pl.String, "reason": pl.String},
    )
    eager = m.annotate(frame).collect()
    lazy = m.annotate(frame.lazy()).collect()
    assert eager.equals(lazy)
    assert eager["row"].to_list() == list(range(len(rows)))  # row order is kept
    one_by_one = frame.with_columns(
        tidy_status_expr(pl.col("status")),
        pl.col("reason").str.strip_chars().replace("", None),
    ).with_columns(m.state_expr(pl.col("status"), pl.col("reason")).alias("state"))
    assert eager.equals(one_by_one)
