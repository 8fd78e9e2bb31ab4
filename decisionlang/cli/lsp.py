"""`decisionlang lsp`: the language server, on standard input and output."""

from __future__ import annotations

import importlib.util
import sys

import click

from decisionlang.cli.common import EXIT_INVALID, EXIT_OK
from decisionlang.lsp import INSTALL_HINT

REQUIRED = ("pygls", "lsprotocol")  # what the `lsp` extra installs


def missing_requirements() -> list[str]:
    """The packages of the `lsp` extra that cannot be imported."""
    missing = []
    for name in REQUIRED:
        try:
            found = importlib.util.find_spec(name) is not None and sys.modules.get(name, True) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            missing.append(name)
    return missing


@click.command()
@click.option("--stdio", is_flag=True, help="Talk over standard input and output (the default and only way).")
def lsp(stdio: bool) -> None:
    """Run the language server for policy files and state YAML (Language Server Protocol, stdio).

    Editors start it themselves: see docs/editors.md. It needs the `lsp` extra
    (pip install 'decisionlang[lsp]'). Exit codes: 0 when the client ends the session, 2 when the
    extra is not installed."""
    missing = missing_requirements()
    if missing:
        click.echo(
            f"decisionlang lsp: the language server needs {' and '.join(missing)}, which are not installed;"
            f" install them with: {INSTALL_HINT}",
            err=True,
        )
        sys.exit(EXIT_INVALID)
    from decisionlang.lsp.server import serve

    serve()
    sys.exit(EXIT_OK)
