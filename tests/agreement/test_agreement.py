"""Agreement loading errors, published schemas, and versions folded from a real ledger."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from truceline.agreement.cli import SCHEMAS, dump_schema
from truceline.agreement.load import (
    AgreementError,
    agreement_json,
    load_agreement,
    load_agreement_text,
    parse_agreement,
)
from truceline.agreement.model import Agreement
from truceline.agreement.versions import (
    AgreementHistory,
    payload_sha256,
    seal_endorsement,
    seal_version,
)
from truceline.codec import keys
from truceline.ledger.logsign import Ed25519NoteSigner
from truceline.ledger.tilelog import TileLog
from truceline.store.base import open_store

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "agreement.yaml"


def _doc() -> dict[str, Any]:
    return yaml.safe_load(EXAMPLE.read_text())


def _errors(doc: Any) -> list[str]:
    with pytest.raises(AgreementError) as err:
        load_agreement_text(yaml.safe_dump(doc))
    return [str(e) for e in err.value.errors]


def test_example_is_valid_and_matches_the_schema() -> None:
    a = load_agreement(EXAMPLE)
    assert a.id == "zaporizhzhia-ceasefire" and len(a.parties) == 2
    jsonschema.validate(_doc(), SCHEMAS["agreement"]())


def test_committed_schemas_are_current() -> None:
    for kind, make in SCHEMAS.items():
        committed = (REPO / "schemas" / f"{kind}.schema.json").read_text()
        assert committed == dump_schema(make()), f"schemas/{kind}.schema.json is stale"


def test_errors_name_path_expectation_and_value() -> None:
    doc = _doc()
    doc["geography"]["territories"][1]["party"] = "x"
    doc["prohibited_acts"][1]["zones"] = ["nowhere"]
    doc["penalties"]["block_rules"][0]["voters"][2]["id"] = "ghost"
    errs = _errors(doc)
    assert (
        "geography.territories[1].party: expected a party id (party-a, party-b), found 'x'" in errs
    )
    assert (
        "prohibited_acts[1].zones[0]: expected a zone id from geography.zones, found 'nowhere'"
        in errs
    )
    assert "penalties.block_rules[0].voters[2].id: expected a signatory id, found 'ghost'" in errs


@pytest.mark.parametrize(
    ("edit", "prefix"),
    [
        (lambda d: d.pop("title"), "title: expected a value"),
        (lambda d: d.update(version=0), "version: expected greater than or equal to 1, found 0"),
        (
            lambda d: d["signatories"][0].update(role="boss"),
            "signatories[0].role: expected 'party', 'guarantor' or 'mission', found 'boss'",
        ),
        (lambda d: d.update(colour="blue"), "colour: expected no such field, found 'blue'"),
        (
            lambda d: d.update(effective_from="2026-03-01T00:00:00"),
            "effective_from: must carry a timezone",
        ),
        (
            lambda d: d["geography"]["protected_sites"][0]["geometry"].update(
                coordinates=[200, 47]
            ),
            "geography.protected_sites[0].geometry: coordinates must be WGS84",
        ),
        (
            lambda d: d["prohibited_acts"][0].update(act="shelling"),
            "prohibited_acts[0].act: expected",
        ),
        (
            lambda d: d["signatories"].append(dict(d["signatories"][0])),
            "signatories[6].id: expected a unique id, found duplicate 'party-a'",
        ),
    ],
)
def test_single_errors(edit: Any, prefix: str) -> None:
    doc = _doc()
    edit(doc)
    errs = _errors(doc)
    assert any(e.startswith(prefix) for e in errs), errs


def test_not_yaml_and_not_a_mapping() -> None:
    with pytest.raises(AgreementError, match="not valid YAML"):
        load_agreement_text("a: [1,")
    with pytest.raises(AgreementError, match="expected a mapping"):
        parse_agreement([1, 2])


# --- versions in the ledger -------------------------------------------------------------


def _with_keys(doc: dict[str, Any]) -> tuple[Agreement, dict[str, keys.Ed25519PrivateKey]]:
    private = {}
    for s in doc["signatories"]:
        k = keys.generate()
        private[s["id"]] = k
        s["keys"] = [{"public_key": keys.public_key_b64(k.public_key())}]
    return parse_agreement(doc), private


def _pair(k: keys.Ed25519PrivateKey) -> tuple[keys.Ed25519PrivateKey, str]:
    return k, keys.key_id(k.public_key())


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[TileLog]:
    key = keys.generate()
    log = TileLog.create(
        tmp_path / "log",
        "t/log",
        Ed25519NoteSigner("t/log", key),
        open_store(f"sqlite:///{tmp_path}/s.db"),
    )
    yield log
    log.close()


def test_version_in_force_needs_every_party(ledger: TileLog) -> None:
    v1, priv = _with_keys(_doc())
    t0 = v1.effective_from
    ledger.append([seal_version(v1, [_pair(priv["mission"]), _pair(priv["party-a"])])])
    h = AgreementHistory()
    h.catch_up(ledger)
    assert h.in_force(t0 + timedelta(days=1)) is None
    assert h.pending()[0].missing() == ["party-b"]
    # party-b signs later, as a separate entry
    ledger.append([seal_endorsement(v1, "party-b", *_pair(priv["party-b"]))])
    h.catch_up(ledger)
    v = h.in_force(t0 + timedelta(days=1))
    assert v is not None and v.sha256 == payload_sha256(v1) and v.completed_index == 1
    assert h.in_force(t0 - timedelta(seconds=1)) is None  # before effective_from


def test_amendment_keys_come_from_the_amended_version(ledger: TileLog) -> None:
    doc = _doc()
    v1, priv = _with_keys(doc)
    ledger.append([seal_version(v1, [_pair(priv["party-a"]), _pair(priv["party-b"])])])
    # v2 swaps party-b's key for one party-b never held: the new key's signature must not count
    doc2 = agreement_json(v1)
    intruder = keys.generate()
    doc2["signatories"][1]["keys"] = [{"public_key": keys.public_key_b64(intruder.public_key())}]
    doc2.update(version=2, previous=payload_sha256(v1), effective_from="2026-04-01T00:00:00Z")
    doc2["evidence"]["confirmed_min_sources"] = 4
    v2 = parse_agreement(doc2)
    ledger.append([seal_version(v2, [_pair(priv["party-a"]), _pair(intruder)])])
    h = AgreementHistory()
    h.catch_up(ledger)
    april = datetime(2026, 4, 2, tzinfo=UTC)
    assert h.in_force(april).agreement.version == 1  # type: ignore[union-attr]
    # party-b signs with its real (v1) key: v2 comes into force from its effective date
    ledger.append([seal_endorsement(v2, "party-b", *_pair(priv["party-b"]))])
    h.catch_up(ledger)
    assert h.in_force(april).agreement.version == 2  # type: ignore[union-attr]
    assert h.in_force(datetime(2026, 3, 15, tzinfo=UTC)).agreement.version == 1  # type: ignore[union-attr]


def test_forged_and_unchained_versions_are_ignored(ledger: TileLog) -> None:
    doc = _doc()
    v1, priv = _with_keys(doc)
    stranger = keys.generate()
    bad = json.loads(json.dumps(agreement_json(v1)))
    bad.update(version=2, previous="0" * 64)
    v2 = parse_agreement(bad)
    ledger.append(
        [
            seal_version(v1, [_pair(priv["party-a"]), _pair(stranger)]),  # party-b's sig missing
            seal_version(v2, [_pair(priv["party-a"]), _pair(priv["party-b"])]),  # previous unknown
            seal_endorsement(v1, "party-b", *_pair(stranger)),  # wrong key
        ]
    )
    h = AgreementHistory()
    h.catch_up(ledger)
    assert h.in_force(datetime(2027, 1, 1, tzinfo=UTC)) is None
    assert [i for i, _ in h.problems] == [1, 2]


def test_a_key_given_twice_is_refused_naming_it() -> None:
    # YAML keeps the last of two equal keys silently; two readers of the signed text
    # could then disagree on the terms, so the loader refuses it.
    text = (REPO / "examples" / "agreement.yaml").read_text() + "time:\n  max_age_s: 61\n"
    with pytest.raises(AgreementError) as err:
        load_agreement_text(text)
    assert "the key 'time' is given twice" in str(err.value)
