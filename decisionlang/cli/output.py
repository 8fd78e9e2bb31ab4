"""Where a command writes a file: what the path *is* decides how it is written.

- a regular file, or a new path in an existing directory: replaced atomically (a temporary file
  `.NAME.XXXX.tmp` in the same directory, flushed to disk, renamed over NAME), keeping its mode;
  through a symbolic link, the file the link points to is replaced and the link is kept;
- a device, a named pipe, or any path under /dev or /proc (`/dev/null`, `/dev/stdout`): opened and
  written straight into, never renamed over (appending, so `-o /dev/stdout >> log` keeps the log);
- a directory, a path whose directory is missing, a dangling link, a socket: `DL-CLI-OUTPUT`;
- a path decisionlang chose itself (a default output path, a decision record named after its
  subject) that is a link leading out of the project (out of the records directory):
  `DL-CLI-OUTPUT`, so a link planted in a repository cannot make a report overwrite a file elsewhere.

An interrupted write (SIGINT, SIGTERM) removes its temporary file: the target is either the old
file or the whole new one. Signals are held off while the temporary file is created, so no
interruption falls between its creation and the clean-up that owns it.
"""

from __future__ import annotations

import enum
import os
import signal
import stat
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from decisionlang.core.diagnostics import DecisionlangError, Diagnostic

STREAM_ROOTS = (Path("/dev"), Path("/proc"))  # never rename anything here: devices, magic links
TEMPORARY_SUFFIX = ".tmp"
_HELD_SIGNALS = {signal.SIGINT, signal.SIGTERM}


class Way(enum.Enum):
    REPLACE = "replace"  # a temporary file renamed over the target
    STREAM = "stream"  # written straight into the target


@dataclass(frozen=True)
class Target:
    path: Path  # what is written: the file a link points to, for REPLACE
    way: Way


def output_error(path: Path, message: str, help: str | None = None) -> DecisionlangError:
    return DecisionlangError([Diagnostic("DL-CLI-OUTPUT", message, file=str(path), help=help)])


def output_target(path: Path, *, confine_to: Path | None = None) -> Target:
    """How `path` is written, or a `DL-CLI-OUTPUT` error saying why it cannot be.

    `confine_to` is the directory a path decisionlang chose itself must stay in (the project, for
    a default output path; the records directory, for files named after subjects)."""
    shown = f"`{path}`"
    try:
        is_link = path.is_symlink()
        info: os.stat_result | None = path.stat()
    except FileNotFoundError:
        info = None
    except NotADirectoryError:
        problem = f"cannot write {shown}: a part of the path is a file, not a directory"
        raise output_error(path, problem) from None
    except OSError as error:  # a loop of links, a name too long, no permission
        raise output_error(path, f"cannot write {shown}: {error.strerror}") from None
    except ValueError:  # a NUL byte in the path
        raise output_error(path, f"cannot write {shown}: the path holds a NUL character") from None
    if is_link:
        _check_link(path, info, confine_to)
    if info is None:
        return _new_file(path)
    if stat.S_ISDIR(info.st_mode):
        raise output_error(
            path,
            f"cannot write {shown}: it is a directory",
            f"give a file name, for example {path / 'report.txt'}",
        )
    if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode) or stat.S_ISFIFO(info.st_mode):
        return Target(path, Way.STREAM)
    if not stat.S_ISREG(info.st_mode):
        raise output_error(path, f"cannot write {shown}: it is not a file, a device or a named pipe")
    if _under_stream_root(path):  # /dev/stdout redirected to a file: write into what the shell opened
        return Target(path, Way.STREAM)
    return Target(path.resolve(), Way.REPLACE)


def _check_link(path: Path, info: os.stat_result | None, confine_to: Path | None) -> None:
    resolved = path.resolve()
    if confine_to is not None and not resolved.is_relative_to(confine_to.resolve()):
        raise output_error(
            path,
            f"`{path}` is a symbolic link to `{resolved}`, outside `{confine_to}`: a file named by "
            "decisionlang (a default output, a decision record) is never written through such a link",
            "remove the link, or name the file to write with --output",
        )
    if info is None:
        raise output_error(
            path,
            f"`{path}` is a symbolic link to `{resolved}`, which does not exist",
            "remove the link, or give another path",
        )


def _new_file(path: Path) -> Target:
    directory = path.absolute().parent
    if _under_stream_root(path):
        raise output_error(path, f"cannot write `{path}`: no such device")
    if not directory.is_dir():
        raise output_error(
            path,
            f"cannot write `{path}`: the directory `{directory}` does not exist",
            "create it first, or write somewhere else",
        )
    return Target(directory.resolve() / path.name, Way.REPLACE)


def _under_stream_root(path: Path) -> bool:
    absolute = Path(os.path.abspath(path))
    return any(absolute.is_relative_to(root) for root in STREAM_ROOTS)


def write_output(path: Path, text: str, *, confine_to: Path | None = None) -> None:
    """Write `text` (UTF-8, `\\n` line ends) to `path` as its kind requires (see the module)."""
    target = output_target(path, confine_to=confine_to)
    data = text.encode("utf-8")
    try:
        if target.way is Way.STREAM:
            _write_straight(target.path, data)
        else:
            _replace(target.path, data)
    except OSError as error:
        raise output_error(path, f"cannot write `{path}`: {error.strerror or error}") from None


@contextmanager
def output_stream(path: Path, *, confine_to: Path | None = None) -> Iterator[Callable[[str], None]]:
    """`write_output` for text written piece by piece (a report written as it is evaluated): the
    same rules for what `path` is. A replaced file appears whole when the block ends, or not at
    all: an error or an interruption before the end removes the temporary file, and the target
    keeps its old content. A device or pipe receives the pieces as they come."""
    target = output_target(path, confine_to=confine_to)
    if target.way is Way.STREAM:
        try:
            stream = open(target.path, "ab")  # noqa: SIM115 - closed below, errors translated
        except OSError as error:
            raise output_error(path, f"cannot write `{path}`: {error.strerror or error}") from None
        with stream:
            yield _writer(stream, path)
            _finish(stream.flush, path)
        return
    mode = _mode_for(target.path)
    temporary: Path | None = None
    try:
        with _signals_held():  # created and named before an interruption can be handled
            handle, name = tempfile.mkstemp(
                prefix=f".{target.path.name}.", suffix=TEMPORARY_SUFFIX, dir=target.path.parent
            )
            temporary = Path(name)
        with os.fdopen(handle, "wb") as stream:
            yield _writer(stream, path)
            _finish(stream.flush, path)
            _finish(lambda: os.fsync(stream.fileno()), path)
        _finish(lambda: os.chmod(name, mode), path)
        _finish(lambda: os.replace(name, target.path), path)
    except BaseException:
        if temporary is not None:
            temporary.unlink(missing_ok=True)
        raise


def _writer(stream: Any, path: Path) -> Callable[[str], None]:
    def write(text: str) -> None:
        try:
            stream.write(text.encode("utf-8"))
        except OSError as error:
            raise output_error(path, f"cannot write `{path}`: {error.strerror or error}") from None

    return write


def _finish(step: Callable[[], object], path: Path) -> None:
    try:
        step()
    except OSError as error:
        raise output_error(path, f"cannot write `{path}`: {error.strerror or error}") from None


def write_atomically(path: Path, text: str) -> None:
    """`write_output` without a confinement: the name the commands and tests have always used."""
    write_output(path, text)


def _write_straight(path: Path, data: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | getattr(os, "O_NOCTTY", 0))
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(descriptor, view) :]
    finally:
        os.close(descriptor)


def _replace(path: Path, data: bytes) -> None:
    mode = _mode_for(path)
    temporary: Path | None = None
    try:
        with _signals_held():  # created and named before an interruption can be handled
            handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMPORARY_SUFFIX, dir=path.parent)
            temporary = Path(name)
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        if temporary is not None:
            temporary.unlink(missing_ok=True)
        raise


def _mode_for(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


@contextmanager
def _signals_held() -> Iterator[None]:
    """Hold SIGINT and SIGTERM for the few instructions that must not be interrupted."""
    if not hasattr(signal, "pthread_sigmask"):  # pragma: no cover - Windows
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
