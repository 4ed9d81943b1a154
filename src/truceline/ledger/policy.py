"""c2sp.org/tlog-policy: which logs and witnesses to trust, and the cosigning quorum.

    log <vkey> [<url>]
    witness <name> <vkey> [<url>]
    group <name> <all|any|k> <member>...
    quorum <name|none>

Names are local to the file; witnesses and groups share one namespace, and a
group or the quorum may only name what an earlier line defined, so groups
nest without cycles. Each name may be a group member at most once in the
whole file, so a witness counts towards the quorum in only one way.

`PolicyBuilder` makes the same checks for policies assembled in code, e.g.
"2 of party A's witnesses AND 2 of party B's AND any guarantor's" (see
`party_quorum`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from truceline.errors import TrucelineError
from truceline.ledger import note as notes
from truceline.ledger.checkpoint import Checkpoint

NONE = "none"
LOG_TYPES = frozenset({notes.ALG_ED25519, notes.ALG_MLDSA44_COSIGNATURE})
WITNESS_TYPES = frozenset({notes.ALG_COSIGNATURE_V1, notes.ALG_MLDSA44_COSIGNATURE})
_THRESHOLD = re.compile(r"0|[1-9][0-9]*")
_WS = re.compile(r"[ \t]+")


class PolicyError(TrucelineError, ValueError):
    """A policy file or builder call is invalid; the message names the line or item."""


class QuorumError(PolicyError):
    """A checkpoint verified, but its cosignatures do not satisfy the quorum."""


@dataclass(frozen=True)
class Log:
    verifier: notes.Verifier
    url: str | None = None


@dataclass(frozen=True)
class Witness:
    name: str
    verifier: notes.Verifier
    url: str | None = None


@dataclass(frozen=True)
class Group:
    name: str
    threshold: int
    members: tuple[str, ...]
    spelling: str = ""
    """How the threshold was written (`all`, `any` or k), kept for `Policy.format`."""


@dataclass(frozen=True)
class Verified:
    """What `Policy.verify` established about a signed checkpoint."""

    checkpoint: Checkpoint
    note: notes.Note
    log: Log
    witnesses: frozenset[str]
    """Local names of the witnesses whose cosignatures verified."""


@dataclass
class Policy:
    logs: tuple[Log, ...] = ()
    witnesses: dict[str, Witness] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)
    quorum: str = NONE

    @classmethod
    def parse(cls, text: str | bytes) -> Policy:
        """Parse a policy file; errors name the line number."""
        if isinstance(text, str):
            text = text.encode()
        for i, b in enumerate(text):
            if b < 0x20 and b not in (0x09, 0x0A) or b == 0x7F:
                line = text.count(b"\n", 0, i) + 1
                raise PolicyError(f"line {line}: control character 0x{b:02x}")
        builder = PolicyBuilder()
        for lineno, raw in enumerate(text.decode("utf-8", "surrogateescape").split("\n"), 1):
            fields = _WS.split(raw.strip(" \t"))
            if fields == [""] or fields[0].startswith("#"):
                continue
            try:
                builder.line(fields)
            except PolicyError as e:
                raise PolicyError(f"line {lineno}: {e}") from None
        return builder.build()

    def format(self) -> str:
        out = [f"log {lg.verifier.vkey}" + (f" {lg.url}" if lg.url else "") for lg in self.logs]
        for w in self.witnesses.values():
            out.append(f"witness {w.name} {w.verifier.vkey}" + (f" {w.url}" if w.url else ""))
        # All witnesses first, then groups in definition order (dicts keep it), so
        # every name is defined before it is used.
        for g in self.groups.values():
            out.append(f"group {g.name} {g.spelling or g.threshold} {' '.join(g.members)}")
        out.append(f"quorum {self.quorum}")
        return "".join(line + "\n" for line in out)

    def witnessed(self, name: str, cosigned: frozenset[str] | set[str]) -> bool:
        """Whether witness or group `name` has witnessed, given the witnesses that cosigned."""
        if name == NONE:
            return True
        if name in self.witnesses:
            return name in cosigned
        g = self.groups[name]
        return sum(self.witnessed(m, cosigned) for m in g.members) >= g.threshold

    def without_witness_urls(self) -> Policy:
        """The same policy with no witness URLs: who must cosign is public, where they listen need not be."""
        return replace(self, witnesses={n: replace(w, url=None) for n, w in self.witnesses.items()})

    def verifiers(self) -> list[notes.Verifier]:
        return [lg.verifier for lg in self.logs] + [w.verifier for w in self.witnesses.values()]

    def verify(self, signed: bytes, origin: str | None = None) -> Verified:
        """Open a signed checkpoint: a listed log must have signed it and the quorum cosigned it.

        As signed-note asks, a known key (log or witness) whose signature fails
        rejects the note. The log's key name must equal the checkpoint origin.
        """
        n = notes.open(signed, self.verifiers())
        cp = Checkpoint.parse(n.text)
        if origin is not None and cp.origin != origin:
            raise PolicyError(f"checkpoint origin {cp.origin!r}, want {origin!r}")
        by_id = {(lg.verifier.name, lg.verifier.key_id): lg for lg in self.logs}
        logs = [by_id[(s.name, s.key_id)] for s in n.signatures if (s.name, s.key_id) in by_id]
        logs = [lg for lg in logs if lg.verifier.name == cp.origin]
        if not logs:
            raise PolicyError(f"no signature by a policy log for origin {cp.origin!r}")
        wit_by_id = {(w.verifier.name, w.verifier.key_id): w.name for w in self.witnesses.values()}
        cosigned = frozenset(
            wit_by_id[(s.name, s.key_id)] for s in n.signatures if (s.name, s.key_id) in wit_by_id
        )
        if not self.witnessed(self.quorum, cosigned):
            raise QuorumError(
                f"quorum {self.quorum!r} not satisfied; cosigned by {sorted(cosigned) or 'no witness'}"
            )
        return Verified(cp, n, logs[0], cosigned)

    def verify_checkpoint(self, signed: bytes, origin: str | None = None) -> Checkpoint:
        """`verify`, returning just the checkpoint."""
        return self.verify(signed, origin).checkpoint


def _vkey(s: str, allowed: frozenset[int], role: str) -> notes.Verifier:
    try:
        v = notes.parse_vkey(s)
    except notes.KeyFormatError as e:
        raise PolicyError(f"{role} vkey: {e}") from None
    if v.alg not in allowed:
        raise PolicyError(
            f"{role} vkey {v.name}: signature type 0x{v.alg:02x} is not a {role} type"
        )
    return v


class PolicyBuilder:
    """Assemble a policy line by line (or from code) with the spec's checks."""

    def __init__(self) -> None:
        self._logs: list[Log] = []
        self._witnesses: dict[str, Witness] = {}
        self._groups: dict[str, Group] = {}
        self._used_as_member: set[str] = set()
        self._quorum: str | None = None

    def line(self, fields: Sequence[str]) -> None:
        kw, args = fields[0], list(fields[1:])
        if kw == "log" and len(args) in (1, 2):
            self.log(args[0], args[1] if len(args) == 2 else None)
        elif kw == "witness" and len(args) in (2, 3):
            self.witness(args[0], args[1], args[2] if len(args) == 3 else None)
        elif kw == "group" and len(args) >= 3:
            self.group(args[0], args[1], args[2:])
        elif kw == "quorum" and len(args) == 1:
            self.quorum(args[0])
        elif kw in ("log", "witness", "group", "quorum"):
            raise PolicyError(f"{kw}: wrong number of fields ({len(args)})")
        else:
            raise PolicyError(f"unknown keyword {kw!r}")

    def log(self, vkey: str, url: str | None = None) -> PolicyBuilder:
        v = _vkey(vkey, LOG_TYPES, "log")
        if any(lg.verifier.public_key == v.public_key for lg in self._logs):
            raise PolicyError(f"log {v.name}: duplicate log key")
        self._logs.append(Log(v, url))
        return self

    def _check_new_name(self, name: str) -> None:
        if name == NONE:
            raise PolicyError(f"name {NONE!r} is reserved")
        if name in self._witnesses or name in self._groups:
            raise PolicyError(f"name {name!r} already defined")

    def witness(self, name: str, vkey: str, url: str | None = None) -> PolicyBuilder:
        self._check_new_name(name)
        v = _vkey(vkey, WITNESS_TYPES, "witness")
        if any(w.verifier.public_key == v.public_key for w in self._witnesses.values()):
            raise PolicyError(f"witness {name}: duplicate witness key")
        self._witnesses[name] = Witness(name, v, url)
        return self

    def group(self, name: str, threshold: str | int, members: Iterable[str]) -> PolicyBuilder:
        self._check_new_name(name)
        members = tuple(members)
        if not members:
            raise PolicyError(f"group {name}: needs at least one member")
        for m in members:
            if m == NONE:
                raise PolicyError(f"group {name}: {NONE!r} cannot be a member")
            if m not in self._witnesses and m not in self._groups:
                raise PolicyError(f"group {name}: member {m!r} is not defined on an earlier line")
        if len(set(members)) != len(members) or self._used_as_member & set(members):
            dup = sorted(set(members) & self._used_as_member) or sorted(
                m for m in members if members.count(m) > 1
            )
            raise PolicyError(f"group {name}: {dup} already used as a group member")
        spelling = str(threshold)
        if threshold == "all":
            k = len(members)
        elif threshold == "any":
            k = 1
        elif isinstance(threshold, int) or _THRESHOLD.fullmatch(threshold):
            k = int(threshold)
        else:
            raise PolicyError(f"group {name}: threshold {threshold!r} is not all, any or a decimal")
        if not 1 <= k <= len(members):
            raise PolicyError(f"group {name}: threshold {k} not in 1..{len(members)}")
        self._used_as_member.update(members)
        self._groups[name] = Group(name, k, members, spelling)
        return self

    def quorum(self, name: str) -> PolicyBuilder:
        if self._quorum is not None:
            raise PolicyError("quorum: defined twice")
        if name != NONE and name not in self._witnesses and name not in self._groups:
            raise PolicyError(f"quorum: {name!r} is not defined on an earlier line")
        self._quorum = name
        return self

    def build(self) -> Policy:
        if self._quorum is None:
            raise PolicyError("quorum: missing (use 'quorum none' for no cosigning)")
        return Policy(tuple(self._logs), dict(self._witnesses), dict(self._groups), self._quorum)


@dataclass(frozen=True)
class Party:
    """A set of witnesses run by one party, of which `threshold` must cosign."""

    name: str
    threshold: str | int
    witnesses: Sequence[tuple[str, str]]
    """(local witness name, vkey) pairs."""


def party_quorum(
    log_vkeys: Sequence[str], parties: Sequence[Party], quorum_name: str = "quorum"
) -> Policy:
    """A policy requiring every party's threshold at once (an `all` group over per-party groups).

    For example `[Party("A", 2, a), Party("B", 2, b), Party("guarantors", "any", g)]`.
    """
    b = PolicyBuilder()
    for vkey in log_vkeys:
        b.log(vkey)
    for p in parties:
        for wname, vkey in p.witnesses:
            b.witness(wname, vkey)
        b.group(p.name, p.threshold, [w for w, _ in p.witnesses])
    b.group(quorum_name, "all", [p.name for p in parties])
    b.quorum(quorum_name)
    return b.build()
