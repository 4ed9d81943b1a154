"""Creating a mission home: keys, store, the log, the agreement's first version, the principals.

Called by `truceline init`. The first entries of every mission's log are:
0. the agreement, version 1, signed by the registrar (the mission signatory, by default)
   and by each signatory key given;
1. one registry record per mission principal the agreement names first in each role (the
   import gateway, the adjudicator, the enforcement appender, the publisher of reports),
   signed by the registrar.

So every key the mission signs with is introduced on the log, by a key the agreement lists,
before it signs anything: an outsider checks the chain from the log alone
(`truceline.authority`). The registrar's key must be in the agreement: if the agreement lists
no key for it, `init` makes one and writes it into version 1 (and into HOME/agreement.yaml);
if it lists some, the private key must be among the signer keys given.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import yaml

from truceline.agreement.load import agreement_json
from truceline.agreement.model import Agreement, Key, Signatory
from truceline.agreement.versions import history_from_ledger, seal_version, signer_keys_by_signatory
from truceline.clock import Clock
from truceline.codec import keys
from truceline.errors import TrucelineError
from truceline.home import Home
from truceline.ledger.home import create_log
from truceline.registry.model import Register, Sensor, SensorKind
from truceline.registry.state import seal_event
from truceline.store.base import open_store


class InitError(TrucelineError, RuntimeError):
    """The home cannot be initialised (already initialised, unreadable signer keys, ...)."""

    hint = "choose a new --home (and a new --log-storage schema), or fix the file named above"


def load_signer_keys(directory: Path, agreement: Agreement) -> dict[str, keys.Ed25519PrivateKey]:
    """<signatory-id>.key files in `directory` for the agreement's signatories."""
    out = {}
    for s in agreement.signatories:
        path = directory / f"{s.id}.key"
        if path.exists():
            out[s.id] = keys.load_private_key(path)
    if not out:
        raise InitError(
            f"{directory}: no <signatory-id>.key file for any signatory of {agreement.id!r}"
        )
    return out


def mission_operator(agreement: Agreement) -> str:
    """The registrar: the signatory whose agreement key introduces every mission key."""
    return agreement.registrars[0].id


def mission_principals(agreement: Agreement) -> list[tuple[str, SensorKind]]:
    """The principals `init` introduces: the first the agreement names in each role."""
    p = agreement.principals
    out = []
    for ids, kind in (
        (p.import_gateways, SensorKind.import_gateway),
        (p.adjudicators, SensorKind.adjudicator),
        (p.enforcers, SensorKind.enforcement),
        (p.publishers, SensorKind.publisher),
    ):
        if ids:
            out.append((ids[0], kind))
    return out


def _with_registrar_key(agreement: Agreement, key: keys.Ed25519PrivateKey) -> Agreement:
    registrar = mission_operator(agreement)
    entry = Key(public_key=keys.public_key_b64(key.public_key()))
    signatories: list[Signatory] = [
        s.model_copy(update={"keys": [entry]}) if s.id == registrar else s
        for s in agreement.signatories
    ]
    return Agreement.model_validate(
        {**agreement_json(agreement), "signatories": [s.model_dump() for s in signatories]}
    )


def init_home(
    root: Path,
    agreement: Agreement,
    agreement_text: str,
    signers_dir: Path | None,
    origin: str | None,
    store_url: str | None,
    clock: Clock,
    key_source: Callable[[str], keys.Ed25519PrivateKey] = lambda _name: keys.generate(),
    log_storage: str | None = None,
) -> list[str]:
    """`key_source(name)` makes the key of each principal `init` introduces (and of the
    registrar, if the agreement lists none): random by default; the demo derives them from
    its seed so that a seed gives the same log. `log_storage` (a postgresql+psycopg:// URL)
    keeps the log's tiles in that database instead of HOME/log/."""
    home = Home(Path(root))
    if home.log_dir.exists() and any(home.log_dir.iterdir()):
        raise InitError(f"{home.log_dir}: a log already exists; this home is initialised")
    if log_storage:
        _check_empty_storage(log_storage)
    signer_keys = load_signer_keys(signers_dir, agreement) if signers_dir else {}
    registrar_id = mission_operator(agreement)
    listed = agreement.signatory(registrar_id).keys
    if registrar_id in signer_keys:
        registrar = signer_keys[registrar_id]
    elif listed:
        raise InitError(
            f"signatories.{registrar_id}.keys: the agreement lists the registrar's keys "
            f"({', '.join(k.keyid for k in listed)}); pass --signers DIR holding "
            f"{registrar_id}.key"
        )
    else:
        # No key listed for the registrar: make one and write it into version 1, so the
        # agreement itself names the key that introduces every other mission key.
        registrar = key_source(registrar_id)
        agreement = _with_registrar_key(agreement, registrar)
        agreement_text = yaml.safe_dump(agreement_json(agreement), sort_keys=False)
    signers = signer_keys_by_signatory(agreement, signer_keys)
    home.root.mkdir(parents=True, exist_ok=True)
    if store_url:
        (home.root / "store.url").write_text(store_url + "\n")
    if log_storage:
        (home.root / "log.storage").write_text(log_storage + "\n")
    _save_new(home.keys_dir / f"{registrar_id}.key", registrar)
    rkid = keys.key_id(registrar.public_key())
    principals = [
        (pid, kind, _new_key(home.keys_dir / f"{pid}.key", key_source(pid)))
        for pid, kind in mission_principals(agreement)
    ]
    engine = open_store(home.store_url)
    origin = origin or f"truceline.local/{agreement.id}"
    ledger = create_log(home, origin, engine)
    try:
        own = [] if registrar_id in signer_keys else [(registrar, rkid)]
        version = seal_version(agreement, [*own, *signers])
        registrations = [
            seal_event(
                Register(
                    effective_at=clock.now(),
                    sensor=Sensor(
                        id=pid,
                        kind=kind,
                        operator=registrar_id,
                        public_key=keys.public_key_b64(key.public_key()),
                        name=f"the mission's {kind.value.replace('_', ' ')}",
                    ),
                ),
                registrar,
                rkid,
            )
            for pid, kind, key in principals
        ]
        ledger.append([version, *registrations])
        home.agreement.write_text(agreement_text)
        history = history_from_ledger(ledger)
        (v,) = history.versions.values()
        status = (
            "in force"
            if v.complete
            else f"pending: awaiting signatures of {', '.join(v.missing())}"
        )
        lines = [
            f"home           {home.root}",
            f"log            {origin} (size {ledger.size})",
            f"log vkey       {home.log_vkey.read_text().strip() if home.log_vkey.exists() else '-'}",
            f"registrar      {registrar_id}, keyid {rkid}",
        ]
        lines += [
            f"{kind.value:<14} {pid}, keyid {keys.key_id(key.public_key())}"
            for pid, kind, key in principals
        ]
        lines.append(
            f"agreement      {agreement.id} v{agreement.version} sha256 {v.sha256} ({status})"
        )
        return lines
    finally:
        ledger.close()
        engine.dispose()


def _new_key(path: Path, key: keys.Ed25519PrivateKey) -> keys.Ed25519PrivateKey:
    _save_new(path, key)
    return key


def _save_new(path: Path, key: keys.Ed25519PrivateKey) -> None:
    if path.exists():
        raise InitError(f"{path}: exists; refusing to replace a key")
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    keys.save_private_key(path, key)


def _check_empty_storage(spec: str) -> None:
    from truceline.ledger.storage import open_storage

    storage = open_storage(spec)
    try:
        if not storage.is_empty():
            raise InitError(f"--log-storage {storage.where}: a log already exists there")
    finally:
        storage.close()
