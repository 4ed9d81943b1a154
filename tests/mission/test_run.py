"""`truceline run` as a real process tree: it starts the mission's processes, restarts one
that is killed, reports readiness, and stops every child on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from tests.served_home import free_port
from tests.simulated_home import Mission

BOUND_S = 120  # bounds a hang; nothing here measures speed


def _get(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _wait(what: str, check: Any) -> Any:
    deadline = time.monotonic() + BOUND_S
    while time.monotonic() < deadline:
        try:
            got = check()
        except OSError:
            got = None
        if got:
            return got
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def mission(simulated_mission: Mission, tmp_path: Path) -> Mission:
    import shutil

    shutil.copytree(simulated_mission.home, tmp_path / "home")
    return Mission(tmp_path / "home", simulated_mission.sim)


def test_run_supervises_restarts_and_stops(mission: Mission, tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = (tmp_path / "run.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "truceline.cli", "run", "--home", mission.h, "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    status_file = mission.home / "run" / "status.json"
    try:
        code, body = _wait("readiness", lambda: (r := _get(f"{base}/readyz"))[0] == 200 and r)
        assert body["status"] == "ready" and body["log_size"] > 0
        children = body["children"]
        assert set(children) == {"api", "adjudicate", "enforce"}
        assert _get(f"{base}/healthz") == (200, {"status": "ok"})

        # kill -9 one child: the supervisor restarts it, with a new pid.
        victim = children["enforce"]["pid"]
        os.kill(victim, signal.SIGKILL)
        restarted = _wait(
            "the restart",
            lambda: (
                (s := json.loads(status_file.read_text()))["children"]["enforce"]["restarts"] == 1
                and s["children"]["enforce"]["state"] == "running"
                and s
            ),
        )
        assert restarted["children"]["enforce"]["pid"] != victim
        assert restarted["children"]["enforce"]["last_exit"] == -signal.SIGKILL
        _wait("readiness again", lambda: _get(f"{base}/readyz")[0] == 200)
        pids = [c["pid"] for c in restarted["children"].values()]

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(BOUND_S) == 0
        assert not any(_alive(p) for p in pids)
        assert not status_file.exists()
    finally:
        if proc.poll() is None:
            proc.kill()
        log.close()
    lines = [json.loads(line) for line in (tmp_path / "run.log").read_text().splitlines()]
    events = [(e["proc"], e["event"]) for e in lines]
    assert ("enforce", "exited") in events and ("run", "stopped") in events
    assert all({"ts", "proc", "event"} <= set(e) for e in lines)
