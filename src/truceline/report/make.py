"""One report: content from the log, rendered in a language and a format."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from truceline.home import Home
from truceline.report import content, render


@dataclass(frozen=True)
class Made:
    data: bytes
    log_size: int
    log_root: str
    agreement: str


def make_report(home: Home, day: date, lang: str, fmt: str) -> Made:
    c = content.build(home, day)
    page = render.html(c, lang)
    data = render.pdf(page, c) if fmt == "pdf" else page
    a = c.facts.agreement
    return Made(data, c.facts.log_size, c.facts.log_root, f"{a.id}@{a.version}")
