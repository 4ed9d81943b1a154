"""Bytes on the wire and in the ledger: RFC 8785 JSON, DSSE envelopes, Ed25519 keys."""
