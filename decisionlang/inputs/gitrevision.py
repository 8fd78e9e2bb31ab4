"""Which commit a decision repo's work tree is at, so a report can say what it was decided from."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from decisionlang.core.board import Revision


def work_tree_revision(directory: Path) -> Revision | None:
    """The commit checked out where `directory` is, and whether files under it differ from that
    commit (tracked changes or untracked files); None outside a git work tree or without git."""
    head = _git(directory, "rev-parse", "--verify", "--quiet", "HEAD")
    if head is None or not head.strip():
        return None
    status = _git(directory, "status", "--porcelain", "--untracked-files=normal", "--", ".")
    return Revision(head.strip(), bool(status and status.strip()))


def _git(directory: Path, *args: str) -> str | None:
    executable = shutil.which("git")
    if executable is None or not directory.is_dir():
        return None
    # a read must not refresh the index of the user's work tree, nor ask for credentials
    environment = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    try:
        result = subprocess.run(
            [executable, *args], cwd=directory, capture_output=True, env=environment, check=False
        )
    except OSError:
        return None
    return os.fsdecode(result.stdout) if result.returncode == 0 else None
