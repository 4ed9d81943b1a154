"""`TrucelineError.diagnostics()`: what, where, why and what to do, as the CLI prints it."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import PG_URL
from truceline.cli import app
from truceline.ledger.tilelog import LogError

runner = CliRunner()
REPO = Path(__file__).resolve().parents[1]


def test_diagnostics_names_what_where_why_and_what_to_do() -> None:
    try:
        try:
            raise OSError(5, "Input/output error")
        except OSError as cause:
            raise LogError("cannot read", field="log/checkpoint") from cause
    except LogError as exc:
        lines = exc.diagnostics().split("\n")
    assert lines[0] == "error: log/checkpoint: cannot read"
    assert lines[1] == "  what: The log's storage is missing, inconsistent or cannot be written."
    assert lines[2] == "  where: log/checkpoint"
    assert lines[3] == "  because: OSError: [Errno 5] Input/output error"
    assert lines[4].startswith("  to do: run `truceline log audit --home H`")


def test_a_field_error_without_a_hint_says_to_correct_the_field() -> None:
    text = LogError("must be positive", field="size", hint="").diagnostics()
    assert text.endswith("\n  to do: correct size and run the command again")


def test_cli_prints_the_diagnostics_of_a_missing_home(tmp_path: Path) -> None:
    r = runner.invoke(app, ["replay", "--home", str(tmp_path / "nowhere")])
    assert r.exit_code == 2
    assert r.stderr.startswith(f"error: --home {tmp_path / 'nowhere'}: no log here")
    assert "\n  what: The home lacks something a command needs" in r.stderr
    assert "\n  to do: check --home: `truceline init` creates a mission home" in r.stderr


def test_cli_prints_the_diagnostics_of_a_bad_log_storage(tmp_path: Path) -> None:
    r = runner.invoke(
        app,
        [
            "init",
            "--home",
            str(tmp_path / "home"),
            "--agreement",
            str(REPO / "examples" / "agreement.yaml"),
            "--log-storage",
            "mysql://db/x",
        ],
    )
    assert r.exit_code == 2
    assert r.stderr.startswith("error: log.storage: tile storage 'mysql://db/x': unknown scheme")
    assert "\n  where: log.storage\n" in r.stderr
    assert "\n  to do: check HOME/log.storage" in r.stderr
    assert not (tmp_path / "home").exists()  # refused before anything was made


@pytest.mark.postgres
def test_cli_explains_a_log_storage_schema_that_does_not_exist(tmp_path: Path) -> None:
    url = f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3Dno_such_schema_x"
    r = runner.invoke(
        app,
        [
            "init",
            "--home",
            str(tmp_path / "home"),
            "--agreement",
            str(REPO / "examples" / "agreement.yaml"),
            "--log-storage",
            url,
        ],
    )
    assert r.exit_code == 2
    assert "cannot open the log's tables: no schema has been selected to create in" in r.stderr
    assert "\n  because: InvalidSchemaName: no schema has been selected" in r.stderr
    assert "\n  to do: check HOME/log.storage" in r.stderr
    assert "Traceback" not in r.output and not (tmp_path / "home").exists()
