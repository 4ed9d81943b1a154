"""The values the HTTP routes take in the query and path, typed once for every route.

* `TimeParam`: a time is an RFC 3339 date-time with its offset (`rfc3339.UtcTime`), as
  everywhere in Truceline; a bare date, a naive time or an epoch number (`now=0.5`) is
  refused with a 422 naming the parameter, never guessed at.
* `Int64Path` / `Int64Query`: an index, id or offset is a non-negative integer a 64-bit
  store column can hold; 2**63 and beyond are refused before they reach SQLite.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from truceline.rfc3339 import UtcTime

INT64_MAX = 2**63 - 1

TimeParam = Annotated[
    UtcTime | None,
    Query(description="an RFC 3339 date-time with an offset, e.g. 2026-03-01T12:00:00Z"),
]
Int64Path = Annotated[int, Path(ge=0, le=INT64_MAX)]
Int64Query = Annotated[int, Query(ge=0, le=INT64_MAX)]
