"""A c2sp.org/tlog-witness witness: HTTP service, state store, client and CLI."""
