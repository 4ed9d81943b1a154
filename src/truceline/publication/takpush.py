"""Streaming CoT to a TAK server: each event a complete XML document on one TCP or TLS
connection (`cot.frame`), the way TAK servers take it on their streaming ports
(8087 plain, 8089 TLS with client certificates by convention).

    tcp://host:port   plain TCP
    tls://host:port   TLS; the server is verified against --ca (else the system's CAs),
                      and --cert/--key present a client certificate (TAK servers ask for one)
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from truceline.errors import TrucelineError
from truceline.publication.cot import frame


class PushError(TrucelineError, RuntimeError):
    """The TAK server's URL, credentials or connection failed; the message says which."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    ssl: ssl.SSLContext | None


def target(
    url: str, cert: Path | None = None, key: Path | None = None, ca: Path | None = None
) -> Target:
    parts = urlsplit(url)
    if parts.scheme not in ("tcp", "tls") or not parts.hostname or parts.port is None:
        raise PushError(f"--url {url!r}: expected tcp://host:port or tls://host:port")
    context = None
    if parts.scheme == "tls":
        try:
            context = ssl.create_default_context(cafile=str(ca) if ca else None)
            if cert is not None:
                context.load_cert_chain(str(cert), str(key) if key else None)
        except (OSError, ssl.SSLError) as exc:
            raise PushError(f"--cert/--key/--ca: {exc}") from exc
    elif cert or key or ca:
        raise PushError("--cert, --key and --ca need a tls:// URL")
    return Target(parts.scheme, parts.hostname, parts.port, context)


async def push_async(to: Target, events: Sequence[bytes], timeout: float = 10.0) -> int:
    """Send `events` (cot.incident_event documents) on one connection; how many were sent."""
    try:
        _, writer = await asyncio.wait_for(
            asyncio.open_connection(to.host, to.port, ssl=to.ssl), timeout
        )
    except (OSError, ssl.SSLError, TimeoutError) as exc:
        raise PushError(f"{to.scheme}://{to.host}:{to.port}: cannot connect ({exc})") from exc
    try:
        for event in events:
            writer.write(frame(event))
        await asyncio.wait_for(writer.drain(), timeout)
    except (OSError, ssl.SSLError, TimeoutError) as exc:
        raise PushError(f"{to.scheme}://{to.host}:{to.port}: sending failed ({exc})") from exc
    finally:
        writer.close()
        # The events were written and drained: a race at closing loses nothing.
        with contextlib.suppress(OSError, ssl.SSLError, TimeoutError):
            await asyncio.wait_for(writer.wait_closed(), timeout)
    return len(events)


def push(to: Target, events: Sequence[bytes], timeout: float = 10.0) -> int:
    return asyncio.run(push_async(to, events, timeout))
