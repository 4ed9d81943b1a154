"""Attribution from the origin's territory, with confidence from the ellipse vs the line."""

from __future__ import annotations

from tests.adjudication.helpers import agreement

from truceline.fusion.attribute import Attributor
from truceline.fusion.base import frame_for
from truceline.fusion.locate import Fix


def test_origin_deep_in_territory_is_certain_and_near_the_line_is_not() -> None:
    agr = agreement()
    frame = frame_for(agr.geography.contact_line)
    att = Attributor(agr.geography, frame)
    x, y = frame.to_xy(36.6, 47.55)  # about 17 km south of the line: party-b
    party, conf = att.attribute(Fix(float(x), float(y), (100.0**2, 0.0, 100.0**2)))
    assert party == "party-b" and conf > 0.999
    x, y = frame.to_xy(36.6, 47.698)  # ~200 m south of the line
    party, near = att.attribute(Fix(float(x), float(y), (400.0**2, 0.0, 400.0**2)))
    assert party == "party-b" and 0.5 < near < 0.8
    x, y = frame.to_xy(36.6, 47.9)  # north: party-a
    assert att.attribute(Fix(float(x), float(y), (50.0**2, 0.0, 50.0**2)))[0] == "party-a"


def test_origin_outside_every_territory_is_unattributed() -> None:
    agr = agreement()
    frame = frame_for(agr.geography.contact_line)
    att = Attributor(agr.geography, frame)
    x, y = frame.to_xy(30.0, 47.5)
    assert att.attribute(Fix(float(x), float(y), (1.0, 0.0, 1.0))) == (None, 0.0)
