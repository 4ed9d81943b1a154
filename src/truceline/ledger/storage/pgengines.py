"""One pair of SQLAlchemy engines per PostgreSQL URL per process, shared by every driver.

Every `Home.reader()` opens a `PostgresStorage`. With an engine each, a process that opens
readers as it goes (a server answering each request with a reader of its own, a follower
that is never closed) made new connection pools, and so new server connections and
their TCP and authentication round trips, per reader. Here a URL's engines are made once
per process and lent to each driver on it (`acquire`), which gives them back on `close`
(`release`): the connections stay in one pool, at most its size whatever the number of
drivers.

A URL no driver holds any more keeps its engines, and their idle connections, while it
is one of the `IDLE_KEPT` most recently used: the next reader of a busy home finds its
connections open. Older idle ones are disposed (their connections closed), as is every
idle one by `dispose_idle` and at exit. Keyed by process id too: a forked child makes its
own engines, never using its parent's connections.
"""

from __future__ import annotations

import atexit
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import Engine

IDLE_KEPT = 4  # URLs whose engines stay open with no driver on them


@dataclass
class Engines:
    writes: Engine  # transactions and the writer's lock (pinged before use)
    reads: Engine  # one-statement reads in autocommit: one round trip each
    users: int = 0
    prepared: bool = False  # the log's tables are known to exist


_lock = threading.Lock()
_engines: OrderedDict[tuple[int, str], Engines] = OrderedDict()


def acquire(url: str) -> Engines:
    """The engines for `url` in this process, made on first use; `release` when done."""
    key = (os.getpid(), url)
    with _lock:
        got = _engines.get(key)
        if got is None:
            got = _engines[key] = Engines(
                sa.create_engine(url, pool_pre_ping=True),
                # A connection the server dropped fails one read and is replaced
                # (SQLAlchemy invalidates the pool on disconnects).
                sa.create_engine(url, isolation_level="AUTOCOMMIT"),
            )
        _engines.move_to_end(key)
        got.users += 1
        return got


def release(url: str) -> None:
    """A driver on `url` is done with its engines; dispose those idle beyond `IDLE_KEPT`."""
    key = (os.getpid(), url)
    with _lock:
        got = _engines.get(key)
        if got is None or got.users == 0:
            return
        got.users -= 1
        idle = [k for k, e in _engines.items() if e.users == 0 and k[0] == key[0]]
        gone = [_engines.pop(k) for k in idle[: max(0, len(idle) - IDLE_KEPT)]]
    _dispose(gone)


def dispose_idle() -> int:
    """Dispose every engine of this process no driver holds; how many URLs that was."""
    pid = os.getpid()
    with _lock:
        idle = [k for k, e in _engines.items() if e.users == 0 and k[0] == pid]
        gone = [_engines.pop(k) for k in idle]
    _dispose(gone)
    return len(gone)


def _dispose(gone: list[Engines]) -> None:
    for engines in gone:
        engines.writes.dispose()
        engines.reads.dispose()


atexit.register(dispose_idle)
