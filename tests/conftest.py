"""Test-wide settings.

Property tests draw new examples on every run on a developer's machine (that is how they find
what nobody thought of; a failure prints the `@reproduce_failure` line to pin it). In CI
(`CI` set, as every CI service and `.ci/run` do) they are derandomized: the same examples on every
run, so a pull request's check passes or fails on its own change, not on the draw.
"""

from __future__ import annotations

import os
import shutil
import tempfile

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("dev", print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

# The suite never reads or writes the user's own cache (decisionlang.inputs.cache, the parser's):
# every test, and every command a test runs, uses one temporary cache directory of the session.
_CACHE = tempfile.mkdtemp(prefix="decisionlang-test-cache-")
os.environ["DECISIONLANG_CACHE_DIR"] = _CACHE
os.environ.pop("DECISIONLANG_NO_CACHE", None)


def pytest_unconfigure(config: object) -> None:
    shutil.rmtree(_CACHE, ignore_errors=True)
