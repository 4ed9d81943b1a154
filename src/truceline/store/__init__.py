"""The metadata store: SQLite embedded by default, PostgreSQL in production.

The ledger's tiles and entry bundles are files; everything else that must be
queried (deduplication index, witness state, quarantine, derived views) lives
in tables declared on `Base` by the package that owns them.
"""

from truceline.store.base import Base, open_store, sqlite_url

__all__ = ["Base", "open_store", "sqlite_url"]
