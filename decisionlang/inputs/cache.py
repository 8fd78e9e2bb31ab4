"""A content-addressed cache of loaded inputs, in the user's own cache directory.

A second identical run should not parse, check and validate again what the first one did. What
costs is cached (see `decisionlang.engine.project`): the checked policy program of a set of policy
files, and the validated portfolio of a set of state files. Each entry is named by the sha256 of
everything its value depends on: the engine (version, and the files of the installed package), the
limits, and the text of every file read. A changed byte gives another key, so an entry is never
"stale", only unused; the least recently used entries are removed once the cache outgrows its size.

Where: `DECISIONLANG_CACHE_DIR` if set, else `$XDG_CACHE_HOME/decisionlang`, else the platform's
cache directory (`~/.cache/decisionlang` on Linux, `~/Library/Caches/decisionlang` on macOS,
`%LOCALAPPDATA%\\decisionlang\\Cache` on Windows). Never a directory a project can choose: a
decision repo (or its `decisionlang.yaml`) can turn the cache off, never point it elsewhere.
`DECISIONLANG_NO_CACHE=1` (or `--no-cache`) turns it off.

Safety: values are pickles, loaded only from a directory the user owns and nobody else can write
(on POSIX the directory is created 0700 and refused when another user owns it or it is group- or
world-writable): the same trust as the user's home. An entry is written to a temporary file in the
same directory and renamed over its name (`os.replace`, atomic), so a concurrent run sees the old
entry, the new one, or none, never half of one. An entry starts with a header, its key and the
sha256 of its payload, all checked before the payload is unpickled; an entry that fails any check,
or fails to unpickle, is ignored (and rewritten by the run that computes the value): a cache
problem never fails a run nor changes its output.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from decisionlang.core.cachedir import ENV_DIR, ENV_OFF, cache_disabled, default_directory

__all__ = [
    "DEFAULT_MAX_BYTES",
    "ENV_DIR",
    "ENV_MAX_MB",
    "ENV_OFF",
    "Cache",
    "CacheInfo",
    "default_directory",
    "engine_fingerprint",
    "from_environment",
]

ENV_MAX_MB = "DECISIONLANG_CACHE_MAX_MB"
DEFAULT_MAX_BYTES = 1024 * 1024 * 1024  # 1 GiB: a 100,000-subject portfolio is ~60 MB

_MAGIC = b"decisionlang-cache 1\n"
_SUFFIX = ".entry"
_TEMPORARY = ".tmp-"
_ENTRIES = "entries"
_DIGEST_SIZE = 32
_KEY_SIZE = 64  # hex
_ABANDONED_SECONDS = 3600  # a temporary file this old was left by a run that died

T = TypeVar("T")


@dataclass(frozen=True)
class CacheInfo:
    """What `decisionlang cache info` shows."""

    directory: Path
    entries: int
    size: int  # bytes
    max_size: int


@dataclass(frozen=True)
class Cache:
    """The cache's directory (its entries are under `entries/`) and its bound in bytes."""

    directory: Path
    max_size: int = DEFAULT_MAX_BYTES

    @property
    def entries(self) -> Path:
        return self.directory / _ENTRIES

    @staticmethod
    def of_environment_directory() -> Cache:
        """The cache the environment names, even when `DECISIONLANG_NO_CACHE` turns it off (for
        `decisionlang cache info` and `clear`)."""
        found = from_environment({key: value for key, value in os.environ.items() if key != ENV_OFF})
        assert found is not None
        return found

    # -- keys

    @staticmethod
    def key(kind: str, parts: Iterable[str | bytes]) -> str:
        """The sha256 (hex) of a kind of entry and the parts its value depends on, each part
        length-prefixed so that no two lists of parts give the same bytes."""
        import hashlib

        digest = hashlib.sha256(kind.encode())
        for part in parts:
            data = part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part
            digest.update(b"%d:" % len(data))
            digest.update(data)
        return digest.hexdigest()

    # -- entries

    def get(self, key: str) -> Any | None:
        """The value stored under KEY, or None (absent, unreadable, corrupt, truncated, another
        format): never raises."""
        path = self._path(key)
        try:
            with path.open("rb") as stream:
                data = stream.read()
        except OSError:
            return None
        payload = _payload(data, key)
        if payload is None:
            return None
        try:
            value = _load(payload)
        except Exception:  # an entry of another version of a class, say: computed again
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used: eviction removes the least recently used first
        return value

    def put(self, key: str, value: Any) -> None:
        """Store VALUE under KEY, atomically; then keep the cache within its size. Best effort: a
        value that does not pickle, a full disk or a read-only directory only means no entry."""
        import hashlib
        import tempfile

        try:
            payload = _dump(value)
        except Exception:
            return
        header = _MAGIC + key.encode("ascii") + b"\n" + hashlib.sha256(payload).digest()
        if len(header) + len(payload) > self.max_size:
            return
        if not self._usable(create=True):
            return
        temporary = None
        try:
            descriptor, temporary = tempfile.mkstemp(dir=self.entries, prefix=_TEMPORARY)
            with os.fdopen(descriptor, "wb") as stream:
                stream.write(header)
                stream.write(payload)
            os.replace(temporary, self._path(key))
            temporary = None
        except OSError:
            return
        finally:
            if temporary is not None:
                _remove(Path(temporary))
        self._evict()

    def cached(self, key: str, compute: Callable[[], T], *, keep: Callable[[T], bool] = lambda _: True) -> T:
        """The value under KEY, else COMPUTE's (stored when KEEP says so)."""
        found = self.get(key)
        if found is not None:
            return found  # type: ignore[no-any-return]
        value = compute()
        if keep(value):
            self.put(key, value)
        return value

    # -- the whole cache

    def info(self) -> CacheInfo:
        entries = self._listing(temporary=False)
        return CacheInfo(self.directory, len(entries), sum(size for _, size, _ in entries), self.max_size)

    def clear(self) -> int:
        """Remove every entry and temporary file, and the other caches kept in the directory (the
        parser's tables, `decisionlang.language.parser`; the compiled methods of classes,
        `decisionlang._classcache`); returns how many entries were removed."""
        entries = self._listing(temporary=False)
        for path, _, _ in self._listing(temporary=True):
            _remove(path)
        for pattern in ("parser-*.lark", "classes-*.marshal"):
            for path in self.directory.glob(pattern):
                _remove(path)
        return sum(1 for path, _, _ in entries if not path.exists())

    # -- inside

    def _path(self, key: str) -> Path:
        return self.entries / f"{key}{_SUFFIX}"

    def _usable(self, *, create: bool) -> bool:
        """Whether the directory is the user's own (created 0700 when CREATE)."""
        try:
            if create:
                self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
                self.entries.mkdir(mode=0o700, exist_ok=True)
            return _private(self.directory) and _private(self.entries)
        except OSError:
            return False

    def _listing(self, *, temporary: bool) -> list[tuple[Path, int, float]]:
        """(path, size, last use) of each entry, or of each entry and temporary file."""
        found = []
        try:
            with os.scandir(self.entries) as scan:
                for item in scan:
                    entry = item.name.endswith(_SUFFIX)
                    if not (entry or (temporary and item.name.startswith(_TEMPORARY))):
                        continue
                    try:
                        status = item.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    found.append((Path(item.path), status.st_size, status.st_mtime))
        except OSError:
            return []
        return found

    def _evict(self) -> None:
        """Remove the least recently used entries until the cache is within its size, and
        temporary files a run left behind when it died."""
        import time

        listing = self._listing(temporary=True)
        now = time.time()
        entries = []
        for path, size, used in listing:
            if path.name.startswith(_TEMPORARY):
                if now - used > _ABANDONED_SECONDS:
                    _remove(path)
            else:
                entries.append((used, path.name, path, size))
        total = sum(size for *_, size in entries)
        for _, _, path, size in sorted(entries):
            if total <= self.max_size:
                break
            _remove(path)
            total -= size


def _constants() -> dict[int, tuple[str, str]]:
    """The objects the engine's modules define as constants (`types.SUBJECT`, `types.ANY`, ...),
    which the code compares by identity: an entry names them, and loading it gives the very
    objects of this process, not copies."""
    import types

    found: dict[int, tuple[str, str]] = {}
    for module_name in sorted(name for name in sys.modules if name.startswith("decisionlang.")):
        module = sys.modules[module_name]
        for name, value in sorted(vars(module).items()):
            if isinstance(value, type | types.ModuleType | types.FunctionType):
                continue
            if type(value).__module__.startswith("decisionlang.") and id(value) not in found:
                found[id(value)] = (module_name, name)
    return found


def _dump(value: Any) -> bytes:
    import io
    import pickle

    constants = _constants()

    class _Pickler(pickle.Pickler):
        def persistent_id(self, obj: Any) -> tuple[str, str] | None:
            return constants.get(id(obj))

    stream = io.BytesIO()
    _Pickler(stream, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
    return stream.getvalue()


def _load(payload: bytes) -> Any:
    import gc
    import importlib
    import io
    import pickle

    class _Unpickler(pickle.Unpickler):
        def persistent_load(self, pid: Any) -> Any:
            module, name = pid
            if not (isinstance(module, str) and module.startswith("decisionlang.")):
                raise pickle.UnpicklingError("not a constant of decisionlang")
            return getattr(importlib.import_module(module), name)

    # Loading creates many small containers at once, which the collector would otherwise traverse
    # again and again for nothing (none is garbage): twice as fast without it.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _Unpickler(io.BytesIO(payload)).load()
    finally:
        if enabled:
            gc.enable()


def _payload(data: bytes, key: str) -> bytes | None:
    """The payload of an entry whose header, key and digest check out."""
    import hashlib

    start = len(_MAGIC) + _KEY_SIZE + 1
    if not data.startswith(_MAGIC) or len(data) < start + _DIGEST_SIZE:
        return None
    if data[len(_MAGIC) : start] != key.encode("ascii") + b"\n":
        return None
    digest, payload = data[start : start + _DIGEST_SIZE], data[start + _DIGEST_SIZE :]
    return payload if hashlib.sha256(payload).digest() == digest else None


def _private(directory: Path) -> bool:
    """Nobody but the user can write it (always true where POSIX owners do not apply)."""
    if not hasattr(os, "getuid"):
        return directory.is_dir()
    status = directory.stat()
    return directory.is_dir() and status.st_uid == os.getuid() and not status.st_mode & 0o022


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


def from_environment(environ: Mapping[str, str] = os.environ) -> Cache | None:
    """The cache the environment asks for, or None when `DECISIONLANG_NO_CACHE` turns it off."""
    if cache_disabled(environ):
        return None
    max_size = DEFAULT_MAX_BYTES
    limit = environ.get(ENV_MAX_MB, "").strip()
    if limit:
        with contextlib.suppress(ValueError):
            max_size = max(0, int(float(limit) * 1024 * 1024))
    return Cache(default_directory(environ), max_size)


_FINGERPRINT: list[str] = []


def engine_fingerprint() -> str:
    """The engine an entry was made by: the version, and the name, size and modification time of
    every file of the installed package (code, grammar, library), so that an edited checkout does
    not reuse what an older state of its code computed."""
    if _FINGERPRINT:
        return _FINGERPRINT[0]
    import hashlib

    import decisionlang

    package = Path(decisionlang.__file__).resolve().parent
    digest = hashlib.sha256(f"{decisionlang.__version__}\n{sys.version}\n".encode())
    directories = [package]
    # in a source checkout the grammar and the library are beside the package, not in it
    beside = {"grammar": "grammar", "library": "policies"}
    directories += [package.parent / there for here, there in beside.items() if not (package / here).is_dir()]
    for directory in directories:
        if not directory.is_dir():
            continue
        for root, folders, names in os.walk(directory):
            folders[:] = sorted(folder for folder in folders if folder != "__pycache__")
            for name in sorted(names):
                if not name.endswith((".py", ".lark", ".policy")):
                    continue
                path = os.path.join(root, name)
                try:
                    status = os.stat(path)
                except OSError:
                    continue
                relative = os.path.relpath(path, package.parent)
                digest.update(f"{relative}\0{status.st_size}\0{status.st_mtime_ns}\n".encode())
    _FINGERPRINT.append(digest.hexdigest())
    return _FINGERPRINT[0]
