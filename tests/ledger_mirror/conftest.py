"""An operator's home served over real HTTP (uvicorn), and mirrors of it made through the CLI."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from truceline.api import create_app
from truceline.cli import app
from truceline.home import Home
from truceline.ledger.home import create_log, open_log, open_reader
from truceline.ledger.keys import load_log_signer
from truceline.ledger.tilelog import TileLog
from truceline.store.base import open_store
from witness.live import serve

ORIGIN = "mirror.example.org/log"
runner = CliRunner()


def entry(i: int, tag: str = "") -> bytes:
    """Entries of varied length, like the JSON envelopes the mission logs."""
    return f'{{"n": {i}, "tag": "{tag}", "pad": "{"x" * (i % 53)}"}}'.encode()


def entries(start: int, stop: int, tag: str = "") -> list[bytes]:
    return [entry(i, tag) for i in range(start, stop)]


@dataclass
class Operator:
    """The mission's home: the log key, the log, its store; and an attacker's tools on it."""

    home: Home
    scratch: Path

    @classmethod
    def create(cls, root: Path, policy: str | None = None) -> Operator:
        home = Home(root / "operator")
        create_log(home, ORIGIN).close()
        if policy is not None:
            home.policy.write_text(policy)
        scratch = root / "scratch"
        scratch.mkdir()
        return cls(home, scratch)

    @property
    def vkey(self) -> str:
        return self.home.log_vkey.read_text().strip()

    def append(self, batch: list[bytes], *, witnesses: bool = True) -> None:
        log = open_log(self.home, witnesses=witnesses)
        try:
            log.append(batch)
        finally:
            log.close()

    def entries(self) -> list[bytes]:
        log = open_reader(self.home)
        return log.read(0, log.size)

    def checkpoint(self) -> bytes:
        return (self.home.log_dir / "checkpoint").read_bytes()

    def rewrite(self, history: list[bytes], *, witnesses: bool = True) -> None:
        """Replace the log by `history`, signed with the same key: what the key holder can do.

        Built in a scratch home with copies of the key (and policy), then swapped in.
        """
        r = Home(self.scratch / f"rewrite-{uuid.uuid4().hex[:8]}")
        r.root.mkdir()
        for src, dst in [(self.home.log_skey, r.log_skey), (self.home.log_vkey, r.log_vkey)]:
            shutil.copy2(src, dst)
        if self.home.policy.exists():
            shutil.copy2(self.home.policy, r.policy)
        engine = open_store(r.store_url)
        TileLog.create(r.log_dir, ORIGIN, load_log_signer(r), engine).close()
        log = open_log(r, engine, witnesses=witnesses)
        log.append(history)
        log.close()
        engine.dispose()
        os.rename(self.home.log_dir, r.root / "replaced-log")
        os.rename(r.log_dir, self.home.log_dir)
        os.replace(r.root / "store.db", self.home.root / "store.db")


class Recorder:
    """ASGI middleware keeping the path of every request (what a mirror run fetched)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.paths: list[str] = []

    async def __call__(self, scope, receive, send):  # noqa: ANN001 - the ASGI signature
        if scope["type"] == "http":
            self.paths.append(scope["path"])
        await self.app(scope, receive, send)

    def take(self) -> list[str]:
        got, self.paths = self.paths, []
        return got


@dataclass
class Served:
    url: str
    """The log's tlog-tiles prefix: <server>/log."""
    requests: Recorder


@pytest.fixture
def operator(tmp_path: Path) -> Operator:
    return Operator.create(tmp_path)


@pytest.fixture
def served(operator: Operator) -> Iterator[Served]:
    """`truceline serve`'s app for the operator's home on a real 127.0.0.1 socket."""
    recorder = Recorder(create_app(operator.home))
    with serve(recorder) as base:
        yield Served(f"{base}/log", recorder)


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    args: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"truceline {' '.join(self.args)} -> {self.code}\n{self.stdout}\n{self.stderr}"


def truceline(*args: str | Path) -> Run:
    argv = [str(a) for a in args]
    res = runner.invoke(app, argv, catch_exceptions=False)
    return Run(res.exit_code, res.stdout, res.stderr, argv)


def mirror(url: str, home: Path, *extra: str | Path) -> Run:
    return truceline("mirror", url, "--home", home, *extra)


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under `root` (but the evidence and the lock) with its bytes."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "evidence" not in p.parts and p.name != ".mirror.lock"
    }


@dataclass
class Witnessed:
    """A real witness (tlog-witness over HTTP) trusting the operator's log, named in its policy."""

    name: str
    vkey: str
    url: str


@pytest.fixture
def witnessed(operator: Operator, tmp_path: Path) -> Iterator[Witnessed]:
    from truceline.ledger.witness.core import Witness
    from truceline.ledger.witness.server import create_app as witness_app
    from truceline.ledger.witness.store import WitnessStore
    from witness.helpers import cosigner

    engine = open_store(f"sqlite:///{tmp_path / 'witness.db'}")
    w = Witness(WitnessStore(engine, "witness.example.org/w1"), cosigner("witness.example.org/w1"))
    w.store.add_log(ORIGIN, operator.vkey)
    with serve(witness_app(w)) as url:
        operator.home.policy.write_text(
            f"log {operator.vkey}\nwitness w1 {w.vkey} {url}\nquorum w1\n"
        )
        yield Witnessed("w1", w.vkey, url)
    engine.dispose()
