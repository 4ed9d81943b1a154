"""Witnesses for a mission home's log: one tlog-witness per party and guarantor, and the policy.

`WitnessFarm` starts real witnesses (`truceline.ledger.witness`: the core, its
SQLite state in its own home, the FastAPI app under uvicorn on a 127.0.0.1
port of its own, each in a thread) and writes the mission home's tlog-policy
naming them with their URLs. Every process that opens the home's log
(`truceline.ledger.home.open_log`) then cosigns each checkpoint through a
`truceline.ledger.witnessing.Cosigner`: no other module needs to know.

The quorum is one witness of each party AND any one guarantor's: a log that
shows the parties different trees cannot get a checkpoint both would cosign.

Keys are derived from a seed and the witnesses stamp cosignatures with an
injected clock, so a seeded demo gives the same cosigned checkpoints each run.
When the witnesses stop, the policy is rewritten without URLs: the keys and
quorum still verify every checkpoint, and nobody tries to reach a dead server.
"""

from __future__ import annotations

import hashlib
import socket
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import uvicorn

from truceline.clock import Clock
from truceline.home import Home
from truceline.ledger.cosignature import CosignatureSigner
from truceline.ledger.policy import Policy, PolicyBuilder
from truceline.ledger.witness.core import Witness, check_log_vkey
from truceline.ledger.witness.home import WitnessHome
from truceline.ledger.witness.server import create_app
from truceline.ledger.witness.store import WitnessStore
from truceline.store.base import open_store

QUORUM = "quorum"


@dataclass(frozen=True)
class WitnessGroup:
    """The witnesses one signatory runs; `threshold` of them must cosign (`any`, `all` or k)."""

    name: str
    threshold: str | int
    members: tuple[str, ...]
    """Signatory ids; each runs one witness named `<member>-witness` in the policy."""


@dataclass
class RunningWitness:
    name: str
    """The policy's local name."""
    operator: str
    witness: Witness
    home: WitnessHome
    url: str = ""
    server: uvicorn.Server | None = None
    thread: threading.Thread | None = None


def witness_name(operator: str) -> str:
    return f"{operator}-witness"


def _seed(seed: int, operator: str) -> bytes:
    # A demo key: derived, so that a seeded run is reproducible. Never do this in production.
    return hashlib.sha256(f"truceline-demo-witness/{seed}/{operator}".encode()).digest()


@dataclass
class WitnessFarm:
    root: Path
    groups: Sequence[WitnessGroup]
    clock: Clock
    seed: int = 0
    witnesses: dict[str, RunningWitness] = field(default_factory=dict)

    def create(self, origin: str, log_vkey: str) -> None:
        """Make each witness's home (key, SQLite state) and trust the log's key for `origin`."""
        check_log_vkey(origin, log_vkey)
        for g in self.groups:
            for op in g.members:
                name = witness_name(op)
                signer = CosignatureSigner(f"{op}.witness.truceline.example", _seed(self.seed, op))
                wh = WitnessHome(self.root / name)
                wh.write_key(signer.skey, signer.verifier().vkey)
                store = WitnessStore(open_store(wh.store_url), signer.name)
                store.add_log(origin, log_vkey, now=0)
                self.witnesses[name] = RunningWitness(
                    name, op, Witness(store, signer, clock=self.clock), wh
                )

    def start(self) -> None:
        for w in self.witnesses.values():
            self._serve(w, 0)

    def stop(self) -> None:
        for w in self.witnesses.values():
            self._halt(w)
            w.url = ""
        for w in self.witnesses.values():
            w.witness.store.engine.dispose()

    def take_offline(self, name: str) -> None:
        """Stop one witness's server; its URL (and port) stay in the policy."""
        self._halt(self.witnesses[name])

    def bring_back(self, name: str) -> None:
        """Serve the witness again on the port the policy names, with the state it kept."""
        w = self.witnesses[name]
        self._serve(w, int(w.url.rsplit(":", 1)[1]))

    def _serve(self, w: RunningWitness, port: int) -> None:
        sock = socket.socket()
        # Rebinding a port we served before: its old connections may be in TIME_WAIT.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))  # 0: the kernel picks a free port, no race with others
        port = sock.getsockname()[1]
        config = uvicorn.Config(
            create_app(w.witness),
            log_level="warning",
            lifespan="off",
            timeout_graceful_shutdown=1,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run,
            kwargs={"sockets": [sock]},
            daemon=True,
            name=f"witness-{w.name}",
        )
        thread.start()
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError(f"witness {w.name}: uvicorn did not start")
            threading.Event().wait(0.01)
        w.url, w.server, w.thread = f"http://127.0.0.1:{port}", server, thread

    @staticmethod
    def _halt(w: RunningWitness) -> None:
        if w.server is not None and w.thread is not None:
            w.server.should_exit = True
            w.thread.join(10)
        w.server, w.thread = None, None

    def policy(self, log_vkey: str, *, urls: bool = True) -> Policy:
        """The tlog-policy: the log's key, every witness (with its URL while it runs), the quorum."""
        b = PolicyBuilder().log(log_vkey)
        for g in self.groups:
            for op in g.members:
                w = self.witnesses[witness_name(op)]
                b.witness(w.name, w.witness.vkey, w.url if urls and w.url else None)
        for g in self.groups:
            b.group(g.name, g.threshold, [witness_name(op) for op in g.members])
        b.group(QUORUM, "all", [g.name for g in self.groups])
        b.quorum(QUORUM)
        return b.build()

    def write_policy(self, home: Home, *, urls: bool = True) -> Policy:
        policy = self.policy(home.log_vkey.read_text().strip(), urls=urls)
        home.policy.write_text(policy.format())
        return policy
