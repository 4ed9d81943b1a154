"""Logging a published report (its record, signed by the mission's publisher) and finding,
for a report file, the records that published it: from the public log alone."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from truceline.authority import Authority
from truceline.codec.entries import Record, read
from truceline.codec.records import seal
from truceline.home import Home, HomeError
from truceline.ledger.base import Ledger
from truceline.observation import format_time
from truceline.report.record import REPORT_TYPE, ReportRecord

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Published:
    index: int
    record: ReportRecord
    signer: str


def publisher_key(home: Home) -> tuple[Any, str, str]:
    """(key, keyid, principal) of the publisher this home may sign as; HomeError (naming
    what is missing) where it may not, as on a mirror: checked before a report is made."""
    if not home.log_skey.exists():
        raise HomeError(f"{home.root}: no log key here (a mirror?): it cannot publish")
    ledger = home.reader()
    try:
        authority = Authority()
        authority.catch_up(ledger)
    finally:
        ledger.close()
    return home.signing_key(*authority.agreement.principals.publishers)


def publish(
    home: Home,
    data: bytes,
    day: date,
    lang: str,
    fmt: str,
    log_size: int,
    log_root: str,
    agreement: str,
    now: datetime,
) -> Published:
    """Append the record of report `data` to the home's log, signed by its publisher."""
    key, keyid, principal = publisher_key(home)
    ledger = home.ledger()
    try:
        record = ReportRecord(
            date=day,
            lang=lang,
            format=fmt,
            sha256=hashlib.sha256(data).hexdigest(),
            bytes=len(data),
            log_size=log_size,
            log_root=log_root,
            agreement=agreement,
            published_at=now,
            publisher=principal,
        )
        [index] = ledger.append([seal(REPORT_TYPE, record.model_dump(mode="json"), key, keyid)])
    finally:
        ledger.close()
    return Published(index, record, principal)


def signed_records(
    ledger: Ledger, payload_type: str, model: type[M], end: int | None = None
) -> Iterator[tuple[int, M, str]]:
    """(index, record, signer) of every well-formed record of `payload_type` in the log
    (its first `end` entries) whose signer may write it (`authority.WRITERS`)."""
    authority = Authority()
    for index, entry in ledger.scan(0):
        if end is not None and index >= end:
            break
        authority.apply(index, entry)
        got = read(index, entry, (payload_type,))
        if not isinstance(got, Record):
            continue
        signer = authority.check_mission(got)
        if not isinstance(signer, str):
            continue
        try:
            record = model.model_validate(got.payload)
        except ValidationError:
            continue
        yield index, record, signer


def published(ledger: Ledger) -> list[Published]:
    """Every report record on the log whose signer may write it (`authority.WRITERS`)."""
    return [Published(i, r, s) for i, r, s in signed_records(ledger, REPORT_TYPE, ReportRecord)]


def describe(p: Published) -> dict[str, object]:
    return {
        "index": p.index,
        "signed_by": p.signer,
        **p.record.model_dump(mode="json"),
        "published_at": format_time(p.record.published_at),
    }
