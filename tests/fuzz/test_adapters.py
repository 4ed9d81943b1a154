"""Fuzzing every adapter (firms, cot, geojson, observer, radar, cir, osce) with files whose
rows carry hostile values: each row is a Row whose observation reads back the same, or a
RowError naming a field; a file that is not of the format is a SourceError; nothing else."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from truceline.adapters import ADAPTERS, Row, RowError, SourceError
from truceline.codec import jcs
from truceline.observation import Observation

from .conftest import FUZZ
from .pools import BOWTIE, HOSTILE_NUMBERS, HOSTILE_TIMES, cells, deep, depths, hostile

HEADERS = {
    "firms": [
        "latitude,longitude,acq_date",
        "latitude,longitude,bright_ti4,scan,track,acq_date,acq_time,satellite,confidence,"
        "version,bright_ti5,frp,daynight",
        "latitude,longitude,brightness,scan,track,acq_date,acq_time,satellite,confidence,"
        "version,bright_t31,frp,daynight",
    ],
    "radar": ["radar,time,origin_lat,origin_lon,impact_lat,impact_lon,cep_m,weapon_class,calibre"],
    "observer": [
        "team,team_lat,team_lon,time,perception,kind,direction,distance,weapon,calibre,count,"
        "uncertainty_m,notes"
    ],
    "cir": [
        "entry,date,event_group,title,brief description,lat,lon,country,province,district,"
        "town/city,arms/munition,violence level,link,geolocation"
    ],
    "osce": [
        "report_id,issued_date,period_end_1930_local,period_hours,region,ceasefire_violations,"
        "explosions,prev_period_ceasefire_violations,notes,source_url"
    ],
}
# A plausible value per column, so that most rows get past the first field to the hostile one.
PLAUSIBLE = {
    "latitude": "47.5",
    "longitude": "35.5",
    "acq_date": "2026-03-01",
    "acq_time": "1200",
    "scan": "0.5",
    "track": "0.5",
    "confidence": "n",
    "radar": "R1",
    "time": "2026-03-01T12:00:00Z",
    "origin_lat": "47.1",
    "origin_lon": "35.1",
    "impact_lat": "47.5",
    "impact_lon": "35.5",
    "cep_m": "80",
    "team": "T1",
    "team_lat": "47.5",
    "team_lon": "35.5",
    "perception": "seen",
    "kind": "explosion",
    "distance": "1-4 km",
    "date": "2026-03-01",
    "lat": "47.5",
    "lon": "35.5",
    "region": "Donetsk",
    "issued_date": "2026-03-02",
    "report_id": "1/2026",
    "ceasefire_violations": "5",
}


def _parse(fmt: str, suffix: str, content: str) -> None:
    adapter = ADAPTERS[fmt]()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"input{suffix}"
        path.write_text(content, encoding="utf-8", errors="surrogatepass")
        try:
            items = list(adapter.parse(path))
        except SourceError as exc:
            assert str(exc)
            return
    c = adapter.counts
    assert c.read == c.parsed + c.errors == len(items)
    for item in items:
        if isinstance(item, RowError):
            assert item.field and item.reason
            continue
        assert isinstance(item, Row)
        obs = item.observation
        # the row's observation, written and read back as ingest would, is the same
        again = Observation.model_validate(jcs.loads(jcs.canonicalize(obs.to_json_obj())))
        assert again == obs


@st.composite
def csv_file(draw: st.DrawFn, fmt: str) -> str:
    header = draw(st.sampled_from(HEADERS[fmt]))
    names = header.split(",")
    rows = []
    for _ in range(draw(st.integers(1, 5))):
        row = [PLAUSIBLE.get(n, "") for n in names]
        for _ in range(draw(st.integers(1, 3))):
            i = draw(st.integers(0, len(names) - 1))
            row[i] = draw(cells)
        rows.append(",".join(json.dumps(c) if ("," in c or "\n" in c) else c for c in row))
    return header + "\n" + "\n".join(rows) + "\n"


@FUZZ
@given(st.sampled_from(sorted(HEADERS)).flatmap(lambda f: st.tuples(st.just(f), csv_file(f))))
def test_csv_adapters(case: tuple[str, str]) -> None:
    fmt, content = case
    _parse(fmt, ".csv", content)


@st.composite
def json_record(draw: st.DrawFn, fmt: str) -> dict[str, Any]:
    names = HEADERS[fmt][0].split(",")
    record: dict[str, Any] = {n: PLAUSIBLE[n] for n in names if n in PLAUSIBLE}
    for _ in range(draw(st.integers(1, 3))):
        record[draw(st.sampled_from(names))] = draw(hostile)
    return record


@FUZZ
@given(
    st.sampled_from(["observer", "radar"]).flatmap(
        lambda f: st.tuples(st.just(f), st.lists(json_record(f), min_size=1, max_size=4))
    )
)
def test_jsonl_adapters(case: tuple[str, list[dict[str, Any]]]) -> None:
    fmt, records = case
    _parse(fmt, ".jsonl", "\n".join(json.dumps(r) for r in records) + "\n")


GEOMETRIES = [
    {"type": "Point", "coordinates": [35.5, 47.5]},
    {"type": "Point", "coordinates": [35.5, 47.5, 1e308]},
    {"type": "Polygon", "coordinates": BOWTIE},
    {"type": "Polygon", "coordinates": [[[35.0, 47.0], [35.1, 47.0], [35.1, 47.1], [35.0, 47.0]]]},
    {"type": "LineString", "coordinates": [[35.0, 47.0], [True, 47.1]]},
    {"type": "MultiPoint", "coordinates": [[35.0, 47.0]]},
    None,
]


@st.composite
def feature(draw: st.DrawFn) -> dict[str, Any]:
    props: dict[str, Any] = {
        "kind": "impact",
        "time": "2026-03-01T12:00:00Z",
        "uncertainty_m": 50,
    }
    for _ in range(draw(st.integers(0, 3))):
        key = draw(
            st.sampled_from(
                [
                    "kind",
                    "time",
                    "uncertainty_m",
                    "calibre_mm",
                    "count",
                    "bearing_deg",
                    "distance_band_m",
                    "frp_mw",
                    "confidence",
                    "media_sha256",
                    "x",
                ]
            )
        )
        props[key] = draw(hostile)
    return {"type": "Feature", "geometry": draw(st.sampled_from(GEOMETRIES)), "properties": props}


@FUZZ
@given(st.lists(feature(), min_size=1, max_size=4), st.booleans(), depths)
def test_geojson(features: list[dict[str, Any]], as_lines: bool, depth: int) -> None:
    if as_lines:
        lines = [json.dumps(f) for f in features] + ['{"type":"Feature","x":' + deep(depth) + "}"]
        _parse("geojson", ".geojsonl", "\n".join(lines) + "\n")
    else:
        doc = {"type": "FeatureCollection", "features": features}
        _parse("geojson", ".geojson", json.dumps(doc))


COT_ATTRS = {
    "time": HOSTILE_TIMES,
    "stale": HOSTILE_TIMES,
    "type": ["a-h-G-U-C-F", "a-f-G", "b-m-p", "a-x-A-M-F-Q", "", "a"],
    "how": ["m-g", "h-e", "m-r", ""],
}
POINT_ATTRS = ["lat", "lon", "ce", "le", "hae"]


@st.composite
def cot_event(draw: st.DrawFn) -> str:
    attrs = {
        "version": "2.0",
        "uid": "u",
        "type": "a-h-G-U-C-F",
        "how": "m-g",
        "time": "2026-03-01T12:00:00Z",
        "stale": "2026-03-01T12:05:00Z",
    }
    for name in draw(st.lists(st.sampled_from(sorted(COT_ATTRS)), max_size=2)):
        attrs[name] = str(draw(st.sampled_from(COT_ATTRS[name])))
    point = {"lat": "47.5", "lon": "35.5", "ce": "50", "le": "10", "hae": "0"}
    for name in draw(st.lists(st.sampled_from(POINT_ATTRS), max_size=2)):
        point[name] = str(draw(st.sampled_from(HOSTILE_NUMBERS)))
    detail = draw(
        st.sampled_from(
            [
                "",
                "<remarks>&lol;</remarks>",
                "<remarks><![CDATA[<event>]]></remarks>",
                '<link production_time="1970-01-20T11:55:31.924Z"/>',
                "<remarks>" + "x" * 3000 + "</remarks>",
                "<a>" * 300 + "</a>" * 300,
                "<?pi x?><!-- c -->",
            ]
        )
    )
    head = " ".join(f'{k}="{v}"' for k, v in attrs.items())
    pt = " ".join(f'{k}="{v}"' for k, v in point.items())
    return f"<event {head}><point {pt}/><detail>{detail}</detail></event>"


PROLOGUES = [
    "",
    '<?xml version="1.0"?>\n',
    '<!DOCTYPE event [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>\n',
    '<!DOCTYPE event [<!ENTITY lol SYSTEM "file:///etc/passwd">]>\n',
    '<!DOCTYPE event [<!ENTITY % p SYSTEM "http://127.0.0.1:9/x"> %p;]>\n',
    "feeder log line without an event\n",
]


@FUZZ
@given(st.sampled_from(PROLOGUES), st.lists(cot_event(), min_size=1, max_size=4), st.booleans())
def test_cot(prologue: str, events: list[str], one_line: bool) -> None:
    _parse("cot", ".cot", prologue + ("" if one_line else "\n").join(events) + "\n")
