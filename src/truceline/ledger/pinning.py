"""What a mirror trusts: the log's verifier key and its witness policy, pinned in the mirror home.

Given on the command line (`--vkey FILE`, `--policy FILE`) they are checked and
pinned; absent on the first run, they are fetched from the server
(`<url>/vkey`, `<url>/policy`) and pinned with a loud warning: trust on first
use, since whoever controls that server or the network on the way could have
substituted them. Later runs use the pins and refuse a different given key or
policy: a log's key does not change, and a pin is removed only by hand.
"""

from __future__ import annotations

from truceline.home import Home
from truceline.ledger import note
from truceline.ledger.durable import write_atomic
from truceline.ledger.fetch import TileFetcher
from truceline.ledger.mirror import MirrorError
from truceline.ledger.policy import Policy, PolicyError

TOFU_KEY = (
    "WARNING: TRUST ON FIRST USE of the log key served at {url}: {vkey}\n"
    "  Anyone who controls that server, or the network on the way, could have served their own "
    "key. Compare it with the key the mission publishes elsewhere (agreement, website, a party "
    "you trust); it is pinned in {path} and every later run checks against it."
)
TOFU_POLICY = (
    "WARNING: TRUST ON FIRST USE of the witness policy served at {url}, pinned in {path}:\n"
    "{policy}  Check its witnesses and quorum with the parties; a server could serve a weaker one."
)
NO_POLICY = (
    "WARNING: no witness policy pinned ({path}): checkpoints are checked against the log key "
    "alone, so its holder could rewrite history for everyone who starts from this copy. The "
    "mirror still refuses any checkpoint that does not extend the one it verified last."
)


def _vkey(text: str, where: str) -> note.Verifier:
    try:
        return note.parse_vkey(text.strip())
    except note.NoteError as exc:
        raise MirrorError(f"{where}: not a signed-note verifier key: {exc}") from exc


def _policy(data: bytes, where: str, log: note.Verifier) -> Policy:
    try:
        policy = Policy.parse(data)
    except PolicyError as exc:
        raise MirrorError(f"{where}: {exc}") from exc
    if not any(lg.verifier.vkey == log.vkey for lg in policy.logs):
        raise MirrorError(f"{where}: names no `log` line with the log key {log.vkey}")
    return policy


def pin(
    home: Home, fetcher: TileFetcher, vkey: str | None = None, policy: bytes | None = None
) -> list[str]:
    """Pin the given (or, on the first run, the served) key and policy; returns the warnings.

    Everything is fetched and checked before anything is written.
    """
    warnings: list[str] = []
    first = not home.log_vkey.exists()
    pinned = None if first else _vkey(home.log_vkey.read_text(), str(home.log_vkey))
    if vkey is not None:
        log = _vkey(vkey, "--vkey")
        if pinned is not None and pinned.vkey != log.vkey:
            raise MirrorError(
                f"--vkey {log.vkey} is not the key pinned in {home.log_vkey} ({pinned.vkey}); "
                "a log's key does not change (remove the pin by hand only if you know why it did)"
            )
    elif pinned is not None:
        log = pinned
    else:
        served = fetcher.get("vkey")
        if served is None:
            raise MirrorError(fetcher.not_found("vkey", "no log key; give it with --vkey FILE"))
        log = _vkey(served.decode("utf-8", "replace"), fetcher.url("vkey"))
        warnings.append(TOFU_KEY.format(url=fetcher.url("vkey"), vkey=log.vkey, path=home.log_vkey))

    new_policy: Policy | None = None
    if policy is not None:
        new_policy = _policy(policy, "--policy", log).without_witness_urls()
        if home.policy.exists():
            old = _policy(home.policy.read_bytes(), str(home.policy), log)
            if old.format() != new_policy.format():
                raise MirrorError(
                    f"--policy differs from the policy pinned in {home.policy} (remove the pin "
                    "by hand only if the parties changed it)"
                )
            new_policy = None  # already pinned
    elif first and not home.policy.exists():
        served = fetcher.get("policy")
        if served is not None:
            new_policy = _policy(served, fetcher.url("policy"), log).without_witness_urls()
            warnings.append(
                TOFU_POLICY.format(
                    url=fetcher.url("policy"), path=home.policy, policy=new_policy.format()
                )
            )

    home.root.mkdir(parents=True, exist_ok=True)
    if pinned is None:
        write_atomic(home.log_vkey, (log.vkey + "\n").encode())
    if new_policy is not None:
        write_atomic(home.policy, new_policy.format().encode())
    if not home.policy.exists():
        warnings.append(NO_POLICY.format(path=home.policy))
    return warnings
