"""The NATS JetStream feed's vocabulary, and the subscriber parties run.

Subjects (origin slugged: `.`, `/` and other non-token characters become `_`):

    <prefix>.<origin>.incident.<state>          the signed incident transition
    <prefix>.<origin>.incident.<state>.cap      its CAP 1.2 alert (helper: publication.cap)
    <prefix>.<origin>.enforcement.<event>       the signed enforcement transition
    <prefix>.<origin>.enforcement.<event>.cap   its CAP 1.2 alert
    <prefix>.<origin>.sensor                    sensor registry records
    <prefix>.<origin>.agreement                 agreement versions and their signatures
    <prefix>.<origin>.party.<kind>              votes, notifications, disputes, acks, ...
    <prefix>.<origin>.observation               observations (only when the feed is asked to)
    <prefix>.<origin>.checkpoint                the signed checkpoint note, once per growth

An entry message's body is the ledger entry itself (the canonical DSSE envelope), so a
subscriber checks the signature, not the feed. `Nats-Msg-Id` is `<origin>/<index>` (and
`<origin>/<index>/cap`, `<origin>/checkpoint/<size>`): JetStream drops a re-publication
with the same id inside the stream's duplicate window.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import nats
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import api
from nats.js.errors import NotFoundError

from truceline.codec import dsse
from truceline.codec.errors import CodecError
from truceline.codec.jcs import loads
from truceline.errors import TrucelineError
from truceline.ledger import note
from truceline.ledger import proof as tlog_proof
from truceline.ledger.checkpoint import open_checkpoint

log = logging.getLogger(__name__)

DEFAULT_URL = "nats://127.0.0.1:4222"
DEFAULT_PREFIX = "truceline"

# Headers every message carries.
H_MSG_ID = "Nats-Msg-Id"
H_INDEX = "Truceline-Index"
H_TYPE = "Truceline-Payload-Type"
H_PART = "Truceline-Part"  # entry | cap | checkpoint
H_SHA256 = "Truceline-Entry-Sha256"  # a cap message names the entry it renders
H_SIZE = "Truceline-Checkpoint-Size"

PART_ENTRY = "entry"
PART_CAP = "cap"
PART_CHECKPOINT = "checkpoint"

_NOT_TOKEN = re.compile(r"[^A-Za-z0-9_-]")


class BusError(TrucelineError, RuntimeError):
    """The NATS server is unreachable or refused something; the message says which."""


def slug(origin: str) -> str:
    """A log origin as one NATS subject token and stream-name fragment."""
    s = _NOT_TOKEN.sub("_", origin).strip("_")
    if not s:
        raise ValueError(f"origin {origin!r}: has no letter or digit to name a subject with")
    return s


def stream_name(origin: str) -> str:
    return f"TRUCELINE_{slug(origin)}"


def subject_root(origin: str, prefix: str = DEFAULT_PREFIX) -> str:
    if not prefix or _NOT_TOKEN.sub("", prefix.replace(".", "")) != prefix.replace(".", ""):
        raise ValueError(f"prefix {prefix!r}: must be dot-separated letters, digits, _ or -")
    return f"{prefix}.{slug(origin)}"


def msg_id(origin: str, index: int, part: str = PART_ENTRY) -> str:
    return f"{origin}/{index}" if part == PART_ENTRY else f"{origin}/{index}/{part}"


def checkpoint_msg_id(origin: str, size: int) -> str:
    return f"{origin}/checkpoint/{size}"


async def connect(url: str) -> Client:
    """A NATS connection, or BusError naming the URL.

    A first TCP probe fails fast when nobody listens (nats-py would retry the initial
    connection as it retries reconnects); once connected, the client rides out a server
    restart of up to ~30 s.
    """
    parsed = urlsplit(url)
    try:
        host, port = parsed.hostname or "127.0.0.1", parsed.port or 4222
    except ValueError as exc:
        raise BusError(f"--nats {url}: not a nats://host:port URL ({exc})") from exc
    try:
        await asyncio.wait_for(_probe(host, port), timeout=3)
        return await nats.connect(
            url,
            connect_timeout=3,
            max_reconnect_attempts=30,
            reconnect_time_wait=1,
            **_one_line_reports(url),
        )
    except Exception as exc:  # nats raises several unrelated types for "nobody there"
        raise BusError(
            f"--nats {url}: cannot connect to NATS ({type(exc).__name__}: {exc})"
        ) from exc


def _one_line_reports(url: str) -> dict[str, Any]:
    """nats-py's callbacks, each reporting in one log line: by default a lost server
    logs a traceback per failed reconnect attempt (one a second while it is down)."""

    async def error(exc: Exception) -> None:
        log.warning("nats %s: %s: %s", url, type(exc).__name__, exc or "(no detail)")

    async def disconnected() -> None:
        log.warning("nats %s: disconnected", url)

    async def reconnected() -> None:
        log.warning("nats %s: reconnected", url)

    return {"error_cb": error, "disconnected_cb": disconnected, "reconnected_cb": reconnected}


async def _probe(host: str, port: int) -> None:
    _, writer = await asyncio.open_connection(host, port)
    writer.close()
    await writer.wait_closed()


async def ensure_stream(
    nc: Client, name: str, root: str, duplicate_window_s: float
) -> api.StreamInfo:
    """The stream holding `root.>`, created if missing (file storage: it survives restarts)."""
    jsm = nc.jsm()
    try:
        info = await jsm.stream_info(name)
    except NotFoundError:
        info = None
    if info is not None:
        if f"{root}.>" not in (info.config.subjects or []):
            raise BusError(
                f"--stream {name}: exists with subjects {info.config.subjects}, not {root}.>"
            )
        return info
    return await jsm.add_stream(
        api.StreamConfig(
            name=name,
            subjects=[f"{root}.>"],
            storage=api.StorageType.FILE,
            duplicate_window=duplicate_window_s,
        )
    )


@dataclass(frozen=True)
class Alert:
    """One verified message: what it is, where it sits in the log, and who signed it."""

    subject: str
    part: str
    index: int | None  # leaf index (entry, cap); None for a checkpoint
    payload_type: str | None
    payload: Any  # the record (entry), the CAP XML bytes (cap), the note text (checkpoint)
    data: bytes
    signed_by: tuple[str, ...] = ()
    proof: bytes | None = None  # c2sp.org/tlog-proof of the entry, when a prover was given
    stream_seq: int = 0


@dataclass(frozen=True)
class Rejected:
    subject: str
    stream_seq: int
    reason: str


@dataclass
class Subscriber:
    """A party's durable pull consumer on one feed, verifying what it receives.

    `keys` are the keys a record must be signed by (keyid -> Ed25519 public key; for a
    home, `truceline.publication.feed.home_keys`). `log_key` (the log's vkey) checks
    checkpoint notes and proofs. `prover(index)` fetches a tlog-proof for an entry
    (`TileLog.prove` of a local home, or an HTTP call); the proof is verified against
    `log_key` and the entry bytes, so the alert carries its own evidence.

    A message that fails verification is listed in `rejected` and not returned (the
    batch's acknowledgement covers it: it will not come again).
    """

    nc: Client
    stream: str
    name: str
    keys: Mapping[str, Ed25519PublicKey]
    subjects: str = ">"
    log_key: str | None = None
    prover: Callable[[int], bytes] | None = None
    rejected: list[Rejected] = field(default_factory=list)
    _sub: Any = None
    _unacked: Msg | None = None
    _entries: dict[int, tuple[str, tuple[str, ...]]] = field(default_factory=dict)

    async def _subscription(self) -> Any:
        if self._sub is not None:
            return self._sub
        if not re.fullmatch(r"[A-Za-z0-9_-]+", self.name):
            raise ValueError(f"subscriber name {self.name!r}: letters, digits, _ or - only")
        jsm = self.nc.jsm()
        start = 1
        try:
            info = await jsm.consumer_info(self.stream, self.name)
        except NotFoundError:
            info = None
        if info is not None and (info.num_ack_pending or 0) > 0:
            # A previous run stopped with messages delivered but not acked; JetStream would
            # redeliver them after ack_wait, behind newer ones. Restarting the consumer at
            # its ack floor keeps ledger order (the unacked ones come again, first).
            assert info.ack_floor is not None
            start = (info.ack_floor.stream_seq or 0) + 1
            await jsm.delete_consumer(self.stream, self.name)
            info = None
        if info is None:
            await jsm.add_consumer(
                self.stream,
                api.ConsumerConfig(
                    durable_name=self.name,
                    filter_subject=self.subjects if self.subjects != ">" else None,
                    ack_policy=api.AckPolicy.ALL,  # one ack per batch, in order
                    deliver_policy=(
                        api.DeliverPolicy.ALL if start == 1 else api.DeliverPolicy.BY_START_SEQUENCE
                    ),
                    opt_start_seq=None if start == 1 else start,
                ),
            )
        self._sub = await self.nc.jetstream().pull_subscribe_bind(self.name, self.stream)
        return self._sub

    async def fetch(self, batch: int = 64, timeout: float = 1.0) -> list[Alert]:
        """Up to `batch` verified alerts in stream order (empty if none came within `timeout`).

        Calling `fetch` again (or `commit`) acknowledges the alerts it returned before:
        a party that stops before processing them gets them again, in order.
        """
        await self.commit()
        sub = await self._subscription()
        try:
            msgs = await sub.fetch(batch, timeout=timeout)
        except (nats.errors.TimeoutError, TimeoutError):  # nats-py raises either when idle
            return []
        out = []
        for m in msgs:
            try:
                out.append(self.verify(m))
            except (CodecError, ValueError, KeyError, note.NoteError) as exc:
                self.rejected.append(Rejected(m.subject, m.metadata.sequence.stream, str(exc)))
        self._unacked = msgs[-1] if msgs else None
        return out

    async def commit(self) -> None:
        """Acknowledge everything fetched so far (AckAll: the last message covers the rest)."""
        if self._unacked is not None:
            await self._unacked.ack_sync()
            self._unacked = None

    def verify(self, m: Msg) -> Alert:
        h = m.headers or {}
        part = h.get(H_PART, "")
        seq = m.metadata.sequence.stream
        if part == PART_CHECKPOINT:
            text = m.data.decode()
            if self.log_key is not None:
                v = note.parse_vkey(self.log_key)
                open_checkpoint(m.data, [v], origin=v.name)
            return Alert(m.subject, part, None, None, text, m.data, stream_seq=seq)
        index = int(h[H_INDEX])
        if part == PART_CAP:
            # The CAP rendering is not signed: it names the entry it renders by hash. When
            # that entry came through this subscriber (just before it), the hash must match
            # and the alert carries the entry's signers; otherwise `signed_by` stays empty.
            seen = self._entries.get(index)
            if seen is not None and seen[0] != h.get(H_SHA256):
                raise ValueError(f"header {H_SHA256}: does not match entry {index} as received")
            signers = seen[1] if seen is not None else ()
            return Alert(m.subject, part, index, h.get(H_TYPE), m.data, m.data, signers, None, seq)
        if part != PART_ENTRY:
            raise ValueError(f"header {H_PART}: {part!r} is not entry, cap or checkpoint")
        env = dsse.Envelope.from_json(m.data)
        if env.payload_type != h.get(H_TYPE):
            raise ValueError(
                f"header {H_TYPE}: {h.get(H_TYPE)!r} differs from the envelope's {env.payload_type!r}"
            )
        signed_by = tuple(dsse.verify(env, self.keys))
        got_proof = None
        if self.prover is not None:
            got_proof = self.prover(index)
            if self.log_key is None:
                raise ValueError("log_key: needed to verify the proofs the prover returns")
            p = tlog_proof.TlogProof.parse(got_proof)
            if p.index != index:
                raise ValueError(f"proof: for index {p.index}, message says {index}")
            tlog_proof.verify(p, m.data, self.log_key)
        if len(self._entries) >= 4096:
            self._entries.clear()  # only the entry just before its CAP is ever looked up
        self._entries[index] = (entry_sha256(m.data), signed_by)
        return Alert(
            m.subject,
            part,
            index,
            env.payload_type,
            loads(env.payload),
            m.data,
            signed_by,
            got_proof,
            seq,
        )

    async def close(self) -> None:
        """Acknowledge what was fetched and stop (the durable consumer stays on the server)."""
        await self.commit()
        if self._sub is not None:
            await self._sub.unsubscribe()
            self._sub = None


def entry_sha256(entry: bytes) -> str:
    return hashlib.sha256(entry).hexdigest()
