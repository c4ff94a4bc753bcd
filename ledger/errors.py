"""The ledger's one error hierarchy; driver errors are translated into it where they arise."""

from __future__ import annotations


class LedgerError(Exception):
    """Base of every error the ledger raises on purpose."""


class ConcurrencyError(LedgerError):
    """The stream is not at the version the caller expected; nothing was written."""

    def __init__(self, stream: str, expected: object, actual: int | None) -> None:
        self.stream, self.expected, self.actual = stream, expected, actual
        shown = "no stream" if actual is None else f"version {actual}"
        super().__init__(f"stream {stream!r} is at {shown}, expected {expected}")


class EventIdConflict(LedgerError):
    """An event id is already stored with other content; nothing was written."""

    def __init__(self, event_id: object) -> None:
        self.event_id = event_id
        super().__init__(f"event {event_id} is already stored with other content")


class InvalidInput(LedgerError):
    """Input that the ledger refuses (a header, a query, a file); ``field`` names what is wrong."""

    def __init__(self, field: str, message: str) -> None:
        self.field, self.message = field, message
        super().__init__(f"{field}: {message}")


class InvalidEvent(InvalidInput):
    """Input that would make an event the ledger refuses; nothing was written."""


class NotFound(LedgerError):
    """The thing asked for does not exist."""


class ImmutableEventError(LedgerError):
    """The database refused to change or remove a stored event."""


class StorageUnavailable(LedgerError):
    """The database cannot take writes now (full, read-only, unreachable).

    The message is the driver's (for logs); ``reason`` is a short sentence safe to show anyone.
    """

    def __init__(self, message: str, reason: str = "the database is unavailable") -> None:
        self.reason = reason
        super().__init__(message)


class StateConflict(LedgerError):
    """The request contradicts what the ledger holds now (already registered, already retracted)."""


class NoSigningKey(LedgerError):
    """The ledger was started without a signing key, so it has no checkpoints to give."""


class BackupError(LedgerError):
    """A backup or restore that cannot be made; the message says why."""


# Refusals of the transparency log's formats. They are ValueErrors too, as parsers' are: code
# that reads untrusted notes, proofs or policy files may catch either.


class NoteError(LedgerError, ValueError):
    """A key, note or checkpoint that is malformed or whose signature does not verify."""


class ProofError(LedgerError, ValueError):
    """A proof that does not prove what it claims, or a request no proof can answer."""


class PolicyError(LedgerError, ValueError):
    """A witness policy file that cannot be read: the message names the line."""


class ArchiveError(LedgerError):
    """An archive that cannot be imported; ``line`` is its first bad line (1-based), if any."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        self.reason, self.line = reason, line
        super().__init__(reason if line is None else f"line {line}: {reason}")
