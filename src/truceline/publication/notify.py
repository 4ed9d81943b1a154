"""Notifications: logged enforcement transitions pushed to webhook subscribers.

Subscribers are listed in HOME/publication.yaml:

    webhooks:
      - id: guarantors
        url: https://guarantor.example/truceline
        secret_env: GUARANTORS_WEBHOOK_SECRET   # HMAC key (base64, `whsec_` prefix allowed)
        events: [countdown_started, penalty_in_force, playbook_step, playbook_escalated]

Only transitions that are on the log (signed by the enforcement key) are sent, so a
subscriber can check each against the log; the body is the logged record itself plus
its ledger index. Re-running sends nothing twice (the delivery table keys on the
webhook id, a hash of the body).
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from truceline.authority import Authority
from truceline.codec.entries import Record, read
from truceline.enforcement.records import ENFORCEMENT_TYPE
from truceline.ledger.base import Ledger
from truceline.publication.webhooks import Deliverer, Outcome, Subscription

_ENFORCEMENT = (ENFORCEMENT_TYPE,)


@dataclass(frozen=True)
class Route:
    subscription: Subscription
    events: frozenset[str] = field(default_factory=frozenset)  # empty = every event

    def wants(self, event: str) -> bool:
        return not self.events or event in self.events


def load_routes(path: Path, env: dict[str, str] | None = None) -> list[Route]:
    env = dict(os.environ) if env is None else env
    doc = yaml.safe_load(path.read_text()) or {}
    routes = []
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
        routes.append(Route(sub, frozenset(item.get("events", []))))
    return routes


def logged_events(ledger: Ledger) -> list[dict[str, Any]]:
    """The enforcement transitions on the log that an enforcement principal the agreement
    names signed (`truceline.authority`), with their ledger index."""
    authority = Authority()
    out = []
    for index, entry in ledger.scan():
        authority.apply(index, entry)
        got = read(index, entry, _ENFORCEMENT)
        if isinstance(got, Record) and isinstance(authority.check_mission(got), str):
            out.append({"index": index, **got.payload})
    return out


def publish(
    events: list[dict[str, Any]], routes: list[Route], deliverer: Deliverer
) -> list[Outcome]:
    outcomes = []
    for ev in events:
        body = json.dumps(ev, sort_keys=True, separators=(",", ":")).encode()
        for route in routes:
            if route.wants(ev["event"]):
                outcomes.append(deliverer.deliver(route.subscription, body))
    return outcomes
