"""A CAP 1.2 consumer's alert state, as consumers track it (written for these tests from
the CAP 1.2 spec, section 3.2.1, and the behaviour of cap-tools' `AlertState`).

Every message is kept under its (sender, identifier, sent) triple; an Update or a Cancel
then removes each message its `references` names. So a consumer fails, or silently loses
the incident, when an Update reuses the triple of the alert it updates (it is stored,
then removed as its own reference), or cites a message already replaced (it is gone:
cap-tools raises KeyError, as `strict` does here).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from lxml import etree

NS = {"c": "urn:oasis:names:tc:emergency:cap:1.2"}


@dataclass(frozen=True)
class Key:
    sender: str
    identifier: str
    sent: datetime  # compared as an instant, as an XML dateTime is


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def key_of(doc: etree._Element) -> Key:
    return Key(
        doc.findtext("c:sender", namespaces=NS) or "",
        doc.findtext("c:identifier", namespaces=NS) or "",
        _time(doc.findtext("c:sent", namespaces=NS) or ""),
    )


def references(doc: etree._Element) -> list[Key]:
    out = []
    for triple in (doc.findtext("c:references", namespaces=NS) or "").split():
        sender, identifier, sent = triple.split(",")
        out.append(Key(sender, identifier, _time(sent)))
    return out


@dataclass
class AlertState:
    strict: bool = True  # a reference to a message not held is an error (cap-tools: KeyError)
    alerts: dict[Key, etree._Element] = field(default_factory=dict)

    def ingest(self, data: bytes) -> None:
        doc = etree.fromstring(data)
        self.alerts[key_of(doc)] = doc
        if doc.findtext("c:msgType", namespaces=NS) in ("Update", "Cancel"):
            for ref in references(doc):
                if ref not in self.alerts and not self.strict:
                    continue
                del self.alerts[ref]  # KeyError when strict and already gone

    def by_incident(self) -> dict[str, list[etree._Element]]:
        """The messages held, grouped by the incident each names (`incidents`, else the
        `incident` parameter)."""
        out: dict[str, list[etree._Element]] = {}
        for doc in self.alerts.values():
            name = doc.findtext("c:incidents", namespaces=NS) or doc.findtext(
                "c:info/c:parameter[c:valueName='incident']/c:value", namespaces=NS
            )
            out.setdefault(name or "", []).append(doc)
        return out
