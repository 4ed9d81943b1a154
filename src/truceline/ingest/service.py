"""The ingest service of a mission home: ledger + store + registry + ingestor, opened together,
and file imports through the adapters and the mission's import gateway."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from truceline.authority import Authority, Role
from truceline.clock import Clock, SystemClock
from truceline.home import Home
from truceline.ingest.check import Checked, unpack
from truceline.ingest.formats import read_envelopes
from truceline.ingest.ingestor import Ingestor, Result
from truceline.ingest.reasons import Reason, Rejection
from truceline.ledger.base import Ledger

DEFAULT_BATCH = 4096


@dataclass
class Tally:
    accepted: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    first_index: int | None = None
    last_index: int | None = None
    # accepted reports whose stated device clock the receipt-time check flagged (a field
    # report dated after its arrival beyond its stated accuracy, or never synchronised): the
    # log keeps no arrival time, so this summary is where an operator sees it
    time_flagged: list[dict[str, object]] = field(default_factory=list)

    def add(self, results: Iterable[Result]) -> None:
        for r in results:
            if r.accepted:
                self.accepted += 1
                if self.first_index is None:
                    self.first_index = r.index
                self.last_index = r.index
                if r.time is not None and r.time["status"] == "flag":
                    self.time_flagged.append(
                        {"index": r.index, "sensor": r.sensor, "seq": r.seq, "time": r.time}
                    )
            else:
                key = r.reason or "unknown"
                self.rejected[key] = self.rejected.get(key, 0) + 1

    def count(self, reason: str, n: int = 1) -> None:
        self.rejected[reason] = self.rejected.get(reason, 0) + n

    def to_json(self) -> dict[str, object]:
        return {
            "accepted": self.accepted,
            "rejected": sum(self.rejected.values()),
            "rejected_by_reason": dict(sorted(self.rejected.items())),
            "first_index": self.first_index,
            "last_index": self.last_index,
            "time_flagged": self.time_flagged,
        }


class Mission:
    """What a CLI command or the API needs of a home: open once, close once."""

    def __init__(
        self,
        home: Home,
        clock: Clock | None = None,
        *,
        workers: int = 0,
    ) -> None:
        self.home = home
        self.clock = clock or SystemClock()
        self.engine = home.store()
        self.ledger: Ledger = home.ledger(self.engine)
        self.ingestor = Ingestor(
            self.ledger,
            self.engine,
            Authority(),
            self.clock,
            workers=workers,
            lock_path=home.root / "ingest.lock",
            quarantine_max_bytes=home.quarantine_max_bytes(),
        )

    def close(self) -> None:
        self.ingestor.close()
        self.ledger.close()
        self.engine.dispose()

    def __enter__(self) -> Mission:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- submissions ---------------------------------------------------------------

    def ingest_envelopes(
        self,
        envelopes: Iterable[bytes],
        source: str = "",
        batch: int = DEFAULT_BATCH,
        progress: Callable[[int], None] | None = None,
    ) -> Tally:
        tally = Tally()
        for results in self.ingestor.ingest_batches(_chunks(envelopes, batch), source):
            tally.add(results)
            if progress:
                progress(len(results))
        return tally

    def ingest_dsse_file(
        self, path: Path, batch: int = DEFAULT_BATCH, progress: Callable[[int], None] | None = None
    ) -> Tally:
        return self.ingest_envelopes(read_envelopes(Path(path)), str(path), batch, progress)

    def import_file(
        self,
        fmt: str,
        path: Path,
        batch: int = DEFAULT_BATCH,
        progress: Callable[[int], None] | None = None,
        workers: int = 1,
        uploader: str | None = None,
    ) -> Tally:
        """Parse with the adapter for `fmt`, sign as the mission's import gateway, ingest.

        `uploader`: the registered principal that submitted the file (authenticated by the
        HTTP API, or named by the operator on the command line); None: the gateway's own
        import for the mission. Every row's provenance names it: its rows are its evidence,
        and one uploader's files are one source whatever their format.

        Rows the adapter cannot read go to the quarantine too (reason bad_row), with
        the row's text, so every row of the file is accounted for.
        """
        from truceline.adapters import ADAPTERS
        from truceline.adapters.base import RowError
        from truceline.adapters.gateway import Gateway

        adapter_cls = ADAPTERS.get(fmt)
        if adapter_cls is None:
            raise ValueError(
                f"--format: expected one of {sorted([*ADAPTERS, 'dsse'])}, found {fmt!r}"
            )
        gateways = self.ingestor.authority.agreement.principals.import_gateways
        key, kid, gateway_id = self.home.signing_key(*gateways)
        if uploader is not None and Role.importer not in self.ingestor.authority.roles(uploader):
            raise ValueError(
                f"uploader: {uploader!r} is not a registered importer (register it with "
                "`truceline sensor add --kind importer`)"
            )
        start = self.ingestor.state.last_seq.get(gateway_id, -1) + 1
        gateway = Gateway(gateway_id, key, kid, start)
        tally = Tally()
        envelopes: list[bytes] = []
        checked: list[Checked | Rejection] = []
        row_errors: list[tuple[bytes, Rejection]] = []
        source = str(path)

        def flush() -> None:
            if envelopes:
                tally.add(self.ingestor.ingest_checked(envelopes, checked, source))
                if progress:
                    progress(len(envelopes))
                envelopes.clear()
                checked.clear()
            if row_errors:
                self.ingestor.quarantine.add(row_errors, self.clock.now(), source)
                tally.count(Reason.bad_row, len(row_errors))
                if progress:
                    progress(len(row_errors))
                row_errors.clear()

        # the signing processes also run the stateless checks (signature, canonical form,
        # schema) against the current key table: this process only merges, runs the
        # stateful checks and appends
        items = gateway.import_file(
            adapter_cls(uploader), Path(path), workers=workers, check_keys=self.ingestor.key_table()
        )
        for item in items:
            if isinstance(item, RowError):
                row_errors.append(
                    (
                        item.raw.encode("utf-8"),
                        Rejection(Reason.bad_row, item.field, f"row {item.row}: {item.reason}"),
                    )
                )
            else:
                envelopes.append(item.envelope)
                checked.append(unpack(item.envelope, item.checked))
            if len(envelopes) + len(row_errors) >= batch:
                flush()
        flush()
        return tally


def _chunks(items: Iterable[bytes], n: int) -> Iterator[list[bytes]]:
    chunk: list[bytes] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= n:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
