"""The notifier's HTTP/1.1 client against real servers on 127.0.0.1 that answer in each way
HTTP/1.1 allows: Content-Length, chunked, until close, 100 Continue first, keep-alive
and a server closing an idle connection; answers over the size bounds or not HTTP; https
with a certificate trusted or not."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from truceline.publication.http1 import (
    MAX_BODY,
    MAX_HEAD,
    READ_SIZE,
    ConnectError,
    Http1Client,
    ProtocolError,
)

from .tak_peer import make_pki

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    return await reader.readexactly(length)


async def _serve(
    answers: list[bytes | tuple[bytes, ...]],
    close_after: bool = False,
    tls: ssl.SSLContext | None = None,
) -> tuple[str, list[int]]:
    """A server answering each request on a connection with the next of `answers` (a tuple
    is written in pieces, a moment apart, so the client reads it in several parts);
    returns its URL and, per connection, how many requests it served."""
    served: list[int] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        served.append(0)
        k = len(served) - 1
        try:
            while True:
                await _read_request(reader)
                pieces = answers[min(served[k], len(answers) - 1)]
                served[k] += 1  # counted before answering: the client may not wait for it
                for piece in pieces if isinstance(pieces, tuple) else (pieces,):
                    writer.write(piece)
                    await writer.drain()
                    await asyncio.sleep(0.01 if isinstance(pieces, tuple) else 0)
                answer = b"".join(pieces) if isinstance(pieces, tuple) else pieces
                # An answer without length runs to the end of the connection, as a real
                # server's does when it says `Connection: close`.
                if close_after or b"connection: close" in answer.lower():
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=tls)
    port = server.sockets[0].getsockname()[1]
    return f"{'https' if tls else 'http'}://127.0.0.1:{port}/hook?x=1", served


HEADERS = {"content-type": "application/json"}


def test_answers_of_every_framing_and_connection_reuse() -> None:
    async def go() -> None:
        url, served = await _serve(
            [
                b"HTTP/1.1 204 No Content\r\n\r\n",
                b"HTTP/1.1 500 Oops\r\nContent-Length: 4\r\n\r\nbad!",
                b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 503 Busy\r\nRetry-After: 7\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n3\r\nbus\r\n1;x=y\r\ny\r\n0\r\n\r\n",
                b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nto the end",
            ]
        )
        client = Http1Client(5)
        got = [await client.post(url, content=b"{}", headers=HEADERS) for _ in range(4)]
        assert [a.status_code for a in got] == [204, 500, 503, 200]
        assert [a.text for a in got] == ["", "bad!", "busy", "to the end"]
        assert got[2].headers["retry-after"] == "7"
        assert served == [4]  # one connection kept alive until the server said close
        again = await client.post(url, content=b"{}", headers=HEADERS)
        assert again.status_code == 204 and served == [4, 1]
        await client.aclose()

    asyncio.run(go())


def test_a_connection_the_server_closed_is_replaced_and_errors_are_named() -> None:
    async def go() -> None:
        url, served = await _serve([b"HTTP/1.1 204 No Content\r\n\r\n"], close_after=True)
        client = Http1Client(5)
        for _ in range(3):  # each kept connection is closed by the server after one answer
            assert (await client.post(url, content=b"{}", headers=HEADERS)).status_code == 204
        assert served == [1, 1, 1]
        await client.aclose()

        silent, _ = await _serve([b""])  # reads the request, never answers
        with pytest.raises(TimeoutError, match="no answer within 0.2 s"):
            await Http1Client(0.2).post(silent, content=b"{}", headers=HEADERS)
        nowhere = "http://127.0.0.1:9/"
        with pytest.raises(ConnectError):
            await Http1Client(5).post(nowhere, content=b"{}", headers=HEADERS)

    asyncio.run(go())


def test_chunked_in_pieces_long_bodies_and_heads_and_garbage() -> None:
    async def go() -> None:
        chunked = (
            b"HTTP/1.1 503 Busy\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nbu",
            b"sy, \r\n5;ext=1\r\nlat",
            b"er\r\n0\r\nX-Trailer: t\r\n\r\n",
        )
        long_body = b"HTTP/1.1 500 Oops\r\nContent-Length: %d\r\n\r\n" % (MAX_BODY + 10)
        long_body += b"x" * (MAX_BODY + 10)
        url, served = await _serve([chunked, long_body])
        client = Http1Client(5)
        busy = await client.post(url, content=b"{}", headers=HEADERS)
        assert (busy.status_code, busy.text) == (503, "busy, later")
        cut = await client.post(url, content=b"{}", headers=HEADERS)
        assert cut.status_code == 500 and cut.content == b"x" * MAX_BODY
        assert served == [2]
        # The cut body was not read to its end, so its connection was not kept: a new
        # connection gets the server's first answer again.
        assert (await client.post(url, content=b"{}", headers=HEADERS)).status_code == 503
        assert served == [2, 1]
        await client.aclose()

        near = b"HTTP/1.1 204 No Content\r\nX-Pad: " + b"a" * (MAX_HEAD - 100) + b"\r\n\r\n"
        over = b"HTTP/1.1 204 No Content\r\nX-Pad: " + b"a" * (MAX_HEAD + READ_SIZE) + b"\r\n\r\n"
        for answer, expected in [
            (near, 204),
            (over, "too long"),
            (b"SMTP ready\r\n\r\n", "status line"),
        ]:
            url, _ = await _serve([answer])
            client = Http1Client(5)
            if isinstance(expected, int):
                got = await client.post(url, content=b"{}", headers=HEADERS)
                assert got.status_code == expected and got.headers["x-pad"].startswith("aaa")
            else:
                with pytest.raises(ProtocolError, match=expected):
                    await client.post(url, content=b"{}", headers=HEADERS)
            await client.aclose()

    asyncio.run(go())


def test_https_verifies_the_certificate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pki = make_pki(tmp_path)  # a CA of its own: trusted only when named by SSL_CERT_FILE
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(str(pki.server_cert), str(pki.server_key))

    async def go() -> list[int]:
        url, served = await _serve([b"HTTP/1.1 204 No Content\r\n\r\n"], tls=tls)
        client = Http1Client(5)
        for _ in range(2):
            assert (await client.post(url, content=b"{}", headers=HEADERS)).status_code == 204
        await client.aclose()
        return served

    with pytest.raises(ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        asyncio.run(go())
    monkeypatch.setenv("SSL_CERT_FILE", str(pki.ca))
    assert asyncio.run(go()) == [2]  # verified, and kept alive
