"""What the CLI commands share: the error exit, and parsing of the time options
(--start, --at, --effective-at, --now)."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import NoReturn

import typer

from truceline.errors import TrucelineError


def fail(message: str | Exception, code: int = 1) -> NoReturn:
    """Print `error: message` on stderr and exit with `code`; a `TrucelineError` prints its
    whole `diagnostics()` (what, where, why, what to do)."""
    if isinstance(message, TrucelineError):
        typer.echo(message.diagnostics(), err=True)
    else:
        typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def option_time(option: str, text: str, like: str = "") -> datetime:
    """`text` as an RFC 3339 time with a timezone; a ValueError naming `option` otherwise.

    `like` is an example shown in the message. Each command reports the error its own way
    (an `error:` line and exit 1, or typer's bad-parameter exit 2).
    """
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        example = f" like {like}" if like else ""
        raise ValueError(f"{option}: expected an RFC 3339 time{example}, found {text!r}") from None
    if value.tzinfo is None:
        raise ValueError(f"{option}: expected a timezone (e.g. Z), found {text!r}")
    return value


def emit(data: bytes, out: Path | None) -> None:
    """A command's output as bytes: to `out` when given, else to stdout (exactly these
    bytes: a mirror's output compares byte for byte)."""
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        out.write_bytes(data)
