"""A small HTTP/1.1 client for webhook POSTs: keep-alive connections to one origin.

The notifier makes one request per message per subscriber, and on a shared machine its
CPU is what delays a healthy subscriber's webhook: httpx spent about 2.5 ms of CPU per
attempt here (request and response models, anyio, the connection pool's bookkeeping),
this client a fraction of that (one write per request, headers parsed by split).
It does what a webhook attempt needs and no more: POST with a body, `http` and `https`
(certificates verified as `ssl.create_default_context` does), keep-alive with up to
`max_connections` connections, Content-Length and chunked answers, one timeout per
attempt. It follows no redirect (a 3xx is a failed attempt, as with httpx's default)
and uses no proxy: a subscriber's URL is contacted directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from dataclasses import dataclass, field
from urllib.parse import urlsplit

MAX_HEAD = 64 * 1024  # the status line and headers of an answer
MAX_BODY = 64 * 1024  # an answer's body read to keep its connection; longer ones close it


class ConnectError(OSError):
    """No connection could be made (named as httpx names it, for the failure's text)."""


class ProtocolError(OSError):
    """The answer is not HTTP/1.x as this client reads it."""


@dataclass
class Answer:
    status_code: int
    headers: dict[str, str] = field(default_factory=dict)  # names in lower case
    content: bytes = b""

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")


@dataclass
class _Origin:
    secure: bool
    host: str
    port: int
    target: str  # path and query

    @classmethod
    def of(cls, url: str) -> _Origin:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"url must be http(s)://host/..., found {url!r}")
        secure = parts.scheme == "https"
        port = parts.port or (443 if secure else 80)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return cls(secure, parts.hostname, port, target)

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.secure else 80
        return host if self.port == default else f"{host}:{self.port}"


_Conn = tuple[asyncio.StreamReader, asyncio.StreamWriter]


class Http1Client:
    """`post(url, content=, headers=)` as httpx.AsyncClient's, for one subscriber's URL."""

    def __init__(self, timeout: float, max_connections: int = 1) -> None:
        self.timeout = timeout
        self._slots = asyncio.Semaphore(max_connections)
        self._idle: dict[str, list[_Conn]] = {}
        self._tls: ssl.SSLContext | None = None

    async def post(self, url: str, *, content: bytes, headers: dict[str, str]) -> Answer:
        origin = _Origin.of(url)
        head = [f"POST {origin.target} HTTP/1.1", f"Host: {origin.host_header}"]
        head += [f"{k}: {v}" for k, v in headers.items()]
        head += [f"Content-Length: {len(content)}", "User-Agent: truceline-notify", "", ""]
        request = "\r\n".join(head).encode("latin-1") + content
        key = f"{origin.secure}:{origin.host}:{origin.port}"
        try:
            async with self._slots, asyncio.timeout(self.timeout):
                conn = self._reuse(key)
                if conn is not None:
                    try:
                        return await self._exchange(key, conn, request)
                    except (ConnectionError, _Stale):
                        pass  # the receiver closed an idle connection meanwhile: a fresh one
                return await self._exchange(key, await self._connect(origin), request)
        except TimeoutError as exc:
            raise TimeoutError(f"no answer within {self.timeout:g} s") from exc

    def _reuse(self, key: str) -> _Conn | None:
        idle = self._idle.get(key, [])
        while idle:
            reader, writer = idle.pop()
            if not writer.is_closing() and not reader.at_eof():
                return reader, writer
            writer.close()
        return None

    async def _connect(self, origin: _Origin) -> _Conn:
        tls = None
        if origin.secure:
            if self._tls is None:
                self._tls = ssl.create_default_context()
            tls = self._tls
        try:
            return await asyncio.open_connection(
                origin.host,
                origin.port,
                ssl=tls,
                server_hostname=origin.host if tls else None,
                limit=MAX_HEAD,
            )
        except OSError as exc:
            raise ConnectError(f"{origin.host}:{origin.port}: {exc}") from exc

    async def _exchange(self, key: str, conn: _Conn, request: bytes) -> Answer:
        reader, writer = conn
        keep = False
        try:
            writer.write(request)
            await writer.drain()
            answer, keep = await _read_answer(reader)
            return answer
        finally:
            if keep:
                self._idle.setdefault(key, []).append(conn)
            else:
                writer.close()

    async def aclose(self) -> None:
        for conns in self._idle.values():
            for _, writer in conns:
                writer.close()
                with contextlib.suppress(OSError):
                    await writer.wait_closed()
        self._idle.clear()


class _Stale(ConnectionError):
    """A reused connection ended before any answer."""


async def _read_answer(reader: asyncio.StreamReader) -> tuple[Answer, bool]:
    """The final answer (1xx skipped), and whether the connection may be used again."""
    while True:
        try:
            raw = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as exc:
            if not exc.partial:
                raise _Stale("the connection closed before an answer") from exc
            raise ProtocolError("the answer ended inside its headers") from exc
        except asyncio.LimitOverrunError as exc:
            raise ProtocolError(f"the answer's headers exceed {MAX_HEAD} bytes") from exc
        lines = raw.decode("latin-1").split("\r\n")
        version, _, rest = lines[0].partition(" ")
        code = rest[:3]
        if not version.startswith("HTTP/1.") or not code.isdigit():
            raise ProtocolError(f"not an HTTP/1.x status line: {lines[0][:80]!r}")
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip()
        status = int(code)
        if 100 <= status < 200:
            continue
        break
    keep = version != "HTTP/1.0" and "close" not in headers.get("connection", "").lower()
    if status in (204, 304):
        return Answer(status, headers), keep
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body, whole = await _read_chunked(reader)
        return Answer(status, headers, body), keep and whole
    length = headers.get("content-length")
    if length is not None and length.isdigit():
        n = int(length)
        if n <= MAX_BODY:
            return Answer(status, headers, await reader.readexactly(n)), keep
        return Answer(status, headers, await reader.readexactly(MAX_BODY)), False
    # Neither: the body runs to the end of the connection.
    return Answer(status, headers, await reader.read(MAX_BODY)), False


async def _read_chunked(reader: asyncio.StreamReader) -> tuple[bytes, bool]:
    """A chunked body (up to MAX_BODY), and whether it was read to its end."""
    body = bytearray()
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size_text = size_line.split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError as exc:
            raise ProtocolError(f"bad chunk size {size_text[:20]!r}") from exc
        if size == 0:
            while (await reader.readuntil(b"\r\n")) != b"\r\n":
                pass  # trailers
            return bytes(body), True
        if len(body) + size > MAX_BODY:
            return bytes(body), False
        body += await reader.readexactly(size)
        await reader.readexactly(2)
