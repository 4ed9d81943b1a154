"""ODK Collect and KoboToolbox submissions: one XForm instance (`submission.xml`) per file.

An observer mission that already collects with ODK Collect, KoboToolbox or Enketo keeps its
form and imports each submission as the import gateway's signed observation, with provenance.
The instance's leaf elements are read by their local name at any depth (groups nest them);
the names are those of the `observer` format (adapters/observer.py):

  team          required  the patrol or post
  location      required  an ODK geopoint, "lat lon altitude accuracy" (or team_lat and
                          team_lon); its accuracy becomes attributes.position_accuracy_m
  time          required  RFC 3339 (ODK's dateTime has an offset); ODK's `start` if absent
  perception, kind, direction, distance, weapon, calibre, count, uncertainty_m, notes
                          as in the observer format
  civilians_killed_min/_max, civilians_injured_min/_max, combatants_killed_min/_max,
  combatants_injured_min/_max, harm_source
                          attributes.harm (truceline.field.harm); harm_source default `seen`
  damage, damage_count, damage_destroyed
                          one damaged civilian object (housing, school, ...)
  any other leaf whose text names a media file beside the submission (ODK stores photos,
  audio and video as `<photo>1717574400000.jpg</photo>` in the instance folder)
                          attributes.media_sha256: the file's SHA-256, so the media can be
                          stored and checked later (`truceline field check-media`)
  meta/instanceID         attributes.odk_instance, the submission's id

The XML is parsed without entities, DTDs or network access. Encrypted submissions
(`encrypted="yes"`) are refused: the mission would need the form's private key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lxml import etree

from truceline.adapters.base import FieldError, Record, RowContext, RowError, SourceError
from truceline.adapters.fields import number
from truceline.adapters.observer import ObserverAdapter
from truceline.observation import Observation
from truceline.publication.xml import safe_parser

MAX_SUBMISSION_BYTES = 5 * 1024 * 1024
# What ODK Collect names the files a form's image, audio and video questions capture.
MEDIA_SUFFIXES = frozenset(
    [
        ".jpg",
        ".jpeg",
        ".png",
        ".webp",
        ".heic",
        ".mp4",
        ".3gp",
        ".webm",
        ".m4a",
        ".ogg",
        ".opus",
        ".mp3",
        ".wav",
        ".amr",
    ]
)
_HARM_FIGURES = [
    (group, figure) for group in ("civilians", "combatants") for figure in ("killed", "injured")
]


def _leaves(root: Any) -> dict[str, str]:
    """Leaf elements by local name (the first of a repeated name wins)."""
    out: dict[str, str] = {}
    for el in root.iter():
        if not isinstance(el.tag, str) or len(el):
            continue
        name = etree.QName(el).localname
        text = (el.text or "").strip()
        if text and name not in out:
            out[name] = text
    return out


def _geopoint(value: dict[str, str]) -> float | None:
    """Fill team_lat/team_lon from an ODK geopoint; its accuracy in metres, if stated."""
    raw = value.get("location")
    if raw is None:
        return None
    parts = raw.split()
    if len(parts) < 2:
        raise FieldError("location", f"{raw!r:.60}: expected an ODK geopoint 'lat lon [alt acc]'")
    value.setdefault("team_lat", parts[0])
    value.setdefault("team_lon", parts[1])
    if len(parts) >= 4:
        return number({"accuracy": parts[3]}, "accuracy", low=0.0, high=1_000_000.0)
    return None


def _harm(value: dict[str, str]) -> dict[str, Any] | None:
    source = value.get("harm_source", "seen")
    harm: dict[str, Any] = {}
    for group, figure in _HARM_FIGURES:
        lo = number(value, f"{group}_{figure}_min", required=False, low=0, high=1_000_000)
        hi = number(value, f"{group}_{figure}_max", required=False, low=0, high=1_000_000)
        if lo is None and hi is None:
            continue
        span = [int(lo if lo is not None else hi or 0), int(hi if hi is not None else lo or 0)]
        harm.setdefault(group, {"source": source})[figure] = span
    obj = value.get("damage")
    if obj:
        count = number(value, "damage_count", required=False, low=1, high=100_000)
        destroyed = value.get("damage_destroyed", "").lower() in ("yes", "true", "1")
        harm["damage"] = [
            {"object": obj, "count": int(count or 1), "destroyed": destroyed, "source": source}
        ]
    return harm or None


class XFormAdapter(ObserverAdapter):
    format = "xform"

    def records(self, path: Path) -> Iterator[Record | RowError]:
        raw = path.read_bytes()
        if len(raw) > MAX_SUBMISSION_BYTES:
            raise SourceError(f"{path}: {len(raw)} bytes, at most {MAX_SUBMISSION_BYTES}")
        try:
            root = etree.fromstring(raw, safe_parser(strip=True))
        except etree.XMLSyntaxError as exc:
            yield RowError(0, "$", f"not XML: {exc}", raw[:200].decode("utf-8", "replace"))
            return
        if root.get("encrypted") == "yes":
            yield RowError(0, "encrypted", "an encrypted submission: decrypt it first", "")
            return
        value: dict[str, Any] = _leaves(root)
        value["__form"] = root.get("id") or etree.QName(root).localname
        value["__dir"] = str(path.parent)
        yield Record(0, raw[:2000].decode("utf-8", "replace"), value)

    def convert(self, value: Any, ctx: RowContext) -> Observation:
        value = dict(value)
        folder = Path(value.pop("__dir"))
        form = value.pop("__form")
        accuracy = _geopoint(value)
        value.setdefault("time", value.get("start", ""))
        media = []
        for _, text in sorted(value.items()):
            if "/" in text or "\\" in text or Path(text).suffix.lower() not in MEDIA_SUFFIXES:
                continue
            candidate = folder / text
            if candidate.is_file():
                digest = hashlib.sha256(candidate.read_bytes()).hexdigest()
                if digest not in media:
                    media.append(digest)
        obs = super().convert(value, ctx)
        extra: dict[str, Any] = {"odk_form": form}
        if value.get("instanceID"):
            extra["odk_instance"] = value["instanceID"]
        if accuracy is not None:
            extra["position_accuracy_m"] = accuracy
        if media:
            extra["media_sha256"] = media
        harm = _harm(value)
        if harm is not None:
            extra["harm"] = harm
        attrs = obs.attributes.model_dump(exclude_none=True) | extra
        try:
            return Observation.model_validate(obs.model_dump() | {"attributes": attrs})
        except ValueError as exc:
            raise FieldError("harm", str(exc).splitlines()[-1][:200]) from exc
