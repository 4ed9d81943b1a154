"""The adapter contract: a source file in, one `Row` or `RowError` per source row out.

An adapter reads a third party's file (a FIRMS CSV, a CoT log, ...) and turns
each row into an `Observation`, or into a `RowError` that names the field and
the reason. Nothing is dropped and nothing is fixed silently: every repair is
written into `attributes.provenance.repairs`, and `counts` always satisfies
read == parsed + errors.

The observations come out with a placeholder sensor ("import") and seq (the row
number); the import gateway (`adapters.gateway`) replaces both when it signs,
because the gateway, not the third party, is the registered signer.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from pydantic import ValidationError

from truceline.errors import TrucelineError
from truceline.observation import Observation, Provenance

PLACEHOLDER_SENSOR = "import"
RAW_LIMIT = 500  # characters of the offending row kept in a RowError


@dataclass(frozen=True, slots=True)
class Row:
    row: int
    observation: Observation


@dataclass(frozen=True, slots=True)
class RowError:
    row: int
    field: str
    reason: str
    raw: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.field}: {self.reason}"


Parsed = Row | RowError


class FieldError(TrucelineError, ValueError):
    """Raised inside an adapter's `convert`: the named source field is unusable."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class SourceError(TrucelineError, ValueError):
    """The file as a whole is not of the adapter's format (no rows can be read from it)."""


@dataclass
class Counts:
    """What one `parse` call has seen so far. read == parsed + errors at every step."""

    read: int = 0
    parsed: int = 0
    errors: int = 0
    repaired: int = 0  # parsed rows that carry at least one repair
    noise: int = 0  # non-record lines skipped between records (log chatter), not rows


@dataclass
class RowContext:
    """Per-row bookkeeping handed to `convert`: where the row came from and what was fixed."""

    source: str
    sha256: str
    row: int
    format: str
    repairs: list[str] = field(default_factory=list)
    uploader: str | None = None

    def repair(self, note: str) -> None:
        self.repairs.append(note)

    def provenance(self) -> Provenance:
        return Provenance(
            source=self.source,
            sha256=self.sha256,
            row=self.row,
            format=self.format,
            repairs=list(self.repairs),
            uploader=self.uploader,
        )


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def clip(raw: str) -> str:
    return raw if len(raw) <= RAW_LIMIT else raw[:RAW_LIMIT] + "…"


def describe_validation(exc: ValidationError) -> tuple[str, str]:
    """The first pydantic complaint as (field path, message)."""
    first = exc.errors()[0]
    # without pydantic's union tags ('Polygon', 'function-after[...]'): field names only
    parts = [
        str(p)
        for p in first["loc"]
        if not (isinstance(p, str) and ("[" in p or p.startswith("function") or p[:1].isupper()))
    ]
    return ".".join(parts) or "observation", first["msg"]


@dataclass(frozen=True, slots=True)
class Record:
    """One unit of the source before conversion: its number, its raw text, its parsed form."""

    row: int
    raw: str
    value: Any


class Adapter(ABC):
    """One source format. Subclasses set `format` and implement `records` and `convert`."""

    format: ClassVar[str]

    def __init__(self, uploader: str | None = None) -> None:
        self.counts = Counts()
        # Who submitted the file (a registered principal): written into every row's
        # provenance, so its rows count as that principal's evidence.
        self.uploader = uploader

    @abstractmethod
    def records(self, path: Path) -> Iterator[Record | RowError]:
        """Stream the source's rows. A row that cannot even be split out is a RowError."""

    @abstractmethod
    def convert(self, value: Any, ctx: RowContext) -> Observation:
        """Turn one record into an observation, or raise FieldError."""

    def payload(self, observation: Observation, sensor: str, seq: int) -> bytes | None:
        """The RFC 8785 payload of `observation` as `sensor` at `seq`, written directly for a
        fixed shape this adapter makes, or None: then the gateway takes the general path
        (`to_json_obj` + `jcs.canonicalize`). An override must give the same bytes (tested)."""
        return None

    def parse(self, path: Path, share: tuple[int, int] | None = None) -> Iterator[Parsed]:
        """Every row of `path`, in order, as a Row or a RowError (streaming).

        `share=(k, n)` converts only the rows whose number is k modulo n, so n processes can
        split one file between them; `counts` then covers that share only.
        """
        path = Path(path)
        sha = file_sha256(path)  # first pass: the hash goes into every row's provenance
        self.counts = counts = Counts()
        for item in self.records(path):
            if share is not None and item.row % share[1] != share[0]:
                continue
            counts.read += 1
            if isinstance(item, RowError):
                counts.errors += 1
                yield item
                continue
            ctx = RowContext(
                source=path.name,
                sha256=sha,
                row=item.row,
                format=self.format,
                uploader=self.uploader,
            )
            try:
                observation = self.convert(item.value, ctx)
            except FieldError as exc:
                counts.errors += 1
                yield RowError(item.row, exc.field, exc.reason, clip(item.raw))
                continue
            except ValidationError as exc:
                loc, msg = describe_validation(exc)
                counts.errors += 1
                yield RowError(item.row, loc, msg, clip(item.raw))
                continue
            except OverflowError as exc:
                # date arithmetic past year 1 or 9999 (e.g. 9999-12-31 plus a time of day)
                counts.errors += 1
                yield RowError(
                    item.row, "row", f"a date or time out of range: {exc}", clip(item.raw)
                )
                continue
            counts.parsed += 1
            if ctx.repairs:
                counts.repaired += 1
            yield Row(item.row, observation)
