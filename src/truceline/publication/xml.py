"""Safe XML parsing and XSD validation for what we publish and what we are sent.

The parser never loads a DTD, never expands entities, never touches the network
and refuses XInclude, so a hostile document (XXE, billion laughs) fails to parse
instead of reading files or URLs.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from lxml import etree

from truceline.errors import TrucelineError


class XmlError(TrucelineError, ValueError):
    """Not well-formed, hostile, or not valid against the schema; the message says where."""


def safe_parser(*, strip: bool = False) -> etree.XMLParser:
    """The one hostile-safe parser; `strip` drops comments and processing instructions
    (what the adapters read: only elements and text carry data)."""
    return etree.XMLParser(
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=False,
        remove_comments=strip,
        remove_pis=strip,
    )


def parse(data: bytes) -> etree._Element:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]  # a UTF-8 BOM is allowed before the declaration
    try:
        doc = etree.fromstring(data, safe_parser())
    except etree.XMLSyntaxError as exc:
        raise XmlError(f"not well-formed XML: {exc}") from exc
    tree = doc.getroottree()
    if tree.docinfo.internalDTD is not None or tree.docinfo.doctype:
        raise XmlError("DOCTYPE declarations are refused (no DTDs, no entities)")
    if doc.xpath("//*[namespace-uri()='http://www.w3.org/2001/XInclude']"):
        raise XmlError("XInclude elements are refused")
    return doc


@lru_cache(maxsize=8)
def schema(path: str) -> etree.XMLSchema:
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    return etree.XMLSchema(etree.parse(str(Path(path)), parser))


def validate(data: bytes, xsd: Path | str) -> etree._Element:
    """Parse safely and validate against `xsd`; XmlError with the first error's line and message."""
    doc = parse(data)
    s = schema(str(xsd))
    if not s.validate(doc):
        err = s.error_log[0]
        raise XmlError(f"line {err.line}: {err.message}")
    return doc
