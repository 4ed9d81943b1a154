"""Fixtures for the interop tests: the Go verifier binary, a static file server, and one
log built through the `truceline log` CLI (run as a subprocess: nothing here imports
Truceline, so the verifiers check what the program wrote, from the specs alone)."""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
GO_SRC = Path(__file__).resolve().parent / "go"
XMOD = Path("/usr/share/gocode")
ORIGIN = "interop.example.org/truceline/log"

# Batch sizes crossing tile boundaries: tree sizes 1, 256, 512, 769, 1369 and 65869
# (one full level-1 tile, so a level-2 partial tile of width 1).
BATCHES = (1, 255, 256, 257, 600, 64500)


def truceline(
    *args: str | Path, check: bool = True, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the `truceline` CLI of this checkout in a child process."""
    proc = subprocess.run(
        [sys.executable, "-m", "truceline.cli", *map(str, args)],
        capture_output=True,
        text=True,
        env={**os.environ},
        timeout=600,
        cwd=cwd,
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"truceline {' '.join(map(str, args))} exited {proc.returncode}:\n{proc.stderr}"
        )
    return proc


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass


@contextmanager
def serve_directory(root: Path) -> Iterator[str]:
    """Serve `root` read-only over HTTP on 127.0.0.1 (a static tlog-tiles host); yield its URL."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def _go_available() -> bool:
    return shutil.which("go") is not None and (XMOD / "src/golang.org/x/mod/sumdb/tlog").is_dir()


@pytest.fixture(scope="session")
def go_verifier(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build tests/interop/go with Debian's Go and x/mod, in GOPATH mode (no module proxy)."""
    if not _go_available():
        deps = subprocess.run(
            ["bash", str(REPO / "scripts/interop-deps")],
            capture_output=True,
            text=True,
            timeout=900,
        )
        if deps.returncode != 0 or not _go_available():
            pytest.skip(
                "Go verifier unavailable: `go` or golang.org/x/mod is missing and "
                f"scripts/interop-deps could not install them: {deps.stderr.strip()[-400:]}"
            )
    out = tmp_path_factory.mktemp("go")
    env = {
        **os.environ,
        "GO111MODULE": "off",
        "GOPATH": f"{out / 'gopath'}:{XMOD}",
        "GOCACHE": str(out / "cache"),
        "GOFLAGS": "",
        "GOPROXY": "off",
        "CGO_ENABLED": "0",
    }
    binary = out / "tlogverify"
    build = subprocess.run(
        ["go", "build", "-o", str(binary), "."],
        cwd=GO_SRC,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert build.returncode == 0, f"go build failed:\n{build.stderr}"
    return binary


def run_go(binary: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(binary), *map(str, args)], capture_output=True, text=True, timeout=300
    )


@dataclass
class Proof:
    path: Path
    data: Path
    index: int
    size: int
    """Tree size of the checkpoint the proof was made against."""


@dataclass
class InteropLog:
    home: Path
    files: dict[Path, int] = field(default_factory=dict)
    """Each appended file -> the index `log append` printed for it."""
    checkpoints: list[Path] = field(default_factory=list)
    """The checkpoint as published after `init` and after each batch, oldest first."""
    proofs: list[Proof] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    duplicate: tuple[Path, Path] | None = None
    """(file appended again with the same bytes, the file first appended with them)."""

    @property
    def log_dir(self) -> Path:
        return self.home / "log"

    @property
    def vkey(self) -> Path:
        return self.home / "log.vkey"

    def copy(self, dest: Path) -> InteropLog:
        shutil.copytree(self.home, dest)
        return InteropLog(
            dest, self.files, self.checkpoints, self.proofs, self.sizes, self.duplicate
        )


def entry_bytes(batch: int, i: int) -> bytes:
    """Mostly short text, plus edge cases: an empty entry, binary bytes, the 65,535-byte maximum."""
    if batch == 4 and i == 0:
        return b""
    if batch == 4 and i == 1:
        return bytes(range(256)) * 3
    if batch == 4 and i == 2:
        return b"\xff" * 65535
    return b"batch %d entry %d\n" % (batch, i)


def append_files(home: Path, files: list[Path], cwd: Path) -> dict[Path, int]:
    """`log append` with paths relative to `cwd` (64,500 absolute paths overflow ARG_MAX)."""
    prefix = len(str(cwd)) + 1
    rel = [str(f)[prefix:] for f in files]
    out = truceline("log", "append", "--home", home.resolve(), *rel, cwd=cwd).stdout
    printed: dict[Path, int] = {}
    for line in out.splitlines():
        name, _, idx = line.rpartition(" ")
        printed[cwd / name] = int(idx)
    return printed


@contextmanager
def scratch_dir(fallback: Path) -> Iterator[Path]:
    """A directory for the 65,869 entry files: in RAM (/dev/shm) when there is one, since
    creating that many files on a journaling disk costs more than the rest of the run."""
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK)):
        fallback.mkdir()
        yield fallback
        return
    d = Path(tempfile.mkdtemp(prefix="truceline-interop-", dir=shm))
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def interop_log(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InteropLog]:
    base = tmp_path_factory.mktemp("interop")
    with scratch_dir(base / "entries") as entries:
        yield _build_log(base, entries)


def _build_log(base: Path, entries: Path) -> InteropLog:
    log = InteropLog(base / "home")
    truceline("log", "init", "--home", log.home, "--origin", ORIGIN)
    assert log.vkey.read_text().startswith(ORIGIN + "+")
    snapshots = base / "checkpoints"
    snapshots.mkdir()

    def snapshot(size: int) -> None:
        dest = snapshots / f"checkpoint.{size}"
        shutil.copyfile(log.log_dir / "checkpoint", dest)
        log.checkpoints.append(dest)
        log.sizes.append(size)

    def prove(index: int, size: int) -> None:
        dest = base / "proofs" / f"{index}@{size}.tlog-proof"
        dest.parent.mkdir(exist_ok=True)
        dest.write_text(truceline("log", "prove", "--home", log.home, str(index)).stdout)
        data = next(
            f for f, i in log.files.items() if i == index
        )  # the first file given that index
        log.proofs.append(Proof(dest, data, index, size))

    snapshot(0)
    size = 0
    for b, count in enumerate(BATCHES):
        d = entries / f"b{b}"
        d.mkdir()
        files = []
        for i in range(count):
            name = f"{d}/e{i}"
            with open(name, "wb") as fh:
                fh.write(entry_bytes(b, i))
            files.append(Path(name))
        if b == 3:
            # The same bytes again: `log append` prints the index they already have.
            again = d / "again"
            again.write_bytes(entry_bytes(1, 7))
            files.append(again)
            log.duplicate = (again, entries / "b1" / "e7")
        printed = append_files(log.home, files, entries)
        assert list(printed) == files, (
            "log append must print one `FILE INDEX` line per file, in order"
        )
        log.files.update(printed)
        size += count
        snapshot(size)
        if b == 0:
            prove(0, size)
        if b == 2:
            prove(255, size)
    # The empty entry, the 65,535-byte one, the last of the first level-1 tile, the last.
    for index in (769, 771, 65535, size - 1):
        prove(index, size)
    return log
