"""`python -m tests.fuzz [--inputs N] [--seed S] [--resume FILE]`: the long fuzz run of `make fuzz`.

Prints the seed, progress, and a summary table; exits 1 when any finding remains, after writing
the minimised findings to tests/fuzz/corpus/."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: `support` and `fuzz`
sys.setrecursionlimit(max(sys.getrecursionlimit(), 1000))

from fuzz.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
