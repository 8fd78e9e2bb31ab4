"""Language server benchmark: what one keystroke costs `decisionlang lsp`.

    .venv/bin/python benchmarks/bench_lsp.py [--services N] [--seed S] [--repeat R]

It generates N services (the portfolio of `bench_evaluate.py`: `portfolio.py`, same seed) and
measures, in one run, the reference and the subject alternating (a busy machine slows both alike),
each the median CPU time (`time.process_time`) of `--repeat` runs:

- the subject: `decisionlang.lsp.analysis.analyse` with the policy file edited (unsaved text, so
  no cache), i.e. what the server does after a pause in typing: load and check the project,
  place its diagnostics, index its names;
- the reference: `load_project` of the same files with the same edit, cache off (what
  `decisionlang validate` does); the ratio is the server's own overhead;
- the first hover of a rule (`evaluate_project(trace=False)`, once per loaded version) and one
  completion request's parse of the text before the cursor (`expected_at`), reported alone.

The last line is `RESULT {json}`. The script reports; it does not gate (exit 0).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchresult import cpu, emit, figure
from portfolio import generate_repo

from decisionlang.api import SourceSet, evaluate_project, load_project
from decisionlang.language.parser import expected_at
from decisionlang.lsp.analysis import analyse


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--services", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-lsp-") as directory:
        root = Path(directory) / "repo"
        generate_repo(root, args.services, args.seed)
        policy = next((root / "policies").glob("*.policy"))
        relative = policy.relative_to(root).as_posix()
        edited = policy.read_text(encoding="utf-8") + "\n# typing\n"
        edits = {relative: edited}
        analyse(root, edits)  # warm: the grammar, the imports
        subject: list[float] = []
        reference: list[float] = []
        for _ in range(args.repeat):
            reference.append(cpu(lambda: load_project(SourceSet.from_disk(root, edits=edits), cache=False)))
            subject.append(cpu(lambda: analyse(root, edits)))
        analysis = analyse(root, edits)
        hover = statistics.median(
            cpu(lambda: evaluate_project(analysis.project, trace=False)) for _ in range(args.repeat)
        )
        prefix = edited[: edited.rindex("}")]
        completion = statistics.median(cpu(lambda: expected_at(prefix)) for _ in range(args.repeat))
        errors = len(analysis.project.errors)
    keystroke, plain = statistics.median(subject), statistics.median(reference)
    print(f"{args.services:,} services, {args.repeat} runs each, median CPU time ({errors} errors)")
    print(f"  analysis after a keystroke  {keystroke * 1000:8.1f} ms")
    print(f"  load_project (reference)    {plain * 1000:8.1f} ms   ratio {keystroke / plain:.2f}")
    print(f"  first hover of a rule       {hover * 1000:8.1f} ms   (evaluate_project, verdicts only)")
    print(f"  completion's parse          {completion * 1000:8.1f} ms   ({len(prefix):,} characters)")
    n = f"{args.services:,} services"
    emit(
        [
            figure(
                f"analysis after a keystroke, {n}",
                keystroke * 1000,
                "ms",
                kind="speed",
                target="",
                met=None,
                reference=plain * 1000,
            ),
            figure(f"first hover of a rule, {n}", hover * 1000, "ms", kind="speed", target="", met=None),
            figure(
                "completion's parse of the text before the cursor",
                completion * 1000,
                "ms",
                kind="speed",
                target="",
                met=None,
            ),
        ]
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
