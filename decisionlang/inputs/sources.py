"""A decision repo's files as data: read from disk, from a git revision, or given in memory.

Every later stage takes `SourceFile`s, never paths: git blobs, unsaved editor buffers and tests
feed the same pipeline without temporary directories.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SourceFile:
    """One file of a decision repo: its root-relative POSIX path (as messages show it) and its text."""

    path: str
    text: str
