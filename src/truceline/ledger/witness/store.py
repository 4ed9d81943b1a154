"""What a witness remembers: trusted log keys, the latest cosigned checkpoint per
origin, and evidence of misbehaviour.

Several witnesses may share one database, so every row names its witness.
The one security-critical write, `advance`, is a compare-and-swap: it moves a
log from the exact (size, root) the request was checked against to the new
checkpoint in a single UPDATE, so two requests checked against the same old
state can never both be cosigned (tlog-witness's rollback race).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Engine,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    Update,
    bindparam,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from truceline.errors import TrucelineError
from truceline.store.base import Base


class WitnessLogRow(Base):
    __tablename__ = "witness_logs"

    witness: Mapped[str] = mapped_column(String(255), primary_key=True)
    origin: Mapped[str] = mapped_column(String(1024), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    # None until the first checkpoint is cosigned (the spec's "zero if never cosigned").
    root: Mapped[bytes | None] = mapped_column(LargeBinary(32), nullable=True)
    # The latest cosigned checkpoint note, with this witness's cosignature appended.
    checkpoint: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    updated_at: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)


class WitnessLogKeyRow(Base):
    __tablename__ = "witness_log_keys"

    witness: Mapped[str] = mapped_column(String(255), primary_key=True)
    origin: Mapped[str] = mapped_column(String(1024), primary_key=True)
    vkey: Mapped[str] = mapped_column(String(4096), primary_key=True)


class WitnessEvidenceRow(Base):
    __tablename__ = "witness_evidence"
    __table_args__ = (UniqueConstraint("witness", "origin", "digest"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    witness: Mapped[str] = mapped_column(String(255), nullable=False)
    origin: Mapped[str] = mapped_column(String(1024), nullable=False)
    kind: Mapped[str] = mapped_column(String(64), nullable=False)
    # Both notes verbatim with their log signatures: the evidence stands on its own.
    seen: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    offered: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    old_size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    proof: Mapped[str] = mapped_column(Text, nullable=False, default="")
    detail: Mapped[str] = mapped_column(Text, nullable=False, default="")
    observed_at: Mapped[int] = mapped_column(BigInteger, nullable=False)
    digest: Mapped[str] = mapped_column(String(64), nullable=False)


# Built once: add-checkpoint is the hot path, and building SQLAlchemy
# expressions per request costs more than running them.
_LOGS: Table = WitnessLogRow.__table__  # type: ignore[assignment]
_KEYS: Table = WitnessLogKeyRow.__table__  # type: ignore[assignment]
_SELECT_KEYS = (
    select(_KEYS.c.vkey)
    .where(_KEYS.c.witness == bindparam("w"), _KEYS.c.origin == bindparam("o"))
    .order_by(_KEYS.c.vkey)
)
_SELECT_STATE = select(_LOGS.c.size, _LOGS.c.root, _LOGS.c.checkpoint).where(
    _LOGS.c.witness == bindparam("w"), _LOGS.c.origin == bindparam("o")
)
_SET_NEW: dict[str, Any] = {
    "size": bindparam("new_size"),
    "root": bindparam("new_root"),
    "checkpoint": bindparam("new_checkpoint"),
    "updated_at": bindparam("now"),
}


def _advance(root_is_old: ColumnElement[bool]) -> Update:
    """Compare-and-swap of a log's state: only if size and root are still the old ones."""
    return (
        update(_LOGS)
        .where(
            _LOGS.c.witness == bindparam("w"),
            _LOGS.c.origin == bindparam("o"),
            _LOGS.c.size == bindparam("old_size"),
            root_is_old,
        )
        .values(**_SET_NEW)
    )


_ADVANCE = _advance(_LOGS.c.root == bindparam("old_root"))
_ADVANCE_FIRST = _advance(_LOGS.c.root.is_(None))  # the first checkpoint: no root yet


@dataclass(frozen=True)
class LogState:
    origin: str
    size: int
    root: bytes | None
    checkpoint: bytes | None


@dataclass(frozen=True)
class Evidence:
    id: int
    origin: str
    kind: str
    seen: bytes
    offered: bytes
    old_size: int
    proof: tuple[bytes, ...]
    detail: str
    observed_at: int


class UnknownLog(TrucelineError, LookupError):
    pass


class WitnessStore:
    def __init__(self, engine: Engine, witness: str) -> None:
        self.engine = engine
        self.witness = witness
        # The engine may have been opened before this module was imported.
        Base.metadata.create_all(engine, tables=[_LOGS, _KEYS, WitnessEvidenceRow.__table__])  # type: ignore[list-item]

    # --- configuration ---------------------------------------------------

    def add_log(self, origin: str, vkey: str, now: int = 0) -> None:
        """Trust `vkey` for `origin`; the first key for an origin starts it at size 0."""
        with self.engine.begin() as conn:
            exists = conn.execute(
                select(WitnessLogRow.size).where(
                    WitnessLogRow.witness == self.witness, WitnessLogRow.origin == origin
                )
            ).first()
            if exists is None:
                conn.execute(
                    insert(WitnessLogRow).values(
                        witness=self.witness,
                        origin=origin,
                        size=0,
                        root=None,
                        checkpoint=None,
                        updated_at=now,
                    )
                )
            have = conn.execute(
                select(WitnessLogKeyRow.vkey).where(
                    WitnessLogKeyRow.witness == self.witness,
                    WitnessLogKeyRow.origin == origin,
                    WitnessLogKeyRow.vkey == vkey,
                )
            ).first()
            if have is None:
                conn.execute(
                    insert(WitnessLogKeyRow).values(witness=self.witness, origin=origin, vkey=vkey)
                )

    def keys(self, origin: str) -> list[str]:
        with self.engine.connect() as conn:
            return [r[0] for r in conn.execute(_SELECT_KEYS, {"w": self.witness, "o": origin})]

    def lookup(self, origin: str) -> tuple[list[str], LogState | None]:
        """The trusted keys and the state of `origin`, in one round trip to the pool."""
        with self.engine.connect() as conn:
            keys = [r[0] for r in conn.execute(_SELECT_KEYS, {"w": self.witness, "o": origin})]
            row = conn.execute(_SELECT_STATE, {"w": self.witness, "o": origin}).first()
        state = None if row is None else LogState(origin, row.size, row.root, row.checkpoint)
        return keys, state

    def logs(self) -> list[LogState]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(WitnessLogRow.__table__)
                .where(WitnessLogRow.witness == self.witness)
                .order_by(WitnessLogRow.origin)
            )
            return [LogState(r.origin, r.size, r.root, r.checkpoint) for r in rows]

    # --- state -----------------------------------------------------------

    def state(self, origin: str) -> LogState:
        with self.engine.connect() as conn:
            row = conn.execute(_SELECT_STATE, {"w": self.witness, "o": origin}).first()
        if row is None:
            raise UnknownLog(origin)
        return LogState(origin, row.size, row.root, row.checkpoint)

    def advance(self, old: LogState, size: int, root: bytes, checkpoint: bytes, now: int) -> bool:
        """Compare-and-swap the log from `old` to the new checkpoint; False if it moved meanwhile."""
        params = {
            "w": self.witness,
            "o": old.origin,
            "old_size": old.size,
            "old_root": old.root,
            "new_size": size,
            "new_root": root,
            "new_checkpoint": checkpoint,
            "now": now,
        }
        stmt = _ADVANCE_FIRST if old.root is None else _ADVANCE
        with self.engine.begin() as conn:
            return conn.execute(stmt, params).rowcount == 1

    # --- evidence --------------------------------------------------------

    def record_evidence(
        self,
        origin: str,
        kind: str,
        seen: bytes,
        offered: bytes,
        old_size: int,
        proof: Sequence[bytes],
        detail: str,
        now: int,
    ) -> bool:
        """Keep two signed checkpoints that disagree; False if this pair was already kept."""
        digest = hashlib.sha256(kind.encode() + b"\0" + seen + b"\0" + offered).hexdigest()
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(WitnessEvidenceRow).values(
                        witness=self.witness,
                        origin=origin,
                        kind=kind,
                        seen=seen,
                        offered=offered,
                        old_size=old_size,
                        proof="\n".join(base64.b64encode(h).decode() for h in proof),
                        detail=detail,
                        observed_at=now,
                        digest=digest,
                    )
                )
        except IntegrityError:
            return False
        return True

    def evidence(self) -> list[Evidence]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(WitnessEvidenceRow.__table__)
                .where(WitnessEvidenceRow.witness == self.witness)
                .order_by(WitnessEvidenceRow.id)
            )
            return [
                Evidence(
                    r.id,
                    r.origin,
                    r.kind,
                    r.seen,
                    r.offered,
                    r.old_size,
                    tuple(base64.b64decode(p) for p in r.proof.split("\n") if p),
                    r.detail,
                    r.observed_at,
                )
                for r in rows
            ]
