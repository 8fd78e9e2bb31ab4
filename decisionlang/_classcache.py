"""Start-up: the methods `dataclasses` generates for decisionlang's classes, compiled once per user.

Python (3.11, 3.12) builds each dataclass's `__init__`, `__repr__`, `__eq__`, `__hash__` and, for a
frozen one, `__setattr__` and `__delattr__`, by compiling source text it generates: some 850
compilations for decisionlang's classes, about a third of the time it takes to import the engine,
paid by every run. This module keeps the compiled code objects in the user's cache directory, keyed
by the exact text they were compiled from, so that later runs execute the same code without
compiling it again.

How: `install()` (run by `decisionlang/__init__.py`, before any class of decisionlang exists) puts
an `exec` function in the `dataclasses` module's namespace, where it shadows the builtin for that
module's own calls only. For a class of a decisionlang module, it looks the text up, compiles it when
it is new (as the builtin would: no inherited `__future__` flags), and runs the code object with the
same globals and locals; for any other class and any other use, it compiles and runs the text as the
builtin does and keeps nothing. A text compiles to one code object, so the classes are the same
whether their methods came from the cache or not.

Safety: the cache is a `marshal` file of code objects, which run at import, so it is only read from
the user's own cache directory (see `directory()`: created 0700, and ignored when another user owns
it or others can write to it), as the parser's tables are, with the trust a user gives their home.
It starts with a header and the sha256 of its payload, checked before the payload is loaded; any
problem (a missing, truncated, corrupted or foreign file, another Python) means an empty cache, never
an error. It is written at exit, when this run compiled anything new, to a temporary file renamed
over it (atomic: concurrent runs see the old file or the new one). Its name holds the Python build,
whose marshal format it is. `DECISIONLANG_NO_CACHE=1` (every cache) or `DECISIONLANG_CLASS_CACHE=0`
(this one) turns it off.
"""

from __future__ import annotations

import atexit
import builtins
import contextlib
import os
import sys
from collections.abc import Mapping
from types import CodeType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["directory", "install", "stats", "turned_off"]

ENV_OFF = "DECISIONLANG_CLASS_CACHE"
MAGIC = b"decisionlang-classes 1\n"
DIGEST_SIZE = 32
MAX_ENTRIES = 4096  # beyond this, only the texts the current run used are kept
_OWN = ("decisionlang.", "decisionlang")

_codes: dict[str, CodeType] | None = None  # loaded on the first class of decisionlang
_used: set[str] = set()
_compiled = 0  # texts this run compiled (0 on a warm run)
_installed = False


def turned_off(environ: Mapping[str, str] = os.environ) -> bool:
    every = environ.get("DECISIONLANG_NO_CACHE", "").strip().lower() not in ("", "0", "false", "no")
    return every or environ.get(ENV_OFF) == "0"


def directory(environ: Mapping[str, str] = os.environ) -> Path | None:
    """The user's decisionlang cache directory, created private; None when caches are off or the
    directory is not safe to load code from (another user's, or writable by others)."""
    from pathlib import Path

    if turned_off(environ):
        return None
    chosen = environ.get("DECISIONLANG_CACHE_DIR")
    if chosen:
        base = Path(chosen).expanduser()
    elif sys.platform == "win32":
        base = (
            Path(environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local") / "decisionlang" / "Cache"
        )
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches" / "decisionlang"
    else:
        base = Path(environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "decisionlang"
    try:
        base.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = base.stat()
    except (OSError, RuntimeError):  # RuntimeError: no home directory to expand
        return None
    if hasattr(os, "getuid") and (info.st_uid != os.getuid() or info.st_mode & 0o022):
        return None
    return base


def _file(environ: Mapping[str, str] = os.environ) -> Path | None:
    base = directory(environ)
    if base is None:
        return None
    import hashlib

    build = hashlib.sha256(f"{sys.version}\n{sys.implementation.cache_tag}".encode()).hexdigest()[:16]
    return base / f"classes-{build}.marshal"


def _load() -> dict[str, CodeType]:
    """The cached code objects, or none when there is no sound cache file."""
    import hashlib
    import marshal

    path = _file()
    if path is None:
        return {}
    try:
        data = path.read_bytes()
    except OSError:
        return {}
    header = len(MAGIC) + DIGEST_SIZE
    if not data.startswith(MAGIC) or len(data) < header:
        return {}
    payload = memoryview(data)[header:]
    if hashlib.sha256(payload).digest() != data[len(MAGIC) : header]:
        return {}
    try:
        codes = marshal.loads(payload)
    except (EOFError, ValueError, TypeError):
        return {}
    if not isinstance(codes, dict):
        return {}
    return {
        text: code for text, code in codes.items() if isinstance(text, str) and isinstance(code, CodeType)
    }


def _save() -> None:
    """At exit: write the cache when this run compiled anything new (see the module)."""
    if not _compiled or _codes is None:
        return
    import hashlib
    import marshal
    import tempfile

    path = _file()
    if path is None:
        return
    kept = _codes if len(_codes) <= MAX_ENTRIES else {text: _codes[text] for text in _used}
    payload = marshal.dumps(kept)
    temporary = None
    try:
        handle, temporary = tempfile.mkstemp(prefix=".classes-", suffix=".tmp", dir=path.parent)
        with os.fdopen(handle, "wb") as stream:
            stream.write(MAGIC + hashlib.sha256(payload).digest() + payload)
        os.replace(temporary, path)
        temporary = None
    except OSError:
        pass  # a cache that cannot be written is only slower next time
    finally:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


def _compile(text: str) -> CodeType:
    # dont_inherit: as the builtin `exec` called from `dataclasses` (a module with no __future__
    # import) compiles, whatever this module imports from __future__
    return compile(text, "<string>", "exec", dont_inherit=True)


def _exec(source: Any, globals: dict[str, Any] | None = None, locals: Any = None, /) -> None:
    """The builtin `exec` for the `dataclasses` module, with the compiled texts of decisionlang's
    classes kept (see the module)."""
    global _codes, _compiled
    if not isinstance(source, str):
        return builtins.exec(source, globals, locals)
    name = globals.get("__name__", "") if isinstance(globals, dict) else ""
    if not (isinstance(name, str) and name.startswith(_OWN)):
        return builtins.exec(_compile(source), globals, locals)
    if _codes is None:
        _codes = _load()
        atexit.register(_save)
    code = _codes.get(source)
    if code is None:
        code = _codes[source] = _compile(source)
        _compiled += 1
    _used.add(source)
    return builtins.exec(code, globals, locals)


def install() -> None:
    """Route the `dataclasses` module's `exec` through the cache (once; see the module). Does
    nothing when turned off, or on an interpreter whose `dataclasses` calls no `exec`."""
    global _installed
    if _installed:
        return
    _installed = True
    if turned_off():
        return
    import dataclasses

    if "exec" in vars(dataclasses):  # someone else's: leave it alone
        return
    dataclasses.exec = _exec  # type: ignore[attr-defined]


def stats() -> dict[str, int]:
    """How many texts the cache holds, how many this run used and compiled (for tests)."""
    return {"entries": len(_codes or {}), "used": len(_used), "compiled": _compiled}
