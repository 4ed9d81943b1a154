"""What the fuzz tests share: the corpus, its signing key, and a bound on hypothesis.

Every fuzz test runs a fixed number of examples with no deadline, so that the whole
suite stays within about a minute on the 2-core machine (`FUZZ`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings

from truceline.codec import keys

from .make_corpus import CORPUS, CORPUS_KEY

FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
KID = keys.key_id(CORPUS_KEY.public_key())
TABLE = {KID: ("radar-1", keys.raw_public(CORPUS_KEY.public_key()))}


def manifest() -> dict[str, dict[str, Any]]:
    return json.loads((CORPUS / "manifest.json").read_text())


def corpus(parser: str | None = None) -> list[tuple[Path, dict[str, Any]]]:
    return [
        (CORPUS / name, expect)
        for name, expect in sorted(manifest().items())
        if parser is None or expect["parser"] == parser
    ]
