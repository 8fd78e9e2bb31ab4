"""The cache of checked policies and loaded states (decisionlang.inputs.cache, engine.loadcache):
a warm run gives the same bytes as a cold one, a damaged entry is ignored, a changed input is a
new key, and the store is safe to share between runs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from decisionlang.api import load_project
from decisionlang.inputs.cache import Cache, from_environment
from decisionlang.inputs.sources import SourceSet
from tests.support import MINIMAL_PROJECT

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = sorted(path.name for path in (REPO / "examples").iterdir() if (path / "policies").is_dir())


@pytest.fixture()
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.setenv("DECISIONLANG_CACHE_DIR", str(directory))
    monkeypatch.delenv("DECISIONLANG_NO_CACHE", raising=False)
    return directory


def _entries(directory: Path) -> list[Path]:
    return sorted((directory / "entries").glob("*.entry")) if (directory / "entries").is_dir() else []


def _run(*arguments: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "decisionlang", *arguments],
        cwd=REPO,
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})},
        check=False,
    )


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


# ---------------------------------------------------------------- the store


def test_a_value_comes_back_as_stored(tmp_path: Path) -> None:
    store = Cache(tmp_path)
    key = Cache.key("test", ["a", "b"])
    assert store.get(key) is None
    store.put(key, {"x": [1, 2.5, "three"]})
    assert store.get(key) == {"x": [1, 2.5, "three"]}
    assert store.info().entries == 1


def test_keys_separate_their_parts() -> None:
    assert Cache.key("k", ["ab", "c"]) != Cache.key("k", ["a", "bc"])
    assert Cache.key("k", ["a"]) != Cache.key("j", ["a"])


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) // 2],  # truncated
        lambda data: data[:-1] + bytes([data[-1] ^ 1]),  # one bit of the payload
        lambda data: b"not an entry at all",
        lambda data: b"",
        lambda data: data.replace(data[21:29], b"0" * 8, 1),  # another key in the header
    ],
)
def test_a_damaged_entry_is_ignored_then_rewritten(tmp_path: Path, damage: object) -> None:
    store = Cache(tmp_path)
    key = Cache.key("test", ["value"])
    store.put(key, ["value"])
    (entry,) = _entries(tmp_path)
    entry.write_bytes(damage(entry.read_bytes()))  # type: ignore[operator]
    assert store.get(key) is None
    assert store.cached(key, lambda: ["value"]) == ["value"]
    assert store.get(key) == ["value"]


def test_an_entry_that_does_not_unpickle_is_ignored(tmp_path: Path) -> None:
    import hashlib

    store = Cache(tmp_path)
    key = Cache.key("test", ["x"])
    payload = b"\x80\x05garbage"
    header = b"decisionlang-cache 1\n" + key.encode() + b"\n" + hashlib.sha256(payload).digest()
    (tmp_path / "entries").mkdir(parents=True)
    (tmp_path / "entries" / f"{key}.entry").write_bytes(header + payload)
    assert store.get(key) is None


def test_the_least_recently_used_entries_go_first(tmp_path: Path) -> None:
    store = Cache(tmp_path, max_size=10_000)
    keys = [Cache.key("test", [str(index)]) for index in range(3)]  # ~3,100 bytes each: all fit
    for age, key in enumerate(keys):
        store.put(key, b"x" * 3_000)
        os.utime(store._path(key), (1_000_000 + age, 1_000_000 + age))
    assert store.get(keys[0]) is not None  # used now: the most recent
    store.put(Cache.key("test", ["new"]), b"y" * 3_000)
    kept = {key for key in keys if store._path(key).exists()}
    assert kept == {keys[0], keys[2]}
    assert store.info().size <= 10_000


def test_clear_removes_every_entry(tmp_path: Path) -> None:
    store = Cache(tmp_path)
    for index in range(3):
        store.put(Cache.key("test", [str(index)]), index)
    assert store.clear() == 3
    assert store.info().entries == 0


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_a_directory_others_can_write_is_not_used(tmp_path: Path) -> None:
    directory = tmp_path / "shared"
    directory.mkdir()
    directory.chmod(0o777)
    store = Cache(directory)
    store.put(Cache.key("test", ["x"]), "x")
    assert _entries(directory) == []


def test_the_environment_chooses_the_directory_or_turns_it_off(tmp_path: Path) -> None:
    on = from_environment({"DECISIONLANG_CACHE_DIR": str(tmp_path), "DECISIONLANG_CACHE_MAX_MB": "2"})
    assert on is not None and on.directory == tmp_path and on.max_size == 2 * 1024 * 1024
    assert from_environment({"DECISIONLANG_CACHE_DIR": str(tmp_path), "DECISIONLANG_NO_CACHE": "1"}) is None
    linux = from_environment({"XDG_CACHE_HOME": str(tmp_path)})
    if sys.platform not in ("win32", "darwin"):
        assert linux is not None and linux.directory == tmp_path / "decisionlang"


def test_concurrent_writers_and_readers_never_see_half_an_entry(tmp_path: Path) -> None:
    store = Cache(tmp_path)
    key = Cache.key("test", ["shared"])
    value = list(range(50_000))
    seen: list[object] = []
    problems: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(20):
                store.put(key, value)
                seen.append(store.get(key))
        except BaseException as problem:
            problems.append(problem)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert problems == []
    assert all(found is None or found == value for found in seen)
    assert not [path for path in (tmp_path / "entries").iterdir() if path.name.startswith(".tmp-")]


# ---------------------------------------------------------------- projects


def _refuse(*_: object, **__: object) -> None:
    raise AssertionError("computed again")


def _account(project: object) -> tuple[object, ...]:
    from decisionlang.engine.project import Project

    assert isinstance(project, Project)
    subjects = [
        (s.name, s.kind, s.file, s.line, s.column, dict(s.fields), dict(s.locations), s.groups)
        for s in project.portfolio.subjects
    ]
    return (
        subjects,
        [str(d) for d in project.diagnostics],
        sorted(project.program.policies),
        [(f.path, f.text) for f in project.policy_files],
        project.portfolio.ignored,
    )


@pytest.mark.parametrize("example", EXAMPLES)
def test_a_warm_load_is_the_cold_one(example: str, tmp_path: Path) -> None:
    store = Cache(tmp_path)
    cold = load_project(REPO / "examples" / example, cache=False)
    first = load_project(REPO / "examples" / example, cache=store)
    assert len(_entries(tmp_path)) == 2
    warm = load_project(REPO / "examples" / example, cache=store)
    assert _account(cold) == _account(first) == _account(warm)


def test_a_warm_load_reads_no_yaml_and_parses_no_policy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Cache(tmp_path)
    root = REPO / "examples" / "quickstart"
    cold = load_project(root, cache=store)

    monkeypatch.setattr("decisionlang.inputs.states.load_states", _refuse)
    monkeypatch.setattr("decisionlang.inputs.layout.load_modules", _refuse)
    assert _account(load_project(root, cache=store)) == _account(cold)


def test_a_warm_load_imports_neither_the_parser_nor_the_state_validator(cache_dir: Path) -> None:
    script = (
        "import sys; from decisionlang.api import load_project; "
        "load_project('examples/quickstart'); "
        "print(sorted(m for m in ('lark', 'pydantic', 'decisionlang.inputs.states') if m in sys.modules))"
    )
    runs = [
        subprocess.run(
            [sys.executable, "-c", script],
            cwd=REPO,
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            check=True,
        ).stdout.strip()
        for _ in range(2)
    ]
    assert runs == ["['decisionlang.inputs.states', 'lark', 'pydantic']", "[]"]


@pytest.mark.parametrize("example", ["quickstart", "scaleup"])
@pytest.mark.parametrize("output_format", ["json", "text"])
def test_check_gives_the_same_bytes_cold_warm_and_from_damaged_entries(
    example: str, output_format: str, cache_dir: Path
) -> None:
    arguments = ("check", f"examples/{example}", "--as-of", "2026-11-26", "--format", output_format)
    cold = _run(*arguments)
    assert len(_entries(cache_dir)) == 2
    warm = _run(*arguments)
    for entry in _entries(cache_dir):
        data = entry.read_bytes()
        entry.write_bytes(data[: len(data) - 7])
    damaged = _run(*arguments)
    uncached = _run(*arguments, "--no-cache")
    for run in (warm, damaged, uncached):
        assert (run.returncode, run.stdout, run.stderr) == (cold.returncode, cold.stdout, cold.stderr)


def test_checks_run_at_once_on_an_empty_cache_agree(cache_dir: Path) -> None:
    arguments = ["check", "examples/scaleup", "--as-of", "2026-11-26", "--format", "json"]
    environment = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "decisionlang", *arguments]
    running = [
        subprocess.Popen(command, cwd=REPO, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(4)
    ]
    results = set()
    for run in running:
        out, err = run.communicate()
        results.add((run.returncode, out, err))
    after = _run(*arguments)  # warm, alone
    assert results == {(after.returncode, after.stdout, after.stderr)}
    assert len(_entries(cache_dir)) == 2
    assert not [path for path in (cache_dir / "entries").iterdir() if path.name.startswith(".tmp-")]


def test_no_cache_writes_nothing(cache_dir: Path) -> None:
    _run("validate", "examples/quickstart", "--no-cache")
    _run("validate", "examples/quickstart", env={"DECISIONLANG_NO_CACHE": "1"})
    assert _entries(cache_dir) == []
    assert not list(cache_dir.glob("parser-*"))


def test_cache_info_and_clear(cache_dir: Path) -> None:
    _run("validate", "examples/quickstart")
    info = _run("cache", "info")
    assert info.returncode == 0
    assert f"directory: {cache_dir}" in info.stdout.decode()
    assert "entries: 2" in info.stdout.decode()
    cleared = _run("cache", "clear")
    assert cleared.returncode == 0 and "removed 2 entries" in cleared.stdout.decode()
    assert _entries(cache_dir) == []


def test_a_changed_state_is_a_new_key(tmp_path: Path) -> None:
    store = Cache(tmp_path / "cache")
    root = _write(tmp_path / "repo", MINIMAL_PROJECT)
    before = load_project(root, cache=store)
    state = root / "services" / "a.yaml"
    state.write_text(state.read_text().replace("risk: 9", "risk: 3"))
    after = load_project(root, cache=store)
    assert before.portfolio.by_name["alpha"].fields["risk"] == 9
    assert after.portfolio.by_name["alpha"].fields["risk"] == 3
    assert _account(after) == _account(load_project(root, cache=False))


def test_a_changed_imported_file_outside_the_policy_folders_is_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Cache(tmp_path / "cache")
    files = {
        "policies/p.policy": 'import "../shared/limits.policy"\n'
        'schema { risk: integer 0..10 "Risk" }\n'
        "policy p { no_go risky when risk >= ceiling }\n",
        "shared/limits.policy": "\ufeffconst ceiling = 8\n",  # a byte order mark: parsed without it
        "services/a.yaml": "services:\n  - name: alpha\n    risk: 5\n",
    }
    root = _write(tmp_path / "repo", files)
    first = load_project(root, cache=store)
    assert not first.errors, first.errors
    with monkeypatch.context() as patched:  # unchanged: the entry is used
        patched.setattr("decisionlang.inputs.layout.load_modules", _refuse)
        assert _account(load_project(root, cache=store)) == _account(first)
    (root / "shared" / "limits.policy").write_text('const ceiling = "eight"\n')
    changed = load_project(root, cache=store)
    assert _account(changed) == _account(load_project(root, cache=False))
    assert changed.errors  # a text compared with a number


def test_a_project_in_memory_or_from_git_is_cached_by_content(tmp_path: Path) -> None:
    store = Cache(tmp_path)
    first = load_project(SourceSet.from_memory(MINIMAL_PROJECT), cache=store)
    second = load_project(SourceSet.from_memory(MINIMAL_PROJECT), cache=store)
    assert _account(first) == _account(second)
    assert len(_entries(tmp_path)) == 2


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(position=st.floats(0, 1), byte=st.integers(0, 255))
def test_any_damaged_byte_leaves_the_project_as_it_is(tmp_path: Path, position: float, byte: int) -> None:
    directory = tmp_path / "damaged"
    shutil.rmtree(directory, ignore_errors=True)
    store = Cache(directory)
    root = REPO / "examples" / "quickstart"
    expected = _account(load_project(root, cache=store))
    for entry in _entries(directory):
        data = bytearray(entry.read_bytes())
        data[min(len(data) - 1, int(position * len(data)))] = byte
        entry.write_bytes(bytes(data))
    assert _account(load_project(root, cache=store)) == expected
