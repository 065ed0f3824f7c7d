"""A refused request: its error code, message and the field at fault."""

from __future__ import annotations

ERROR_CODES = (
    "invalid_field", "bad_message", "unknown_type", "no_model", "busy", "too_large",
    "internal", "forbidden",
)


def short(value, limit=60):
    """Return ``repr(value)`` cut to ``limit`` characters: errors must not echo megabytes."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class ProtocolError(ValueError):
    """A request the server refuses: ``code`` from ERROR_CODES, ``field`` at fault."""

    def __init__(self, code: str, message: str, field: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.request = None  # the decoded message, when it got that far


def invalid(field: str, message: str) -> ProtocolError:
    return ProtocolError("invalid_field", f"{field}: {message}", field)
