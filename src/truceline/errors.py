"""The root of every error Truceline raises on purpose.

Each names what is at fault (`field`: a JSON path, an option, a file) and why, so the CLI
prints it (`diagnostics()`) and the HTTP API answers with an RFC 9457 problem document,
never a traceback or a 500.
"""

from __future__ import annotations


class TrucelineError(Exception):
    """An error a user can act on: `diagnostics()` says what, where, why and what to do."""

    code = "error"
    hint = ""
    """What to do about errors of this class, when the class knows (an instance may override)."""

    def __init__(
        self, message: str, *, field: str = "", code: str | None = None, hint: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code
        if hint is not None:
            self.hint = hint

    def headline(self) -> str:
        """One line: the field (unless the message starts with it) and the message."""
        field = getattr(self, "field", "")
        text = str(self)
        return f"{field}: {text}" if field and not text.startswith(field) else text

    def diagnostics(self) -> str:
        """A readable explanation, one line per part:

        error: <field>: <message>        what is wrong, and why
          what: <the kind of error>      (the class's first docstring line)
          where: <field or file>
          because: <underlying error>    (each `raise ... from` cause)
          to do: <what to do about it>
        """
        lines = [f"error: {self.headline()}"]
        kind = (type(self).__doc__ or "").strip().split("\n")[0]
        if kind:
            lines.append(f"  what: {kind}")
        field = getattr(self, "field", "")
        if field:
            lines.append(f"  where: {field}")
        cause = self.__cause__
        while cause is not None:
            first = str(cause).strip().split("\n")[0]  # a driver's message can run to pages
            lines.append(f"  because: {type(cause).__name__}: {first}")
            cause = cause.__cause__
        todo = self.hint or (f"correct {field} and run the command again" if field else "")
        if todo:
            lines.append(f"  to do: {todo}")
        return "\n".join(lines)
