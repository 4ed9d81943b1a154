"""Property tests: whatever the bytes, an adapter never crashes; each bad row gets a field
and a reason, and read == parsed + errors."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from truceline.adapters import ADAPTERS, Adapter, Row, RowError, SourceError
from truceline.adapters.cot import CotAdapter
from truceline.adapters.firms import FirmsAdapter
from truceline.adapters.geojson import GeoJsonAdapter
from truceline.adapters.observer import ObserverAdapter
from truceline.adapters.radar import RadarAdapter

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

CELL = st.one_of(
    st.text(alphabet='0123456789.-:,"\n abcTZhnl', max_size=12),
    st.sampled_from(
        ["", "nan", "inf", "1e400", "48.5", "-200", "2022-02-30", "0112", "25:61", "h"]
    ),
)


def _run(adapter: Adapter, suffix: str, content: str | bytes) -> list[Row | RowError]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"input{suffix}"
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", errors="surrogatepass")
        try:
            items = list(adapter.parse(path))
        except SourceError as exc:
            assert str(exc)
            return []
    c = adapter.counts
    assert c.read == c.parsed + c.errors == len(items)
    for item in items:
        if isinstance(item, RowError):
            assert item.field and item.reason
        else:
            assert isinstance(item, Row)
            prov = item.observation.attributes.provenance
            assert prov is not None and prov.row == item.row
            item.observation.to_json_obj()
    rows = [i.row for i in items]
    assert rows == sorted(rows) and len(set(rows)) == len(rows)
    return items


VIIRS_HEADER = "latitude,longitude,bright_ti4,scan,track,acq_date,acq_time,satellite,confidence,version,bright_ti5,frp,daynight\n"


@SETTINGS
@given(st.lists(st.lists(CELL, min_size=10, max_size=15), max_size=8))
def test_firms_rows(rows: list[list[str]]) -> None:
    body = "\n".join(",".join(cells) for cells in rows)
    _run(FirmsAdapter(), ".csv", VIIRS_HEADER + body)


@SETTINGS
@given(st.binary(max_size=300))
def test_firms_any_bytes(blob: bytes) -> None:
    _run(FirmsAdapter(), ".csv", VIIRS_HEADER.encode() + blob)


OBS_HEADER = "team,team_lat,team_lon,time,perception,kind,direction,distance,weapon,calibre,count\n"
OBS_CELL = st.one_of(
    CELL,
    st.sampled_from(
        [
            "SSE",
            "north",
            "1-4 km",
            "500 m",
            "less than 1 km",
            "heard",
            "seen",
            "explosion",
            "impact",
            "mortar",
            "82mm",
            "2021-06-21T18:05:00Z",
            "3",
            "0",
            "T1",
        ]
    ),
)


@SETTINGS
@given(st.lists(st.lists(OBS_CELL, min_size=11, max_size=11), max_size=8))
def test_observer_rows(rows: list[list[str]]) -> None:
    _run(ObserverAdapter(), ".csv", OBS_HEADER + "\n".join(",".join(r) for r in rows))


JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=12,
)
RADAR_KEYS = [
    "radar",
    "time",
    "origin_lat",
    "origin_lon",
    "impact_lat",
    "impact_lon",
    "cep_m",
    "impact_cep_m",
    "weapon_class",
    "calibre",
    "track_id",
]


@SETTINGS
@given(st.lists(st.dictionaries(st.sampled_from(RADAR_KEYS), JSON_VALUE, max_size=11), max_size=6))
def test_radar_jsonl(objs: list[dict]) -> None:
    _run(RadarAdapter(), ".jsonl", "\n".join(json.dumps(o) for o in objs))


GEOMETRY = st.one_of(
    JSON_VALUE,
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(["Point", "LineString", "Polygon", "MultiPoint"]),
            "coordinates": JSON_VALUE,
        }
    ),
)
PROPS = st.one_of(
    JSON_VALUE,
    st.dictionaries(
        st.sampled_from(
            [
                "kind",
                "time",
                "uncertainty_m",
                "confidence",
                "count",
                "weapon_class",
                "bearing_deg",
                "distance_band_m",
                "provenance",
                "x",
            ]
        ),
        st.one_of(JSON_VALUE, st.sampled_from(["impact", "2024-01-01T00:00:00Z", 50, "mortar"])),
        max_size=6,
    ),
)
FEATURE = st.one_of(
    JSON_VALUE,
    st.fixed_dictionaries({"type": st.just("Feature"), "geometry": GEOMETRY, "properties": PROPS}),
)


@SETTINGS
@given(st.lists(FEATURE, max_size=6))
def test_geojson_features(features: list) -> None:
    doc = {"type": "FeatureCollection", "features": features}
    _run(GeoJsonAdapter(), ".geojson", json.dumps(doc))
    _run(GeoJsonAdapter(), ".geojsonl", "\n".join(json.dumps(f) for f in features))


XML_BITS = st.sampled_from(
    [
        '<event version="2.0" uid="a" type="a-h-G-U-C-F" how="m-g" time="2024-05-01T10:00:00Z" stale="2024-05-01T11:00:00Z">',
        '<event type="a-h-G">',
        "<event>",
        "</event>",
        '<point lat="47.5" lon="35.5" ce="30" le="1"/>',
        '<point lat="x" lon="1e999" ce="-1"/>',
        "<detail>",
        "</detail>",
        "<detail/>",
        '<contact callsign="c"/>',
        '<link production_time="1970-01-20T11:55:31.924Z"/>',
        "<takv/>",
        "&amp;",
        "&x;",
        "<!-- c -->",
        "<![CDATA[x]]>",
        "noise ",
        "\n",
        "<eventx>",
        "<",
    ]
)


@SETTINGS
@given(st.lists(st.one_of(XML_BITS, st.text(max_size=5)), max_size=25))
def test_cot_fragments(bits: list[str]) -> None:
    _run(CotAdapter(), ".txt", "".join(bits))


TIMES = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        [
            "2024-05-01T10:00:00Z",
            "1970-01-20T11:55:31.924Z",
            "1970-12-31T23:59:59Z",
            "0001-01-01T00:00:00+05:00",
            "9999-12-31T23:59:59-05:00",
            "9999-12-31T23:59:59Z",
            "1970-01-01T00:00:00Z",
            "2024-05-01T10:00:00",
        ]
    ),
)
NUMS = st.one_of(
    st.text(max_size=6), st.sampled_from(["47.5", "-91", "9999999.0", "1e999", "nan", "15"])
)


@SETTINGS
@given(
    st.fixed_dictionaries(
        {
            "type": st.one_of(
                st.text(max_size=10),
                st.sampled_from(["a-h-G-U-C-F", "a-f-G", "a-x-A-M-F-Q", "b-m-p"]),
            ),
            "time": TIMES,
            "stale": TIMES,
            "lat": NUMS,
            "lon": NUMS,
            "ce": NUMS,
            "how": st.sampled_from(["m-r", "h-e", ""]),
        }
    ),
    TIMES,
)
def test_cot_attribute_values(attrs: dict[str, str], produced: str) -> None:
    from xml.sax.saxutils import quoteattr

    point = " ".join(f"{k}={quoteattr(attrs[k])}" for k in ("lat", "lon", "ce"))
    head = " ".join(f"{k}={quoteattr(attrs[k])}" for k in ("type", "time", "stale", "how"))
    xml = (
        f'<event version="2.0" uid="u" {head}><point {point} le="1"/>'
        f"<detail><link production_time={quoteattr(produced)}/></detail></event>"
    )
    _run(CotAdapter(), ".cot", xml)


def test_registry_names() -> None:
    assert set(ADAPTERS) == {"firms", "cot", "geojson", "observer", "radar", "cir", "osce", "xform"}
    assert all(cls.format == name for name, cls in ADAPTERS.items())
