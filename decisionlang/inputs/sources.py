"""A decision repo's files as data: read from disk, from a git revision, or given in memory.

Every later stage takes `SourceFile`s, never paths: git blobs, unsaved editor buffers and tests
feed the same pipeline without temporary directories.

The three origins share one set of discovery rules (`decisionlang.yaml`, the default folders, a
bare folder of policies) over a `_Tree`: a file system confined to the project root, the tree of a
git commit, or a mapping of texts. A file is read only once discovery wants it, and its size is
checked before it is read; an import is read when a policy asks for it (`SourceSet.open`).
"""

from __future__ import annotations

import dataclasses
import enum
import os
import posixpath
import re
import shutil
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from decisionlang.core.diagnostics import DecisionlangError, Diagnostic, Severity
from decisionlang.core.spans import SourceFile as LinedSource
from decisionlang.core.spans import Span, printable, undecodable
from decisionlang.inputs.limits import LIMIT_SETTINGS, YamlLimits, setting_value
from decisionlang.inputs.walk import files_under

CONFIG_FILE = "decisionlang.yaml"
POLICY_SUFFIX = ".policy"
TEST_SUFFIX = ".test.yaml"
STATE_SUFFIXES = (".yaml", ".yml", ".json")  # a `.json` state file is read as strict JSON
WAIVER_SUFFIXES = (".yaml", ".yml")
DEFAULT_POLICY_DIRS = ("policies",)
DEFAULT_STATE_DIRS = ("services", "initiatives")
DEFAULT_WAIVER_DIRS = ("waivers",)
_MAX_LINKS = 40  # links followed to reach one file, as the kernel allows


@dataclass(frozen=True, slots=True)
class SourceFile:
    """One file of a decision repo: its root-relative POSIX path (as messages show it) and its text."""

    path: str
    text: str


class Role(enum.Enum):
    """What a file is for: it decides the size limit and the codes of reading problems."""

    CONFIG = "configuration"
    POLICY = "policy"
    STATE = "state"
    WAIVER = "waiver"
    TEST = "test"


@dataclass(frozen=True)
class SizeLimits:
    """The largest file of each kind that is read at all (checked before reading)."""

    policy_bytes: int = 2_000_000
    # States, waivers, tests, configuration: `YamlLimits.max_bytes`; None: `limits: max_file_size`
    # of decisionlang.yaml, else the default (5,000,000 bytes).
    yaml_bytes: int | None = None

    def of(self, role: Role) -> int:
        if role is Role.POLICY:
            return self.policy_bytes
        return YamlLimits.max_bytes if self.yaml_bytes is None else self.yaml_bytes


# Codes of reading problems, by role: (cannot read, too large, not UTF-8). They are the codes each
# reader gave before sources were read in one place, so CI rules keyed on them keep working.
_CODES: dict[Role, tuple[str, str, str]] = {
    Role.CONFIG: ("DL-CONFIG", "DL-CONFIG", "DL-CONFIG"),
    Role.POLICY: ("DL-PARSE-READ", "DL-PARSE-LIMIT", "DL-PARSE-ENCODING"),
    Role.STATE: ("DL-STATE-READ", "DL-STATE-LIMIT", "DL-STATE-YAML"),
    Role.WAIVER: ("DL-WAIVER-READ", "DL-WAIVER-LIMIT", "DL-WAIVER-YAML"),
    Role.TEST: ("DL-TEST-READ", "DL-TEST-READ", "DL-TEST-READ"),
}


# ---------------------------------------------------------------- the set


@dataclass(frozen=True)
class Settings:
    """The settings of `decisionlang.yaml` other than paths: `limits: {evaluation_steps: N}` (the
    evaluation budget per subject) and `selectors: {allow_unmatched: [...]}` (the kinds, tags and
    names a policy may select while no subject has them, acknowledged)."""

    evaluation_steps: int | None = None
    # `limits: {max_file_size: 20 MB, max_depth: N, ...}`: `YamlLimits` field -> value, as written
    yaml_limits: tuple[tuple[str, int], ...] = ()
    allow_unmatched: tuple[str, ...] = ()
    # `lint: {rules: {CODE-or-name: error|warning|info|off}}`: (key, level, where the key is written),
    # in the file's order; which keys name a lint rule is `decisionlang lint`'s to say. Not in the
    # repr, which keys the cache: checking the policies does not depend on it.
    lint_rules: tuple[tuple[str, str, Span], ...] = field(default=(), repr=False)


@dataclass(frozen=True)
class SourceSet:
    """The files of one decision repo, by role, with the problems met finding and reading them.

    `root` is how messages name the project's directory; `policies` are the policy files
    discovery found (their imports are read on demand with `open`, confined to the root)."""

    root: str
    policies: tuple[SourceFile, ...] = ()
    states: tuple[SourceFile, ...] = ()
    waivers: tuple[SourceFile, ...] = ()
    config: SourceFile | None = None
    tests: tuple[SourceFile, ...] = ()  # policy tests, read when asked for (`tests=True`)
    diagnostics: tuple[Diagnostic, ...] = ()
    limits: SizeLimits = field(default=SizeLimits(), repr=False)
    _tree: _Tree | None = field(default=None, repr=False, compare=False)
    settings: Settings = field(default=Settings(), repr=False)
    # What `open` and `real_path` answered, by (directory, relative) and by path: `policy_set`
    # replays these answers, so a copy of the policies alone imports what this set imported.
    _located: dict[tuple[str, str], str | type[ValueError] | None] = field(
        default_factory=dict, repr=False, compare=False
    )
    _opened: dict[str, SourceFile | Diagnostic] = field(default_factory=dict, repr=False, compare=False)

    @staticmethod
    def from_disk(
        root: str | Path,
        *,
        limits: SizeLimits | None = None,
        tests: bool = False,
        edits: Mapping[str, str] | None = None,
    ) -> SourceSet:
        """The decision repo in the directory ROOT; links leaving it are skipped with a warning.
        With `tests`, the policy tests (`*.test.yaml` under the policy folders) are read too.

        `edits`: texts by root-relative POSIX path read instead of those files' contents on disk
        (an editor's unsaved buffers); a path is read so only where the file itself exists inside
        the root, so discovery, imports and the size limits are the disk's."""
        try:
            directory = Path(root).resolve()
            is_directory = directory.is_dir()
        except (OSError, ValueError):  # a NUL byte, a loop of links
            directory, is_directory = Path(root), False
        if not is_directory:
            shown = shown_path(str(directory)).replace("\0", "\\0")
            problem = Diagnostic(
                "DL-CONFIG",
                f"`{shown}` is not a directory",
                file=shown,
                help="give the decision repo's directory",
            )
            return SourceSet(shown, diagnostics=(problem,))
        tree = _DiskTree(directory) if not edits else _EditedTree(directory, edits)
        return _discover(tree, limits or SizeLimits(), tests=tests)

    @staticmethod
    def from_git(
        repository: str | Path,
        revision: str,
        root: str = "",
        *,
        limits: SizeLimits | None = None,
        label: str | None = None,
        shown: str | None = None,
        tests: bool = False,
    ) -> SourceSet:
        """The decision repo at ROOT (a directory relative to the top of REPOSITORY) in the commit
        REVISION, read with `git ls-tree` and `git cat-file --batch`: only the files discovery wants,
        never a checkout. `label` names the revision in messages (default: REVISION), `shown` the
        repository (default: its path).

        Raises DecisionlangError (DL-GIT-...) when git cannot list or read the revision."""
        where = shown_path(shown if shown is not None else Path(repository).as_posix())
        tree = _GitTree.list(Git(Path(repository), where), revision, root.strip("/"), label or revision)
        return _discover(tree, limits or SizeLimits(), tests=tests)

    @staticmethod
    def from_memory(
        files: Mapping[str, str], *, limits: SizeLimits | None = None, tests: bool = False
    ) -> SourceSet:
        """A decision repo given as texts by root-relative POSIX path:
        `{"policies/x.policy": text, "services/a.yaml": text}`."""
        return _discover(_MemoryTree(files), limits or SizeLimits(), tests=tests)

    @staticmethod
    def of_files(
        root: Path,
        *,
        policies: Sequence[str] = (),
        tests: Sequence[str] = (),
        limits: SizeLimits | None = None,
    ) -> SourceSet:
        """These root-relative files of the directory ROOT, read as discovery would read them
        (policy tests name their own files)."""
        tree, limits = _DiskTree(root.resolve()), limits or SizeLimits()
        read_policies, policy_problems = _read_all(tree, policies, Role.POLICY, limits)
        read_tests, test_problems = _read_all(tree, tests, Role.TEST, limits)
        problems = (*policy_problems, *test_problems)
        return SourceSet(
            shown_path(tree.root.as_posix()),
            tuple(read_policies),
            tests=tuple(read_tests),
            diagnostics=problems,
            limits=limits,
            _tree=tree,
        )

    def read(self, path: str, role: Role) -> SourceFile | Diagnostic:
        """One more root-relative file of the tree, read with the limits of its role."""
        if self._tree is None:
            return _unreadable(role, path, FileNotFoundError(2, "no such file"))
        return _read(self._tree, path, role, self.limits)

    def open(self, importer: str, relative: str) -> SourceFile | Diagnostic | None:
        """The policy file RELATIVE to the file IMPORTER imports: its source, the problem reading
        it, or None when there is no such file. Raises ValueError when it leaves the root."""
        path = self.real_path(importer, relative)
        if path is None or self._tree is None:
            return None
        read = self._opened.get(path)
        if read is None:
            read = self._opened[path] = _read(self._tree, path, Role.POLICY, self.limits)
        return read

    def real_path(self, importer: str, relative: str) -> str | None:
        """The root-relative path an import names (links followed), None when there is no such
        file; raises ValueError when it leaves the root."""
        if self._tree is None:
            return None
        key = (posixpath.dirname(importer), relative)
        if key not in self._located:
            try:
                self._located[key] = self._tree.locate(*key)
            except ValueError:
                self._located[key] = ValueError
        located = self._located[key]
        if located is ValueError:
            raise ValueError(relative)
        return located if isinstance(located, str) else None

    def policy_set(self) -> SourceSet:
        """The policy files alone (no states, waivers, tests or configuration), with every import
        this set has resolved so far answered as it was (the same file, the same problem, the same
        refusal): small to send to another process or machine, where the policies load exactly
        as here without the project's directory or repository. Take it once the policies are
        loaded (`layout.load_modules`), which resolves the imports."""
        return SourceSet(
            self.root,
            self.policies,
            limits=self.limits,
            _tree=_ReplayedTree(),
            settings=self.settings,
            _located=dict(self._located),
            _opened=dict(self._opened),
        )

    @property
    def directory(self) -> Path | None:
        """The directory on disk the files were read from, if they were."""
        return self._tree.root if isinstance(self._tree, _DiskTree) else None


# ---------------------------------------------------------------- trees: where files come from


class _Tree(Protocol):
    def kind(self, path: str) -> str:
        """`dir`, `file`, `missing` or `outside` (the path, links followed, leaves the root)."""
        ...

    def walk(self, directory: str) -> tuple[list[str], list[str]]:
        """Every file under DIRECTORY, sorted: those inside the root and those linked outside."""
        ...

    def top_files(self) -> list[str]:
        """The names of the files directly in the root."""
        ...

    def real(self, path: str) -> str:
        """The root-relative path of a file, links followed (how messages name it)."""
        ...

    def locate(self, directory: str, relative: str) -> str | None:
        """The real path of RELATIVE from DIRECTORY; None if absent; ValueError if outside."""
        ...

    def size(self, path: str) -> int | None: ...

    def read(self, paths: Sequence[str], limit: int) -> dict[str, bytes | OSError]:
        """The bytes of each file, at most LIMIT + 1 of them (a file may grow after its size)."""
        ...

    def outside(self, path: str, what: str) -> Diagnostic: ...


class _DiskTree:
    """A directory on disk; every path is confined to it, links included."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _inside(self, path: Path) -> bool:
        return path.resolve().is_relative_to(self.root)

    def kind(self, path: str) -> str:
        full = self.root / path
        try:
            if not self._inside(full):
                return "outside"
            return "dir" if full.is_dir() else "file" if full.is_file() else "missing"
        except (OSError, ValueError):  # a NUL byte, a name too long for the file system
            return "missing"

    def walk(self, directory: str) -> tuple[list[str], list[str]]:
        found = files_under(self.root / directory, code="DL-CONFIG-LIMIT", root=self.root)
        inside = [p for p in found if self._inside(p)]
        escaping = [p for p in found if not self._inside(p)]
        return [self._relative(p) for p in inside], [self._relative(p, resolve=False) for p in escaping]

    def _relative(self, path: Path, *, resolve: bool = True) -> str:
        try:
            shown = (path.resolve() if resolve else path).relative_to(self.root)
        except ValueError:
            return path.as_posix()
        return shown.as_posix()

    def top_files(self) -> list[str]:
        return sorted(p.name for p in self.root.iterdir() if p.is_file())

    def real(self, path: str) -> str:
        return self._relative(self.root / path)

    def locate(self, directory: str, relative: str) -> str | None:
        try:
            target = (self.root / directory / relative).resolve()
            outside, exists = not target.is_relative_to(self.root), target.is_file()
        except (OSError, ValueError):  # a NUL byte, a name too long for the file system
            return None
        if outside:
            raise ValueError(relative)
        return self._relative(target) if exists else None

    def size(self, path: str) -> int | None:
        try:
            return (self.root / path).stat().st_size
        except (OSError, ValueError):
            return None

    def read(self, paths: Sequence[str], limit: int) -> dict[str, bytes | OSError]:
        contents: dict[str, bytes | OSError] = {}
        for path in paths:
            try:
                with (self.root / path).open("rb") as stream:
                    contents[path] = stream.read(limit + 1)
            except OSError as error:
                contents[path] = error
            except ValueError:  # a NUL byte in the name
                contents[path] = OSError(0, "its name holds a NUL character")
        return contents

    def outside(self, path: str, what: str) -> Diagnostic:
        return Diagnostic(
            "DL-CONFIG-OUTSIDE",
            f"{what} file `{path}` links to a file outside the project",
            file=path,
            help="it was skipped: copy the file into the project instead of linking it",
            severity=Severity.WARNING,
        )


class _EditedTree(_DiskTree):
    """A directory on disk where some files read as the texts given instead (unsaved edits)."""

    def __init__(self, root: Path, edits: Mapping[str, str]) -> None:
        super().__init__(root)
        self.edits = {
            posixpath.normpath(path): text.encode("utf-8", "surrogatepass") for path, text in edits.items()
        }

    def size(self, path: str) -> int | None:
        edited = self.edits.get(path)
        return len(edited) if edited is not None else super().size(path)

    def read(self, paths: Sequence[str], limit: int) -> dict[str, bytes | OSError]:
        contents = super().read([path for path in paths if path not in self.edits], limit)
        contents.update({path: self.edits[path][: limit + 1] for path in paths if path in self.edits})
        return {path: contents[path] for path in paths}


class _PathTree:
    """A tree known as a list of file paths (a git tree, a mapping): directories are implied."""

    def __init__(self, files: Iterable[str], links: Mapping[str, str]) -> None:
        self.files = set(files)
        self.links = dict(links)  # path -> link target, as written
        self.directories = {""}
        for path in (*self.files, *self.links):
            parts = path.split("/")
            self.directories.update("/".join(parts[:end]) for end in range(1, len(parts)))

    def resolve(self, path: str) -> str | None:
        """PATH with `.`, `..` and links resolved, or None when it leaves the root (or loops)."""
        parts: list[str] = []
        pending = path.split("/")
        hops = 0
        while pending:
            part = pending.pop(0)
            if part in ("", "."):
                continue
            if part == "..":
                if not parts:
                    return None
                parts.pop()
                continue
            candidate = "/".join([*parts, part])
            target = self.links.get(candidate)
            if target is None:
                parts.append(part)
                continue
            hops += 1
            if hops > _MAX_LINKS or target.startswith("/"):
                return None
            pending = target.split("/") + pending
        return "/".join(parts)

    def kind(self, path: str) -> str:
        real = self.resolve(path)
        if real is None:
            return "outside"
        return "file" if real in self.files else "dir" if real in self.directories else "missing"

    def walk(self, directory: str) -> tuple[list[str], list[str]]:
        real = self.resolve(directory)
        if real is None:
            return [], []
        prefix = f"{real}/" if real else ""
        inside, escaping = [], []
        for path in sorted(p for p in (*self.files, *self.links) if p.startswith(prefix)):
            if path in self.files:
                inside.append(path)
            else:
                target = self.resolve(path)
                if target is None:
                    escaping.append(path)
                elif target in self.files:  # a link to a directory is not followed, as on disk
                    inside.append(target)
        return inside, escaping

    def top_files(self) -> list[str]:
        return sorted(path for path in (*self.files, *self.links) if "/" not in path)

    def real(self, path: str) -> str:
        return self.resolve(path) or path

    def locate(self, directory: str, relative: str) -> str | None:
        real = self.resolve(f"{directory}/{relative}" if directory else relative)
        if real is None or relative.startswith("/"):
            raise ValueError(relative)
        return real if real in self.files else None


class _MemoryTree(_PathTree):
    def __init__(self, texts: Mapping[str, str]) -> None:
        self.texts = {posixpath.normpath(path.lstrip("/")): text for path, text in texts.items()}
        super().__init__(self.texts, {})

    def size(self, path: str) -> int | None:
        return len(self.texts[path].encode("utf-8", "surrogatepass")) if path in self.texts else None

    def read(self, paths: Sequence[str], limit: int) -> dict[str, bytes | OSError]:
        # A text holding a surrogate is read as the bytes a file would hold: not UTF-8, located.
        return {path: self.texts[path].encode("utf-8", "surrogatepass") for path in paths}

    def outside(self, path: str, what: str) -> Diagnostic:  # pragma: no cover - texts have no links
        return Diagnostic("DL-CONFIG-OUTSIDE", f"{what} file `{path}` is outside the project", file=path)


class _ReplayedTree(_PathTree):
    """The tree of a `policy_set`: every import is answered from what the original set recorded,
    so this tree is never asked for a file (an import it has no answer for names no file)."""

    def __init__(self) -> None:
        super().__init__((), {})

    def locate(self, directory: str, relative: str) -> str | None:
        return None

    def size(self, path: str) -> int | None:
        return None

    def read(self, paths: Sequence[str], limit: int) -> dict[str, bytes | OSError]:
        return {path: FileNotFoundError(2, "no such file", path) for path in paths}

    def outside(self, path: str, what: str) -> Diagnostic:  # pragma: no cover - nothing is walked
        return Diagnostic("DL-CONFIG-OUTSIDE", f"{what} file `{path}` is outside the project", file=path)


# ---------------------------------------------------------------- git


class _GitTree(_PathTree):
    """The tree of a directory in a commit: listed once (`git ls-tree -r -l`); blobs are read
    only when asked for, in one `git cat-file --batch` per request."""

    def __init__(
        self,
        git: Git,
        entries: Mapping[str, tuple[str, int]],
        links: Mapping[str, str],
        label: str,
        root: str,
    ) -> None:
        super().__init__(entries, links)
        self.git = git
        self.entries = entries  # path -> (object id, size)
        self.label = label
        self.prefix = root

    @staticmethod
    def list(git: Git, revision: str, root: str, label: str) -> _GitTree:
        tree = f"{revision}:{root}" if root else f"{revision}^{{tree}}"
        listing = git.run("ls-tree", "-r", "-l", "-z", "--full-tree", tree)
        if listing.returncode != 0:
            detail = first_line(listing.stderr)
            raise git_error("DL-GIT-READ", f"cannot list `{label}`: {detail}", git.shown, None)
        entries: dict[str, tuple[str, int]] = {}
        link_ids: dict[str, str] = {}
        for raw in listing.stdout.split(b"\0"):
            if not raw:
                continue
            meta, _, name = raw.partition(b"\t")
            mode, kind, oid, size = os.fsdecode(meta).split()
            path = os.fsdecode(name)
            if kind != "blob":
                continue  # a submodule
            if mode == "120000":
                link_ids[path] = oid
            else:
                entries[path] = (oid, int(size))
        targets = git.blobs(list(link_ids.values()), label)
        links = {path: os.fsdecode(targets[oid]) for path, oid in link_ids.items()}
        return _GitTree(git, entries, links, label, root)

    def size(self, path: str) -> int | None:
        entry = self.entries.get(path)
        return entry[1] if entry is not None else None

    def read(self, paths: Sequence[str], limit: int) -> dict[str, bytes | OSError]:
        blobs = self.git.blobs([self.entries[path][0] for path in paths], self.label)
        return {path: blobs[self.entries[path][0]] for path in paths}

    def outside(self, path: str, what: str) -> Diagnostic:
        shown = f"{self.prefix}/{path}" if self.prefix else path
        return Diagnostic(
            "DL-GIT-BASE-SKIPPED",
            f"`{shown}` at `{self.label}` was not read: it links outside the decision repo",
            file=self.git.shown,
            severity=Severity.WARNING,
        )


@dataclass(frozen=True)
class Git:
    """git, run in one directory with an environment that never touches the user's working tree."""

    cwd: Path
    shown: str  # the directory as the user gave it, for messages

    def run(self, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
        executable = shutil.which("git")
        if executable is None:
            raise git_error(
                "DL-GIT-MISSING",
                "git is not installed (or not on PATH): --base needs it to read the base revision",
                self.shown,
                "install git, or run the check without --base",
            )
        # No optional locks: even a read must not refresh the index of the user's working tree.
        environment = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
        try:
            return subprocess.run(
                [executable, *args],
                cwd=self.cwd,
                input=stdin,
                capture_output=True,
                env=environment,
                check=False,
            )
        except OSError as error:
            raise git_error(
                "DL-GIT-MISSING", f"cannot run git: {error.strerror}", self.shown, "check the git install"
            ) from None

    def blobs(self, oids: Sequence[str], label: str) -> dict[str, bytes]:
        """The contents of these blobs, read in one `git cat-file --batch`."""
        unique = list(dict.fromkeys(oids))
        if not unique:
            return {}
        result = self.run("cat-file", "--batch", stdin="".join(f"{oid}\n" for oid in unique).encode())
        contents: dict[str, bytes] = {}
        data, position = result.stdout, 0
        for oid in unique:
            end = data.find(b"\n", position)
            header = data[position:end].split() if end >= 0 else []
            if result.returncode != 0 or len(header) != 3 or header[1] != b"blob":
                raise git_error(
                    "DL-GIT-READ",
                    f"cannot read the files of `{label}`",
                    self.shown,
                    "in a partial clone git fetches files on demand: check access to the remote, "
                    "or fetch the revision with its files (`git fetch --refetch`)",
                )
            size = int(header[2])
            contents[oid] = data[end + 1 : end + 1 + size]
            position = end + 1 + size + 1  # the content is followed by a newline
        return contents


def first_line(stderr: bytes) -> str:
    lines = [line.strip() for line in os.fsdecode(stderr).splitlines() if line.strip()]
    text = lines[0] if lines else "git failed"
    return text.removeprefix("fatal: ").removeprefix("error: ")


def git_error(code: str, message: str, shown: str, help: str | None) -> DecisionlangError:
    return DecisionlangError([Diagnostic(code, message, file=shown, help=help)])


# ---------------------------------------------------------------- discovery, the same for every tree


def _discover(tree: _Tree, limits: SizeLimits, *, tests: bool = False) -> SourceSet:
    config_source, config, diagnostics = _read_config(tree, limits)
    if _is_bare_policy_directory(tree):
        config["policies"] = ["."]  # `decisionlang validate policies/`: the directory is the policy set
    explicit = set(config.pop("explicit", []))
    written: dict[str, Span] = config.pop("written", {})
    settings = config.pop("settings", Settings())
    size = dict(settings.yaml_limits).get("max_bytes")
    if limits.yaml_bytes is None and size is not None:  # a flag's value wins over the file's
        limits = dataclasses.replace(limits, yaml_bytes=size)
    found: dict[str, list[str]] = {}
    for key, suffixes, what in (
        ("waivers", WAIVER_SUFFIXES, "waiver"),
        ("policies", (POLICY_SUFFIX,), "policy"),
        ("states", STATE_SUFFIXES, "state"),
    ):
        found[key], problems = _files_under(
            tree, config[key], suffixes, what, configured=key in explicit, written=written
        )
        diagnostics += problems
    found["tests"] = []
    if tests:  # the policy tests live beside the policies (`policies/tests/<policy>.test.yaml`)
        found["tests"], _ = _files_under(tree, config["policies"], (TEST_SUFFIX,), "test", configured=False)
    if not found["policies"]:
        diagnostics.append(
            Diagnostic(
                "DL-CONFIG",
                "no policy file found",
                file=".",
                help=f"put `*{POLICY_SUFFIX}` files under `policies/`, or list them in {CONFIG_FILE}",
            )
        )
    if not found["states"]:
        diagnostics.append(
            Diagnostic(
                "DL-CONFIG-NO-STATES",
                "no state file found: there is nothing to decide on",
                file=".",
                help=f"declare subjects in `services/*.yaml`, or list state paths in {CONFIG_FILE}",
                severity=Severity.WARNING,
            )
        )
    read: dict[Role, list[SourceFile]] = {}
    for role, key in (
        (Role.POLICY, "policies"),
        (Role.STATE, "states"),
        (Role.WAIVER, "waivers"),
        (Role.TEST, "tests"),
    ):
        sources, problems = _read_all(tree, found[key], role, limits)
        read[role] = sources
        diagnostics += problems
    root = shown_path(tree.root.as_posix()) if isinstance(tree, _DiskTree) else "."
    return SourceSet(
        root,
        tuple(read[Role.POLICY]),
        tuple(read[Role.STATE]),
        tuple(read[Role.WAIVER]),
        config_source,
        tuple(read[Role.TEST]),
        diagnostics=tuple(diagnostics),
        limits=limits,
        _tree=tree,
        settings=settings,
    )


def _files_under(
    tree: _Tree,
    entries: Sequence[str],
    suffixes: tuple[str, ...],
    what: str,
    *,
    configured: bool,
    written: Mapping[str, Span] | None = None,
) -> tuple[list[str], list[Diagnostic]]:
    """The files with these suffixes under each entry (by real path, once); a configured entry
    must exist. `written` says where the configuration wrote each entry, for the diagnostics."""
    files: dict[str, None] = {}
    diagnostics: list[Diagnostic] = []
    spans = written or {}
    for entry in entries:
        kind = tree.kind(entry)
        where = spans.get(entry)
        if kind == "outside":
            diagnostics.append(
                Diagnostic(
                    "DL-CONFIG-OUTSIDE",
                    f"{what} path `{entry}` leaves the project root",
                    where,
                    file=CONFIG_FILE,
                    help="policies and states must live inside the project directory",
                )
            )
        elif kind == "dir":
            try:
                inside, escaping = tree.walk(entry)
            except DecisionlangError as error:  # a tree too deep or too large to walk
                diagnostics.extend(error.diagnostics)
                continue
            diagnostics.extend(tree.outside(path, what) for path in escaping if path.endswith(suffixes))
            files.update(dict.fromkeys(path for path in inside if path.endswith(suffixes)))
        elif kind == "file":
            files[tree.real(entry)] = None
        elif configured:
            diagnostics.append(
                Diagnostic(
                    "DL-CONFIG",
                    f"{what} path `{entry}` does not exist",
                    where,
                    file=CONFIG_FILE,
                    help=f"fix the path in {CONFIG_FILE}, or remove it",
                )
            )
    return list(files), diagnostics


def _is_bare_policy_directory(tree: _Tree) -> bool:
    """A directory of policy files without the decision-repo layout or a configuration."""
    if tree.kind(CONFIG_FILE) != "missing" or any(
        tree.kind(name) != "missing" for name in DEFAULT_POLICY_DIRS
    ):
        return False
    return any(name.endswith(POLICY_SUFFIX) for name in tree.top_files())


def _read_config(
    tree: _Tree, limits: SizeLimits
) -> tuple[SourceFile | None, dict[str, Any], list[Diagnostic]]:
    defaults: dict[str, Any] = {
        "policies": list(DEFAULT_POLICY_DIRS),
        "states": list(DEFAULT_STATE_DIRS),
        "waivers": list(DEFAULT_WAIVER_DIRS),
    }
    if tree.kind(CONFIG_FILE) != "file":
        return None, defaults, []
    source = _read(tree, tree.real(CONFIG_FILE), Role.CONFIG, limits)
    if isinstance(source, Diagnostic):
        return None, defaults, [source]
    config, problems = parse_config(source, defaults)
    return source, config, problems


def parse_config(
    source: SourceFile, defaults: Mapping[str, list[str]]
) -> tuple[dict[str, Any], list[Diagnostic]]:
    """The settings of `decisionlang.yaml`: lists of files or folders, by kind."""
    # only a repo with a configuration pays for the YAML reader
    from decisionlang.inputs.yamlreader import YamlMap, YamlSeq, item_spot, key_spot, read_yaml, value_spot

    read = read_yaml(source, prefix="DL-CONFIG", noun="configuration file", single=True)
    if read.diagnostics:
        return dict(defaults), list(read.diagnostics)
    data: Any = read.documents[0].value if read.documents else None
    if data is None:
        return dict(defaults), []
    if type(data) is not YamlMap:
        where = read.documents[0].spot.span(read.source)
        found = "a list" if type(data) is YamlSeq else "a single value"
        message = f"the configuration must be a mapping of settings, not {found}"
        help = "write settings such as `policies: [policies]` and `states: [services]`"
        return dict(defaults), [Diagnostic("DL-CONFIG", message, where, help=help)]
    diagnostics: list[Diagnostic] = []
    config: dict[str, Any] = dict(defaults)
    settings = Settings()
    for key, value in data.items():
        if key in _SETTINGS:
            settings, problems = _SETTINGS[key](settings, value, data, read.source)
            diagnostics += problems
            config["settings"] = settings
            continue
        if key not in defaults:
            diagnostics.append(
                Diagnostic(
                    "DL-CONFIG",
                    f"unknown setting `{key}`",
                    key_spot(data, key).span(read.source),
                    help="the settings are `policies`, `states` and `waivers` (lists of files or folders), "
                    "`limits`, `selectors` and `lint`",
                )
            )
            continue
        entries = [value] if isinstance(value, str) else value
        if not isinstance(entries, list) or not all(isinstance(entry, str) for entry in entries):
            message = f"`{key}` must be a list of paths"
            diagnostics.append(Diagnostic("DL-CONFIG", message, key_spot(data, key).span(read.source)))
            continue
        spots = [item_spot(value, index) for index in range(len(value))] if type(value) is YamlSeq else []
        spots = spots or [value_spot(data, key)]
        nul = [spot for entry, spot in zip(entries, spots, strict=False) if "\0" in entry]
        if nul:
            message = f"`{key}` holds a path with a NUL character, which no file name can hold"
            help = "remove the `\\0` escape from the path"
            diagnostics.append(Diagnostic("DL-CONFIG", message, nul[0].span(read.source), help))
            continue
        config[key] = list(entries)
        config.setdefault("explicit", []).append(key)  # paths the user wrote must exist
        written = config.setdefault("written", {})  # and where: their diagnostics point there
        for entry, spot in zip(entries, spots, strict=False):
            written.setdefault(entry, spot.span(read.source))
    return config, diagnostics


def _limits_setting(
    settings: Settings, value: Any, data: Any, source: LinedSource
) -> tuple[Settings, list[Diagnostic]]:
    """`limits: {evaluation_steps: N, max_file_size: 20 MB, max_depth: N, max_aliases: N,
    max_alias_nodes: N}`, each optional; a bad one is reported where it is written."""
    from decisionlang.inputs.yamlreader import YamlMap, key_spot, value_spot

    span = key_spot(data, "limits").span(source)
    names = ", ".join(f"`{name}`" for name in ["evaluation_steps", *LIMIT_SETTINGS])
    if type(value) is not YamlMap:
        message = f"`limits` must be a mapping of limits: {names}"
        return settings, [Diagnostic("DL-CONFIG", message, span)]
    problems: list[Diagnostic] = []
    yaml_limits: dict[str, int] = {}
    for key, written in value.items():
        if key == "evaluation_steps":
            if type(written) is not int or not 1 <= written <= MAX_EVALUATION_STEPS:
                message = f"`evaluation_steps` must be a whole number from 1 to {MAX_EVALUATION_STEPS:,}"
                problems.append(Diagnostic("DL-CONFIG", message, value_spot(value, key).span(source)))
            else:
                settings = dataclasses.replace(settings, evaluation_steps=written)
            continue
        setting = LIMIT_SETTINGS.get(key) if isinstance(key, str) else None
        if setting is None:
            message = f"unknown limit `{key}`"
            problems.append(
                Diagnostic(
                    "DL-CONFIG", message, key_spot(value, key).span(source), help=f"the limits are {names}"
                )
            )
            continue
        number = setting_value(setting, written)
        if number is None:
            message = f"`{key}` must be {setting.allowed()}"
            problems.append(Diagnostic("DL-CONFIG", message, value_spot(value, key).span(source)))
            continue
        yaml_limits[setting.field] = number
    if yaml_limits:
        settings = dataclasses.replace(settings, yaml_limits=tuple(sorted(yaml_limits.items())))
    return settings, problems


def _selectors_setting(
    settings: Settings, value: Any, data: Any, source: LinedSource
) -> tuple[Settings, list[Diagnostic]]:
    """`selectors: {allow_unmatched: [kind, tag or name, ...]}`."""
    from decisionlang.inputs.yamlreader import key_spot

    span = key_spot(data, "selectors").span(source)
    allowed = value.get("allow_unmatched") if isinstance(value, Mapping) else None
    allowed = [allowed] if isinstance(allowed, str) else allowed
    if (
        not isinstance(value, Mapping)
        or set(value) - {"allow_unmatched"}
        or not isinstance(allowed, list)
        or not all(isinstance(item, str) for item in allowed)
    ):
        message = "`selectors` must be a mapping with `allow_unmatched: [<kind, tag or name>, ...]`"
        return settings, [Diagnostic("DL-CONFIG", message, span)]
    return dataclasses.replace(settings, allow_unmatched=tuple(allowed)), []


LINT_LEVELS = ("error", "warning", "info", "off")


def _lint_setting(
    settings: Settings, value: Any, data: Any, source: LinedSource
) -> tuple[Settings, list[Diagnostic]]:
    """`lint: {rules: {L201: off, missing-because: info, clarity: warning}}`: a level per rule code,
    rule name or category; the keys are checked by `decisionlang lint`, the levels here."""
    from decisionlang.inputs.yamlreader import YamlMap, key_spot, value_spot

    shape = "`lint` must be a mapping with `rules: {<rule code, name or category>: <level>, ...}`"
    if type(value) is not YamlMap or set(value) - {"rules"}:
        return settings, [Diagnostic("DL-CONFIG", shape, key_spot(data, "lint").span(source))]
    rules = value.get("rules")
    if rules is None:
        return settings, []
    if type(rules) is not YamlMap:
        return settings, [Diagnostic("DL-CONFIG", shape, key_spot(value, "rules").span(source))]
    problems: list[Diagnostic] = []
    found: list[tuple[str, str, Span]] = []
    levels = ", ".join(f"`{level}`" for level in LINT_LEVELS)
    for key, level in rules.items():
        span = key_spot(rules, key).span(source)
        if not isinstance(key, str):
            problems.append(Diagnostic("DL-CONFIG", f"`{key}` is not a rule code, name or category", span))
            continue
        if level is False:  # YAML 1.1 reads a bare `off` as false
            level = "off"
        if not isinstance(level, str) or level not in LINT_LEVELS:
            message = f"the level of `{key}` must be one of {levels}"
            problems.append(Diagnostic("DL-CONFIG", message, value_spot(rules, key).span(source)))
            continue
        found.append((key, level, span))
    return dataclasses.replace(settings, lint_rules=tuple(found)), problems


MAX_EVALUATION_STEPS = 1_000_000_000
_SETTINGS = {"limits": _limits_setting, "selectors": _selectors_setting, "lint": _lint_setting}


# ---------------------------------------------------------------- reading: sizes first, then bytes


def _read(tree: _Tree, path: str, role: Role, limits: SizeLimits) -> SourceFile | Diagnostic:
    sources, problems = _read_all(tree, [path], role, limits)
    return sources[0] if sources else problems[0]


def _read_all(
    tree: _Tree, paths: Sequence[str], role: Role, limits: SizeLimits
) -> tuple[list[SourceFile], list[Diagnostic]]:
    """The files decoded, in order; a file too large is never read."""
    problems: list[Diagnostic] = []
    wanted = []
    limit = limits.of(role)
    for path in paths:
        if _NOT_TEXT.search(path):
            problems.append(_misnamed(role, path))
            continue
        size = tree.size(path)
        if size is not None and size > limit:
            problems.append(too_large(role, path, limit))
        else:
            wanted.append(path)
    contents = tree.read(wanted, limit)
    sources = []
    for path in wanted:
        data = contents[path]
        decoded = (
            decode(role, path, data, limit) if isinstance(data, bytes) else _unreadable(role, path, data)
        )
        if isinstance(decoded, SourceFile):
            sources.append(decoded)
        else:
            problems.append(decoded)
    return sources, problems


def decode(role: Role, path: str, data: bytes, limit: int | None = None) -> SourceFile | Diagnostic:
    """The text of a file's bytes (a leading byte-order mark dropped), or why it is not text."""
    if limit is not None and len(data) > limit:  # the file grew between its size and its read
        return too_large(role, path, limit)
    try:
        return SourceFile(path, data.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        where, byte = undecodable(path, data, error)
        message = f"{role.value} file is not valid UTF-8: {byte}"
        return Diagnostic(_CODES[role][2], message, where, help="save it as UTF-8")


# A name that is not UTF-8 comes from the file system (or git) with its bytes as lone surrogates:
# no output could write it, so the file is refused (never skipped: a state left out could pass a gate).
_NOT_TEXT = re.compile("[\ud800-\udfff]")


def shown_path(path: str) -> str:
    """A path as messages can write it: bytes that are not UTF-8 as `\\xff`."""
    return printable(path)


def _misnamed(role: Role, path: str) -> Diagnostic:
    return Diagnostic(
        _CODES[role][0],
        f"cannot read {role.value} file: its name is not valid UTF-8",
        file=shown_path(path),
        help="rename it with a UTF-8 name",
    )


def too_large(role: Role, path: str, limit: int) -> Diagnostic:
    return Diagnostic(
        _CODES[role][1],
        f"{role.value} file is larger than the limit of {limit:,} bytes",
        file=path,
        help="split it into several files",
    )


def _unreadable(role: Role, path: str, error: OSError) -> Diagnostic:
    return Diagnostic(_CODES[role][0], f"cannot read {role.value} file: {error.strerror or error}", file=path)


def read_file(
    path: Path, shown: str, role: Role, limits: SizeLimits | None = None
) -> SourceFile | Diagnostic:
    """One file on disk, outside any project (`shown` names it in messages): its size is checked
    before it is read, then it is decoded as every source is."""
    limit = (limits or SizeLimits()).of(role)
    try:
        if path.stat().st_size > limit:
            return too_large(role, shown, limit)
        with path.open("rb") as stream:
            data = stream.read(limit + 1)
    except OSError as error:
        return _unreadable(role, shown, error)
    except ValueError:  # a NUL byte in the name
        return _unreadable(role, shown, OSError(0, "its name holds a NUL character"))
    return decode(role, shown, data, limit)
