"""CoT: the real TAK feeder log (events mixed with console noise) and the ATAK examples."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from truceline.adapters import Row, RowError
from truceline.adapters.cot import CotAdapter, map_type, seconds_as_milliseconds
from truceline.observation import Kind, Perception, WeaponClass

LOG = "tak-feeder-deepstate-cot/output.txt"


def _independent_counts(path: Path) -> tuple[int, int]:
    """Events and non-event lines, counted the simple way this log allows (events start
    a line and end one)."""
    events = noise = 0
    inside = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("<event"):
            events += 1
            inside = "</event>" not in line
        elif inside:
            inside = "</event>" not in line
        elif line.strip():
            noise += 1
    return events, noise


def test_feeder_log_every_event_accounted(data: Path) -> None:
    path = data / LOG
    adapter = CotAdapter()
    items = list(adapter.parse(path))
    events, noise = _independent_counts(path)
    assert events == 179
    c = adapter.counts
    assert c.read == 179 == c.parsed + c.errors == len(items)
    assert [i.row for i in items] == list(range(179))
    assert c.noise == noise > 7000
    rows = [i for i in items if isinstance(i, Row)]
    errors = [i for i in items if isinstance(i, RowError)]
    # installations (52 airfields, 3 other) and the feeder's 2 heartbeats are not observations
    assert Counter(e.field for e in errors) == {"type": 55, "detail/takv": 2}
    assert all("installation" in e.reason for e in errors if e.field == "type")
    assert len(rows) == 122
    kinds = Counter(r.observation.kind for r in rows)
    assert kinds == {Kind.troop_movement: 114, Kind.heavy_weapon_sighting: 8}
    # every imported event carries the seconds-for-milliseconds repair of link@production_time
    for r in rows:
        prov = r.observation.attributes.provenance
        assert prov is not None and prov.format == "cot" and prov.source == "output.txt"
        assert prov.repairs == [
            "link@production_time: 1970-01-20T11:55:31.924Z read seconds as milliseconds, "
            "corrected to 2023-05-19T21:32:04Z"
        ]
        extra = r.observation.attributes.model_extra or {}
        assert extra["production_time"] == "2023-05-19T21:32:04Z"
        assert extra["affiliation"] == "hostile"
        assert r.observation.attributes.perception is Perception.reported  # how="m-r"
        assert r.observation.uncertainty_m == 15.0  # ce="15"
        assert r.observation.observed_at.date() == datetime(2023, 5, 21, tzinfo=UTC).date()
    assert c.repaired == 122
    moskva = [
        r
        for r in rows
        if (r.observation.attributes.model_extra or {}).get("callsign") == "Russian cruiser Moskva"
    ]
    assert len(moskva) == 1 and moskva[0].observation.kind is Kind.heavy_weapon_sighting


def test_atak_examples_all_accounted(vectors: Path) -> None:
    files = sorted((vectors / "cot/examples").glob("*.cot"))
    assert len(files) == 12
    parsed: dict[str, Row] = {}
    for path in files:
        adapter = CotAdapter()
        items = list(adapter.parse(path))
        assert adapter.counts.read == 1 == len(items), path.name
        assert adapter.counts.noise == 0
        if isinstance(items[0], Row):
            parsed[path.name] = items[0]
        else:
            assert items[0].field == "type"  # drawings, routes, range & bearing, spot marker
    assert set(parsed) == {"Marker - 2525.cot", "Marker - Icon Set.cot"}
    obs = parsed["Marker - 2525.cot"].observation
    assert obs.kind is Kind.troop_movement  # a-u-G: unknown ground atom
    assert obs.uncertainty_m == 1_000_000.0
    assert obs.attributes.provenance.repairs == [  # type: ignore[union-attr]
        "point@ce: 9999999.0 means unknown; uncertainty set to the 1000000 m ceiling"
    ]
    assert obs.attributes.perception is Perception.seen  # how h-g-i-g-o: human entry


EVENT = (
    '<event version="2.0" uid="u{n}" type="{type}" how="m-g" time="{time}" '
    'start="{time}" stale="2030-01-01T00:00:00Z"><point lat="47.5" lon="35.5" hae="0" '
    'ce="{ce}" le="10"/><detail/></event>'
)


def _event(
    n: int = 1, type: str = "a-h-G-U-C-F", time: str = "2024-05-01T10:00:00Z", ce: str = "30"
) -> str:
    return EVENT.format(n=n, type=type, time=time, ce=ce)


def test_stream_forms(tmp_path: Path) -> None:
    # several events on one line, one cut off by the next, one at EOF without its end
    path = tmp_path / "stream.txt"
    path.write_text(
        "noise line\n"
        + _event(1)
        + _event(2)
        + "\n"
        + _event(3)[:60]
        + _event(4)
        + "\n"
        + "<eventful>not an event</eventful>\n"
        + _event(5)[:80]
    )
    adapter = CotAdapter()
    items = list(adapter.parse(path))
    assert [type(i).__name__ for i in items] == ["Row", "Row", "RowError", "Row", "RowError"]
    assert items[2].field == "event" and "truncated" in items[2].reason  # type: ignore[union-attr]
    assert adapter.counts.noise == 2
    first = items[0].observation  # type: ignore[union-attr]
    assert first.kind is Kind.heavy_weapon_sighting
    assert first.attributes.weapon_class is WeaponClass.artillery
    assert first.attributes.perception is Perception.recorded


def test_event_time_in_seconds_as_milliseconds_is_repaired(tmp_path: Path) -> None:
    path = tmp_path / "t.cot"
    path.write_text(_event(time="1970-01-20T11:55:31.924Z"))
    (item,) = CotAdapter().parse(path)
    assert isinstance(item, Row)
    assert item.observation.observed_at == datetime(2023, 5, 19, 21, 32, 4, tzinfo=UTC)
    assert "read seconds as milliseconds" in item.observation.attributes.provenance.repairs[0]  # type: ignore[union-attr]


def test_bad_fields_name_the_field(tmp_path: Path) -> None:
    cases = {
        _event(ce="-3"): "point@ce",
        _event(time="yesterday"): "time",
        _event(type="a-h-G-I-B-A"): "type",
        _event(type="b-m-p-s-m"): "type",
        _event().replace('lat="47.5"', 'lat="95"'): "point@lat",
        _event().replace('lon="35.5"', 'lon="abc"'): "point@lon",
        _event().replace('<point lat="47.5" lon="35.5" hae="0" ce="30" le="10"/>', ""): "point",
        _event(time="1971-06-01T00:00:00Z"): "time",  # before 2000, not a seconds/ms slip
        "<event><point></event>": "event",  # not well-formed
    }
    path = tmp_path / "bad.txt"
    path.write_text("\n".join(cases))
    items = list(CotAdapter().parse(path))
    assert len(items) == len(cases)
    assert [(i.field if isinstance(i, RowError) else None) for i in items] == list(cases.values())
    assert all(isinstance(i, RowError) and i.reason for i in items)


def test_entities_are_not_expanded(tmp_path: Path) -> None:
    # no DTD can reach the parser (only the <event> element is parsed): an entity
    # reference is an error, never an expansion or a file read
    path = tmp_path / "xxe.xml"
    path.write_text(
        '<?xml version="1.0"?><!DOCTYPE e [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
        + _event().replace("<detail/>", "<detail><remarks>&x;</remarks></detail>")
    )
    items = list(CotAdapter().parse(path))
    assert len(items) == 1
    assert isinstance(items[0], RowError) and items[0].field == "event"


@pytest.mark.parametrize(
    ("cot_type", "kind", "weapon"),
    [
        ("a-h-G-U-C-I", Kind.troop_movement, None),
        ("a-h-G-U-C-I-M", Kind.troop_movement, None),
        ("a-h-G-U-C-F-R", Kind.heavy_weapon_sighting, WeaponClass.mlrs),
        ("a-h-G-U-C-A", Kind.heavy_weapon_sighting, WeaponClass.tank),
        ("a-f-G-E-W-H", Kind.heavy_weapon_sighting, WeaponClass.artillery),
        ("a-h-A-M-F-Q", Kind.uav_sighting, WeaponClass.drone),
        ("a-h-G-U-C-I;extra", Kind.troop_movement, None),
    ],
)
def test_type_map(cot_type: str, kind: Kind, weapon: WeaponClass | None) -> None:
    assert map_type(cot_type)[1:] == (kind, weapon)


def test_seconds_as_milliseconds_rule() -> None:
    ref = datetime(2023, 5, 21, tzinfo=UTC)
    assert seconds_as_milliseconds(
        datetime(1970, 1, 20, 11, 55, 31, 924000, tzinfo=UTC), ref
    ) == datetime(2023, 5, 19, 21, 32, 4, tzinfo=UTC)
    assert (
        seconds_as_milliseconds(datetime(1970, 1, 1, 0, 0, 1, tzinfo=UTC), ref) is None
    )  # 1970 x1000
    assert seconds_as_milliseconds(ref, ref) is None


def test_observations_serialize(data: Path) -> None:
    for item in CotAdapter().parse(data / LOG):
        if isinstance(item, Row):
            json.dumps(item.observation.to_json_obj())
