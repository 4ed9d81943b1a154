"""The witness's decision for one add-checkpoint request (c2sp.org/tlog-witness).

Checks run in the spec's order and each failure carries its HTTP status:

    400  body malformed, checkpoint unparsable, or old size > checkpoint size
    404  origin unknown
    403  no signature from a trusted log key verifies (or a trusted one is bad)
    409  old size is not the size last cosigned (body: that size), or the sizes
         are equal and the roots differ
    422  the consistency proof does not verify (non-empty with old 0 included)

Only then is the new state saved, by compare-and-swap against the exact state
the request was checked against, and only after that commit is the checkpoint
cosigned. Signed checkpoints that contradict the one on record are kept as
evidence: same size with another root proves equivocation outright; a proof
that fails against the recorded root is kept with the proof so anyone can
recheck it against the log's tiles.
"""

from __future__ import annotations

import base64
import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from truceline.clock import Clock, SystemClock, unix_seconds
from truceline.errors import TrucelineError
from truceline.ledger import note as notes
from truceline.ledger.checkpoint import CheckpointError, open_checkpoint
from truceline.ledger.cosignature import CosignatureSigner
from truceline.ledger.merkle import EMPTY_ROOT, ProofError, verify_consistency
from truceline.ledger.witness.request import MalformedRequest, parse_request
from truceline.ledger.witness.store import LogState, WitnessStore

log = logging.getLogger("truceline.witness")

SAME_SIZE_DIFFERENT_ROOT = "same-size-different-root"
INCONSISTENT_PROOF = "inconsistent-proof"


def log_verifiers(vkeys: list[str]) -> list[notes.Verifier]:
    """The trusted keys of one log; a stored key that no longer parses is a configuration bug."""
    return [_parse_vkey(v) for v in vkeys]


@functools.lru_cache(maxsize=1024)
def _parse_vkey(vkey: str) -> notes.Verifier:
    return notes.parse_vkey(vkey)


def check_log_vkey(origin: str, vkey: str) -> notes.Verifier:
    """A log key to trust for `origin`: it must parse and be named after the origin."""
    verifier = notes.parse_vkey(vkey)
    if verifier.name != origin:
        raise notes.KeyFormatError(
            f"vkey: key name {verifier.name!r} must equal the origin {origin!r} (tlog-checkpoint)"
        )
    return verifier


def load_cosigner(skey: str) -> CosignatureSigner:
    """The witness's cosigning key from its skey (type 0x04, cosignature/v1)."""
    signer = notes.parse_skey(skey)
    if not isinstance(signer, CosignatureSigner):
        raise notes.KeyFormatError(
            f"skey: type 0x{signer.alg:02x} is not a cosignature/v1 (0x04) key"
        )
    return signer


class WitnessError(TrucelineError):
    status = 500


class BadRequest(WitnessError):
    status = 400


class Forbidden(WitnessError):
    status = 403


class NotFound(WitnessError):
    status = 404


class Conflict(WitnessError):
    status = 409

    def __init__(self, size: int, reason: str) -> None:
        super().__init__(reason)
        self.size = size


class BadProof(WitnessError):
    status = 422


@dataclass
class Witness:
    """One witness identity (name + cosigning key) over a state store."""

    store: WitnessStore
    signer: CosignatureSigner
    clock: Clock = field(default_factory=SystemClock)
    before_commit: Callable[[], None] | None = None
    """Test seam: runs after all checks, before the compare-and-swap."""

    @property
    def name(self) -> str:
        return self.signer.name

    @property
    def vkey(self) -> str:
        return self.signer.verifier().vkey

    def cosign(self, text: str, timestamp: int) -> bytes:
        """This witness's cosignature line (tlog-cosignature v1) over a checkpoint body."""
        raw = self.signer.sign_at(text.encode(), timestamp)
        return notes.Signature.make(self.signer.name, self.signer.key_id, raw).line.encode()

    def add_checkpoint(self, body: bytes) -> bytes:
        """Cosignature lines for the checkpoint in `body`, or a WitnessError with its status."""
        try:
            req = parse_request(body)
        except MalformedRequest as exc:
            raise BadRequest(str(exc)) from exc
        origin = req.origin
        keys, state = self.store.lookup(origin)
        if not keys or state is None:
            raise NotFound(f"unknown log origin {origin!r}")
        try:
            cp, opened = open_checkpoint(req.checkpoint, log_verifiers(keys), origin)
        except (
            notes.UnverifiedNoteError,
            notes.InvalidSignatureError,
            notes.AmbiguousKeyError,
        ) as exc:
            raise Forbidden(f"checkpoint signature: {exc}") from exc
        except (notes.NoteError, CheckpointError) as exc:
            raise BadRequest(f"checkpoint: {exc}") from exc
        text = opened.text
        if req.old > cp.size:
            raise BadRequest(f"old size {req.old} is larger than the checkpoint size {cp.size}")

        now = unix_seconds(self.clock)
        if state.root is not None and cp.size == state.size and cp.root_hash != state.root:
            self._keep_evidence(
                state,
                req.checkpoint,
                SAME_SIZE_DIFFERENT_ROOT,
                req.old,
                req.proof,
                "two signed checkpoints of one size with different roots",
                now,
            )
            raise Conflict(state.size, f"size {cp.size} was cosigned with a different root")
        if req.old != state.size:
            raise Conflict(
                state.size, f"old size {req.old} is not the latest cosigned size {state.size}"
            )
        self._check_proof(state, req.old, cp.size, cp.root_hash, req.proof, req.checkpoint, now)

        if self.before_commit is not None:
            self.before_commit()
        cosigned_line = self.cosign(text, now)
        kept = req.checkpoint + cosigned_line
        if not self.store.advance(state, cp.size, cp.root_hash, kept, now):
            latest = self.store.state(origin)
            raise Conflict(latest.size, "another request advanced this log first")
        log.info("cosigned %s at size %d (from %d)", origin, cp.size, req.old)
        return cosigned_line

    def _check_proof(
        self,
        state: LogState,
        old: int,
        size: int,
        root: bytes,
        proof: tuple[bytes, ...],
        note: bytes,
        now: int,
    ) -> None:
        if old == 0:
            # The empty tree is a prefix of every tree: nothing to prove, and a proof is an error.
            if proof:
                raise BadProof("consistency proof: must be empty when old size is 0")
            if size == 0 and root != EMPTY_ROOT:
                raise BadProof('checkpoint: a tree of size 0 has root SHA-256("")')
            return
        if state.root is None:  # old == state.size > 0 always comes with a recorded root
            raise WitnessError(f"state of {state.origin!r}: size {state.size} without a root")
        if old == size:
            if proof:
                raise BadProof("consistency proof: must be empty when old size equals the new size")
            return  # equal roots were checked by the caller
        try:
            verify_consistency(old, size, state.root, root, proof)
        except ProofError as exc:
            self._keep_evidence(state, note, INCONSISTENT_PROOF, old, proof, str(exc), now)
            raise BadProof(f"consistency proof: {exc}") from exc

    def _keep_evidence(
        self,
        state: LogState,
        offered: bytes,
        kind: str,
        old: int,
        proof: tuple[bytes, ...],
        detail: str,
        now: int,
    ) -> None:
        seen = state.checkpoint or b""
        if self.store.record_evidence(state.origin, kind, seen, offered, old, proof, detail, now):
            log.warning(
                "EVIDENCE %s for %s: recorded size %d root %s vs offered note (%s)",
                kind,
                state.origin,
                state.size,
                base64.b64encode(state.root or b"").decode(),
                detail,
            )
