"""``PrivacyPolicy``: the thresholds every release is checked against (privacy.md).

The policy is a small immutable value shared by every call of a workspace. Its ``hash`` goes
into every audit record, so an auditor can tell which rules were in force for each release.

Examples
--------
>>> from adherence.privacy.policy import PrivacyPolicy
>>> policy = PrivacyPolicy(min_group_size=6, sensitive_reasons=["Union duty"])
>>> policy.min_group_size, policy.share_expiry.days
(6, 14)
>>> len(policy.hash)
64
>>> PrivacyPolicy(min_group_size=2)
Traceback (most recent call last):
...
adherence.errors.ConfigurationError: min_group_size must be at least 3, got 2. Hint: ...
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

import polars as pl

from adherence.errors import ConfigurationError
from adherence.mapping import normalise_expr, normalise_status

__all__ = ["DEFAULT_SENSITIVE_REASONS", "MAX_SHARE_EXPIRY", "PrivacyPolicy"]

#: Reason codes folded into ``other`` by default (G12), matched after normalisation:
#: union-representative duty and health-related codes, in Norwegian and English.
DEFAULT_SENSITIVE_REASONS: frozenset[str] = frozenset(
    {
        "Tillitsvalgt",
        "Tillitsvalgtarbeid",
        "Verneombud",
        "Union duty",
        "Union representative",
        "Union",
        "Helse",
        "Sykdom",
        "Lege",
        "Bedriftshelsetjeneste",
        "Health",
        "Sick",
        "Medical",
        "Occupational health",
    }
)

#: No share may be valid for longer than this (privacy.md, G8).
MAX_SHARE_EXPIRY = timedelta(days=90)
_MIN_K = 3


@dataclass(frozen=True)
class PrivacyPolicy:
    """The privacy thresholds of a workspace.

    Parameters
    ----------
    min_group_size
        ``k``: every released cell has at least this many protected agents (G1). Default 5;
        anything below 3 is refused.
    min_quantile_agents
        Medians and other quantiles need at least this many protected agents (G4). Default 10;
        never below ``min_group_size``.
    dominance_share
        A duration sum in which ``dominance_agents`` agents make up at least this share of the
        total is suppressed (G5). Default 0.9.
    dominance_agents
        How many of the largest contributors the dominance rule adds up (default 2).
    sensitive_reasons
        Raw reason codes (e.g. union-representative duty, health) whose time is folded into
        an ``other`` atom before anything is released, so it only ever counts inside
        ``pause_ms`` (G12). Matched as statuses are: case, blanks and dashes do not matter.
        Default ``DEFAULT_SENSITIVE_REASONS``; the list given replaces it.
    sensitive_states
        Pause states never broken out nor audited at all (default none).
    share_expiry
        How long a share is valid when its creator does not say (default 14 days, at most 90).
    """

    min_group_size: int = 5
    min_quantile_agents: int = 10
    dominance_share: float = 0.9
    dominance_agents: int = 2
    sensitive_reasons: frozenset[str] = frozenset()
    sensitive_states: frozenset[str] = frozenset()
    share_expiry: timedelta = timedelta(days=14)

    def __init__(
        self,
        *,
        min_group_size: int = 5,
        min_quantile_agents: int = 10,
        dominance_share: float = 0.9,
        dominance_agents: int = 2,
        sensitive_reasons: Iterable[str] = DEFAULT_SENSITIVE_REASONS,
        sensitive_states: Iterable[str] = (),
        share_expiry: timedelta = timedelta(days=14),
    ) -> None:
        if min_group_size < _MIN_K:
            raise ConfigurationError(
                f"min_group_size must be at least {_MIN_K}, got {min_group_size}",
                hint="the union agreement allows no smaller groups; merge teams instead",
            )
        if min_quantile_agents < max(min_group_size, 10):
            raise ConfigurationError(
                f"min_quantile_agents must be at least 10 and at least min_group_size, "
                f"got {min_quantile_agents}",
                hint="medians and quantiles reveal single values in small groups",
            )
        if not 0.5 < dominance_share <= 1:
            raise ConfigurationError(
                f"dominance_share must be in (0.5, 1], got {dominance_share}",
                hint="the default 0.9 suppresses sums that one or two agents dominate",
            )
        if dominance_agents not in (1, 2):
            raise ConfigurationError(
                f"dominance_agents must be 1 or 2, got {dominance_agents}",
                hint="the rule looks at the one or two largest contributors",
            )
        if not timedelta(0) < share_expiry <= MAX_SHARE_EXPIRY:
            raise ConfigurationError(
                f"share_expiry must be positive and at most {MAX_SHARE_EXPIRY.days} days, "
                f"got {share_expiry}",
                hint="shares are short-lived by design; the employee can share again",
            )
        reasons = frozenset(normalise_reason(r) for r in sensitive_reasons)
        for name, value in (
            ("min_group_size", min_group_size),
            ("min_quantile_agents", min_quantile_agents),
            ("dominance_share", dominance_share),
            ("dominance_agents", dominance_agents),
            ("sensitive_reasons", reasons),
            ("sensitive_states", frozenset(str(v).upper() for v in sensitive_states)),
            ("share_expiry", share_expiry),
        ):
            object.__setattr__(self, name, value)

    def to_dict(self) -> dict[str, object]:
        """The policy as plain JSON-ready values (durations in whole seconds)."""
        return {
            "min_group_size": self.min_group_size,
            "min_quantile_agents": self.min_quantile_agents,
            "dominance_share": self.dominance_share,
            "dominance_agents": self.dominance_agents,
            "sensitive_reasons": sorted(self.sensitive_reasons),
            "sensitive_states": sorted(self.sensitive_states),
            "share_expiry_s": int(self.share_expiry.total_seconds()),
        }

    @property
    def hash(self) -> str:
        """SHA-256 of the canonical JSON of the policy: the same rules, the same hash."""
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


#: What the sensitive-code rule ignores in a reason code: anything but letters and digits.
REASON_NOISE = r"[^\p{L}\p{N}]"


def normalise_reason(reason: str) -> str:
    """A reason code as the sensitive-code rule compares it: letters and digits only.

    Stricter than status matching: case, blanks, dashes, underscores and punctuation do
    not matter, so "Union-duty", "Union – duty" and "union_duty" are all one code.

    Examples
    --------
    >>> normalise_reason("  Union – Duty "), normalise_reason("Tillitsvalgt-arbeid")
    ('unionduty', 'tillitsvalgtarbeid')
    """
    return re.sub(r"[\W_]", "", normalise_status(unicodedata.normalize("NFKC", reason)))


def normalise_reason_expr(expr: pl.Expr) -> pl.Expr:
    """The polars twin of ``normalise_reason`` (compatibility forms folded, NFKC)."""
    return normalise_expr(expr.str.normalize("NFKC")).str.replace_all(REASON_NOISE, "")


#: Codes at least this long also match inside a longer reason ("tillitsvalgtarbeid").
CONTAINED_CODE = 5


def sensitive_expr(reason: pl.Expr, codes: Iterable[str]) -> pl.Expr:
    """Whether a raw reason carries one of the sensitive ``codes`` (G12).

    Both sides are normalised (letters and digits only, compatibility forms folded). A code
    of at least ``CONTAINED_CODE`` characters also matches inside a longer reason, so that
    "Tillitsvalgt-arbeid" or "Union duty 2" fold with "Tillitsvalgt" or "Union duty": the
    rule errs on the side of folding.
    """
    text = normalise_reason_expr(reason)
    wanted = sorted({normalise_reason(c) for c in codes} - {""})
    exact = [c for c in wanted if len(c) < CONTAINED_CODE]
    contained = [c for c in wanted if len(c) >= CONTAINED_CODE]
    test = text.is_in(exact)
    for code in contained:
        test |= text.str.contains(code, literal=True)
    return test.fill_null(value=False)
