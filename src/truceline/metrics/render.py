"""The metrics document as bytes: JSON (sorted keys, compact) or CSV (the rows).

The bytes depend on the document only, so the same log gives the same file anywhere."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from truceline.metrics.compute import columns


def to_json(doc: dict[str, Any]) -> bytes:
    return (
        json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"
    )


def to_csv(doc: dict[str, Any]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    names = columns()
    writer.writerow(names)
    for row in doc["rows"]:
        writer.writerow(["" if row[k] is None else row[k] for k in names])
    return out.getvalue().encode()
