"""What the per-principal write limits cost (`truceline.ratelimit`).

1. `WriteLimiter.wait` calls a second: one principal, and 200,000 principals in turn (the
   table full at MAX_PRINCIPALS, every call evicting the least recently used bucket).
2. POST /observations of one signed envelope through the app (TestClient), with the limit
   (the first envelope's signature checked to find its principal) and without (the limit
   out of reach), alternating in the same run; the ratio is what the limit adds.

Run: .venv/bin/python benchmarks/bench_ratelimit.py  (needs tests/ on the path: it builds
its mission home as the API tests do)
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from fastapi.testclient import TestClient  # noqa: E402

from ingest.hostile import make_home, observation, sign_payload  # noqa: E402
from truceline.api import create_app  # noqa: E402
from truceline.clock import FixedClock, SystemClock  # noqa: E402
from truceline.codec.jcs import canonicalize  # noqa: E402
from truceline.home import Home  # noqa: E402
from truceline.ratelimit import WriteLimit, WriteLimiter  # noqa: E402


def limiter_rate(principals: int, calls: int = 200_000) -> float:
    limiter = WriteLimiter(WriteLimit(), SystemClock())
    names = [f"keyid:{i}" for i in range(principals)]
    t0 = time.perf_counter()
    for i in range(calls):
        limiter.wait(names[i % principals])
    return calls / (time.perf_counter() - t0)


def requests_per_second(client: TestClient, body: bytes, n: int) -> float:
    t0 = time.perf_counter()
    for _ in range(n):
        assert client.post("/observations", content=body).status_code == 200
    return n / (time.perf_counter() - t0)


def main() -> None:
    print(f"limiter, 1 principal: {limiter_rate(1):,.0f} calls/s")
    print(f"limiter, 200,000 principals (evicting): {limiter_rate(200_000):,.0f} calls/s")
    root, key = make_home(Path(tempfile.mkdtemp()))
    clock = FixedClock(datetime.now(UTC))
    body = sign_payload(canonicalize(observation(1, clock.now())), key)  # a replay after the first
    home = Home(root)
    limited = TestClient(create_app(home, clock, WriteLimit(1e9, 10**9)))
    # the same routes with no limiter at all (router(limits=None)) to compare against
    from truceline.ingest import api as ingest_api

    bare = TestClient(create_app(home, clock))
    bare.app.router.routes.clear()
    bare.app.include_router(ingest_api.router(home, clock, None))
    rounds = []
    for _ in range(3):
        rounds.append(
            (requests_per_second(limited, body, 300), requests_per_second(bare, body, 300))
        )
    for with_limit, without in rounds:
        print(
            f"POST /observations, 1 envelope: {with_limit:,.0f} req/s with the limit, "
            f"{without:,.0f} without (ratio {with_limit / without:.2f})"
        )


if __name__ == "__main__":
    main()
