"""Registry records signed with the registrar's key and appended to the log: the one place
that does it, for `truceline sensor` and for a field device's enrolment over HTTP."""

from __future__ import annotations

from collections.abc import Sequence

from truceline.errors import TrucelineError
from truceline.home import Home
from truceline.registry.model import Register, Revoke, Rotate


class RegistryRefused(TrucelineError):
    """A registry event the registry would ignore, or a principal the agreement gives no role."""

    code = "registry"


def append_events(home: Home, events: Sequence[Register | Rotate | Revoke]) -> list[int]:
    """Sign `events` with the registrar's key and append them; their log indices.

    Refuses (RegistryRefused, with the reason) an event the registry would ignore or a
    principal the agreement gives no role; HomeError if the home has no registrar key."""
    from truceline.authority import authority_of, registrar_ids, roles_of
    from truceline.registry.state import seal_event

    ledger = home.ledger()
    try:
        authority = authority_of(ledger)
        mission, mkid, _ = home.signing_key(*registrar_ids(authority))
        registry = authority.registry
        entries = []
        for i, event in enumerate(events):
            # fold first, so an event the registry would ignore is refused here with its reason
            probe = registry.apply_event(registry.size + i, event)
            if probe:
                raise RegistryRefused(probe)
            if isinstance(event, Register) and not roles_of(
                registry.sensors[event.sensor.id], authority.agreement
            ):
                s = event.sensor
                raise RegistryRefused(
                    f"sensor: {s.id!r} ({s.kind.value} of {s.operator}) would hold no role "
                    "under the agreement (see `principals` and `inspections.teams`)"
                )
            entries.append(seal_event(event, mission, mkid))
        return ledger.append(entries)
    finally:
        ledger.close()
