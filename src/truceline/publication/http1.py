"""A small HTTP/1.1 client for webhook POSTs: keep-alive connections to one origin.

The notifier makes one request per message per subscriber, and on a shared machine its
CPU is what delays a healthy subscriber's webhook: httpx spent several times this
client's CPU per attempt here (request and response models, anyio, the connection
pool's bookkeeping). The protocol is h11's (sans-IO: it writes the request and parses
the answer, Content-Length, chunked or until close); this module only moves bytes over
asyncio streams and keeps connections. It does what a webhook attempt needs and no
more: POST with a body, `http` and `https` (certificates verified as
`ssl.create_default_context` does), keep-alive with up to `max_connections`
connections, one timeout per attempt. It follows no redirect (a 3xx is a failed
attempt, as with httpx's default) and uses no proxy: a subscriber's URL is contacted
directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import h11

MAX_HEAD = 64 * 1024  # the status line and headers of an answer
MAX_BODY = 64 * 1024  # an answer's body read to keep its connection; longer ones close it
READ_SIZE = 16 * 1024  # h11 checks MAX_HEAD between reads: a head held is < MAX_HEAD + this


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


@dataclass
class _Conn:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    # h11 refuses an answer once MAX_HEAD bytes of its head are buffered unfinished
    # ("Receive buffer too long").
    protocol: h11.Connection = field(
        default_factory=lambda: h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_HEAD)
    )


class Http1Client:
    """`post(url, content=, headers=)` as httpx.AsyncClient's, for one subscriber's URL."""

    def __init__(self, timeout: float, max_connections: int = 1) -> None:
        self.timeout = timeout
        self._slots = asyncio.Semaphore(max_connections)
        self._idle: dict[str, list[_Conn]] = {}
        self._tls: ssl.SSLContext | None = None

    async def post(self, url: str, *, content: bytes, headers: dict[str, str]) -> Answer:
        origin = _Origin.of(url)
        request = h11.Request(
            method="POST",
            target=origin.target,
            headers=[
                ("Host", origin.host_header),
                *headers.items(),
                ("Content-Length", str(len(content))),
                ("User-Agent", "truceline-notify"),
            ],
        )
        key = f"{origin.secure}:{origin.host}:{origin.port}"
        try:
            async with self._slots, asyncio.timeout(self.timeout):
                conn = self._reuse(key)
                if conn is not None:
                    try:
                        return await self._exchange(key, conn, request, content)
                    except (ConnectionError, _Stale):
                        pass  # the receiver closed an idle connection meanwhile: a fresh one
                conn = await self._connect(origin)
                return await self._exchange(key, conn, request, content)
        except TimeoutError as exc:
            raise TimeoutError(f"no answer within {self.timeout:g} s") from exc

    def _reuse(self, key: str) -> _Conn | None:
        idle = self._idle.get(key, [])
        while idle:
            conn = idle.pop()
            if not conn.writer.is_closing() and not conn.reader.at_eof():
                return conn
            conn.writer.close()
        return None

    async def _connect(self, origin: _Origin) -> _Conn:
        tls = None
        if origin.secure:
            if self._tls is None:
                self._tls = ssl.create_default_context()
            tls = self._tls
        try:
            reader, writer = await asyncio.open_connection(
                origin.host, origin.port, ssl=tls, server_hostname=origin.host if tls else None
            )
        except OSError as exc:
            raise ConnectError(f"{origin.host}:{origin.port}: {exc}") from exc
        return _Conn(reader, writer)

    async def _exchange(
        self, key: str, conn: _Conn, request: h11.Request, content: bytes
    ) -> Answer:
        keep = False
        try:
            # One write for head and body: fewer syscalls, and no small-packet delay.
            conn.writer.write(
                b"".join(
                    conn.protocol.send(event) or b""
                    for event in (request, h11.Data(data=content), h11.EndOfMessage())
                )
            )
            await conn.writer.drain()
            answer = await _read_answer(conn)
            # h11 knows whether both sides may go on (HTTP/1.0, `Connection: close`, a
            # body cut at MAX_BODY leave it short of DONE).
            if conn.protocol.our_state is h11.DONE and conn.protocol.their_state is h11.DONE:
                conn.protocol.start_next_cycle()
                keep = True
            return answer
        finally:
            if keep:
                self._idle.setdefault(key, []).append(conn)
            else:
                conn.writer.close()

    async def aclose(self) -> None:
        for conns in self._idle.values():
            for conn in conns:
                conn.writer.close()
                with contextlib.suppress(OSError):
                    await conn.writer.wait_closed()
        self._idle.clear()


class _Stale(ConnectionError):
    """A reused connection ended before any answer."""


async def _read_answer(conn: _Conn) -> Answer:
    """The final answer (1xx skipped), its body up to MAX_BODY."""
    answer: Answer | None = None
    body = bytearray()
    received = False
    while True:
        try:
            event = conn.protocol.next_event()
        except h11.RemoteProtocolError as exc:
            if not received:  # nothing at all: a kept connection the receiver had closed
                raise _Stale("the connection closed before an answer") from exc
            raise ProtocolError(f"unreadable answer: {exc}") from exc
        if event is h11.NEED_DATA:
            data = await conn.reader.read(READ_SIZE)
            received = received or bool(data)
            conn.protocol.receive_data(data)  # b"" is the end of the connection, as h11 wants
        elif isinstance(event, h11.Response):
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in event.headers}
            answer = Answer(event.status_code, headers)  # h11 gives names in lower case
        elif isinstance(event, h11.Data):
            body += event.data
            if len(body) > MAX_BODY:  # not read to its end: the connection is not kept
                break
        elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
            break
        # An InformationalResponse (100 Continue) is skipped: the final answer follows.
    if answer is None:
        raise _Stale("the connection closed before an answer")
    answer.content = bytes(body[:MAX_BODY])
    return answer
