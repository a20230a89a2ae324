"""The hash-chained audit log: every kind of tampering is detected (G10)."""

from __future__ import annotations

import hashlib
import json
import pickle
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adherence.errors import LedgerUnavailableError
from adherence.privacy.audit import GENESIS, AuditLog


def _log(tmp_path: Path, n: int, *, head: bool = True) -> AuditLog:
    log = AuditLog(tmp_path / "audit.jsonl", head_store=tmp_path / "store.db" if head else None)
    for i in range(n):
        log.append("release", actor_role="team_lead", released=i, suppressed=0)
    return log


def _lines(log: AuditLog) -> list[str]:
    return log.path.read_text().splitlines(keepends=True)


def test_records_are_chained_by_sha256_of_their_canonical_json(tmp_path: Path) -> None:
    log = _log(tmp_path, 2)
    first, second = (json.loads(line) for line in _lines(log))

    def digest(record: dict[str, object]) -> str:
        body = {k: v for k, v in record.items() if k != "hash"}
        text = json.dumps(body, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    assert (first["seq"], first["prev"], first["hash"]) == (1, GENESIS, digest(first))
    assert (second["seq"], second["prev"], second["hash"]) == (2, first["hash"], digest(second))
    assert log.head() == (2, second["hash"])
    assert log.verify().ok


def test_an_edited_line_is_detected(tmp_path: Path) -> None:
    log = _log(tmp_path, 5)
    lines = _lines(log)
    lines[1] = lines[1].replace('"released":1', '"released":7')
    log.path.write_text("".join(lines))

    result = log.verify()

    assert not result.ok
    assert (result.problems[0].line, result.problems[0].kind) == (2, "hash")


def test_a_removed_line_is_detected(tmp_path: Path) -> None:
    log = _log(tmp_path, 5)
    lines = _lines(log)
    log.path.write_text("".join(lines[:2] + lines[3:]))

    kinds = {p.kind for p in log.verify().problems}

    assert {"chain", "sequence"} <= kinds


def test_reordered_lines_are_detected(tmp_path: Path) -> None:
    log = _log(tmp_path, 5)
    lines = _lines(log)
    log.path.write_text("".join([lines[0], lines[2], lines[1], *lines[3:]]))

    assert not log.verify().ok


def test_a_removed_last_line_is_detected_only_with_the_head_store(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    stored = _log(tmp_path / "a", 3)
    plain = _log(tmp_path / "b", 3, head=False)
    for log in (stored, plain):
        log.path.write_text("".join(_lines(log)[:-1]))

    assert [p.kind for p in stored.verify().problems] == ["truncated"]
    assert plain.verify().ok  # the chain alone cannot see a cut at the end


def test_a_garbage_line_is_detected(tmp_path: Path) -> None:
    log = _log(tmp_path, 2)
    with log.path.open("a") as f:
        f.write("not json\n")

    assert next(p.kind for p in log.verify().problems) == "unparseable"


def test_floats_and_unknown_fields_are_refused(tmp_path: Path) -> None:
    log = _log(tmp_path, 0)
    with pytest.raises(TypeError):
        log.append("release", released=97.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not an audit field"):
        log.append("release", adherence_pct="97.5")


def test_an_unwritable_log_raises_adh_040(tmp_path: Path) -> None:
    for log in (
        AuditLog(tmp_path / "missing-folder" / "audit.jsonl"),
        AuditLog(tmp_path),  # a folder, not a file
        AuditLog(tmp_path / "audit.jsonl", head_store=tmp_path / "store-is-a-folder"),
    ):
        (tmp_path / "store-is-a-folder").mkdir(exist_ok=True)
        with pytest.raises(LedgerUnavailableError) as refused:
            log.append("release", released=1)
        assert refused.value.code == "ADH-040"


def test_two_objects_on_one_file_keep_one_chain_and_pickle_round_trips(tmp_path: Path) -> None:
    one = _log(tmp_path, 1)
    two = pickle.loads(pickle.dumps(one))

    two.append("export", format="csv")
    one.append("export", format="parquet")

    assert [r.seq for r in one.records()] == [1, 2, 3]
    assert one.verify().ok


def test_records_about_a_subject(tmp_path: Path) -> None:
    log = _log(tmp_path, 1)
    log.append("share_created", subjects=["s1"])
    log.append("share_created", subjects=["s2"])

    assert [r.seq for r in log.records_about("s1")] == [2]


@settings(max_examples=60, deadline=None)
@given(
    st.integers(2, 8),
    st.sampled_from(["edit", "delete", "swap", "duplicate", "none"]),
    st.data(),
)
def test_any_single_tampering_fails_verification(
    tmp_path_factory: pytest.TempPathFactory, n: int, tamper: str, data: st.DataObject
) -> None:
    log = _log(tmp_path_factory.mktemp("log"), n)
    lines = _lines(log)
    i = data.draw(st.integers(0, n - 2))
    if tamper == "edit":
        lines[i] = lines[i].replace('"team_lead"', '"steward"')
    elif tamper == "delete":
        del lines[i]
    elif tamper == "swap":
        lines[i], lines[i + 1] = lines[i + 1], lines[i]
    elif tamper == "duplicate":
        lines.insert(i + 1, lines[i])
    log.path.write_text("".join(lines))

    assert log.verify().ok is (tamper == "none")
