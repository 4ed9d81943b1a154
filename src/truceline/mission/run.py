"""`truceline run`: the mission's processes, started and supervised as one service.

    api          truceline serve        ingest, receipts, the map, every read route
    adjudicate   truceline adjudicate   streaming verdicts as evidence arrives
    enforce      truceline enforce --follow   countdowns, votes, inspections, playbooks
    notify       truceline notify --follow    webhooks to subscribers (when configured)
    feed         truceline feed --follow      the NATS JetStream feed (when configured)

Each runs as a child process of its own (a crash in one cannot take another down; each
writes through the log, which serialises appends), restarted with exponential backoff when
it exits, reset after it has run a while. Everything is logged to stdout as JSON lines
(`{"ts", "proc", "event", ...}`; a child's own output lines are wrapped the same way), and
the state of every child is kept in HOME/run/status.json for `/readyz`. SIGINT or SIGTERM
stops the children (SIGTERM, then SIGKILL after a grace period) and exits 0.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Any

from truceline.home import Home

BACKOFF_S = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
STABLE_S = 60.0  # a child that ran this long starts its backoff again from the first step
STOP_GRACE_S = 10.0


@dataclass(frozen=True)
class Spec:
    name: str
    args: list[str]  # after `truceline`


@dataclass
class Child:
    spec: Spec
    proc: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    restarts: int = 0
    failures: int = 0  # consecutive short runs: the backoff step
    next_start: float = 0.0
    last_exit: int | None = None
    threads: list[threading.Thread] = field(default_factory=list)

    def state(self) -> dict[str, Any]:
        running = self.proc is not None and self.proc.poll() is None
        return {
            "state": "running" if running else "restarting",
            "pid": self.proc.pid if running and self.proc is not None else None,
            "restarts": self.restarts,
            "last_exit": self.last_exit,
        }


def specs(home: Home, host: str, port: int) -> list[Spec]:
    """The processes of a mission home: the three always, notify and feed when configured."""
    h = str(home.root)
    out = [
        Spec("api", ["serve", "--home", h, "--host", host, "--port", str(port)]),
        Spec("adjudicate", ["adjudicate", "--home", h]),
        Spec("enforce", ["enforce", "--home", h, "--follow"]),
    ]
    if (home.root / "publication.yaml").exists():
        out.append(Spec("notify", ["notify", "--home", h, "--follow"]))
    nats = home.root / "nats.url"
    if nats.exists():
        url = nats.read_text().strip()
        out.append(Spec("feed", ["feed", "--home", h, "--nats", url, "--follow"]))
    return out


class Supervisor:
    def __init__(
        self,
        home: Home,
        children: list[Spec],
        out: IO[str] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.home = home
        self.children = [Child(s) for s in children]
        self.out = out or sys.stdout
        self.clock = clock
        self.stop = threading.Event()
        self._mu = threading.Lock()
        self.status_path = home.root / "run" / "status.json"

    # --- logging -----------------------------------------------------------------------

    def log(self, proc: str, event: str, **fields: Any) -> None:
        line = {"ts": datetime.now(UTC).isoformat(timespec="milliseconds"), "proc": proc}
        line |= {"event": event, **fields}
        with self._mu:
            self.out.write(json.dumps(line) + "\n")
            self.out.flush()

    def _pump(self, child: Child, stream: IO[bytes], name: str) -> None:
        for raw in stream:
            self.log(child.spec.name, name, line=raw.decode("utf-8", "replace").rstrip("\n"))

    def write_status(self) -> None:
        self.status_path.parent.mkdir(parents=True, exist_ok=True)
        status = {
            "pid": os.getpid(),
            "updated": datetime.now(UTC).isoformat(timespec="seconds"),
            "children": {c.spec.name: c.state() for c in self.children},
        }
        tmp = self.status_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(status, indent=1))
        os.replace(tmp, self.status_path)

    # --- children ----------------------------------------------------------------------

    def start(self, child: Child) -> None:
        cmd = [sys.executable, "-m", "truceline.cli", *child.spec.args]
        child.proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
        )
        child.started = self.clock()
        assert child.proc.stdout is not None and child.proc.stderr is not None
        child.threads = [
            threading.Thread(target=self._pump, args=(child, s, n), daemon=True)
            for s, n in ((child.proc.stdout, "stdout"), (child.proc.stderr, "stderr"))
        ]
        for t in child.threads:
            t.start()
        self.log(child.spec.name, "started", pid=child.proc.pid, restarts=child.restarts)

    def reap(self, child: Child) -> None:
        """A child that exited: log it and schedule its restart after its backoff."""
        assert child.proc is not None
        code = child.proc.returncode
        ran = self.clock() - child.started
        child.failures = 0 if ran >= STABLE_S else child.failures + 1
        delay = BACKOFF_S[min(child.failures, len(BACKOFF_S)) - 1] if child.failures else 0.0
        child.last_exit = code
        child.next_start = self.clock() + delay
        child.proc = None
        self.log(child.spec.name, "exited", code=code, ran_s=round(ran, 1), restart_in_s=delay)

    def run(self, poll_s: float = 0.2) -> int:
        for child in self.children:
            self.start(child)
        self.write_status()
        while not self.stop.wait(poll_s):
            changed = False
            for child in self.children:
                if child.proc is not None and child.proc.poll() is not None:
                    self.reap(child)
                    changed = True
                if child.proc is None and self.clock() >= child.next_start:
                    child.restarts += 1
                    self.start(child)
                    changed = True
            if changed:
                self.write_status()
        self.shutdown()
        return 0

    def shutdown(self) -> None:
        live = [c for c in self.children if c.proc is not None and c.proc.poll() is None]
        for child in live:
            assert child.proc is not None
            child.proc.send_signal(signal.SIGTERM)
        deadline = self.clock() + STOP_GRACE_S
        for child in live:
            assert child.proc is not None
            try:
                child.proc.wait(max(0.0, deadline - self.clock()))
            except subprocess.TimeoutExpired:
                child.proc.kill()
                child.proc.wait()
            self.log(child.spec.name, "stopped", code=child.proc.returncode)
        for child in self.children:
            for t in child.threads:
                t.join(1.0)
        self.status_path.unlink(missing_ok=True)
        self.log("run", "stopped")


def run(home: Home, host: str, port: int) -> int:
    home.require_log()
    sup = Supervisor(home, specs(home, host, port))
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: sup.stop.set())
    sup.log("run", "starting", home=str(home.root), children=[c.spec.name for c in sup.children])
    return sup.run()


def status(home: Home) -> dict[str, Any] | None:
    """What the supervisor last wrote (None when no `truceline run` is supervising)."""
    path = home.root / "run" / "status.json"
    try:
        got: dict[str, Any] = json.loads(path.read_text())
        return got
    except (OSError, ValueError):
        return None
