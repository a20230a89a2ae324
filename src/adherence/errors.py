"""The exception tree of ``adherence``.

Every error the library raises derives from ``AdherenceError`` and also from the builtin
that fits it, so ``except ValueError`` keeps working for callers who do not know this library.
Every error carries a stable ``code`` (``ADH-...``) that scripts may match on; the message says
what was expected, what was found and what to do.

Examples
--------
>>> from adherence.errors import ParseError, AdherenceError
>>> err = ParseError("no timestamp column", hint="name it 'timestamp' or pass columns=...")
>>> isinstance(err, ValueError) and isinstance(err, AdherenceError)
True
>>> err.code
'ADH-100'
>>> print(err)
no timestamp column. Hint: name it 'timestamp' or pass columns=...
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "AdherenceError",
    "AuditIntegrityError",
    "AuditKeyError",
    "ConfigurationError",
    "ConsentError",
    "DifferencingError",
    "DistributedError",
    "ForbiddenQueryError",
    "InternalError",
    "KeyMismatchError",
    "LedgerUnavailableError",
    "MappingError",
    "MostlyQuarantinedWarning",
    "OptionalDependencyError",
    "OutputError",
    "ParseError",
    "PrivacyError",
    "PseudonymKeyError",
    "PurposeError",
    "RecipientError",
    "RoleError",
    "SchemaValidationError",
    "ScopeError",
    "SmallGroupError",
    "SourceNotFoundError",
    "SourceUnreadableError",
    "TimeZoneError",
    "UnknownAgentError",
    "UsageError",
]


class AdherenceError(Exception):
    """Root of every error raised by ``adherence``.

    Parameters
    ----------
    message
        What was expected and what was found.
    hint
        What the caller can do about it; appended as ``Hint: ...``.
    """

    code: ClassVar[str] = "ADH-000"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(message if hint is None else f"{message}. Hint: {hint}")


class ConfigurationError(AdherenceError, ValueError):
    """An option or argument has a value the library cannot work with."""

    code = "ADH-090"


class UsageError(ConfigurationError):
    """A command-line argument or environment variable the command cannot use.

    The command line checks every argument before it reads a file; what it cannot use is this
    error, with a hint in command-line syntax (exit code 2).
    """

    code = "ADH-091"


class InternalError(AdherenceError, RuntimeError):
    """A bug inside ``adherence``: an error the library did not expect (nothing was released).

    Raised ``from None`` by a workspace door in place of the unexpected error, whose message
    could hold data; only the error's type is named.
    """

    code = "ADH-099"


class ParseError(AdherenceError, ValueError):
    """A source file cannot be read at all (bad rows are quarantined instead)."""

    code = "ADH-100"


class SourceNotFoundError(AdherenceError, FileNotFoundError):
    """A source path does not exist."""

    code = "ADH-101"


class SourceUnreadableError(AdherenceError, PermissionError):
    """A source path exists but cannot be read: a folder, or no permission to read it."""

    code = "ADH-103"


class OutputError(AdherenceError, OSError):
    """An output cannot be written: no permission, a folder in the way, a full disk."""

    code = "ADH-104"


class OptionalDependencyError(AdherenceError, ImportError):
    """A feature needs a package that is an optional extra and is not installed."""

    code = "ADH-102"


class DistributedError(AdherenceError, RuntimeError):
    """A bucket of work failed on an executor (a cluster) even after its retries."""

    code = "ADH-105"


class SchemaValidationError(AdherenceError, ValueError):
    """A table does not satisfy its canonical pandera schema."""

    code = "ADH-110"


class MappingError(AdherenceError, ValueError):
    """A status mapping or activity mapping names something that does not exist."""

    code = "ADH-120"


class TimeZoneError(AdherenceError, ValueError):
    """A time zone name is not known to the IANA database."""

    code = "ADH-130"


class PseudonymKeyError(AdherenceError, ValueError):
    """The pseudonymisation key is missing or too short."""

    code = "ADH-140"


class UnknownAgentError(AdherenceError, LookupError):
    """A login id that, under the pseudonymisation key given, is no agent of the workspace.

    The message never repeats the id (a login id is a direct identifier).
    """

    code = "ADH-150"

    @classmethod
    def for_login(cls) -> UnknownAgentError:
        """The error for a login id the workspace does not know."""
        return cls(
            "no agent of this workspace has that login id",
            hint="check the login id (blanks around it are ignored), and that the key is the "
            "steward's pseudonymisation key the data was ingested with",
        )


class PrivacyError(AdherenceError, PermissionError):
    """A request the privacy policy refuses.

    The message states the rule and a remedy, never a count, a value or an agent. Privacy
    errors are raised ``from None`` in frames that hold no data, so a verbose traceback shows
    nothing sensitive. Each refusal raises a subclass with its own code; this base code is
    never raised on its own.
    """

    code = "ADH-050"

    def __init__(self, rule: str, *, remedy: str) -> None:
        super().__init__(rule, hint=remedy)


class SmallGroupError(PrivacyError):
    """Too few protected agents for anything to be released."""

    code = "ADH-001"


class DifferencingError(PrivacyError):
    """Together with earlier releases, the request would isolate an agent's figures."""

    code = "ADH-002"


class ForbiddenQueryError(PrivacyError):
    """The query asks for something the query language does not have.

    A dimension that is not public, a metric outside the catalogue (min, max, top-k), or a
    breakdown of a sensitive pause code.
    """

    code = "ADH-003"


class ScopeError(PrivacyError):
    """The query reaches units outside the viewer's own."""

    code = "ADH-004"


class RoleError(PrivacyError):
    """The viewer's role may not do this at all."""

    code = "ADH-005"


class ConsentError(PrivacyError):
    """An individual figure was asked for without a valid share (none, expired or revoked)."""

    code = "ADH-010"


class PurposeError(PrivacyError):
    """The share does not cover this purpose."""

    code = "ADH-011"


class RecipientError(PrivacyError):
    """The share is addressed to someone else."""

    code = "ADH-012"


class LedgerUnavailableError(PrivacyError):
    """The ledger or the audit log cannot be written, so nothing is released (fail closed)."""

    code = "ADH-040"


class KeyMismatchError(PrivacyError):
    """Data or a key that is not the pseudonymisation key the store is bound to (G15).

    A store records a keyed fingerprint of the key its data was pseudonymised with; data
    ingested under another key would let the same people re-enter the ledger under new
    pseudonyms, so it is refused. ``Workspace.rotate_key`` moves a store to a new key.
    """

    code = "ADH-043"


class MostlyQuarantinedWarning(UserWarning):
    """More than half of a source's rows were quarantined: check the format arguments.

    A warning, not an error: the valid rows are still returned. Turn it into an error with
    ``warnings.simplefilter("error", MostlyQuarantinedWarning)``.
    """


class AuditIntegrityError(LedgerUnavailableError):
    """The audit log does not end where its head store says, so nothing more is appended.

    Raised instead of adopting records past the recorded head (lines appended outside the
    library, an older store restored beside a newer log, a missing or replaced store).
    """

    code = "ADH-041"


class AuditKeyError(LedgerUnavailableError):
    """The audit key is missing, too short, or not the key the audit log was written with."""

    code = "ADH-042"
