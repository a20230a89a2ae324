r"""Rosters: one row per agent in one org unit for a validity period.

| column | aliases (case-insensitive) |
| --- | --- |
| ``agent_id`` | ``agent``, ``login``, ``employee_id``, ``ansattnr`` |
| ``team`` | ``team_name``, ``gruppe`` |
| ``site`` | ``lokasjon``, ``kontor``, ``avdeling`` |
| ``valid_from`` | ``from``, ``gyldig_fra``, ``start_date`` |
| ``valid_to`` (optional) | ``to``, ``gyldig_til``, ``end_date`` (inclusive; empty: open) |
| ``employment_type`` (optional) | ``employment``, ``ansettelsestype`` |
| ``work_location`` (optional) | ``arbeidssted`` |
| ``contract_pct`` (optional) | ``contract_share``, ``stillingsprosent`` |
| ``skill`` (optional) | ``ferdighet``, ``kompetanse`` |

Values: ``employment_type`` is ``permanent`` or ``temporary`` (also ``fast``, ``midlertidig``,
``vikar``); ``work_location`` is ``office``, ``home`` or ``hybrid`` (also ``kontor``, ``hjemme``,
``hjemmekontor``); ``contract_pct`` ``80``, ``80 %``, ``0,8`` and ``0.8`` all mean 80.

These are the public dimensions reports may group by. Names, phone numbers and e-mail
addresses are not read. Dates are ``yyyy-mm-dd`` or ``dd.mm.yyyy``; a date with a two-digit
year (``01.01.26``) is quarantined (``two_digit_year``); a row with an unreadable date, an
unknown category or a contract share outside 0–100 % is quarantined (``invalid_value``).

Examples
--------
>>> from adherence.io import read_roster
>>> csv = "ansattnr;navn;team;lokasjon;gyldig_fra;ansettelsestype;stillingsprosent\n" \
...       "ag1;Kari Nordmann;Kundeservice 1;Harstad;01.01.2026;fast;80 %\n"
>>> roster = read_roster(csv.encode(), key="a steward's secret key")
>>> roster.valid.select("employment_type", "contract_pct").row(0)
('permanent', 80.0)
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from adherence.ingest import Check, Ingest, LazyIngest, reopenable, split_rows, text_column
from adherence.io._table import Encoding, RawTable, Source, open_table
from adherence.pseudonym import Pseudonymiser, key_fingerprint, pseudonym_order
from adherence.reasons import QuarantineReason
from adherence.schemas import Roster

__all__ = ["ROSTER_COLUMNS", "read_roster", "scan_roster"]

#: Canonical column to the header names that mean it.
ROSTER_COLUMNS: dict[str, tuple[str, ...]] = {
    "agent_id": ("agent", "login", "employee_id", "ansattnr"),
    "team": ("team_name", "gruppe"),
    "site": ("lokasjon", "kontor", "avdeling"),
    "valid_from": ("from", "gyldig_fra", "start_date"),
    "valid_to": ("to", "gyldig_til", "end_date"),
    "employment_type": ("employment", "ansettelsestype"),
    "work_location": ("arbeidssted",),
    "contract_pct": ("contract_share", "stillingsprosent"),
    "skill": ("ferdighet", "kompetanse"),
}

_EMPLOYMENT: Mapping[str, str] = {
    "permanent": "permanent",
    "fast": "permanent",
    "temporary": "temporary",
    "midlertidig": "temporary",
    "vikar": "temporary",
}
_LOCATION: Mapping[str, str] = {
    "office": "office",
    "kontor": "office",
    "home": "home",
    "hjemme": "home",
    "hjemmekontor": "home",
    "hybrid": "hybrid",
}
_OPTIONAL = ("valid_to", "employment_type", "work_location", "contract_pct", "skill")


def _date(column: str) -> pl.Expr:
    """``yyyy-mm-dd`` or ``dd.mm.yyyy``; a year of fewer than four digits is no date."""
    text = text_column(column)
    four_digit_year = text.str.contains(r"^\d{4}-|\.\d{4}$")
    return pl.when(four_digit_year).then(
        pl.coalesce(
            text.str.to_date("%Y-%m-%d", strict=False), text.str.to_date("%d.%m.%Y", strict=False)
        )
    )


def _two_digit_year(column: str) -> Check:
    return Check(
        column,
        QuarantineReason.TWO_DIGIT_YEAR,
        text_column(column).str.contains(r"^\d{1,2}[./]\d{1,2}[./]\d{2}$|^\d{2}-\d{1,2}-\d{1,2}$"),
        pl.col(column).cast(pl.String),
    )


def _category(column: str, table: Mapping[str, str]) -> pl.Expr:
    return (
        text_column(column)
        .str.to_lowercase()
        .replace_strict(dict(table), default=None, return_dtype=pl.String)
    )


def _percent(column: str) -> pl.Expr:
    number = (
        text_column(column)
        .str.replace(r"\s*%$", "")
        .str.replace(",", ".", literal=True)
        .cast(pl.Float64, strict=False)
    )
    return pl.when(number <= 1).then(number * 100).otherwise(number)


def _invalid(column: str, parsed: str) -> Check:
    return Check(
        column,
        QuarantineReason.INVALID_VALUE,
        pl.col(column).is_not_null() & pl.col(parsed).is_null(),
        pl.col(column).cast(pl.String),
    )


def scan_roster(
    source: Source,
    *,
    key: bytes | str,
    separator: str | None = None,
    encoding: Encoding | None = None,
) -> LazyIngest:
    """Open a roster lazily as ``Roster`` rows.

    Parameters
    ----------
    source
        A CSV or Parquet file, or its bytes.
    key
        The steward's pseudonymisation key (the same as for the status logs).
    separator, encoding
        Override what is detected.
    """
    raw = open_table(
        source,
        aliases=ROSTER_COLUMNS,
        required=("agent_id", "team", "site", "valid_from"),
        separator=separator,
        encoding=encoding,
    )

    def build(raw: RawTable) -> LazyIngest:
        frame = raw.frame
        for optional in _OPTIONAL:
            if optional not in raw.dtypes:
                frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(optional))
        frame = frame.with_columns(
            Pseudonymiser(key).expr("agent_id"),
            *[text_column(c) for c in ("team", "site", "skill", *_OPTIONAL[:4])],
        ).with_columns(
            _date("valid_from").alias("_valid_from"),
            _date("valid_to").alias("_valid_to"),
            _category("employment_type", _EMPLOYMENT).alias("_employment_type"),
            _category("work_location", _LOCATION).alias("_work_location"),
            _percent("contract_pct").alias("_contract_pct"),
        )
        pct = pl.col("_contract_pct")
        checks = [
            Check("agent_id", QuarantineReason.MISSING_VALUE, pl.col("agent_id").is_null()),
            Check("team", QuarantineReason.MISSING_VALUE, pl.col("team").is_null()),
            Check("site", QuarantineReason.MISSING_VALUE, pl.col("site").is_null()),
            Check("valid_from", QuarantineReason.MISSING_VALUE, pl.col("valid_from").is_null()),
            _two_digit_year("valid_from"),
            _invalid("valid_from", "_valid_from"),
            _two_digit_year("valid_to"),
            _invalid("valid_to", "_valid_to"),
            Check(
                "valid_to",
                QuarantineReason.INVALID_VALUE,
                pl.col("_valid_to") < pl.col("_valid_from"),
                pl.col("valid_to"),
            ),
            _invalid("employment_type", "_employment_type"),
            _invalid("work_location", "_work_location"),
            _invalid("contract_pct", "_contract_pct"),
            Check(
                "contract_pct",
                QuarantineReason.INVALID_VALUE,
                (pct < 0) | (pct > 100),
                pl.col("contract_pct"),
            ),
        ]
        return split_rows(
            frame,
            checks,
            raw=raw,
            kind="roster",
            model=Roster,
            valid_columns=[
                pl.col("agent_id"),
                pl.col("team"),
                pl.col("site"),
                pl.col("_valid_from").alias("valid_from"),
                pl.col("_valid_to").alias("valid_to"),
                pl.col("_employment_type").alias("employment_type"),
                pl.col("_work_location").alias("work_location"),
                pl.col("_contract_pct").alias("contract_pct"),
                pl.col("skill"),
            ],
            sort_by=[pseudonym_order(), "valid_from"],
            key_fingerprint=key_fingerprint(key),
        )

    return reopenable(raw, "roster", build)


def read_roster(
    source: Source,
    *,
    key: bytes | str,
    separator: str | None = None,
    encoding: Encoding | None = None,
) -> Ingest:
    """Read a roster eagerly; see ``scan_roster`` for the parameters."""
    return scan_roster(source, key=key, separator=separator, encoding=encoding).collect()
