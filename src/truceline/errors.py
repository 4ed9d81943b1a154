"""The root of every error Truceline raises on purpose.

Each names what is at fault (`field`: a JSON path, an option, a file) and why, so the CLI
prints one line and the HTTP API answers with an RFC 9457 problem document, never a
traceback or a 500.
"""

from __future__ import annotations


class TrucelineError(Exception):
    """An error a user can act on: `diagnostics()` says what and where."""

    code = "error"

    def __init__(self, message: str, *, field: str = "", code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code

    def diagnostics(self) -> dict[str, str]:
        out = {"code": self.code, "message": self.message}
        if self.field:
            out["field"] = self.field
        return out
