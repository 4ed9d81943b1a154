"""ODK Collect / KoboToolbox submissions (`--format xform`): instances in the layout ODK
Collect writes (`instances/<form>_<time>/submission.xml` with its media beside it; no real
observer-mission submission is public), written by hand and, below, filled from a form that
pyxform builds from an XLSForm defined here; imported through the CLI into a mission, signed
by the import gateway, and their photos then stored and checked like a field device's."""

from __future__ import annotations

import copy
import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from simulated_home import SERVED_AT, cli, cli_result, server
from truceline.adapters import Row, RowError
from truceline.adapters.xform import XFormAdapter
from truceline.codec.entries import Record, read
from truceline.home import Home
from truceline.observation import OBSERVATION_TYPE, Kind, Perception

SUBMISSION = """<?xml version='1.0' ?>
<data id="truceline_patrol" version="2026060101"
      xmlns:h="http://www.w3.org/1999/xhtml" xmlns:jr="http://openrosa.org/javarosa"
      xmlns:odk="http://www.opendatakit.org/xforms" xmlns:orx="http://openrosa.org/xforms">
  <start>2026-06-05T03:58:12.331+03:00</start>
  <end>2026-06-05T04:06:40.021+03:00</end>
  <team>{team}</team>
  <report>
    <time>2026-06-05T04:05:00.000+03:00</time>
    <location>{lat} {lon} 112.4 8.0</location>
    <perception>seen</perception>
    <kind>impact</kind>
    <direction>NE</direction>
    <distance>1-2 km</distance>
    <weapon>artillery</weapon>
    <count>2</count>
  </report>
  <harm>
    <civilians_injured_min>1</civilians_injured_min>
    <civilians_injured_max>3</civilians_injured_max>
    <harm_source>medical</harm_source>
    <damage>housing</damage>
    <damage_count>4</damage_count>
    <damage_destroyed>yes</damage_destroyed>
  </harm>
  <evidence>
    <photo>1780628700123.jpg</photo>
    <voice/>
  </evidence>
  <notes>crater in a garden, 1780628700123.jpg shows it</notes>
  <meta>
    <instanceID>uuid:5a0c3f4e-9b1d-4f55-8d2a-0b0e5a1f9c11</instanceID>
  </meta>
</data>
"""


def submission(folder: Path, team: str, lonlat: tuple[float, float], **swap: str) -> Path:
    folder.mkdir(parents=True)
    text = SUBMISSION.format(team=team, lat=lonlat[1], lon=lonlat[0])
    for old, new in swap.items():
        text = text.replace(old, new)
    (folder / "submission.xml").write_text(text)
    (folder / "1780628700123.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"photo" * 50)
    return folder / "submission.xml"


def test_a_submission_becomes_one_observation_with_its_media_and_harm(tmp_path: Path) -> None:
    path = submission(tmp_path / "a", "SMM-DON-3", (37.75, 48.03))
    [row] = list(XFormAdapter().parse(path))
    assert isinstance(row, Row), row
    o = row.observation
    assert o.kind is Kind.impact and o.attributes.perception is Perception.seen
    assert o.geometry.coordinates == (37.75, 48.03)  # type: ignore[union-attr]
    assert o.observed_at.isoformat() == "2026-06-05T01:05:00+00:00"
    assert o.attributes.bearing_deg == 45.0 and o.attributes.distance_band_m == (1000.0, 2000.0)
    assert o.attributes.position_accuracy_m == 8.0 and o.attributes.count == 2
    photo = (tmp_path / "a" / "1780628700123.jpg").read_bytes()
    assert o.attributes.media_sha256 == [hashlib.sha256(photo).hexdigest()]
    harm = o.attributes.harm
    assert harm is not None and harm.civilians is not None
    assert harm.civilians.injured == (1, 3) and harm.civilians.source.value == "medical"
    assert harm.damage[0].count == 4 and harm.damage[0].destroyed
    extra: Any = o.attributes.model_extra
    assert extra["odk_instance"] == "uuid:5a0c3f4e-9b1d-4f55-8d2a-0b0e5a1f9c11"
    assert extra["odk_form"] == "truceline_patrol"


@pytest.mark.parametrize(
    ("swap", "field"),
    [
        ({"112.4 8.0": "", "48.03 37.75": "48.03"}, "location"),
        ({"<kind>impact</kind>": "<kind>bombing</kind>"}, "kind"),
        ({"<civilians_injured_max>3": "<civilians_injured_max>0"}, "harm"),
        ({'id="truceline_patrol"': 'id="truceline_patrol" encrypted="yes"'}, "encrypted"),
        # an external entity is never read: the team it would fill stays empty
        (
            {
                "<?xml version='1.0' ?>": "<?xml version='1.0' ?>"
                "<!DOCTYPE data [<!ENTITY x SYSTEM 'file:///etc/hostname'>]>",
                "<team>SMM-DON-3</team>": "<team>&x;</team>",
            },
            "team",
        ),
        ({"<?xml version='1.0' ?>": "<?xml version='1.0' ?><data>"}, "$"),
    ],
)
def test_a_bad_submission_is_a_row_error_naming_the_field(
    tmp_path: Path, swap: dict[str, str], field: str
) -> None:
    path = submission(tmp_path / "s", "SMM-DON-3", (37.75, 48.03), **swap)
    [item] = list(XFormAdapter().parse(path))
    assert isinstance(item, RowError) and item.field == field, item


def test_imported_through_the_gateway_and_its_photo_checked(
    simulated_mission: Any, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    shutil.copytree(simulated_mission.home, home)
    path = submission(tmp_path / "instances" / "patrol_2026-06-05", "patrol-x", (30.6, 46.0))
    out = json.loads(
        cli(
            "ingest",
            "--home",
            str(home),
            "--format",
            "xform",
            "--now",
            SERVED_AT,
            "--json",
            str(path),
        )
    )
    assert out[str(path)]["accepted"] == 1, out
    reader = Home(home).reader()
    index = out[str(path)]["first_index"]
    got = read(index, reader.entry(index), (OBSERVATION_TYPE,))
    assert isinstance(got, Record) and got.payload["attributes"]["provenance"]["format"] == "xform"
    photo_path = path.parent / "1780628700123.jpg"
    photo = photo_path.read_bytes()
    sha = hashlib.sha256(photo).hexdigest()
    assert got.payload["attributes"]["media_sha256"] == [sha]
    with TestClient(server(home)) as client:
        stored = client.put(f"/field/media/{sha}?entry={index}", content=photo)
        assert stored.status_code == 200, stored.text
    found = json.loads(cli("field", "check-media", "--home", str(home), str(photo_path)))
    assert [r["entry"] for r in found["reports"]] == [index]
    assert found["reports"][0]["signer"] == "ok"
    assert cli_result("field", "check-media", "--home", str(home), str(path)).exit_code == 1


# --- submissions of a real form -------------------------------------------------------------
#
# The form is an XLSForm defined here and converted by pyxform, ODK's own XLSForm-to-XForm
# converter (what ODK Central and KoboToolbox run on upload). Each submission is that form's
# primary instance filled in the way ODK Collect writes it: repeat templates dropped, one
# element per repeat, media named by the capture time beside submission.xml. (No real
# observer-mission submission files were available.)

PATROL_XLSFORM = """
| survey   |                       |                  |            |                |
|          | type                  | name             | label      | calculation    |
|          | start                 | start            |            |                |
|          | end                   | end              |            |                |
|          | text                  | team             | Team       |                |
|          | begin group           | report           | Report     |                |
|          | dateTime              | time             | When       |                |
|          | geopoint              | location         | Where      |                |
|          | select_one perception | perception       | How        |                |
|          | select_one kind       | kind             | What       |                |
|          | select_one compass    | direction        | Direction  |                |
|          | select_one band       | distance         | Distance   |                |
|          | end group             |                  |            |                |
|          | begin repeat          | damage_item      | Damage     |                |
|          | select_one object     | damage           | Object     |                |
|          | integer               | damage_count     | How many   |                |
|          | select_one yes_no     | damage_destroyed | Destroyed  |                |
|          | end repeat            |                  |            |                |
|          | begin repeat          | evidence         | Evidence   |                |
|          | image                 | photo            | Photo      |                |
|          | end repeat            |                  |            |                |
|          | audio                 | voice            | Voice note |                |
{kobo}
| choices  |                       |                  |            |
|          | list_name             | name             | label      |
|          | perception            | seen             | Seen       |
|          | perception            | heard            | Heard      |
|          | kind                  | impact           | Impact     |
|          | kind                  | launch           | Launch     |
|          | compass               | NE               | North-east |
|          | band                  | 1-2 km           | 1 to 2 km  |
|          | object                | housing          | Housing    |
|          | object                | school           | School     |
|          | yes_no                | yes              | Yes        |
|          | yes_no                | no               | No         |
| settings |                       |                  |
|          | form_id               | version          |
|          | {form_id}             | 2026060101       |
"""
# What KoboToolbox adds to every form it deploys: the deployment's version and formhub.
KOBO_ROWS = """|          | calculate             | __version__      |            | 'vQ7dRk3LmW'   |
|          | begin group           | formhub          |            |                |
|          | calculate             | uuid             |            | 'f1e2d3c4b5a6' |
|          | end group             |                  |            |                |"""
XFORMS = "{http://www.w3.org/2002/xforms}"
JR_TEMPLATE = "{http://openrosa.org/javarosa}template"


def xform(kobo: bool) -> bytes:
    from pyxform.xls2xform import convert

    md = PATROL_XLSFORM.format(
        kobo=KOBO_ROWS if kobo else "", form_id="aK3vYt9wQpZ2" if kobo else "truceline_patrol"
    )
    return convert(md, file_type=".md").xform.encode()


def fill(form: bytes, answers: dict[str, str], repeats: dict[str, list[dict[str, str]]]) -> bytes:
    """The form's primary instance with `answers` (paths under the root) and one element
    per repeat, without namespaces or templates, as ODK Collect submits it."""
    from lxml import etree

    html = etree.fromstring(form)
    data = copy.deepcopy(html.find(f".//{XFORMS}model/{XFORMS}instance")[0])
    for el in data.iter():
        el.tag = etree.QName(el).localname
    for template in data.xpath(".//*[@*[local-name()='template']]"):
        template.getparent().remove(template)
    for name, rows in repeats.items():
        [prototype] = data.findall(name)
        for row in rows:
            repeat = copy.deepcopy(prototype)
            for key, text in row.items():
                repeat.find(key).text = text
            prototype.addprevious(repeat)
        data.remove(prototype)
    for path, text in answers.items():
        found = data.find(path)
        assert found is not None, f"the form has no {path}"
        found.text = text
    etree.cleanup_namespaces(data)
    return etree.tostring(data, xml_declaration=True, encoding="UTF-8")


def real_submission(folder: Path, kobo: bool) -> tuple[Path, list[bytes]]:
    """A submission of the pyxform-built form with two damage repeats and two photos."""
    folder.mkdir(parents=True)
    photos = [b"\xff\xd8\xff\xe0" + bytes([n]) * 300 for n in (1, 2)]
    for n, data in enumerate(photos):
        (folder / f"17806287001{n}0.jpg").write_bytes(data)
    answers = {
        "start": "2026-06-05T03:58:12.331+03:00",
        "end": "2026-06-05T04:06:40.021+03:00",
        "team": "SMM-DON-3",
        "report/time": "2026-06-05T04:05:00.000+03:00",
        "report/location": "48.03 37.75 112.4 6.5",
        "report/perception": "heard",
        "report/kind": "impact",
        "report/direction": "NE",
        "report/distance": "1-2 km",
        "meta/instanceID": "uuid:0d7c2f0e-7a51-4c1e-9e43-2b6f3d1a8c55",
    }
    if kobo:
        answers["__version__"] = "vQ7dRk3LmW"
        answers["formhub/uuid"] = "f1e2d3c4b5a6"
    repeats = {
        "damage_item": [
            {"damage": "housing", "damage_count": "3", "damage_destroyed": "yes"},
            {"damage": "school", "damage_count": "1", "damage_destroyed": "no"},
        ],
        "evidence": [{"photo": "1780628700100.jpg"}, {"photo": "1780628700110.jpg"}],
    }
    path = folder / "submission.xml"
    path.write_bytes(fill(xform(kobo), answers, repeats))
    return path, photos


@pytest.mark.parametrize("kobo", [False, True], ids=["odk-collect", "kobotoolbox"])
def test_a_submission_of_a_pyxform_built_form(tmp_path: Path, kobo: bool) -> None:
    path, photos = real_submission(tmp_path / "instances" / "patrol", kobo)
    text = path.read_text()
    assert "<damage_item>" in text and "template" not in text  # the form's own repeat
    [row] = list(XFormAdapter().parse(path))
    assert isinstance(row, Row), row
    o = row.observation
    assert o.kind is Kind.impact and o.attributes.perception is Perception.heard
    assert o.geometry.coordinates == (37.75, 48.03)  # type: ignore[union-attr]
    assert o.attributes.position_accuracy_m == 6.5  # the geopoint's fourth number
    assert o.observed_at.isoformat() == "2026-06-05T01:05:00+00:00"
    assert o.attributes.bearing_deg == 45.0 and o.attributes.distance_band_m == (1000.0, 2000.0)
    # both photos of the evidence repeat, not only the first
    assert sorted(o.attributes.media_sha256) == sorted(
        hashlib.sha256(p).hexdigest() for p in photos
    )
    # one damaged object per repeat, each with its own count
    harm = o.attributes.harm
    assert harm is not None
    assert [(d.object.value, d.count, d.destroyed) for d in harm.damage] == [
        ("housing", 3, True),
        ("school", 1, False),
    ]
    extra: Any = o.attributes.model_extra
    assert extra["odk_instance"] == "uuid:0d7c2f0e-7a51-4c1e-9e43-2b6f3d1a8c55"
    assert extra["odk_form_version"] == "2026060101"
    if kobo:
        assert extra["odk_form"] == "aK3vYt9wQpZ2" and extra["kobo_version"] == "vQ7dRk3LmW"
    else:
        assert extra["odk_form"] == "truceline_patrol" and "kobo_version" not in extra
