"""The start-up cache of dataclass methods (decisionlang/_classcache.py): a warm run compiles none,
a cache that is corrupted, foreign, unsafe or turned off is ignored, and the outputs never change."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from decisionlang import _classcache

ROOT = Path(__file__).parent.parent
QUICKSTART = ROOT / "examples" / "quickstart"

_SCRIPT = """
import json, sys
from decisionlang import _classcache
from decisionlang.cli import main
try:
    main(["check", sys.argv[1], "--as-of", "2026-11-26", "--format", "json"])
except SystemExit:
    pass
print(json.dumps(_classcache.stats()), file=sys.stderr)
"""


def _run(cache: Path, **environment: str) -> tuple[bytes, dict[str, int]]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DECISIONLANG_")},
        "DECISIONLANG_CACHE_DIR": str(cache),
        "PYTHONPATH": str(ROOT),
        **environment,
    }
    result = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(QUICKSTART)], capture_output=True, env=env, check=True
    )
    return result.stdout, json.loads(result.stderr.decode().strip().splitlines()[-1])


def _cache_files(cache: Path) -> list[Path]:
    return sorted(cache.glob("classes-*.marshal"))


def test_a_warm_run_compiles_nothing_and_reports_the_same_bytes(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cold, first = _run(cache)
    assert first["compiled"] > 100
    assert first["compiled"] == first["entries"]
    (written,) = _cache_files(cache)
    assert written.stat().st_mode & 0o077 == 0 or os.name != "posix"
    warm, second = _run(cache)
    assert second["compiled"] == 0
    assert 0 < second["used"] <= first["used"]  # a warm load imports fewer modules
    assert warm == cold
    off, third = _run(cache, DECISIONLANG_CLASS_CACHE="0")
    assert off == cold
    assert third == {"entries": 0, "used": 0, "compiled": 0}


@pytest.mark.parametrize("damage", ["truncate", "flip", "foreign", "empty"])
def test_a_damaged_cache_is_ignored_and_rewritten(tmp_path: Path, damage: str) -> None:
    cache = tmp_path / "cache"
    expected, _ = _run(cache)
    (path,) = _cache_files(cache)
    data = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "flip":
        path.write_bytes(data[:-10] + bytes([data[-10] ^ 0xFF]) + data[-9:])
    elif damage == "foreign":
        path.write_bytes(b"not a cache at all")
    else:
        path.write_bytes(b"")
    output, stats = _run(cache)
    assert output == expected
    assert stats["compiled"] == stats["entries"] > 100
    assert _run(cache)[1]["compiled"] == 0  # rewritten whole


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_a_directory_others_can_write_is_not_used(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    cache.chmod(0o777)
    output, stats = _run(cache)
    assert stats["compiled"] > 100
    assert _cache_files(cache) == []
    assert _run(cache)[1]["compiled"] == stats["compiled"]
    assert output


def test_turned_off_by_the_environment(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _, stats = _run(cache, DECISIONLANG_NO_CACHE="1")
    assert stats == {"entries": 0, "used": 0, "compiled": 0}
    assert _cache_files(cache) == []


def test_other_modules_classes_go_through_the_builtin_and_are_not_kept() -> None:
    before = _classcache.stats()
    namespace: dict[str, object] = {}
    _classcache._exec("def f():\n return 42\n", {"__name__": "elsewhere"}, namespace)
    assert namespace["f"]() == 42  # type: ignore[operator]
    assert _classcache.stats() == before


def test_no_future_flags_leak_into_the_compiled_methods() -> None:
    """`from __future__ import annotations` in _classcache must not turn annotations to text."""
    namespace: dict[str, object] = {}
    _classcache._exec("def f() -> int:\n return 1\n", {"__name__": "elsewhere"}, namespace)
    assert namespace["f"].__annotations__ == {"return": int}  # type: ignore[attr-defined]
