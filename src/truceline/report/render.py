"""The report as HTML (Jinja2, gettext through Babel) and as PDF (WeasyPrint).

Both are functions of the content and the language: no clock, no random ids (the PDF's
dates and identifier are fixed from the day and the log root), so the same log and day
give the same bytes, and a published report's sha256 can be checked by recomputing it.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime
from functools import lru_cache
from typing import Any

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal, format_percent
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from truceline.observation import format_time
from truceline.report.content import Content
from truceline.report.figures import map_svg, week_chart_svg
from truceline.report.i18n import translations
from truceline.report.terms import term


@lru_cache(maxsize=3)
def environment(lang: str) -> Environment:
    env = Environment(
        loader=PackageLoader("truceline.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]

    def num(value: float | None, digits: int = 0) -> str:
        if value is None:
            return "–"
        fmt = "#,##0" + ("." + "0" * digits if digits else "")
        return format_decimal(value, format=fmt, locale=lang)

    def pct(value: float | None) -> str:
        return "–" if value is None else format_percent(value, format="#,##0.0%", locale=lang)

    env.filters.update(
        num=num,
        pct=pct,
        day=lambda d: format_date(d, format="long", locale=lang),
        clock=lambda t: format_datetime(t, format="yyyy-MM-dd HH:mm:ss", tzinfo=None, locale=lang),
    )
    env.globals["term"] = term
    return env


def html(content: Content, lang: str) -> bytes:
    env = environment(lang)
    tr = translations(lang)
    agreement = content.facts.agreement
    parties = content.parties
    labels = [
        format_date(datetime.fromisoformat(p.replace("Z", "+00:00")), format="d MMM", locale=lang)
        for p in content.doc["periods"]
    ]
    series = {p: content.daily("verified_breaches", "all", p) for p in parties}
    page = env.get_template("report.html.j2").render(
        c=content,
        lang=lang,
        agreement=f"{agreement.id} v{agreement.version}",
        created=format_time(content.end),
        map_svg=_b64(map_svg(agreement, content.breaches, tr.gettext)),
        week_svg=_b64(week_chart_svg(series, parties, tr.gettext, labels)),
    )
    return page.encode()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def pdf(page: bytes, content: Content) -> bytes:
    """The HTML page printed by WeasyPrint; the document's identifier is derived from the
    page (WeasyPrint would otherwise make a random one)."""
    from weasyprint import HTML

    identifier = hashlib.sha256(page).hexdigest()[:32].encode()
    document: Any = HTML(string=page.decode(), base_url=None)
    out = document.write_pdf(pdf_identifier=identifier)
    assert isinstance(out, bytes)
    return out
