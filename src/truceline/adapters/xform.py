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
                          a damaged civilian object (housing, school, ...); in a repeat
                          group, one per repeat (the three read from the same repeat)
  any other leaf whose text names a media file beside the submission (ODK stores photos,
  audio and video as `<photo>1717574400000.jpg</photo>` in the instance folder), at any
  depth and in every repeat
                          attributes.media_sha256: the file's SHA-256, so the media can be
                          stored and checked later (`truceline field check-media`)
  meta/instanceID         attributes.odk_instance, the submission's id
  the root's id, version  attributes.odk_form, odk_form_version (the form's settings)
  __version__             attributes.kobo_version: KoboToolbox's deployed form version

Leaves other than damage and media are read once: of a name repeated (a repeat group's
rows), the first wins.

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


def _leaf_elements(root: Any) -> Iterator[tuple[str, str, Any]]:
    """(local name, text, element) of every leaf with text, in document order."""
    for el in root.iter():
        if not isinstance(el.tag, str) or len(el):
            continue
        text = (el.text or "").strip()
        if text:
            yield etree.QName(el).localname, text, el


def _leaves(root: Any) -> dict[str, str]:
    """Leaf elements by local name (the first of a repeated name wins)."""
    out: dict[str, str] = {}
    for name, text, _ in _leaf_elements(root):
        out.setdefault(name, text)
    return out


def _damage_items(root: Any) -> list[dict[str, str]]:
    """Each `damage` leaf with the damage_count and damage_destroyed of its own group (one
    repeat of a repeat group)."""
    items = []
    for name, text, el in _leaf_elements(root):
        if name != "damage":
            continue
        item = {"damage": text}
        for sibling in el.getparent():
            key = etree.QName(sibling).localname if isinstance(sibling.tag, str) else ""
            if key in ("damage_count", "damage_destroyed") and (sibling.text or "").strip():
                item[key] = sibling.text.strip()
        items.append(item)
    return items


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


def _harm(value: dict[str, Any]) -> dict[str, Any] | None:
    source = value.get("harm_source", "seen")
    harm: dict[str, Any] = {}
    for group, figure in _HARM_FIGURES:
        lo = number(value, f"{group}_{figure}_min", required=False, low=0, high=1_000_000)
        hi = number(value, f"{group}_{figure}_max", required=False, low=0, high=1_000_000)
        if lo is None and hi is None:
            continue
        span = [int(lo if lo is not None else hi or 0), int(hi if hi is not None else lo or 0)]
        harm.setdefault(group, {"source": source})[figure] = span
    damage = []
    for item in value.get("__damage", []):
        count = number(item, "damage_count", required=False, low=1, high=100_000)
        destroyed = item.get("damage_destroyed", "").lower() in ("yes", "true", "1")
        damage.append(
            {
                "object": item["damage"],
                "count": int(count or 1),
                "destroyed": destroyed,
                "source": source,
            }
        )
    if damage:
        harm["damage"] = damage
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
        value["__texts"] = sorted({text for _, text, _ in _leaf_elements(root)})
        value["__damage"] = _damage_items(root)
        value["__form"] = root.get("id") or etree.QName(root).localname
        value["__form_version"] = root.get("version")
        value["__dir"] = str(path.parent)
        yield Record(0, raw[:2000].decode("utf-8", "replace"), value)

    def convert(self, value: Any, ctx: RowContext) -> Observation:
        value = dict(value)
        folder = Path(value.pop("__dir"))
        form = value.pop("__form")
        form_version = value.pop("__form_version")
        texts = value.pop("__texts")
        kobo_version = value.pop("__version__", None)
        accuracy = _geopoint(value)
        value.setdefault("time", value.get("start", ""))
        media = []
        for text in texts:
            if "/" in text or "\\" in text or Path(text).suffix.lower() not in MEDIA_SUFFIXES:
                continue
            candidate = folder / text
            if candidate.is_file():
                digest = hashlib.sha256(candidate.read_bytes()).hexdigest()
                if digest not in media:
                    media.append(digest)
        obs = super().convert(value, ctx)
        extra: dict[str, Any] = {"odk_form": form}
        if form_version:
            extra["odk_form_version"] = form_version
        if kobo_version:
            extra["kobo_version"] = kobo_version
        if value.get("instanceID"):
            extra["odk_instance"] = value["instanceID"]
        if accuracy is not None:
            extra["position_accuracy_m"] = accuracy
        if media:
            extra["media_sha256"] = media
        harm = _harm(value)
        value.pop("__damage")
        if harm is not None:
            extra["harm"] = harm
        attrs = obs.attributes.model_dump(exclude_none=True) | extra
        try:
            return Observation.model_validate(obs.model_dump() | {"attributes": attrs})
        except ValueError as exc:
            raise FieldError("harm", str(exc).splitlines()[-1][:200]) from exc
