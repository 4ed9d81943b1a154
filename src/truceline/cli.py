"""The `truceline` command.

Each pipeline package contributes its commands through a `cli` module with a
`register(app)` function, so this file only lists the packages.
"""

from __future__ import annotations

import importlib
from typing import Any

import typer
from typer._click.core import Context
from typer.core import TyperGroup

from truceline.errors import TrucelineError


class _Commands(TyperGroup):
    """Every command's deliberate errors end as their `diagnostics()` on stderr and exit 2,
    never as a traceback: what is at fault, where, why and what to do (`truceline.errors`)."""

    def invoke(self, ctx: Context) -> Any:
        try:
            return super().invoke(ctx)
        except TrucelineError as exc:
            typer.echo(exc.diagnostics(), err=True)
            ctx.exit(2)


app = typer.Typer(
    cls=_Commands,
    no_args_is_help=True,
    add_completion=False,
    help="Truceline: signed observations, a C2SP transparency log, fusion, adjudication and "
    "enforcement of a ceasefire agreement written as code. Start with `truceline demo`.",
)

# Order is the pipeline's order, which is also the order of `truceline --help`.
_COMMAND_MODULES = (
    "truceline.mission.cli",
    "truceline.mission.demo",
    "truceline.ledger.cli",
    "truceline.ledger.witness.cli",
    "truceline.agreement.cli",
    "truceline.registry.cli",
    "truceline.ingest.cli",
    "truceline.simulate.cli",
    "truceline.fusion.cli",
    "truceline.adjudication.cli",
    "truceline.enforcement.cli",
    "truceline.publication.cli",
    "truceline.metrics.cli",
    "truceline.report.cli",
    "truceline.field.cli",
    "truceline.corridors.cli",
    "truceline.corridors.effect_cli",
)


def _register_all() -> None:
    for name in _COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and name.startswith(exc.name):
                continue  # that package has no commands yet
            raise
        module.register(app)


_register_all()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
