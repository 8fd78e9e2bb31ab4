"""The command line of the long fuzz run: arguments, progress, the summary table, resuming."""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

from .driver import CORPUS, Tally, corpus_entries, fuzz, owner_of, store
from .run import Outcome

DEFAULT_INPUTS = 100_000


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__)
    parser.add_argument("--inputs", type=int, default=DEFAULT_INPUTS, help="how many inputs (default 100000)")
    parser.add_argument("--seed", type=int, help="the seed (default: a random one, printed)")
    parser.add_argument("--resume", type=Path, help="progress file: continue the run it records")
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="where minimised findings are written")
    parser.add_argument("--no-cli", action="store_true", help="the library and renderers only")
    args = parser.parse_args(argv)
    seed, start = args.seed, 0
    if args.resume is not None and args.resume.exists():
        state = json.loads(args.resume.read_text(encoding="utf-8"))
        seed, start, args.inputs = state["seed"], state["done"], state["inputs"]
        print(f"resuming seed {seed} at input {start} of {args.inputs}")
    if seed is None:
        seed = random.SystemRandom().randrange(2**32)
    rerun = f"python -m tests.fuzz --seed {seed} --inputs {args.inputs}"
    print(f"fuzz: seed {seed}, {args.inputs} inputs (rerun: {rerun})", flush=True)
    began, cpu_began = time.monotonic(), time.process_time()

    def progress(tally: Tally) -> None:
        rate = tally.inputs / max(time.monotonic() - began, 1e-9)
        found = sum(n for outcome, n in tally.by_outcome.items() if outcome is not Outcome.OK)
        print(f"  {start + tally.inputs:>7} inputs  {rate:6.0f}/s  {found} findings", flush=True)
        if args.resume is not None:
            state = {"seed": seed, "done": start + tally.inputs, "inputs": args.inputs}
            args.resume.write_text(json.dumps(state), encoding="utf-8")

    tally = fuzz(seed, args.inputs, start=start, progress=progress, with_cli=not args.no_cli)
    elapsed, cpu = time.monotonic() - began, time.process_time() - cpu_began
    print(summary(tally, elapsed, cpu))
    known = {entry["signature"] for _path, entry in corpus_entries(args.corpus)}
    for signature, finding in sorted(tally.findings.items()):
        where = "known" if signature in known else f"new: {store(finding, args.corpus)}"
        print(f"  [{owner_of(signature)}] {finding.count}x {signature}")
        print(f"      {finding.result.detail}\n      {where}")
    if args.resume is not None:
        args.resume.unlink(missing_ok=True)
    return 1 if tally.findings else 0


def summary(tally: Tally, elapsed: float, cpu: float) -> str:
    rows = [
        ("inputs run", tally.inputs),
        ("escaped exceptions", tally.by_outcome[Outcome.ESCAPED]),
        ("tracebacks", tally.by_outcome[Outcome.TRACEBACK]),
        ("exit 70", tally.by_outcome[Outcome.EXIT_70]),
        ("runs over 2 s CPU", tally.by_outcome[Outcome.SLOW]),
        ("errors without a position", tally.by_outcome[Outcome.UNPOSITIONED]),
    ]
    lines = ["", f"{'':2}{'what':<28}{'count':>9}", f"{'':2}{'-' * 37}"]
    lines += [f"{'':2}{name:<28}{count:>9}" for name, count in rows]
    rate = tally.inputs / max(elapsed, 1e-9)
    figures = f"{elapsed:.0f} s wall, {cpu:.0f} s CPU, {rate:.0f} inputs/s"
    lines.append(f"\n  {figures}; {len(tally.findings)} distinct findings")
    return "\n".join(lines)
