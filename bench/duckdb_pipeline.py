"""The DuckDB peer: the same steps as ``adherence_pipeline.py``, in DuckDB SQL.

Usage::

    python bench/duckdb_pipeline.py SOURCE [--mapping MAPPING_JSON] [--threads N]

One in-memory ``duckdb.connect()``, DuckDB's own threads (default: one per core). Steps:

1. read the CSV (``read_csv``, every column ``VARCHAR``) or Parquet (``read_parquet``) once
   into a staging table, with ``ts`` in UTC epoch milliseconds: naive local text is parsed
   with ``try_strptime`` (the layouts the library reads without an offset) and localised in
   Europe/Oslo with ICU ``timezone()``; a local time that does not come back unchanged from
   UTC is in the spring-forward gap and is quarantined; an aware Parquet timestamp is used as
   it is. ``seq`` (file order) is the Parquet ``file_row_number``, or for CSV the staging
   table's ``rowid`` (DuckDB keeps a CSV's line order on insert);
2. pseudonymise agent ids as the library does (HMAC-SHA256 with the same key over the trimmed
   id, its first 60 bits as 12 base32hex digits): DuckDB has no HMAC, so Python computes it
   once per DISTINCT raw id and the result is joined as a table;
3. map raw statuses to canonical states with the library's ``StatusMapping.default()`` table
   (``--mapping``, written by ``bench/run.py``), once per distinct (status, reason) pair:
   the normalised key ``status-reason`` first (lower case, Unicode dashes to ``-``, blanks and
   underscores removed), then ``status`` alone, else ``UNMAPPED``; heartbeats are marked;
4. quarantine rows with a missing, unparseable or nonexistent timestamp, a missing agent or a
   missing status (the first reason that applies, in the library's order), count them by
   reason; ``as_of`` is the largest valid ``ts``;
5. drop heartbeats, keep the last row by file order at each (agent, ts) (metrics.md §2.2-2.3),
   start an interval where (state, reason) differs from the agent's previous row, end it at
   the agent's next change, clip the last one at ``as_of``.

Prints the same one-line JSON summary as ``adherence_pipeline.py``. Imports neither polars nor
adherence (unless ``--mapping`` is omitted), so its process pays only for DuckDB.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import time
from pathlib import Path

import duckdb

from common import KEY, ZONE, agents_digest

_DIGITS = "0123456789abcdefghijklmnopqrstuv"
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
# The naive layouts the library reads (its usual fast path first).
_NAIVE_FORMATS = ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M")


def pseudonym(raw_id: str, key: bytes) -> str | None:
    """The library's pseudonym of one raw agent id; ``None`` for a blank id."""
    text = raw_id.strip()
    if not text:
        return None
    digest = hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()
    value = int.from_bytes(digest[:8], "big") >> 4  # the first 60 bits
    return "".join(_DIGITS[(value >> shift) & 31] for shift in range(55, -1, -5))


def _load_mapping(path: Path | None) -> tuple[dict[str, str], list[str]]:
    if path is None:  # costs the import of adherence (polars, pandera) in this process
        from adherence.mapping import StatusMapping

        mapping = StatusMapping.default()
        return {k: v.value for k, v in mapping.states.items()}, sorted(mapping.heartbeats)
    table = json.loads(path.read_text(encoding="utf-8"))
    return table["states"], table["heartbeats"]


def _text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _staging_sql(con: duckdb.DuckDBPyConnection, source: Path) -> tuple[str, str]:
    """The ``SELECT`` that stages the source, and the expression of ``seq`` on its table."""
    path, zone = _text(str(source)), _text(ZONE)
    if source.suffix.lower() in {".parquet", ".pq"}:
        scan = f"read_parquet({path}, file_row_number = true)"
        seq, extra = "s.file_row_number + 1", "file_row_number, "
        columns = con.sql(f"DESCRIBE SELECT * FROM {scan}").fetchall()
        kind = {row[0]: str(row[1]) for row in columns}["timestamp"]
    else:
        scan = f"read_csv({path}, all_varchar = true, header = true)"
        seq, extra, kind = "s.rowid + 1", "", "VARCHAR"
    if kind.startswith("TIMESTAMP WITH TIME ZONE"):
        return (
            f"""SELECT {extra}agent_id, status, reason, epoch_ms(timestamp) AS ts,
                       CASE WHEN timestamp IS NULL THEN 'missing_value' END AS ts_problem
                FROM {scan}""",
            seq,
        )
    if kind.startswith("TIMESTAMP"):
        naive = "timestamp"
    else:
        formats = ", ".join(_text(f) for f in _NAIVE_FORMATS)
        naive = f"try_strptime(trim(timestamp), [{formats}])"
    return (
        f"""SELECT {extra}agent_id, status, reason,
                   CASE WHEN timezone({zone}, localised) = naive THEN epoch_ms(localised) END
                       AS ts,
                   CASE
                       WHEN nullif(trim(timestamp::VARCHAR), '') IS NULL THEN 'missing_value'
                       WHEN naive IS NULL THEN 'unparseable_timestamp'
                       -- in the spring-forward gap: ICU moves it, so it does not come back
                       WHEN timezone({zone}, localised) <> naive THEN 'nonexistent_local_time'
                   END AS ts_problem
            FROM (
                SELECT *, timezone({zone}, naive) AS localised
                FROM (SELECT {extra}timestamp, {naive} AS naive, agent_id, status, reason
                      FROM {scan})
            )""",
        seq,
    )


_PAIRS_SQL = """
CREATE TEMP TABLE pairs AS
WITH distinct_pairs AS (SELECT DISTINCT status, reason FROM staged),
keyed AS (
    SELECT status, reason, blank_to_null(reason) AS clean_reason,
           blank_to_null(status) IS NULL AS no_status,
           norm(status) AS status_key,
           norm(status || '-' || blank_to_null(reason)) AS pair_key
    FROM distinct_pairs
)
SELECT k.status, k.reason, k.clean_reason, k.no_status,
       k.status_key IN (SELECT key FROM heartbeats) AS heartbeat,
       coalesce(both_.state, alone.state, 'UNMAPPED') AS state
FROM keyed k
LEFT JOIN statuses both_ ON both_.key = k.pair_key
LEFT JOIN statuses alone ON alone.key = k.status_key
"""

# Every staged row with its pseudonym, state and the first reason to quarantine it, if any.
_CLASSIFIED_SQL = """
CREATE TEMP VIEW classified AS
SELECT {seq} AS seq, s.ts, i.agent, i.agent_no, p.state, p.clean_reason AS reason, p.heartbeat,
       CASE
           WHEN s.ts_problem IS NOT NULL THEN s.ts_problem
           WHEN i.agent IS NULL THEN 'missing_value'
           WHEN p.no_status THEN 'missing_value'
       END AS problem
FROM staged s
LEFT JOIN ids i ON i.agent_id = s.agent_id
JOIN pairs p ON p.status IS NOT DISTINCT FROM s.status AND p.reason IS NOT DISTINCT FROM s.reason
"""

_INTERVALS_SQL = """
WITH
kept AS (  -- heartbeats out; at each (agent, ts) the last row in file order wins
    SELECT agent_no, ts, arg_max(state, seq) AS state, arg_max(reason, seq) AS reason
    FROM classified
    WHERE problem IS NULL AND NOT heartbeat
    GROUP BY agent_no, ts
),
changes AS (  -- where (state, reason) differs from the agent's previous row
    SELECT agent_no, ts, state, reason
    FROM kept
    WINDOW w AS (PARTITION BY agent_no ORDER BY ts)
    QUALIFY lag(ts) OVER w IS NULL
         OR lag(state) OVER w IS DISTINCT FROM state
         OR lag(reason) OVER w IS DISTINCT FROM reason
),
intervals AS (  -- to the agent's next change; the last one clipped at as_of, and open
    SELECT agent_no, start, least(coalesce(next_change, $as_of), $as_of) AS "end", state, reason,
           next_change IS NULL OR next_change > $as_of AS open
    FROM (
        SELECT agent_no, ts AS start, state, reason,
               lead(ts) OVER (PARTITION BY agent_no ORDER BY ts) AS next_change
        FROM changes
    )
    WHERE start < $as_of
)
SELECT state, count(*) AS intervals, sum("end" - start)::BIGINT AS ms
FROM intervals
GROUP BY state
ORDER BY state
"""


def run(source: Path, mapping_path: Path | None, threads: int | None) -> dict[str, object]:
    """Read ``source`` into intervals with DuckDB SQL and summarise them."""
    started = time.perf_counter()
    states, heartbeats = _load_mapping(mapping_path)
    con = duckdb.connect()
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    staging, seq = _staging_sql(con, source)
    con.execute(f"CREATE TEMP TABLE staged AS {staging}")
    rows_in = con.sql("SELECT count(*) FROM staged").fetchall()[0][0]
    staged = time.perf_counter()

    # Pseudonyms: HMAC in Python once per distinct raw id, joined as a table; agent_no numbers
    # the pseudonyms (two raw spellings of one id, e.g. with blanks, share it) and is cheaper
    # to partition by than the text.
    key = KEY.encode("utf-8")
    raw_ids = [r[0] for r in con.sql("SELECT DISTINCT agent_id FROM staged").fetchall()]
    known = [(raw, p) for raw in raw_ids if raw is not None and (p := pseudonym(raw, key))]
    con.execute(
        """CREATE TEMP TABLE ids AS
           SELECT agent_id, agent, dense_rank() OVER (ORDER BY agent)::INTEGER AS agent_no
           FROM (SELECT unnest($raw) AS agent_id, unnest($agent) AS agent)""",
        {"raw": [r for r, _ in known], "agent": [p for _, p in known]},
    )
    # Status mapping: the library's table, matched once per distinct (status, reason) pair.
    con.execute(
        "CREATE TEMP TABLE statuses AS SELECT unnest($key) AS key, unnest($state) AS state",
        {"key": list(states), "state": list(states.values())},
    )
    con.execute(
        "CREATE TEMP TABLE heartbeats AS SELECT unnest($key::VARCHAR[]) AS key",
        {"key": list(heartbeats)},
    )
    con.execute(
        f"""CREATE MACRO norm(x) AS
            regexp_replace(regexp_replace(lower(x), '[{_DASHES}]', '-', 'g'), '[\\s_]+', '', 'g')"""
    )
    con.execute(
        "CREATE MACRO blank_to_null(x) AS nullif(regexp_replace(x, '^\\s+|\\s+$', '', 'g'), '')"
    )
    con.execute(_PAIRS_SQL)
    con.execute(_CLASSIFIED_SQL.format(seq=seq))
    counts = con.sql(
        "SELECT problem, count(*), max(ts) FROM classified GROUP BY problem ORDER BY problem"
    ).fetchall()
    classified = time.perf_counter()

    as_of = next((latest for problem, _, latest in counts if problem is None), None)
    per_state = con.execute(_INTERVALS_SQL, {"as_of": as_of}).fetchall()
    agents = [
        r[0]
        for r in con.sql("SELECT DISTINCT agent FROM classified WHERE problem IS NULL").fetchall()
    ]
    built = time.perf_counter()
    reasons = {problem: n for problem, n, _ in counts if problem is not None}
    return {
        "engine": "duckdb",
        "source": source.name,
        "rows_in": rows_in,
        "rows_valid": sum(n for problem, n, _ in counts if problem is None),
        "rows_quarantined": sum(reasons.values()),
        "quarantine_reasons": reasons,
        "agents": len(agents),
        "agents_digest": agents_digest(agents),
        "intervals": sum(n for _, n, _ in per_state),
        "ms_by_state": {state: ms for state, _, ms in per_state},
        "total_ms": sum(ms for _, _, ms in per_state),
        "seconds": {
            "read_stage": round(staged - started, 2),
            "pseudonymise_map_classify": round(classified - staged, 2),
            "intervals": round(built - classified, 2),
        },
        "threads": int(con.sql("SELECT current_setting('threads')").fetchall()[0][0]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="a CSV or Parquet status log")
    parser.add_argument(
        "--mapping", type=Path, help="the status mapping as JSON (see bench/data.py)"
    )
    parser.add_argument("--threads", type=int, help="DuckDB threads (default: DuckDB's own)")
    args = parser.parse_args()
    print(json.dumps(run(args.source, args.mapping, args.threads)))


if __name__ == "__main__":
    main()
