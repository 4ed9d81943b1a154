"""The lifecycle engine on hand-made evidence: grades, standing, spoofing, disputes."""

from __future__ import annotations

from datetime import timedelta

from truceline.adjudication.lifecycle import adjudicate, transition_digest
from truceline.adjudication.logview import Revocation
from truceline.adjudication.verdict import State
from truceline.agreement.rules import Grade
from truceline.fusion.base import build_table, frame_for
from truceline.observation import Observation

from .helpers import IMPACT, SENSORS, T0, agreement, obs, radar, ref


def run(items: list[tuple[int, Observation]]):
    agr = agreement()
    table = build_table(items, SENSORS, frame_for(agr.geography.contact_line))
    engine, triggers = adjudicate(table, agr, ref(agr))
    return engine, triggers


def three_sources(base: int = 10, t: float = 0.0) -> list[tuple[int, Observation]]:
    return [
        (base, radar("radar-m1", base, t)),
        (
            base + 1,
            obs(
                "acoustic-g1",
                base,
                t + 20,
                "explosion",
                (36.55, 47.78),
                50,
                bearing_deg=110.0,
                distance_band_m=(3000, 6000),
            ),
        ),
        (base + 2, obs("seismic-a1", base, t + 5, "explosion", (36.621, 47.751), 300)),
    ]


def test_three_independent_sources_confirm_and_attribute() -> None:
    engine, triggers = run(three_sources())
    states = [(r.state, r.grade) for r in engine.emitted]
    assert states == [
        (State.reported, Grade.weak),
        (State.verified, Grade.fair),
        (State.verified, Grade.confirmed),
    ]
    assert triggers == [10, 11, 12]
    last = engine.emitted[-1]
    assert last.incident == "inc-10" and last.evidence == [10, 11, 12]
    assert last.accused == "party-b" and last.attribution_confidence > 0.99
    assert last.rules == ["art-1.1"]
    assert abs(last.location[0] - IMPACT[0]) < 0.002 and abs(last.location[1] - IMPACT[1]) < 0.002
    assert last.origin is not None and last.uncertainty_m < 100


def test_repeated_reports_merge_into_one_incident_and_one_source() -> None:
    items = [(20 + n, radar("radar-m1", n, n * 2.0)) for n in range(5)]
    engine, _ = run(items)
    assert {r.incident for r in engine.emitted} == {"inc-20"}
    assert engine.emitted[-1].grade is Grade.weak  # one radar, however often it speaks
    assert (
        engine.emitted[-1].state is State.corroborated or engine.emitted[-1].state is State.reported
    )


def test_the_accusers_own_sensors_alone_do_not_verify() -> None:
    items = [
        (10, radar("radar-a1", 1, 0)),
        (11, obs("seismic-a1", 1, 5, "explosion", (36.621, 47.751), 300)),
        (12, obs("camera-a1", 1, 8, "explosion", (36.619, 47.749), 200)),
    ]
    engine, _ = run(items)
    last = engine.emitted[-1]
    assert last.accused == "party-b" and last.grade is Grade.weak
    assert last.state is State.corroborated


def test_no_origin_no_fire_across_line() -> None:
    engine, _ = run([(10, obs("seismic-a1", 1, 0, "explosion", IMPACT, 300))])
    assert engine.emitted == []


def test_a_lying_radar_is_flagged_and_cannot_frame_the_other_party() -> None:
    # Party A fires south from its own side; party A's radar claims the origin is south
    # of the line (framing party B); the mission radar and a guarantor's array disagree.
    true_origin, fake_origin, impact = (36.60, 47.85), (36.60, 47.55), (36.62, 47.62)
    items: list[tuple[int, Observation]] = []
    for n in range(8):
        dt = n * 1000.0
        dx = n * 0.05
        io = (impact[0] - dx, impact[1])
        base = 100 + 10 * n
        items += [
            (
                base,
                radar("radar-a1", n, dt, impact=io, origin=(fake_origin[0] - dx, fake_origin[1])),
            ),
            (
                base + 1,
                radar(
                    "radar-m1", n, dt + 1, impact=io, origin=(true_origin[0] - dx, true_origin[1])
                ),
            ),
            (base + 2, obs("acoustic-g1", n, dt + 3, "explosion", io, 150)),
        ]
    engine, _ = run(items)
    assert "radar-a1" in engine.reliability.flagged_sensors()
    assert "radar-m1" not in engine.reliability.flagged_sensors()
    final = engine.incidents()
    assert len(final) == 8
    assert not [r for r in final if r.accused == "party-b" and r.grade is Grade.confirmed]
    # Once the liar is flagged, later incidents are clean and blame the real firer.
    assert final[-1].accused == "party-a" and final[-1].grade in (Grade.fair, Grade.confirmed)


def test_inspection_report_settles_a_verified_incident() -> None:
    items = three_sources()
    items.append(
        (
            30,
            Observation.model_validate(
                {
                    "sensor": "patrol-m1",
                    "seq": 1,
                    "observed_at": "2026-03-06T10:00:00Z",
                    "kind": "inspection_report",
                    "geometry": {"type": "Point", "coordinates": IMPACT},
                    "uncertainty_m": 50,
                    "attributes": {"incident": "inc-10", "finding": "dismissed"},
                }
            ),
        )
    )
    engine, triggers = run(items)
    last = engine.emitted[-1]
    assert last.state is State.dismissed and 30 in last.evidence and triggers[-1] == 30


def test_verdicts_are_a_pure_function_of_the_log() -> None:
    items = three_sources() + three_sources(40, 7200.0)
    a, _ = run(items)
    b, _ = run(items)
    assert transition_digest(a.emitted) == transition_digest(b.emitted)
    assert [r.incident for r in a.incidents()] == ["inc-10", "inc-40"]


def test_satellite_only_fires_are_judged_against_the_season() -> None:
    """A satellite-only fire breaches only as a war fire (fusion.thermal): beyond its
    cell's season, on two days 6 to 89 days apart, or in the 10 days after one. A
    later pixel re-judges an earlier fire, and the transition names that pixel."""
    # The buffer zone of the example agreement; a farm cell there burns every March.
    farm, fresh = (35.62, 47.555), (35.90, 47.61)
    history = [
        (n, obs("sat-g2", n, -365 * 86400.0 + d * 86400 + k * 60, "thermal_anomaly", farm, 300))
        for n, (d, k) in enumerate((d, k) for d in range(-4, 25) for k in range(3))
    ]
    n = len(history)

    def burst(where: tuple[float, float], day: float, pixels: int) -> list[tuple[int, Observation]]:
        nonlocal n
        out = [
            (n + k, obs("sat-g2", n + k, day * 86400 + 3600, "thermal_anomaly", where, 300))
            for k in range(pixels)
        ]
        n += pixels
        return out

    # In event-time order (a report an hour behind the newest does not associate).
    farm0, first = burst(farm, 0, 4), burst(fresh, 0, 4)
    farm7, second = burst(farm, 7, 4), burst(fresh, 7, 4)
    after, late = burst(fresh, 10, 1), burst(fresh, 30, 1)
    # One day of fire beyond the season is no war yet.
    engine, _ = run(history + farm0 + first)
    assert engine.incidents() == []
    # A second day a week later makes both war fires; the farm stays explained.
    engine, triggers = run(history + farm0 + first + farm7 + second + after + late)
    logged = {r.incident: r for r in engine.incidents()}
    ids = [f"inc-{first[0][0]}", f"inc-{second[0][0]}", f"inc-{after[0][0]}"]
    assert sorted(logged) == sorted(ids)
    assert all(logged[i].rules == ["art-2.2"] and logged[i].grade is Grade.weak for i in ids)
    cause = triggers[next(k for k, r in enumerate(engine.emitted) if r.incident == ids[0])]
    assert second[0][0] <= cause <= second[-1][0]  # the earlier fire re-judged by a later pixel
    assert f"inc-{late[0][0]}" not in logged  # 23 days after the last war day
    # Without any history in the log, a satellite alone never escalates.
    engine, _ = run(first + second + after)
    assert engine.incidents() == []


def _inspected(finding: str) -> list[tuple[int, Observation]]:
    """Three sources (inc-10) and a patrol's inspection finding on it (entry 30)."""
    report = obs(
        "patrol-m1", 1, 86_400, "inspection_report", IMPACT, 50, incident="inc-10", finding=finding
    )
    return [*three_sources(), (30, report)]


def _revoked_after(items: list[tuple[int, Observation]], sensor: str):
    """`items`, then (entry 40) `sensor` revoked back to before all of them."""
    agr = agreement()
    table = build_table(items, SENSORS, frame_for(agr.geography.contact_line))
    since = (T0 - timedelta(hours=1)).timestamp()
    revocation = Revocation(40, sensor, since, "captured")
    engine, triggers = adjudicate(table, agr, ref(agr), revocations={len(items): [revocation]})
    return engine.emitted[-1], triggers[-1]


def test_a_revocation_leaves_a_finding_it_did_not_sign_standing() -> None:
    """A confirmed incident keeps its finding when a detection it also rests on is taken
    back, as long as what remains still breaches; the transition says so."""
    last, cause = _revoked_after(_inspected("confirmed"), "seismic-a1")
    assert cause == 40 and last.incident == "inc-10"
    assert last.state is State.confirmed and last.grade is Grade.confirmed
    assert last.reason.startswith("re-judged: sensor seismic-a1 revoked from")
    assert last.reason.endswith("the inspection finding (confirmed) still stands")
    assert 30 in last.evidence


def test_a_revoked_inspectors_finding_no_longer_settles() -> None:
    """A dismissal filed with a captured key is taken back: the incident is judged again on
    its evidence, which still verifies it."""
    last, cause = _revoked_after(_inspected("dismissed"), "patrol-m1")
    assert cause == 40
    assert last.state is State.verified and last.accused == "party-b"
    assert "sensor patrol-m1 revoked" in last.reason and "1 of its report(s)" in last.reason
    assert 30 in last.evidence  # still cited: taken back, not erased
