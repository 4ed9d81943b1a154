"""The report's fixed text in English, Ukrainian and Russian: gettext catalogs (Babel).

The catalogs are the .po files under locale/<lang>/LC_MESSAGES/truceline.po, shipped
with the package. They are compiled when first needed, in memory (Babel's pofile and
mofile), so a fresh machine, an editable install and a read-only one all work without a
build step, and no stale .mo can ever disagree with its .po. `scripts/i18n` re-extracts
the messages (pybabel extract) and updates the catalogs; the tests check that every
message is translated in every language.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from truceline.errors import TrucelineError

DOMAIN = "truceline"
LOCALE_DIR = Path(__file__).with_name("locale")
LANGS = ("en", "uk", "ru")


class LanguageError(TrucelineError, ValueError):
    """A language the report has no catalog for."""


def N_(message: str) -> str:
    """Marks a message for extraction where it is defined; it is translated where shown."""
    return message


def catalog_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@lru_cache(maxsize=len(LANGS))
def translations(lang: str) -> Translations:
    if lang not in LANGS:
        raise LanguageError(f"--lang {lang!r}: expected one of {', '.join(LANGS)}")
    with catalog_path(lang).open("rb") as fh:
        catalog = read_po(fh, locale=lang, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)
