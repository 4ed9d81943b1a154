"""Notifications: logged enforcement transitions pushed to webhook subscribers.

Subscribers are listed in HOME/publication.yaml:

    delivery:                      # optional: defaults for every subscriber (policy.py)
      retry_schedule_s: [0, 5, 300, 1800, 7200, 18000, 36000, 36000]
      max_in_flight: 1             # more: faster, but then arrivals may be out of order
      timeout_s: 10
      pause_after_s: 900
      pause_after_failures: 3
      probe_every_s: 60
      failing_every_s: 5             # while failing: one attempt at a time, one per 5 s
      ordered: false
    webhooks:
      - id: guarantors
        url: https://guarantor.example/truceline
        secret_env: GUARANTORS_WEBHOOK_SECRET   # HMAC key (base64, `whsec_` prefix allowed)
        events: [countdown_started, penalty_in_force, playbook_step, playbook_escalated]
        # case_void and playbook_void come with them: a case's (a step's) events imply
        # its withdrawal (WITHDRAWALS);
        # a name that is not an enforcement event is refused, naming it
        timeout_s: 30                           # any delivery key, for this subscriber only

Only transitions that are on the log (signed by the enforcement key) are sent, so a
subscriber can check each against the log; the body is the logged record itself plus
its ledger index, and the webhook id is a hash of the body: the same on every retry
and every re-run, for the receiver to drop duplicates.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from truceline.authority import Authority
from truceline.codec.entries import Record, read
from truceline.enforcement.records import CASE_KINDS, ENFORCEMENT_TYPE, EventKind
from truceline.ledger.base import Ledger
from truceline.publication.policy import DeliveryPolicy, policy_from
from truceline.publication.webhooks import Subscription

_ENFORCEMENT = (ENFORCEMENT_TYPE,)

CASE_EVENTS = frozenset(e.value for e in CASE_KINDS)
"""The events that tell of a case against a party (`subject` is the case id)."""

STEP_EVENTS = frozenset(e.value for e in (EventKind.playbook_step, EventKind.playbook_escalated))
"""The events that tell of a playbook step (`subject` is the step key)."""

WITHDRAWALS = {EventKind.case_void.value: CASE_EVENTS, EventKind.playbook_void.value: STEP_EVENTS}
"""Each withdrawal and the events whose announcement it takes back."""


def with_withdrawals(events: frozenset[str]) -> frozenset[str]:
    """`events` and the withdrawals of what they announce: a subscriber told of a case
    (say, only its countdown) is told when the case is voided, and one told of a playbook
    step when the step is withdrawn, on the same channel, since a party publicly accused
    (or called on to act) and then cleared must see the clearing where it saw the
    accusation. Decided by event name alone (as every route is), so such a subscriber
    gets every withdrawal of its kind, also of a case voided (a step withdrawn) before
    reaching the event it listed."""
    return events | {w for w, told in WITHDRAWALS.items() if events & told}


@dataclass(frozen=True)
class Route:
    subscription: Subscription
    events: frozenset[str] = field(default_factory=frozenset)  # empty = every event
    policy: DeliveryPolicy = field(default_factory=DeliveryPolicy)

    def wants(self, event: str) -> bool:
        return not self.events or event in self.events


def _event_names(value: Any, where: str) -> frozenset[str]:
    """The listed events, each one an enforcement event: a misspelt name would otherwise
    match nothing and silently keep that subscriber from ever being told of it."""
    if not isinstance(value, list):
        raise ValueError(f"{where}: expected a list of event names, found {value!r}")
    known = {e.value for e in EventKind}
    for k, name in enumerate(value):
        if name not in known:
            raise ValueError(
                f"{where}[{k}]: {name!r} is not an enforcement event (one of "
                f"{', '.join(sorted(known))})"
            )
    return frozenset(value)


def load_routes(path: Path, env: dict[str, str] | None = None) -> list[Route]:
    env = dict(os.environ) if env is None else env
    doc = yaml.safe_load(path.read_text()) or {}
    defaults = policy_from(doc.get("delivery") or {}, DeliveryPolicy(), f"{path}: delivery")
    routes: list[Route] = []
    for i, item in enumerate(doc.get("webhooks", [])):
        where = f"{path}: webhooks[{i}]"
        secret_name = item.get("secret_env")
        if not secret_name or secret_name not in env:
            raise ValueError(
                f"{where}.secret_env: names no set environment variable ({secret_name!r})"
            )
        raw = env[secret_name].removeprefix("whsec_")
        try:
            secret = base64.b64decode(raw, validate=True)
        except ValueError as exc:
            raise ValueError(f"{where}.secret_env: {secret_name} is not base64") from exc
        sub = Subscription(id=str(item["id"]), url=str(item["url"]), secret=secret)
        if any(r.subscription.id == sub.id for r in routes):
            raise ValueError(f"{where}.id: {sub.id!r} is listed twice")
        policy = policy_from(item, defaults, where)
        events = with_withdrawals(_event_names(item.get("events", []), f"{where}.events"))
        routes.append(Route(sub, events, policy))
    return routes


def logged_events(
    ledger: Ledger,
    authority: Authority,
    start: int = 0,
    stop: int | None = None,
    wanted: Callable[[str], bool] | None = None,
) -> Iterator[dict[str, Any]]:
    """The enforcement transitions in [start, stop) that an enforcement principal the
    agreement names signed (`truceline.authority`), with their ledger index. `authority`
    folds every entry it has not seen yet, in log order, so that each record is judged at
    its place in the log (a caller keeps it from one range to the next).

    With `wanted`, only the transitions whose event it accepts: the others' signatures,
    most of the notifier's CPU on a busy log, are not checked."""
    for index, entry in ledger.scan(authority.size):
        if stop is not None and index >= stop:
            break
        authority.apply(index, entry)
        if index < start:
            continue
        got = read(index, entry, _ENFORCEMENT)
        if not isinstance(got, Record) or not isinstance(got.payload, dict):
            continue  # not a transition (what no enforcement key signs is not sent)
        if wanted is not None and not wanted(str(got.payload.get("event", ""))):
            continue
        if isinstance(authority.check_mission(got), str):
            yield {"index": index, **got.payload}


def body_of(event: dict[str, Any]) -> bytes:
    return json.dumps(event, sort_keys=True, separators=(",", ":")).encode()
