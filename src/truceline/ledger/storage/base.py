"""Where a tile log keeps its bytes: the interface every storage driver implements.

The log (`TileLog`), its readers, the `/log/` router and the auditor see a
storage only through this class; the drivers (`posix.PosixStorage`,
`postgres.PostgresStorage`) sit side by side behind it, as Tessera's and
Sunlight's do.

Two kinds of objects:

* public objects, named by their c2sp.org/tlog-tiles path relative to the log
  root: `checkpoint`, `tile/<L>/<N>[.p/<W>]`, `tile/entries/<N>[.p/<W>]`;
* private state of the writer, by name: `treeState` (the commit point) and
  `log.json` (the origin). Never served.

Crash-safety contract, which the log's recovery relies on (see tilelog.py):

* `write_all` returns only when every object is durable. A crash during it
  leaves, per level, a prefix of the list in place (POSIX) or nothing (a
  transactional driver); never a torn object;
* `put` and `put_state` replace one object atomically and durably: a reader sees
  the old bytes or the new ones;
* `lock` excludes every other writer, in this or another process, until the
  block ends or the holder dies (kill -9 included);
* `discard_beyond(size)` removes what a dead batch wrote past `size`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractContextManager

from truceline.errors import TrucelineError

CHECKPOINT = "checkpoint"
TREE_STATE = "treeState"
LOG_CONFIG = "log.json"


class StorageError(TrucelineError, RuntimeError):
    """The tile storage cannot be reached, configured or written."""

    code = "storage"
    hint = (
        "check HOME/log.storage (a directory, or a postgresql+psycopg:// URL whose schema "
        "exists) and that the database answers"
    )


class TileStorage(ABC):
    """The bytes of one tile log. Implementations must be safe to use from several threads."""

    where: str
    """Where the log lives, for messages: a directory, or a database and schema."""

    # --- public objects ------------------------------------------------------------

    @abstractmethod
    def get(self, rel: str) -> bytes | None:
        """The object at `rel`, or None when there is none."""

    @abstractmethod
    def partial_widths(self, full_rel: str) -> list[int]:
        """Widths W of the partial versions `full_rel.p/W` stored, widest first."""

    @abstractmethod
    def write_all(self, files: Sequence[tuple[str, bytes]]) -> None:
        """Store every (path, bytes); durable on return (see the module's contract)."""

    @abstractmethod
    def put(self, rel: str, data: bytes) -> None:
        """Replace one object atomically and durably (the checkpoint)."""

    def stamp(self, rel: str) -> object | None:
        """A token that changes whenever `rel` is replaced, or None when the driver has none
        (the caller then reads the object and compares bytes)."""
        return None

    @abstractmethod
    def drop_partials(self, full_rels: Sequence[str]) -> None:
        """Delete the partial versions of tiles and bundles whose full versions are stored
        (tlog-tiles allows it; losing this to a crash only leaves them for later)."""

    @abstractmethod
    def discard_beyond(self, size: int) -> None:
        """Delete tiles and bundles (and temporary leftovers) past a tree of `size`."""

    # --- the writer's private state ----------------------------------------------

    @abstractmethod
    def get_state(self, name: str) -> bytes | None: ...

    @abstractmethod
    def put_state(self, name: str, data: bytes) -> None:
        """Replace a state object atomically and durably (`treeState` is the commit point)."""

    @abstractmethod
    def lock(self) -> AbstractContextManager[None]:
        """Exclusive writer lock, dropped when the holder exits or dies."""

    # --- life cycle ------------------------------------------------------------------

    @abstractmethod
    def is_empty(self) -> bool:
        """True when no log was created here (a new log may be)."""

    @abstractmethod
    def prepare(self) -> None:
        """Make the place (directories, tables) a new log needs; idempotent."""

    def forget_cached(self) -> None:  # noqa: B027 - optional hook
        """Another process may have changed the layout (recovery): drop layout caches."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections and threads."""
