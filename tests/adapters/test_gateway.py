"""The import gateway: envelopes verify under its key, seq follows the row, parallel == serial."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from truceline.adapters import RowError
from truceline.adapters.cot import CotAdapter
from truceline.adapters.firms import FirmsAdapter
from truceline.adapters.gateway import Gateway, Signed
from truceline.codec import dsse, keys
from truceline.codec.jcs import is_canonical
from truceline.observation import OBSERVATION_TYPE, Observation

VIIRS_DAY = "economist-war-fire-model/J1_VIIRS_C2_Global_VJ114IMGTDL_NRT_2025223.txt.csv"


def _gateway(start: int = 0) -> Gateway:
    key = keys.generate()
    return Gateway("gw-import", key, keys.key_id(key.public_key()), start_seq=start)


def test_envelopes_verify_and_carry_provenance(data: Path) -> None:
    gw = _gateway(start=10)
    adapter = CotAdapter()
    out = list(gw.envelopes(adapter.parse(data / "tak-feeder-deepstate-cot/output.txt")))
    assert len(out) == 179
    signed = [o for o in out if isinstance(o, Signed)]
    assert len(signed) == adapter.counts.parsed == 122
    public = {gw.keyid: gw.private_key.public_key()}
    for s in signed:
        env = dsse.Envelope.from_json(s.envelope)
        assert dsse.verify(env, public) == [gw.keyid]
        assert env.payload_type == OBSERVATION_TYPE and is_canonical(env.payload)
        obs = Observation.model_validate(json.loads(env.payload))
        assert obs.sensor == "gw-import"
        assert s.seq == obs.seq == 10 + s.row  # seq follows the row; error rows leave gaps
        prov = obs.attributes.provenance
        assert prov is not None and prov.row == s.row and prov.source == "output.txt"
        extra = obs.attributes.model_extra or {}
        assert extra["callsign"]  # the source's own unit stays in the attributes
    assert gw.next_seq == 10 + 179
    seqs = [s.seq for s in signed]
    assert seqs == sorted(set(seqs))


def test_next_file_continues_the_sequence(data: Path) -> None:
    gw = _gateway()
    first = list(gw.envelopes(FirmsAdapter().parse(data / VIIRS_DAY)))
    second = list(gw.envelopes(FirmsAdapter().parse(data / VIIRS_DAY)))
    assert first[-1].seq == 170 and second[0].seq == 171  # type: ignore[union-attr]


@pytest.mark.slow
def test_two_processes_give_the_same_bytes(data: Path) -> None:
    key = keys.generate()
    kid = keys.key_id(key.public_key())
    serial = list(Gateway("gw", key, kid, 5).envelopes(FirmsAdapter().parse(data / VIIRS_DAY)))
    adapter = FirmsAdapter()
    gw = Gateway("gw", key, kid, 5)
    parallel = list(gw.import_file(adapter, data / VIIRS_DAY, workers=2))
    assert parallel == serial
    assert adapter.counts.read == 171 == adapter.counts.parsed
    assert gw.next_seq == 5 + 171


def test_parallel_keeps_row_errors_in_place(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    lines = ["latitude,longitude,acq_date"] + [
        f"48.{i},37.5,2022-03-01" if i % 3 else f"x{i},37.5,2022-03-01" for i in range(30)
    ]
    path.write_text("\n".join(lines) + "\n")
    key = keys.generate()
    kid = keys.key_id(key.public_key())
    serial = list(Gateway("gw", key, kid).envelopes(FirmsAdapter().parse(path)))
    adapter = FirmsAdapter()
    parallel = list(Gateway("gw", key, kid).import_file(adapter, path, workers=2))
    assert parallel == serial
    assert [o.row for o in parallel] == list(range(30))
    assert sum(isinstance(o, RowError) for o in parallel) == 10 == adapter.counts.errors


def test_parallel_reports_a_bad_file(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="not a FIRMS CSV"):
        list(_gateway().import_file(FirmsAdapter(), path, workers=2))


def test_sign_one_and_bad_ids() -> None:
    gw = _gateway(start=3)
    with pytest.raises(ValueError, match="sensor_id"):
        Gateway("bad id!", gw.private_key, gw.keyid)
    with pytest.raises(ValueError, match="start_seq"):
        Gateway("gw", gw.private_key, gw.keyid, start_seq=-1)


def test_sign_one_observation(tmp_path: Path) -> None:
    path = tmp_path / "radar.jsonl"
    path.write_text(
        json.dumps(
            {
                "radar": "TPQ-1",
                "time": "2024-05-01T03:12:09Z",
                "origin_lat": 47.7,
                "origin_lon": 35.3,
                "impact_lat": 47.55,
                "impact_lon": 35.5,
                "cep_m": 60,
            }
        )
        + "\n"
    )
    from truceline.adapters.radar import RadarAdapter

    (row,) = RadarAdapter().parse(path)
    gw = _gateway(start=3)
    envelope = dsse.Envelope.from_json(gw.sign(row.observation))  # type: ignore[union-attr]
    dsse.verify(envelope, {gw.keyid: gw.private_key.public_key()})
    obs = Observation.model_validate(json.loads(envelope.payload))
    assert (obs.sensor, obs.seq) == ("gw-import", 3) and gw.next_seq == 4
    assert obs.attributes.origin is not None and obs.attributes.origin.cep_m == 60


def test_a_signing_process_that_dies_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "f.csv"
    path.write_text("latitude,longitude,acq_date\n48.1,37.5,2022-03-01\n48.2,37.5,2022-03-01\n")
    gw = _gateway()
    import truceline.adapters.gateway as gateway_module

    monkeypatch.setattr(gateway_module, "_work", _die)
    with pytest.raises(RuntimeError, match="exited with code 3"):
        list(gw.import_file(FirmsAdapter(), path, workers=2))


def _die(*args: object) -> None:
    import os

    os._exit(3)


def test_signing_processes_run_ingests_stateless_check(data: Path) -> None:
    """With the ingest key table, each Signed carries check_envelope's result, in 1 or 2
    processes alike; a key the table lacks gives unknown_key, as ingest would say."""
    from truceline.ingest.check import Checked, check_envelope, unpack
    from truceline.ingest.reasons import Reason, Rejection

    key = keys.generate()
    kid = keys.key_id(key.public_key())
    table = {kid: ("gw", keys.raw_public(key.public_key()))}
    serial = list(
        Gateway("gw", key, kid, 5).envelopes(FirmsAdapter().parse(data / VIIRS_DAY), table)
    )
    parallel = list(
        Gateway("gw", key, kid, 5).import_file(
            FirmsAdapter(), data / VIIRS_DAY, workers=2, check_keys=table
        )
    )
    assert parallel == serial and len(serial) == 171
    for s in serial:
        assert isinstance(s, Signed)
        got = unpack(s.envelope, s.checked)
        assert isinstance(got, Checked) and got == check_envelope(s.envelope, table)
        assert got.entry == s.envelope and got.sensor == "gw" and got.seq == s.seq
    other = list(Gateway("gw", key, kid).envelopes(FirmsAdapter().parse(data / VIIRS_DAY), {}))
    first = other[0]
    assert isinstance(first, Signed)
    rejected = unpack(first.envelope, first.checked)
    assert isinstance(rejected, Rejection) and rejected.reason is Reason.unknown_key
