"""A fresh PostgreSQL schema, dropped afterwards: each test (or benchmark) its own namespace."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def pg_schema(base_url: str, prefix: str = "t") -> Iterator[str]:
    """`base_url` with its search_path set to a new schema, which is dropped at the end."""
    import sqlalchemy as sa

    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base_url)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base_url else "?"
    try:
        yield f"{base_url}{sep}options=-csearch_path%3D{schema}"
    finally:
        from truceline.ledger.storage.pgengines import dispose_idle

        dispose_idle()  # the log drivers' pooled connections to the schema about to go
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
