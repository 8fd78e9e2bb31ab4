"""The decision library shipped with decisionlang: the files of `policies/`, imported by name.

`import "decisionlang:dora" as dora` reads `dora.policy` of the library installed with this version
of decisionlang (package data of the wheel, `decisionlang/library/`; in a source checkout, the
repository's `policies/`). Nothing else outside the project root is ever read: a library name is a
plain file name of that one directory, never a path.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from decisionlang.inputs.sources import POLICY_SUFFIX

__all__ = ["PREFIX", "is_library", "library_names", "library_path", "read_library_file"]

PREFIX = "decisionlang:"
_NAME = re.compile(r"[A-Za-z0-9_]+")


@cache
def _directory() -> Traversable | None:
    packaged = resources.files("decisionlang").joinpath("library")
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[2] / "policies"
    return checkout if checkout.is_dir() else None


@cache
def library_names() -> tuple[str, ...]:
    """The names a repo may import: `dora` for `decisionlang:dora`, sorted."""
    directory = _directory()
    if directory is None:
        return ()
    return tuple(
        sorted(
            entry.name.removesuffix(POLICY_SUFFIX)
            for entry in directory.iterdir()
            if entry.name.endswith(POLICY_SUFFIX) and entry.is_file()
        )
    )


def is_library(path: str) -> bool:
    return path.startswith(PREFIX)


def library_path(name: str) -> str | None:
    """`decisionlang:dora.policy` for `dora` (or `dora.policy`); None when the library has no such file.

    The name is a bare file name: no folder, no `..`, nothing a repo could aim outside the library."""
    stem = name.removesuffix(POLICY_SUFFIX)
    if _NAME.fullmatch(stem) is None or stem not in library_names():
        return None
    return f"{PREFIX}{stem}{POLICY_SUFFIX}"


def read_library_file(path: str) -> str | None:
    """The text of a library file named by `library_path`."""
    directory = _directory()
    stem = path.removeprefix(PREFIX).removesuffix(POLICY_SUFFIX)
    if directory is None or stem not in library_names():
        return None
    return directory.joinpath(f"{stem}{POLICY_SUFFIX}").read_text(encoding="utf-8")
