"""The gateway's own check of what it has just sealed (`Gateway._self_checked`) gives exactly
what ingest's full `check_envelope` gives, on random FIRMS rows; and anything else (a table
binding the gateway's keyid to another key or sensor, a tampered or foreign-signed envelope)
still goes through, and fails, the full check."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from truceline.adapters.firms import FirmsAdapter
from truceline.adapters.gateway import Gateway, Signed
from truceline.codec import dsse, keys
from truceline.codec.records import seal
from truceline.ingest.check import Checked, check_envelope, unpack
from truceline.ingest.reasons import Reason, Rejection

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
KEY = keys.generate()
KID = keys.key_id(KEY.public_key())
TABLE = {KID: ("gw-import", keys.raw_public(KEY.public_key()))}

VIIRS = (
    "latitude,longitude,bright_ti4,scan,track,acq_date,acq_time,satellite,confidence,"
    "version,bright_ti5,frp,daynight\n"
)
MODIS = (
    "latitude,longitude,brightness,scan,track,acq_date,acq_time,satellite,confidence,"
    "version,bright_t31,frp,daynight\n"
)
COORD = st.floats(-89.99, 89.99, allow_nan=False)
LON = st.floats(-179.99, 179.99, allow_nan=False)
POS = st.floats(0.0, 500.0, allow_nan=False)
PIXEL = st.floats(0.0, 49.0, allow_nan=False)
DATE = st.dates().map(lambda d: d.isoformat())
TIME = st.tuples(st.integers(0, 23), st.integers(0, 59)).map(lambda t: f"{t[0]:02d}{t[1]:02d}")
SAT = st.sampled_from(["N", "1", "Terra", "Aqua", "N20"])


@st.composite
def viirs_row(draw: st.DrawFn) -> str:
    return (
        f"{draw(COORD)!r},{draw(LON)!r},{draw(POS)!r},{draw(PIXEL)!r},{draw(PIXEL)!r},"
        f"{draw(DATE)},{draw(TIME)},{draw(SAT)},{draw(st.sampled_from(['l', 'n', 'h', 'high']))},"
        f"2.0NRT,{draw(POS)!r},{draw(POS)!r},{draw(st.sampled_from(['D', 'N']))}\n"
    )


@st.composite
def modis_row(draw: st.DrawFn) -> str:
    return (
        f"{draw(COORD)!r},{draw(LON)!r},{draw(POS)!r},{draw(PIXEL)!r},{draw(PIXEL)!r},"
        f"{draw(DATE)},{draw(TIME)},{draw(SAT)},{draw(st.integers(0, 100))},"
        f"6.1NRT,{draw(POS)!r},{draw(POS)!r},D\n"
    )


@st.composite
def date_only_row(draw: st.DrawFn) -> str:
    return f"{draw(COORD)!r},{draw(LON)!r},{draw(DATE)}\n"


def _signed(content: str, table: dict[str, tuple[str, bytes]]) -> list[Signed]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fires.csv"
        path.write_text(content, encoding="utf-8")
        gateway = Gateway("gw-import", KEY, KID, 7)
        items = list(gateway.envelopes(FirmsAdapter().parse(path), table))
    return [item for item in items if isinstance(item, Signed)]


def _same_as_full_check(content: str) -> None:
    for s in _signed(content, TABLE):
        got = unpack(s.envelope, s.checked)
        assert got == check_envelope(s.envelope, TABLE)
        if isinstance(got, Checked):
            assert got.entry is s.envelope


@SETTINGS
@given(st.lists(viirs_row(), min_size=1, max_size=5))
def test_viirs_rows_self_check_equals_full_check(rows: list[str]) -> None:
    _same_as_full_check(VIIRS + "".join(rows))


@SETTINGS
@given(st.lists(modis_row(), min_size=1, max_size=5))
def test_modis_rows_self_check_equals_full_check(rows: list[str]) -> None:
    _same_as_full_check(MODIS + "".join(rows))


@SETTINGS
@given(st.lists(date_only_row(), min_size=1, max_size=5))
def test_date_only_rows_self_check_equals_full_check(rows: list[str]) -> None:
    _same_as_full_check("latitude,longitude,acq_date\n" + "".join(rows))


def test_year_below_1000_round_trips_and_self_check_equals_full_check() -> None:
    """observed_at is written with four year digits (hypothesis once found '999-01-01')."""
    _same_as_full_check("latitude,longitude,acq_date\n0.0,0.0,0999-01-01\n")


CSV = "latitude,longitude,acq_date\n48.5,37.9,2022-03-01\n47.1,35.2,2022-03-02\n"


def test_table_binding_keyid_to_another_key_or_sensor_takes_the_full_check() -> None:
    """The shortcut needs the table to give the gateway's keyid to its own sensor and key."""
    foreign = keys.generate()
    other_key = {KID: ("gw-import", keys.raw_public(foreign.public_key()))}
    for s in _signed(CSV, other_key):
        got = unpack(s.envelope, s.checked)
        assert isinstance(got, Rejection) and got.reason is Reason.bad_signature
    other_sensor = {KID: ("someone", keys.raw_public(KEY.public_key()))}
    for s in _signed(CSV, other_sensor):
        got = unpack(s.envelope, s.checked)
        assert isinstance(got, Rejection) and got.reason is Reason.wrong_sensor


def test_tampered_and_foreign_envelopes_are_still_rejected_by_ingests_check() -> None:
    """Envelopes from outside the gateway (or altered after it) get the full check."""
    signed = _signed(CSV, TABLE)[0]
    env = dsse.Envelope.from_json(signed.envelope)
    tampered_payload = env.payload.replace(b"48.5", b"48.6")
    assert tampered_payload != env.payload
    tampered = dsse.Envelope(env.payload_type, tampered_payload, env.signatures).to_json()
    got = check_envelope(tampered, TABLE)
    assert isinstance(got, Rejection) and got.reason is Reason.bad_signature
    # same keyid, same payload, signed by a key the registry does not hold for it
    foreign = seal(env.payload_type, _payload_obj(env.payload), keys.generate(), KID)
    got = check_envelope(foreign, TABLE)
    assert isinstance(got, Rejection) and got.reason is Reason.bad_signature


def _payload_obj(payload: bytes) -> object:
    import json

    return json.loads(payload)


REAL_FILES = {
    "cot": "tak-feeder-deepstate-cot/output.txt",
    "cir": "cir-eyes-on-russia-events/events.csv",
    "osce": "osce-smm-headline-extract/osce_smm_daily_headline_counts_EXTRACTED.csv",
}


def test_self_check_equals_full_check_on_every_other_adapters_real_file(data: Path) -> None:
    """The shortcut is not FIRMS-specific: every row of the other real sources agrees too
    (CIR: its first 1,500 rows)."""
    from itertools import islice

    from truceline.adapters import ADAPTERS

    for fmt, rel in REAL_FILES.items():
        adapter = ADAPTERS[fmt]()
        gateway = Gateway("gw-import", KEY, KID, 1)
        items = gateway.envelopes(adapter.parse(data / rel), TABLE, adapter)
        signed = [s for s in islice(items, 1500) if isinstance(s, Signed)]
        assert signed, fmt
        for s in signed:
            assert unpack(s.envelope, s.checked) == check_envelope(s.envelope, TABLE), fmt
