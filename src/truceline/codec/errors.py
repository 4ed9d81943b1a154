"""Errors of the codec layer: each names a reason code and the field at fault.

Ingest turns them into quarantine rows, so the code is stable (machine
readable) and the message says what was expected and what was found.
"""

from __future__ import annotations

from truceline.errors import TrucelineError


class CodecError(TrucelineError, ValueError):
    """Bad bytes: `code` is a stable reason code, `field` a JSON path like `signatures[0].sig`."""

    def __init__(self, code: str, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.code = code
        self.field = field
        self.message = message


class CanonicalizationError(CodecError):
    """A value that has no RFC 8785 form (NaN, infinity, a non-JSON type, a lone surrogate)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__("not_canonicalizable", field, message)


class SignatureError(CodecError):
    """No signature verified under the trusted keys; `message` says why for each."""
