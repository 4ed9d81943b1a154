"""Publishing a corridor forecast as a signed record of the mission, and checking, from a
copy of the log, that each published forecast is what the log implies."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from truceline.codec.jcs import canonicalize
from truceline.codec.records import seal
from truceline.corridors.record import FORECAST_TYPE, ForecastRecord, ForecastRow
from truceline.corridors.service import forecast_doc
from truceline.corridors.spec import CorridorFileError, CorridorSpec, parse, to_geojson
from truceline.home import Home
from truceline.ledger.tiles import MAX_ENTRY_SIZE
from truceline.observation import format_time
from truceline.report.publish import publisher_key, signed_records


def sha256(obj: Any) -> str:
    return hashlib.sha256(canonicalize(obj)).hexdigest()


def rows_of(doc: dict[str, Any]) -> list[ForecastRow]:
    keys = ForecastRow.model_fields
    return [ForecastRow.model_validate({k: f[k] for k in keys}) for f in doc["forecasts"]]


@dataclass(frozen=True)
class Published:
    index: int
    record: ForecastRecord
    signer: str


def publish(
    home: Home,
    at: datetime,
    window: timedelta,
    corridors: list[CorridorSpec] | None,
    now: datetime,
) -> tuple[Published, dict[str, Any]]:
    """Compute the forecast from the log as it is and append its record, signed by the
    publisher; (the record, the forecast document)."""
    key, keyid, principal = publisher_key(home)  # a mirror fails here, before any work
    doc = forecast_doc(home, at, window, corridors)
    ag = doc["agreement"]
    geo = to_geojson(corridors) if corridors is not None else None
    fields = {
        "at": at,
        "window_s": int(window.total_seconds()),
        "log_size": doc["log"]["size"],
        "log_root": doc["log"]["root"],
        "agreement": f"{ag['id']}@{ag['version']}",
        "corridors_source": "file" if corridors is not None else "agreement",
        "corridors_sha256": sha256(geo),
        "forecast_sha256": sha256(doc),
        "rows": rows_of(doc),
        "published_at": now,
        "publisher": principal,
    }
    entry = b""
    for embed in (geo, None):  # the corridors travel along when the entry has room
        record = ForecastRecord(**fields, corridors=embed)
        entry = seal(FORECAST_TYPE, record.model_dump(mode="json"), key, keyid)
        if len(entry) <= MAX_ENTRY_SIZE:
            break
    else:
        raise CorridorFileError(
            f"the forecast of {len(fields['rows'])} corridor windows does not fit one log "
            f"entry ({len(entry)} bytes, at most {MAX_ENTRY_SIZE}): publish fewer corridors "
            "or a shorter --window at a time"
        )
    ledger = home.ledger()
    try:
        [index] = ledger.append([entry])
    finally:
        ledger.close()
    return Published(index, record, principal), doc


def published(home: Home) -> list[Published]:
    ledger = home.reader()
    try:
        return [
            Published(i, r, s) for i, r, s in signed_records(ledger, FORECAST_TYPE, ForecastRecord)
        ]
    finally:
        ledger.close()


def corridors_of(
    p: Published, given: list[CorridorSpec] | None
) -> tuple[list[CorridorSpec] | None, dict[str, Any] | None]:
    """The corridors a published forecast was computed for: (None: the agreement's, or
    those of the file, embedded or `given`), and else why they cannot be had."""
    r = p.record
    if r.corridors_source != "file":
        return None, None
    if r.corridors is not None:
        try:
            chosen = parse(r.corridors, f"record {p.index}: corridors")
        except CorridorFileError as exc:
            return None, {"result": "differs", "field": "corridors", "reason": str(exc)}
    elif given is not None and sha256(to_geojson(given)) == r.corridors_sha256:
        chosen = given
    else:
        return None, {"result": "needs_corridors", "corridors_sha256": r.corridors_sha256}
    if sha256(to_geojson(chosen)) != r.corridors_sha256:
        return None, {"result": "differs", "field": "corridors_sha256"}
    return chosen, None


def recompute(home: Home, p: Published, corridors: list[CorridorSpec] | None) -> dict[str, Any]:
    """Check one published forecast against the log: 'equal', 'differs' (and where) or
    'needs_corridors' (a file that was not embedded and not given)."""
    r = p.record
    out: dict[str, Any] = {"index": p.index, "signed_by": p.signer, "at": format_time(r.at)}
    chosen, problem = corridors_of(p, corridors)
    if problem is not None:
        return out | problem
    doc = forecast_doc(home, r.at, timedelta(seconds=r.window_s), chosen, size=r.log_size)
    if doc["log"]["root"] != r.log_root:
        return out | {"result": "differs", "field": "log_root"}
    if rows_of(doc) != r.rows:
        return out | {"result": "differs", "field": "rows"}
    if sha256(doc) != r.forecast_sha256:
        return out | {"result": "differs", "field": "forecast_sha256"}
    return out | {"result": "equal", "forecast_sha256": r.forecast_sha256}


def describe(p: Published) -> dict[str, Any]:
    r = p.record
    return {
        "index": p.index,
        "signed_by": p.signer,
        "at": format_time(r.at),
        "window_s": r.window_s,
        "log_size": r.log_size,
        "agreement": r.agreement,
        "forecast_sha256": r.forecast_sha256,
        "published_at": format_time(r.published_at),
        "rows": [row.model_dump(mode="json") for row in r.rows],
    }
