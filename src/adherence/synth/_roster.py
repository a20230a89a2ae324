"""The synthetic organisation: teams, agents and their roster rows.

Everything here is drawn from one seeded generator; nothing depends on the wall clock of the
machine. Names, e-mail addresses and phone numbers are made up from short lists of common
Norwegian first names and surnames; any likeness to a real person is a coincidence.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import polars as pl

__all__ = ["MIN_AGENTS", "Organisation", "TeamSpec", "make_organisation", "plan_teams"]

Pattern = Literal["day", "chat", "night"]

#: The fewest agents ``make_organisation`` accepts: the night team (4), the team of exactly
#: five and at least one agent in one large team.
MIN_AGENTS = 10

_FIRST_NAMES = (
    "Kari", "Ola", "Ingrid", "Bjørn", "Sølvi", "Åse", "Kjetil", "Marit", "Håkon", "Jørgen",
    "Tove", "Sigrid", "Øystein", "Ragnhild", "Eirik", "Solveig", "Torbjørn", "Astrid", "Geir",
    "Liv", "Stian", "Hege", "Ådne", "Nora", "Emil", "Silje", "Jonas", "Ida", "Magnus", "Thea",
    "Sindre", "Maren", "Vegard", "Kristin", "Pål", "Guro", "Trond", "Bodil", "Mads", "Synnøve",
    "Ørjan", "Åsmund", "Line", "Henrik", "Mette", "Espen", "Hanne", "Lars", "Randi", "Kåre",
    "Frøydis", "Aslak", "Sunniva", "Tormod", "Dagny", "Bård", "Marthe", "Jarle", "Wenche",
    "Yngve", "Anne-Lise", "Per-Erik", "Mari", "Sander", "Tiril", "Even", "Jorunn", "Ståle",
)  # fmt: skip

_SURNAMES = (
    "Hansen", "Johansen", "Olsen", "Larsen", "Andersen", "Pedersen", "Nilsen", "Kristiansen",
    "Jensen", "Karlsen", "Johnsen", "Pettersen", "Eriksen", "Berg", "Haugen", "Hagen",
    "Johannessen", "Andreassen", "Jacobsen", "Dahl", "Jørgensen", "Halvorsen", "Henriksen",
    "Lund", "Sørensen", "Jakobsen", "Moen", "Gundersen", "Iversen", "Strand", "Solberg",
    "Svendsen", "Eide", "Knutsen", "Martinsen", "Paulsen", "Bakken", "Kristoffersen",
    "Mathisen", "Lie", "Amundsen", "Nguyen", "Rasmussen", "Ali", "Lunde", "Solheim", "Berge",
    "Moe", "Nygård", "Bakke", "Kristensen", "Fredriksen", "Holm", "Lien", "Hauge", "Andresen",
    "Nielsen", "Knudsen", "Evensen", "Sæther", "Aas", "Myhre", "Hanssen", "Ahmed", "Haugland",
    "Thomassen", "Sivertsen", "Simonsen", "Danielsen", "Berntsen", "Sandvik", "Rønning",
    "Arnesen", "Antonsen", "Næss", "Vik", "Haug", "Ellingsen", "Thorsen", "Edvardsen",
    "Birkeland", "Isaksen", "Gulbrandsen", "Ruud", "Aasen", "Strøm", "Myklebust", "Tangen",
    "Ødegård", "Eliassen", "Helland", "Bøe", "Aune", "Mikkelsen", "Tveit", "Brekke",
    "Abrahamsen", "Madsen", "Løken", "Bråthen", "Økland", "Håland", "Kvåle", "Grønli",
)  # fmt: skip

_EMAIL_DOMAIN = "@kundesenter.example"

_LOCATIONS = ("office", "hybrid", "home")
_EMPLOYMENT = ("permanent", "temporary")


@dataclass(frozen=True)
class TeamSpec:
    """One team: its name, site, skill, working pattern and planned size."""

    name: str
    site: str
    skill: str
    pattern: Pattern
    size: int


_NIGHT_TEAM = TeamSpec("Natt Oslo", "Oslo", "privat", "night", 4)
_FIVE_TEAM = TeamSpec("Bedrift Oslo", "Oslo", "bedrift", "day", 5)
_LARGE_TEAMS: tuple[tuple[str, str, str, Pattern], ...] = (
    ("Privat Harstad", "Harstad", "privat", "day"),
    ("Faktura Harstad", "Harstad", "faktura", "day"),
    ("Chat Oslo", "Oslo", "chat", "chat"),
    ("Privat Oslo", "Oslo", "privat", "day"),
)
_LARGE_TEAM_SIZE = 12.75


def plan_teams(n_agents: int) -> tuple[TeamSpec, ...]:
    """Return the teams for ``n_agents`` agents.

    The night team of 4 and the team of exactly 5 are always there; the other agents are split
    evenly over as many large teams as keeps them near 13 agents each.

    Examples
    --------
    >>> [(t.name, t.size) for t in plan_teams(60)]  # doctest: +NORMALIZE_WHITESPACE
    [('Natt Oslo', 4), ('Bedrift Oslo', 5), ('Privat Harstad', 13), ('Faktura Harstad', 13),
     ('Chat Oslo', 13), ('Privat Oslo', 12)]
    """
    rest = n_agents - _NIGHT_TEAM.size - _FIVE_TEAM.size
    n_large = max(1, round(rest / _LARGE_TEAM_SIZE))
    teams = [_NIGHT_TEAM, _FIVE_TEAM]
    for i in range(n_large):
        name, site, skill, pattern = _LARGE_TEAMS[i % len(_LARGE_TEAMS)]
        number = i // len(_LARGE_TEAMS) + 1
        size = rest // n_large + (1 if i < rest % n_large else 0)
        label = name if number == 1 else f"{name} {number}"
        teams.append(TeamSpec(label, site, skill, pattern, size))
    return tuple(teams)


@dataclass(frozen=True)
class Organisation:
    """The agents of one synthetic contact centre, one array element per agent.

    ``team_by_week[a, w]`` is the team index of agent ``a`` in week ``w`` of the period; a
    team change always happens on a week boundary.
    """

    teams: tuple[TeamSpec, ...]
    agent_id: list[str]
    agent_name: list[str]
    night_rank: npt.NDArray[np.int64]
    """Position of a night-team agent within the night team (-1 for everyone else)."""
    work_location: npt.NDArray[np.int64]
    """Index into ``("office", "hybrid", "home")``."""
    contract_pct: npt.NDArray[np.float64]
    team_by_week: npt.NDArray[np.int64]
    roster: pl.DataFrame


def make_organisation(
    n_agents: int, start: dt.date, weeks: int, rng: np.random.Generator
) -> Organisation:
    """Draw the agents, their teams and attributes, and the roster of the period."""
    teams = plan_teams(n_agents)
    end = start + dt.timedelta(days=7 * weeks - 1)

    id_space = max(9000, 4 * n_agents)
    numbers = np.sort(rng.choice(id_space, size=n_agents, replace=False)) + 1000
    agent_id = [f"ag{n}" for n in numbers.tolist()]

    n_names = len(_FIRST_NAMES) * len(_SURNAMES)
    name_codes = rng.choice(n_names, size=n_agents, replace=n_agents > n_names)
    first = np.asarray(_FIRST_NAMES)[name_codes // len(_SURNAMES)]
    last = np.asarray(_SURNAMES)[name_codes % len(_SURNAMES)]
    agent_name = [f"{f} {s}" for f, s in zip(first.tolist(), last.tolist(), strict=True)]

    # Teams: a random permutation of the agents cut into team-sized blocks.
    sizes = np.array([t.size for t in teams])
    block_team = np.repeat(np.arange(len(teams)), sizes)
    order = rng.permutation(n_agents)
    team0 = np.empty(n_agents, dtype=np.int64)
    team0[order] = block_team
    night_rank = np.full(n_agents, -1, dtype=np.int64)
    night_rank[order[: teams[0].size]] = np.arange(teams[0].size)
    is_night = team0 == 0

    location = rng.choice(3, size=n_agents, p=[0.5, 0.3, 0.2])
    location[is_night] = 0
    contract = rng.choice(
        np.array([100.0, 80.0, 60.0, 50.0]), size=n_agents, p=[0.7, 0.15, 0.08, 0.07]
    )
    contract[is_night] = 80.0
    temporary = rng.random(n_agents) < 0.15
    temporary[is_night] = False
    hired_days = rng.integers(14, 3650, size=n_agents)
    contract_end_days = rng.integers(30, 200, size=n_agents)

    # A few agents of the large teams move to another large team on a week boundary.
    n_large = len(teams) - 2
    change_week = np.full(n_agents, weeks, dtype=np.int64)
    new_team = team0.copy()
    large_agents = np.flatnonzero(team0 >= 2)
    if n_large >= 2 and weeks >= 2:
        n_movers = max(1, round(0.03 * large_agents.size))
        movers = np.sort(rng.choice(large_agents, size=n_movers, replace=False))
        change_week[movers] = rng.integers(1, weeks, size=n_movers)
        step = rng.integers(1, n_large, size=n_movers)
        new_team[movers] = 2 + (team0[movers] - 2 + step) % n_large
    week_index = np.arange(weeks)
    team_by_week = np.where(
        week_index[None, :] < change_week[:, None], team0[:, None], new_team[:, None]
    )

    roster = _roster_frame(
        teams=teams,
        agent_id=agent_id,
        agent_name=agent_name,
        first=first.tolist(),
        last=last.tolist(),
        phone=rng.integers(0, 10_000_000, size=n_agents),
        phone_prefix=rng.choice(np.array([4, 9]), size=n_agents),
        team0=team0,
        new_team=new_team,
        change_week=change_week,
        weeks=weeks,
        valid_from=[start - dt.timedelta(days=int(d)) for d in hired_days],
        valid_to=[
            end + dt.timedelta(days=int(d)) if t else None
            for d, t in zip(contract_end_days.tolist(), temporary.tolist(), strict=True)
        ],
        start=start,
        temporary=temporary,
        location=location,
        contract=contract,
    )
    return Organisation(
        teams=teams,
        agent_id=agent_id,
        agent_name=agent_name,
        night_rank=night_rank,
        work_location=location.astype(np.int64),
        contract_pct=contract.astype(np.float64),
        team_by_week=team_by_week.astype(np.int64),
        roster=roster,
    )


def _email_expr(first: pl.Expr, last: pl.Expr) -> pl.Expr:
    """``fornavn.etternavn@domain`` in ASCII: æ, ø, å folded, hyphens kept."""
    folded = pl.concat_str(first, pl.lit("."), last).str.to_lowercase()
    return folded.str.replace_many(["æ", "ø", "å", " "], ["ae", "o", "a", ""])


def _roster_frame(
    *,
    teams: tuple[TeamSpec, ...],
    agent_id: list[str],
    agent_name: list[str],
    first: list[str],
    last: list[str],
    phone: npt.NDArray[np.int64],
    phone_prefix: npt.NDArray[np.int64],
    team0: npt.NDArray[np.int64],
    new_team: npt.NDArray[np.int64],
    change_week: npt.NDArray[np.int64],
    weeks: int,
    valid_from: list[dt.date],
    valid_to: list[dt.date | None],
    start: dt.date,
    temporary: npt.NDArray[np.bool_],
    location: npt.NDArray[np.int64],
    contract: npt.NDArray[np.float64],
) -> pl.DataFrame:
    agents = pl.DataFrame(
        {
            "agent_id": agent_id,
            "agent_name": agent_name,
            "first": first,
            "last": last,
            "phone": phone,
            "prefix": phone_prefix,
            "team0": team0,
            "team1": new_team,
            "change_week": change_week,
            "valid_from": pl.Series(valid_from, dtype=pl.Date),
            "valid_to": pl.Series(valid_to, dtype=pl.Date),
            "employment_type": np.asarray(_EMPLOYMENT)[temporary.astype(np.int64)],
            "work_location": np.asarray(_LOCATIONS)[location],
            "contract_pct": contract,
        }
    )
    # The e-mail address gets a number when two agents share first and last name.
    email_local = _email_expr(pl.col("first"), pl.col("last"))
    email = (
        pl.when(email_local.cum_count().over(email_local) > 1)
        .then(pl.concat_str(email_local, email_local.cum_count().over(email_local).cast(pl.String)))
        .otherwise(email_local)
    )
    digits = pl.col("phone").cast(pl.String).str.zfill(7)
    phone_text = pl.concat_str(
        pl.lit("+47 "),
        pl.col("prefix").cast(pl.String),
        digits.str.slice(0, 2),
        pl.lit(" "),
        digits.str.slice(2, 2),
        pl.lit(" "),
        digits.str.slice(4, 3),
    )
    agents = agents.with_columns(
        email=pl.concat_str(email, pl.lit(_EMAIL_DOMAIN)),
        phone=phone_text,
        change_date=pl.lit(start) + pl.duration(days=7 * pl.col("change_week")),
    )
    moved = pl.col("change_week") < weeks
    before = agents.with_columns(
        team=pl.col("team0"),
        valid_to=pl.when(moved)
        .then(pl.col("change_date") - pl.duration(days=1))
        .otherwise(pl.col("valid_to")),
    )
    after = agents.filter(moved).with_columns(
        team=pl.col("team1"), valid_from=pl.col("change_date")
    )
    names = [t.name for t in teams]
    sites = [t.site for t in teams]
    skills = [t.skill for t in teams]
    return (
        pl.concat([before, after])
        .with_columns(
            site=pl.col("team").replace_strict(range(len(teams)), sites, return_dtype=pl.String),
            skill=pl.col("team").replace_strict(range(len(teams)), skills, return_dtype=pl.String),
            team=pl.col("team").replace_strict(range(len(teams)), names, return_dtype=pl.String),
        )
        .select(
            "agent_id",
            "agent_name",
            "email",
            "phone",
            "team",
            "site",
            pl.col("valid_from").cast(pl.Date),
            pl.col("valid_to").cast(pl.Date),
            "employment_type",
            "work_location",
            pl.col("contract_pct").cast(pl.Float64),
            "skill",
        )
        .sort("agent_id", "valid_from")
    )
