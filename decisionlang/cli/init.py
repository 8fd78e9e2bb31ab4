"""`decisionlang init`: a new decision repo that passes `validate`, `test` and `check` at once."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from decisionlang.cli.common import EXIT_OK, fail, guarded
from decisionlang.core.diagnostics import DecisionlangError, Diagnostic


@click.command()
@click.argument("directory", required=False, default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite files that already exist (others are kept).")
@guarded
def init(directory: Path, force: bool) -> None:
    """Create a new decision repo in DIRECTORY: a vocabulary, a policy with tests, a service, a
    waiver template, JSON Schemas, editor settings, a CI workflow and a pre-commit configuration.

    Refuses to overwrite an existing file (exit 2, nothing written) unless --force. Each file is
    written atomically."""
    from decisionlang.api import new_decision_repo
    from decisionlang.cli.output import write_output

    files = new_decision_repo()
    existing = [path for path in files if (directory / path).exists() or (directory / path).is_symlink()]
    if existing and not force:
        fail(
            [
                Diagnostic(
                    "DL-INIT-EXISTS",
                    f"`{path}` exists already",
                    file=str(directory / path),
                    help="init writes a new decision repo: choose an empty directory, "
                    "or overwrite with --force",
                )
                for path in existing
            ],
            outcome="nothing was written",
        )
    for path, text in files.items():
        target = directory / path
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            write_output(target, text, confine_to=directory)
        except OSError as error:
            problem = Diagnostic(
                "DL-INIT-WRITE", f"cannot write `{path}`: {error.strerror or error}", file=str(target)
            )
            fail([problem], outcome="the decision repo is incomplete")
        except DecisionlangError as error:
            fail(error.diagnostics, outcome="the decision repo is incomplete")
    replaced = f" ({len(existing)} replaced)" if existing else ""
    click.echo(f"decisionlang: wrote {len(files)} files in {directory}{replaced}", err=True)
    click.echo("next: decisionlang validate, decisionlang test, decisionlang check", err=True)
    sys.exit(EXIT_OK)
