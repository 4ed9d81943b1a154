"""`truceline report` over a simulated home built through the CLI: every section in HTML,
the PDF in each language rendered to PNG (pdftoppm) and read back (pdftotext), the same
bytes from a mirror, and the published record found from a copy of the report."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import html as lxml_html

from simulated_home import Mission, cli, cli_result
from truceline.adjudication.verdict import INCIDENT_TYPE
from truceline.codec.entries import Record, read
from truceline.home import Home

DAY = "2026-06-01"
SECTIONS = (
    "summary",
    "key-figures",
    "map",
    "charts",
    "incidents",
    "penalties",
    "inspections",
    "verification",
)
# Words each language's PDF must show (the title's and two section headings).
WORDS = {
    "en": ("Ceasefire verification: daily report", "Summary", "Verified incidents"),
    "uk": ("Верифікація припинення вогню", "Підсумок", "Підтверджені інциденти"),
    "ru": ("Верификация прекращения огня", "Итог", "Подтверждённые инциденты"),
}


def report(home: str, out: Path, *extra: str) -> dict[str, object]:
    return json.loads(cli("report", "--home", home, "--date", DAY, "--out", str(out), *extra))


def without_keys(src: Path, dst: Path) -> Path:
    shutil.copytree(
        src, dst, ignore=lambda d, names: [n for n in names if n in ("keys", "log.key")]
    )
    return dst


@pytest.fixture(scope="module")
def page(simulated_mission: Mission, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "day.html"
    report(simulated_mission.h, out)
    return out


def day_breaches(home: Path) -> int:
    doc = json.loads(cli("metrics", "--home", str(home), "--from", DAY, "--to", "2026-06-02"))
    return sum(
        r["value"] for r in doc["rows"] if r["metric"] == "verified_breaches" and r["key"] == "all"
    )


def test_html_has_every_section_and_the_days_incidents(
    page: Path, simulated_mission: Mission
) -> None:
    doc = lxml_html.fromstring(page.read_bytes())
    for section in SECTIONS:
        found = doc.get_element_by_id(section)
        assert found.tag == "section" and found.text_content().strip(), section
    for name in ("map", "charts"):
        [img] = doc.get_element_by_id(name).iter("img")
        assert img.get("src").startswith("data:image/svg+xml;base64,")
    rows = doc.get_element_by_id("incidents").findall(".//tbody/tr")
    assert len(rows) == day_breaches(simulated_mission.home) > 5
    ledger = Home(simulated_mission.home).reader()
    try:
        for row in rows:
            cells = [c.text_content().strip() for c in row.findall("td")]
            incident, index, evidence = cells[0], int(cells[-1]), int(cells[5])
            got = read(index, ledger.read(index, index + 1)[0], (INCIDENT_TYPE,))
            # the ledger index names the verdict's own record on the log
            assert isinstance(got, Record) and got.payload["incident"] == incident
            assert evidence == len(got.payload["evidence"]) >= 1
            assert re.search(r"± [\d,]+ m", cells[6])
    finally:
        ledger.close()
    figures = doc.get_element_by_id("key-figures").findall(".//tbody/tr")
    assert len(figures) >= 5


def test_a_mirror_renders_the_same_bytes(
    page: Path, simulated_mission: Mission, tmp_path: Path
) -> None:
    mirror = without_keys(simulated_mission.home, tmp_path / "mirror")
    again = tmp_path / "again.html"
    report(str(mirror), again)
    assert again.read_bytes() == page.read_bytes()
    assert not (mirror / "keys").exists()


@pytest.mark.parametrize("lang", ["en", "uk", "ru"])
def test_pdf_in_each_language_renders_and_reads_back(
    simulated_mission: Mission, tmp_path: Path, lang: str
) -> None:
    pdf = tmp_path / f"day.{lang}.pdf"
    made = report(simulated_mission.h, pdf, "--format", "pdf", "--lang", lang)
    assert pdf.read_bytes().startswith(b"%PDF-") and made["bytes"] == pdf.stat().st_size
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert pages and all(p.read_bytes().startswith(b"\x89PNG") for p in pages)
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    flat = " ".join(text.split())
    for word in WORDS[lang]:
        assert word in flat, (lang, word)
    if lang != "en":
        assert "Summary" not in flat and "Verified incidents" not in flat
    assert str(day_breaches(simulated_mission.home)) in flat


def test_publish_and_verify_from_a_mirror(simulated_mission: Mission, tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(simulated_mission.home, home)
    out = tmp_path / "day.html"
    made = report(str(home), out, "--publish")
    published = made["published"]
    assert published["signed_by"] == "mission-publisher"
    assert published["sha256"] == made["sha256"] and published["date"] == DAY
    mirror = without_keys(home, tmp_path / "mirror")
    found = json.loads(cli("report", "--home", str(mirror), "--verify", str(out)))
    [record] = found["published"]
    assert record["index"] == published["index"] and record["lang"] == "en"
    tampered = tmp_path / "tampered.html"
    tampered.write_bytes(out.read_bytes().replace(b"Summary", b"Summery"))
    result = cli_result("report", "--home", str(mirror), "--verify", str(tampered))
    assert result.exit_code == 1 and json.loads(result.stdout)["published"] == []
    # a mirror holds no publisher key: it cannot publish
    refused = cli_result(
        "report",
        "--home",
        str(mirror),
        "--date",
        DAY,
        "--out",
        str(tmp_path / "x.html"),
        "--publish",
    )
    assert refused.exit_code == 2 and "it cannot publish" in refused.output
    assert not (tmp_path / "x.html").exists()


def test_a_report_record_by_another_principal_is_not_a_publication(
    simulated_mission: Mission, tmp_path: Path
) -> None:
    """Signed by the adjudicator (who may write verdicts, not reports): on the log, but no
    reader takes it as published (authority.WRITERS)."""
    import hashlib

    from truceline.codec import keys
    from truceline.codec.records import seal
    from truceline.report.record import REPORT_TYPE

    home = tmp_path / "home"
    shutil.copytree(simulated_mission.home, home)
    data = b"<html>a report the mission never published</html>"
    (tmp_path / "fake.html").write_bytes(data)
    key = keys.load_private_key(home / "keys" / "mission-adjudicator.key")
    record = {
        "date": DAY,
        "lang": "en",
        "format": "html",
        "sha256": hashlib.sha256(data).hexdigest(),
        "bytes": len(data),
        "log_size": 1,
        "log_root": "0" * 64,
        "agreement": "x@1",
        "published_at": "2026-06-02T00:00:00Z",
        "publisher": "mission-adjudicator",
    }
    entry = tmp_path / "entry.json"
    entry.write_bytes(seal(REPORT_TYPE, record, key, keys.key_id(key.public_key())))
    cli("log", "append", "--home", str(home), str(entry))
    result = cli_result("report", "--home", str(home), "--verify", str(tmp_path / "fake.html"))
    assert result.exit_code == 1


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--date", "June 1"), "--date: expected a day"),
        (("--date", DAY, "--lang", "de"), "--lang: expected one of en, uk, ru"),
        ((), "--date: the day to report on is required"),
    ],
)
def test_errors_name_the_option(
    simulated_mission: Mission, args: tuple[str, ...], says: str
) -> None:
    result = cli_result("report", "--home", simulated_mission.h, *args)
    assert result.exit_code == 2 and says in result.output


def test_catalogs_are_current_and_complete(tmp_path: Path) -> None:
    """Extracting the messages again gives the committed template; every message has a
    translation in uk and ru (plural forms included), none fuzzy."""
    from babel.messages.pofile import read_po

    from truceline.report import i18n

    pot = tmp_path / "fresh.pot"
    pybabel = Path(sys.executable).with_name("pybabel")
    src = Path(i18n.__file__).parent
    subprocess.run(
        [
            str(pybabel),
            "-q",
            "extract",
            "-F",
            str(src / "babel.cfg"),
            "-k",
            "N_",
            "-k",
            "ngettext:1,2",
            "--no-location",
            "--sort-output",
            "-o",
            str(pot),
            str(src),
        ],
        check=True,
    )
    fresh = {m.id for m in read_po(pot.open("rb")) if m.id}
    committed = {m.id for m in read_po((i18n.LOCALE_DIR / "truceline.pot").open("rb")) if m.id}
    assert fresh == committed, "run scripts/i18n"
    for lang in ("uk", "ru"):
        catalog = read_po(i18n.catalog_path(lang).open("rb"), locale=lang)
        assert {m.id for m in catalog if m.id} == fresh
        for m in catalog:
            if not m.id:
                continue
            strings = m.string if isinstance(m.string, tuple) else (m.string,)
            assert all(strings) and not m.fuzzy, (lang, m.id)
            if isinstance(m.id, tuple):
                assert len(strings) == 3  # one, few, many
        assert i18n.translations(lang).gettext("Summary") != "Summary"
