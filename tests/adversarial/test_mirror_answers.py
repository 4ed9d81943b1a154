"""An outsider's mirror answers exactly as the operator's home does.

`truceline serve` runs the mission's API as a real process; a party builds a mirror of the
log over HTTP with `truceline mirror` (public data only: no private key anywhere), then asks
its own copy every reading question, on the CLI and over its own HTTP API. Every answer is
byte for byte the operator's, because everything a reader trusts comes from the log.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from fastapi.testclient import TestClient
from tests.served_home import serve_home

from truceline.api import create_app
from truceline.home import Home

from .conftest import ENFORCE_AT, Mission, cli, cli_result

READING = (
    ["incidents"],
    ["incidents", "--format", "csv"],
    ["penalties", "--now", ENFORCE_AT],
    ["inspections", "--now", ENFORCE_AT],
    ["playbooks", "--now", ENFORCE_AT],
    ["replay"],
    ["sensor", "list", "--json"],
    ["agreement", "show", "--at", ENFORCE_AT],
)
ROUTES = (
    "/incidents",
    "/incidents.geojson",
    f"/enforcement/penalties?now={ENFORCE_AT}",
    f"/enforcement/inspections?now={ENFORCE_AT}",
    f"/enforcement/playbooks?now={ENFORCE_AT}",
    "/sensors",
    "/receipts/5",
    "/entries/5",
)


def _ask(home: Path, args: list[str]) -> str:
    """A reading command on `home`; sub-commands (`sensor list`) take --home after them."""
    head = args[:2] if args[0] in ("sensor", "agreement") else args[:1]
    return cli(*head, "--home", str(home), *args[len(head) :])


def _answers(home: Path) -> dict[str, str]:
    out = {" ".join(args): _ask(home, list(args)) for args in READING}
    with TestClient(create_app(Home(home))) as client:
        for route in ROUTES:
            r = client.get(route)
            assert r.status_code == 200, (route, r.text)
            out[route] = r.text
    return out


def test_a_mirror_built_over_http_answers_as_the_operator(mission: Mission, tmp_path: Path) -> None:
    operator = _answers(mission.home)
    copy = tmp_path / "mirror"
    with serve_home(mission.home) as url:
        out = cli("mirror", f"{url}/log", "--home", str(copy))
        assert "trust" in out.lower()
    assert not (copy / "keys").exists() and not (copy / "log.key").exists()
    assert _answers(copy) == operator
    # Nothing the reading commands did created a key or a store in the mirror.
    assert not (copy / "keys").exists() and not (copy / "log.key").exists()
    # Writing is refused with the reason.
    result = cli_result("fuse", "--home", str(copy))
    assert result.exit_code != 0 and "key" in result.output


def test_the_mirror_follows_new_verdicts(mission: Mission, tmp_path: Path) -> None:
    copy = tmp_path / "mirror"
    with serve_home(mission.home) as url:
        cli("mirror", f"{url}/log", "--home", str(copy))
        before = json.loads(cli("penalties", "--home", str(copy), "--now", ENFORCE_AT))
        cli("enforce", "--home", mission.h, "--now", "2026-08-01T00:00:00Z")
        cli("mirror", f"{url}/log", "--home", str(copy))
    later = ["penalties", "--now", "2026-08-01T00:00:00Z"]
    assert cli(later[0], "--home", str(copy), *later[1:]) == cli(
        later[0], "--home", mission.h, *later[1:]
    )
    assert before != json.loads(cli(later[0], "--home", str(copy), *later[1:]))
    shutil.rmtree(copy)
