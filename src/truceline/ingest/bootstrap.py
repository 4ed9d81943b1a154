"""Creating a mission home: keys, store, ledger, the agreement's first version, the gateway.

Called by `truceline init`. The first entries of every mission's log are:
0. the agreement, version 1 (signed by the mission and by each signatory key given);
1. the registration of the mission's import gateway (kind import_gateway).
"""

from __future__ import annotations

from pathlib import Path

from truceline.agreement.model import Agreement, Role
from truceline.agreement.versions import history_from_ledger, seal_version, signer_keys_by_signatory
from truceline.clock import Clock
from truceline.codec import keys
from truceline.ingest import home as mh
from truceline.mission.home import Home
from truceline.registry.model import Register, Sensor, SensorKind
from truceline.registry.state import seal_event
from truceline.store.base import open_store


class InitError(RuntimeError):
    """The home cannot be initialised (already initialised, unreadable signer keys, ...)."""


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
    for s in agreement.signatories:
        if s.role is Role.mission:
            return s.id
    return "mission"


def init_home(
    root: Path,
    agreement: Agreement,
    agreement_text: str,
    signers_dir: Path | None,
    origin: str | None,
    store_url: str | None,
    clock: Clock,
) -> list[str]:
    home = Home(Path(root))
    if home.log_dir.exists() and any(home.log_dir.iterdir()):
        raise InitError(f"{home.log_dir}: a log already exists; this home is initialised")
    signer_keys = load_signer_keys(signers_dir, agreement) if signers_dir else {}
    signers = signer_keys_by_signatory(agreement, signer_keys)
    home.root.mkdir(parents=True, exist_ok=True)
    if store_url:
        (home.root / "store.url").write_text(store_url + "\n")
    # The mission's signatory key, when given, is the home's mission key: the registry's
    # trust anchor is then a key the agreement itself lists for the mission.
    mission_id = mission_operator(agreement)
    if mission_id in signer_keys:
        mission = signer_keys[mission_id]
        _save_new(home.keys_dir / mh.MISSION_KEY, mission)
    else:
        mission = _new_key(home.keys_dir / mh.MISSION_KEY)
    gateway = _new_key(home.keys_dir / mh.GATEWAY_KEY)
    mkid = keys.key_id(mission.public_key())
    engine = open_store(home.store_url)
    origin = origin or f"truceline.local/{agreement.id}"
    ledger = mh.create_ledger(home, origin, engine)
    try:
        extra = [] if mission_id in signer_keys else [(mission, mkid)]
        version = seal_version(agreement, [*extra, *signers])
        gateway_sensor = Sensor(
            id=mh.GATEWAY_SENSOR,
            kind=SensorKind.import_gateway,
            operator=mission_operator(agreement),
            public_key=keys.public_key_b64(gateway.public_key()),
            name="the mission's import gateway",
        )
        registration = seal_event(
            Register(effective_at=clock.now(), sensor=gateway_sensor), mission, mkid
        )
        ledger.append([version, registration])
        home.agreement.write_text(agreement_text)
        history = history_from_ledger(ledger)
        (v,) = history.versions.values()
        status = (
            "in force"
            if v.complete
            else f"pending: awaiting signatures of {', '.join(v.missing())}"
        )
        return [
            f"home      {home.root}",
            f"log       {origin} (size {ledger.size})",
            f"log vkey  {home.log_vkey.read_text().strip() if home.log_vkey.exists() else '-'}",
            f"mission   keyid {mkid}",
            f"gateway   sensor {mh.GATEWAY_SENSOR}, keyid {keys.key_id(gateway.public_key())}",
            f"agreement {agreement.id} v{agreement.version} sha256 {v.sha256} ({status})",
        ]
    finally:
        ledger.close()
        engine.dispose()


def _new_key(path: Path) -> keys.Ed25519PrivateKey:
    key = keys.generate()
    _save_new(path, key)
    return key


def _save_new(path: Path, key: keys.Ed25519PrivateKey) -> None:
    if path.exists():
        raise InitError(f"{path}: exists; refusing to replace a key")
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    keys.save_private_key(path, key)
