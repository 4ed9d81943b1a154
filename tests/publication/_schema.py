"""A schema verdict check shared by the CAP and CoT tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from truceline.publication.xml import XmlError, validate


def check_schema_cases(cases: list[dict[str, Any]], xsd: Path) -> None:
    """Each case's inline `xml` validates against `xsd` if its `schema_valid` says so,
    else validation raises XmlError."""
    for case in cases:
        data = case["xml"].encode()
        if case["schema_valid"]:
            validate(data, xsd)
        else:
            with pytest.raises(XmlError):
                validate(data, xsd)
