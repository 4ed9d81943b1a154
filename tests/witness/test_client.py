"""WitnessClient against a real witness over a real socket: every outcome it must tell apart."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from truceline.ledger.witness.client import (
    WitnessClient,
    WitnessConflict,
    WitnessRefused,
    WitnessUnavailable,
)
from truceline.ledger.witness.core import Witness
from truceline.ledger.witness.request import AddCheckpointRequest
from truceline.ledger.witness.server import create_app

from .helpers import TestLog
from .live import free_port, serve


class Flaky:
    """Answers 503 `failures` times, then lets the real witness answer."""

    def __init__(self, witness: Witness, failures: int) -> None:
        self.witness, self.failures, self.calls = witness, failures, 0
        self.lock = threading.Lock()

    async def handle(self, request: Request) -> Response:
        body = await request.body()
        with self.lock:
            self.calls += 1
            if self.calls <= self.failures:
                return Response("busy\n", status_code=503)
        return Response(self.witness.add_checkpoint(body))


@pytest.fixture
def flaky(witness: Witness) -> Flaky:
    return Flaky(witness, 2)


@pytest.fixture
def base(witness: Witness, flaky: Flaky) -> Iterator[str]:
    app = Starlette(
        routes=[
            Mount("/w", app=create_app(witness)),
            Route("/flaky/add-checkpoint", flaky.handle, methods=["POST"]),
            Route(
                "/sloppy/add-checkpoint",
                lambda r: Response("7\n", status_code=409, media_type="text/plain"),
                methods=["POST"],
            ),
        ]
    )
    with serve(app) as url:
        yield url


def test_cosignature_then_conflict_with_the_witness_size(base: str, log: TestLog) -> None:
    log.grow(4)
    with WitnessClient(f"{base}/w") as client:
        lines = client.add_checkpoint(0, [], log.checkpoint())
        assert lines.startswith("— witness.example.org/w1 ".encode())
        log.grow(2)
        with pytest.raises(WitnessConflict) as exc:
            client.add_checkpoint(0, [], log.checkpoint())
        assert exc.value.size == 4


@pytest.mark.parametrize(
    ("make", "status"),
    [
        (lambda lg: AddCheckpointRequest(9, (), lg.checkpoint()), 400),
        (lambda lg: AddCheckpointRequest(0, (), TestLog("nobody.example").checkpoint(0)), 404),
        (lambda lg: AddCheckpointRequest(0, (), lg.checkpoint(signer=TestLog("x").signer)), 403),
        (lambda lg: AddCheckpointRequest(0, (b"\x00" * 32,), lg.checkpoint()), 422),
    ],
)
def test_refusals_carry_their_status(base: str, log: TestLog, make, status: int) -> None:  # type: ignore[no-untyped-def]
    log.grow(3)
    req = make(log)
    with WitnessClient(f"{base}/w", retries=3) as client, pytest.raises(WitnessRefused) as exc:
        client.add_checkpoint(req.old, req.proof, req.checkpoint)
    assert exc.value.status == status


def test_5xx_is_retried_until_it_succeeds(base: str, log: TestLog, flaky: Flaky) -> None:
    log.grow(2)
    with WitnessClient(f"{base}/flaky", retries=2, backoff=0.01) as client:
        assert client.add_checkpoint(0, [], log.checkpoint())
    assert flaky.calls == 3


def test_retries_are_bounded(base: str, log: TestLog, flaky: Flaky) -> None:
    log.grow(2)
    with (
        WitnessClient(f"{base}/flaky", retries=1, backoff=0.01) as client,
        pytest.raises(WitnessUnavailable, match="503"),
    ):
        client.add_checkpoint(0, [], log.checkpoint())
    assert flaky.calls == 2


def test_nothing_listening_is_unavailable(log: TestLog) -> None:
    log.grow(1)
    with (
        WitnessClient(f"http://127.0.0.1:{free_port()}", retries=1, backoff=0.01) as client,
        pytest.raises(WitnessUnavailable, match="ConnectError"),
    ):
        client.add_checkpoint(0, [], log.checkpoint())


def test_a_409_without_the_size_media_type_is_refused(base: str, log: TestLog) -> None:
    log.grow(1)
    with (
        WitnessClient(f"{base}/sloppy") as client,
        pytest.raises(WitnessRefused, match="x.tlog.size"),
    ):
        client.add_checkpoint(0, [], log.checkpoint())


def test_submit_follows_409_with_the_right_proof(base: str, log: TestLog, witness: Witness) -> None:
    log.grow(5)
    with WitnessClient(f"{base}/w") as client:
        client.submit(log.checkpoint(), 5, 0, log.proof)
        log.grow(8)
        sub = client.submit(log.checkpoint(), 13, 2, log.proof)  # wrong guess: 2
    assert sub.old == 5
    assert witness.store.state(log.origin).size == 13


def test_submit_refuses_when_the_witness_is_ahead(base: str, log: TestLog) -> None:
    log.grow(9)
    with WitnessClient(f"{base}/w") as client:
        client.submit(log.checkpoint(), 9, 0, log.proof)
        with pytest.raises(WitnessRefused, match="beyond"):
            client.submit(log.checkpoint(6), 6, 0, log.proof)
