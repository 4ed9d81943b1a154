"""`FirmsAdapter.payload` (date-only rows written directly) gives byte for byte the payload of
the general path (`Observation.to_json_obj` + `jcs.canonicalize`), on random rows and file
names, and the gateway's envelopes are the same bytes either way."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from truceline.adapters import Row
from truceline.adapters.firms import FirmsAdapter
from truceline.adapters.gateway import Gateway
from truceline.codec import keys
from truceline.codec.jcs import canonicalize

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# every float form: integral (48.0 -> 48), tiny (1e-05 -> 1e-5), negative zero, long mantissas
COORD = st.one_of(
    st.floats(-90.0, 90.0, allow_nan=False),
    st.sampled_from([0.0, -0.0, 1e-5, -1e-7, 48.0, 0.0001, 89.99999999999999]),
)
DATE = st.dates().map(lambda d: d.isoformat())
NAME = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="/\x00"),
    min_size=1,
    max_size=12,
).filter(lambda n: n not in (".", "..") and len(n.encode()) < 200)
SENSOR = st.from_regex(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,20}$", fullmatch=True)


def _general(row: Row, sensor: str, seq: int) -> bytes:
    obj = row.observation.to_json_obj()
    obj["sensor"] = sensor
    obj["seq"] = seq
    return canonicalize(obj)


@SETTINGS
@given(
    st.lists(st.tuples(COORD, COORD, DATE), min_size=1, max_size=6),
    NAME,
    SENSOR,
    st.integers(0, 2**53 - 1000),
)
def test_date_only_payload_equals_general_path(
    rows: list[tuple[float, float, str]], name: str, sensor: str, base: int
) -> None:
    content = "latitude,longitude,acq_date\n" + "".join(
        f"{lat!r},{lon!r},{day}\n" for lat, lon, day in rows
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / (name + ".csv")
        path.write_text(content, encoding="utf-8")
        adapter = FirmsAdapter()
        parsed = [item for item in adapter.parse(path) if isinstance(item, Row)]
    for row in parsed:
        direct = adapter.payload(row.observation, sensor, base + row.row)
        assert direct is not None
        assert direct == _general(row, sensor, base + row.row)


def test_other_schemas_take_the_general_path(data: Path) -> None:
    adapter = FirmsAdapter()
    rows = [
        item
        for item in adapter.parse(
            data / "economist-war-fire-model/J1_VIIRS_C2_Global_VJ114IMGTDL_NRT_2025223.txt.csv"
        )
    ]
    rows = [r for r in rows if isinstance(r, Row)]
    assert rows and all(adapter.payload(r.observation, "gw", 1) is None for r in rows)


def test_gateway_envelopes_are_the_same_bytes_with_the_direct_payload(data: Path) -> None:
    """First 3,000 rows of the real 2022 yearly file, through the gateway both ways."""
    path = data / "gianman89-war-fire-model/ukr_fire_data_2022.csv"
    key = keys.generate()
    kid = keys.key_id(key.public_key())
    adapter = FirmsAdapter()
    direct, general = Gateway("gw", key, kid, 3), Gateway("gw", key, kid, 3)
    count = 0
    for item in adapter.parse(path):
        if isinstance(item, Row):
            assert adapter.payload(item.observation, "gw", 3 + item.row) is not None
            assert direct.seal_row(item.observation, 3 + item.row, adapter) == general.seal_row(
                item.observation, 3 + item.row
            )
            count += 1
        if item.row >= 3000:
            break
    assert count > 2900
