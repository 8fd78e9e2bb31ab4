"""Where decisionlang keeps what it caches for the user (see `decisionlang.inputs.cache`).

`DECISIONLANG_CACHE_DIR` if set, else the platform's per-user cache directory: `$XDG_CACHE_HOME/
decisionlang` or `~/.cache/decisionlang` on Linux and other POSIX systems, `~/Library/Caches/
decisionlang` on macOS, `%LOCALAPPDATA%\\decisionlang\\Cache` on Windows. Only the user's
environment chooses it, never a project. `DECISIONLANG_NO_CACHE=1` turns every cache off.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

__all__ = ["ENV_DIR", "ENV_OFF", "cache_disabled", "default_directory"]

ENV_DIR = "DECISIONLANG_CACHE_DIR"
ENV_OFF = "DECISIONLANG_NO_CACHE"


def default_directory(environ: Mapping[str, str] = os.environ) -> Path:
    """`DECISIONLANG_CACHE_DIR`, else the platform's per-user cache directory + `decisionlang`."""
    chosen = environ.get(ENV_DIR)
    if chosen:
        return Path(chosen).expanduser()
    if sys.platform == "win32":
        base = environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "decisionlang" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "decisionlang"
    return Path(environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "decisionlang"


def cache_disabled(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether `DECISIONLANG_NO_CACHE` is set to anything but empty, 0, false or no."""
    return environ.get(ENV_OFF, "").strip().lower() not in ("", "0", "false", "no")
