"""`decisionlang fmt`: rewrite policy files in the canonical layout (decisionlang.language.formatter).

Exit codes: 0 every file is (now) in the canonical layout, or `--diff` showed the changes;
1 with `--check`, a file would change (each is listed); 2 a file does not parse or cannot be
read (reported at file:line:column; the other files are still formatted).
"""

from __future__ import annotations

import difflib
import sys
from pathlib import Path

import click

from decisionlang.cli.common import EXIT_INVALID, EXIT_NO_GO, EXIT_OK, guarded
from decisionlang.core.diagnostics import Diagnostic, render_text
from decisionlang.core.escapes import safe_line, visible
from decisionlang.render.text import plural

EXIT_WOULD_CHANGE = EXIT_NO_GO  # 1: `--check` found a file to reformat
STDIN = "-"


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--check", is_flag=True, help="Write nothing; list the files that would change and exit 1 if any."
)
@click.option("--diff", "show_diff", is_flag=True, help="Print a unified diff of the changes; write nothing.")
@guarded
def fmt(paths: tuple[Path, ...], check: bool, show_diff: bool) -> None:
    """Rewrite policy files in the canonical layout: every comment kept, the meaning unchanged.

    PATHS are policy files or directories (every `*.policy` under them, hidden directories
    left out); none means the current directory; `-` reads standard input and writes the
    result to standard output. Exit codes: 0 nothing (more) to change, 1 with --check a file
    would change, 2 a file does not parse or cannot be read (the others are still formatted).
    """
    from decisionlang.api import format_policy, policy_files
    from decisionlang.inputs.sources import SizeLimits

    limit = SizeLimits().policy_bytes
    targets = list(paths) or [Path(".")]
    ordered: list[Path | None] = [*policy_files(path for path in targets if str(path) != STDIN)]
    if any(str(path) == STDIN for path in targets):
        ordered.append(None)  # standard input, once, after the files
    changed: list[str] = []
    failed = unchanged = 0
    for path in ordered:
        name = "<stdin>" if path is None else path.as_posix()
        text, problem = _read(path, name, limit)
        if text is None:
            _report([problem] if problem is not None else [])
            failed += 1
            continue
        result = format_policy(text, name)
        if result.text is None:
            _report(list(result.diagnostics))
            failed += 1
            continue
        formatted = result.text
        if path is None and not (check or show_diff):
            sys.stdout.write(formatted)
            sys.stdout.flush()
        if formatted == text:
            unchanged += 1
            continue
        changed.append(name)
        if show_diff:
            click.echo(_diff(text, formatted, name), nl=False)
        if check:
            click.echo(safe_line(visible(name)))
        elif not show_diff and path is not None:
            from decisionlang.cli.output import write_atomically

            write_atomically(path, formatted)
            click.echo(f"reformatted {safe_line(visible(name))}", err=True)
    _summary(len(changed), unchanged, failed, written=not (check or show_diff))
    if failed:
        sys.exit(EXIT_INVALID)
    sys.exit(EXIT_WOULD_CHANGE if check and changed else EXIT_OK)


def _read(path: Path | None, name: str, limit: int) -> tuple[str | None, Diagnostic | None]:
    """The text of a policy file (or of standard input), or why it cannot be formatted."""
    try:
        data = sys.stdin.buffer.read(limit + 1) if path is None else _read_bytes(path, limit)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        return None, Diagnostic("DL-FMT-READ", f"cannot read `{name}`: {reason}", file=name)
    if len(data) > limit:
        return None, Diagnostic(
            "DL-FMT-READ",
            f"`{name}` is larger than a policy file may be ({limit:,} bytes)",
            file=name,
            help="split it into several policy files",
        )
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as error:
        return None, Diagnostic(
            "DL-FMT-READ",
            f"`{name}` is not UTF-8 text (byte {error.start})",
            file=name,
            help="save the file as UTF-8",
        )


def _read_bytes(path: Path, limit: int) -> bytes:
    with path.open("rb") as stream:
        return stream.read(limit + 1)


def _diff(before: str, after: str, name: str) -> str:
    lines = difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True), f"a/{name}", f"b/{name}"
    )
    return "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines
    )


def _report(diagnostics: list[Diagnostic]) -> None:
    for diagnostic in diagnostics:
        click.echo(render_text(diagnostic), err=True)


def _summary(changed: int, unchanged: int, failed: int, *, written: bool) -> None:
    done = "reformatted" if written else "would be reformatted"
    parts = [f"{plural(changed, 'file')} {done}", f"{unchanged} unchanged"]
    if failed:
        parts.append(f"{plural(failed, 'file')} could not be formatted")
    click.echo(f"decisionlang fmt: {', '.join(parts)}", err=True)
