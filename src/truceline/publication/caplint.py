"""CAP 1.2 rules the XSD does not check (OASIS CAP 1.2 section 3.2), for alerts we send or relay.

- `references`, when present, names at least one message ("zero references is invalid";
  other empty optional elements, as Environment Canada sends them, are tolerated);
- `references` is a space-separated list of `sender,identifier,sent` triples;
- `restriction` is required when scope is Restricted, `addresses` when scope is Private;
- an Update or Cancel names what it updates in `references`;
- `circle` is `lat,lon radius`; a `polygon` has at least 4 pairs and is closed;
- latitude within [-90, 90], longitude within [-180, 180].
"""

from __future__ import annotations

import re

from lxml import etree

NS = "urn:oasis:names:tc:emergency:cap:1.2"
_DT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[-+]\d\d:\d\d$")


def _q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def _point(text: str, where: str, problems: list[str]) -> None:
    try:
        lat, lon = (float(x) for x in text.split(","))
    except ValueError:
        problems.append(f"{where}: {text!r} is not lat,lon")
        return
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        problems.append(f"{where}: {text!r} is out of range")


def lint(doc: etree._Element) -> list[str]:
    """The CAP 1.2 rule violations in a schema-valid alert; empty when it is clean."""
    problems: list[str] = []
    present = doc.find(_q("references"))
    if present is not None and not (present.text or "").strip():
        problems.append(
            f"references (line {present.sourceline}): empty; zero references is invalid"
        )
    scope = doc.findtext(_q("scope"))
    if scope == "Restricted" and not (doc.findtext(_q("restriction")) or "").strip():
        problems.append("restriction: required when scope is Restricted")
    if scope == "Private" and not (doc.findtext(_q("addresses")) or "").strip():
        problems.append("addresses: required when scope is Private")
    refs = (doc.findtext(_q("references")) or "").split()
    if doc.findtext(_q("msgType")) in ("Update", "Cancel") and not refs:
        problems.append("references: an Update or Cancel must name the message(s) it refers to")
    for triple in refs:
        parts = triple.split(",")
        if len(parts) != 3 or not all(parts) or not _DT.match(parts[2]):
            problems.append(f"references: {triple!r} is not sender,identifier,sent")
    for circle in doc.iter(_q("circle")):
        centre, _, radius = (circle.text or "").strip().partition(" ")
        _point(centre, "circle", problems)
        try:
            if float(radius) < 0:
                problems.append(f"circle: negative radius {radius!r}")
        except ValueError:
            problems.append(f"circle: radius {radius!r} is not a number")
    for polygon in doc.iter(_q("polygon")):
        pairs = (polygon.text or "").split()
        if len(pairs) < 4 or pairs[0] != pairs[-1]:
            problems.append("polygon: needs at least 4 pairs, first equal to last")
        for pair in pairs:
            _point(pair, "polygon", problems)
    return problems
