"""A TAK-protocol peer for the tests: a streaming CoT server (plain TCP or mutual TLS) on
127.0.0.1 whose connections are read by pytak's own reader (`pytak.RXWorker.readcot`,
which cuts the stream after each `</event>`, as TAK tools do); and a test CA."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import ssl
import threading
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # pytak warns that aiohttp (its HTTP extra) is absent
    import pytak


async def read_events(reader: asyncio.StreamReader) -> list[bytes]:
    """Everything pytak's reader takes from a stream, one chunk per event, until EOF
    (a tail without `</event>` is what it drops)."""
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    worker = pytak.RXWorker(queue, None, reader)
    out = []
    while True:
        data = await worker.readcot()
        if not data:
            break
        out.append(data)
    return out


def read_stream(data: bytes) -> list[bytes]:
    async def go() -> list[bytes]:
        reader = asyncio.StreamReader()
        reader.feed_data(data)
        reader.feed_eof()
        return await read_events(reader)

    return asyncio.run(go())


@dataclass
class TakServer:
    """Accepts streaming connections in a thread of its own; `received` holds each
    connection's events as pytak read them."""

    context: ssl.SSLContext | None = None
    received: list[list[bytes]] = field(default_factory=list)
    port: int = 0
    _loop: asyncio.AbstractEventLoop = field(default_factory=asyncio.new_event_loop)
    _thread: threading.Thread | None = None
    _done: threading.Event = field(default_factory=threading.Event)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            self.received.append(await read_events(reader))
        finally:
            writer.close()
            self._done.set()

    def __enter__(self) -> TakServer:
        ready = threading.Event()

        async def serve() -> None:
            server = await asyncio.start_server(self._handle, "127.0.0.1", 0, ssl=self.context)
            self.port = server.sockets[0].getsockname()[1]
            ready.set()
            async with server:
                await server.serve_forever()

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            task = self._loop.create_task(serve())
            with contextlib.suppress(asyncio.CancelledError):
                self._loop.run_until_complete(task)

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        assert ready.wait(10), "the TAK server did not start"
        return self

    def wait(self, timeout: float = 10.0) -> None:
        """Until a connection has been read to its end."""
        assert self._done.wait(timeout), "no connection finished"

    def __exit__(self, *exc: object) -> None:
        for task in asyncio.all_tasks(self._loop):
            self._loop.call_soon_threadsafe(task.cancel)
        if self._thread is not None:
            self._thread.join(10)


@dataclass(frozen=True)
class Pki:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path

    def server_context(self) -> ssl.SSLContext:
        """Mutual TLS, as TAK servers run their streaming port."""
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(self.ca))
        ctx.load_cert_chain(str(self.server_cert), str(self.server_key))
        ctx.verify_mode = ssl.CERT_REQUIRED
        return ctx


def make_pki(directory: Path, name: str = "test") -> Pki:
    """A self-signed CA, a server certificate for 127.0.0.1 and a client certificate."""
    now = datetime.now(UTC)

    def save_key(key: ec.EllipticCurvePrivateKey, path: Path) -> Path:
        path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        return path

    def cert(
        subject: str,
        key: ec.EllipticCurvePrivateKey,
        issuer: x509.Name | None,
        signer: ec.EllipticCurvePrivateKey,
        ca: bool,
        san: x509.GeneralName | None = None,
    ) -> x509.Certificate:
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
        builder = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(issuer or name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if ca:
            builder = builder.add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                critical=True,
            )
        if san is not None:
            builder = builder.add_extension(x509.SubjectAlternativeName([san]), critical=False)
        return builder.sign(signer, hashes.SHA256())

    def save_cert(c: x509.Certificate, path: Path) -> Path:
        path.write_bytes(c.public_bytes(serialization.Encoding.PEM))
        return path

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = cert(f"{name} CA", ca_key, None, ca_key, True)
    server_key = ec.generate_private_key(ec.SECP256R1())
    client_key = ec.generate_private_key(ec.SECP256R1())
    ip = x509.IPAddress(ipaddress.ip_address("127.0.0.1"))
    return Pki(
        ca=save_cert(ca_cert, directory / f"{name}-ca.pem"),
        server_cert=save_cert(
            cert("127.0.0.1", server_key, ca_cert.subject, ca_key, False, ip),
            directory / f"{name}-server.pem",
        ),
        server_key=save_key(server_key, directory / f"{name}-server.key"),
        client_cert=save_cert(
            cert("truceline", client_key, ca_cert.subject, ca_key, False),
            directory / f"{name}-client.pem",
        ),
        client_key=save_key(client_key, directory / f"{name}-client.key"),
    )
