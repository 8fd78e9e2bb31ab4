"""The one walk of a directory tree on disk: every file under a folder, within bounds.

A folder of policies or states is written by whoever opens a pull request, so its walk is bounded:
at most `WalkLimits.max_depth` directories deep (a tree 1,000 deep overflowed the recursion of
`Path.rglob`) and at most `WalkLimits.max_entries` entries (100,000 empty directories took seconds
and memory for nothing). Links to directories are not followed, so a link loop is harmless; a link
to a file is listed (callers confine it to the project root). Unreadable directories are skipped,
as `rglob` skips them.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from decisionlang.core.diagnostics import DecisionlangError, Diagnostic
from decisionlang.core.spans import printable

__all__ = ["WalkLimits", "files_under"]


@dataclass(frozen=True)
class WalkLimits:
    """Bounds on walking a folder: directories below it, and entries (files and directories) seen."""

    max_depth: int = 32
    max_entries: int = 100_000


def files_under(
    directory: Path,
    *,
    code: str,
    limits: WalkLimits | None = None,
    root: Path | None = None,
    skip: Callable[[str], bool] | None = None,
) -> list[Path]:
    """Every file under DIRECTORY, links to files included, sorted by path; `skip` (given a
    directory's name) leaves out the directories below DIRECTORY it accepts, and all they hold.

    Raises DecisionlangError (`code`, naming the directory where a bound was passed, relative to
    `root` if given) when the tree is deeper or larger than `limits` allow."""
    limits = limits or WalkLimits()
    found: list[Path] = []
    pending: list[tuple[str, int]] = [(os.fspath(directory), 0)]
    seen = 0
    while pending:
        folder, depth = pending.pop()
        try:
            with os.scandir(folder) as entries:
                listed = list(entries)
        except (OSError, ValueError):  # unreadable, gone, or a name the system refuses
            continue
        seen += len(listed)
        if seen > limits.max_entries:
            raise _too_large(code, _shown(directory, root), limits)
        for entry in listed:
            if entry.is_dir(follow_symlinks=False):
                if skip is not None and skip(entry.name):
                    continue
                if depth + 1 > limits.max_depth:
                    raise _too_deep(code, _shown(Path(entry.path), root), _shown(directory, root), limits)
                pending.append((entry.path, depth + 1))
            elif _is_file(entry):
                found.append(Path(entry.path))
    return sorted(found, key=lambda path: path.as_posix())


def _is_file(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_file()  # a link is followed: a link to a file is a file
    except OSError:
        return False


def _shown(path: Path, root: Path | None) -> str:
    if root is not None and path.is_relative_to(root):
        path = path.relative_to(root)
    return printable(path.as_posix())


def _too_deep(code: str, where: str, shown: str, limits: WalkLimits) -> DecisionlangError:
    return DecisionlangError(
        [
            Diagnostic(
                code,
                f"`{shown}` holds directories nested more than {limits.max_depth} levels deep",
                file=where,
                help="flatten the folder: policies, states and waivers need a few levels at most",
            )
        ]
    )


def _too_large(code: str, shown: str, limits: WalkLimits) -> DecisionlangError:
    return DecisionlangError(
        [
            Diagnostic(
                code,
                f"`{shown}` holds more than {limits.max_entries} files and directories",
                file=shown,
                help="point the configuration at the folders that hold the decision repo's files",
            )
        ]
    )
