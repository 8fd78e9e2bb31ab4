"""How long hostile policy text takes to refuse, and how much memory: CPU seconds and peak MiB per case.

    .venv/bin/python benchmarks/bench_hostile_policies.py

Reports, does not gate (the tests hold generous ceilings). Figures before the fixes of issue 9, on
the same cases: 91 s for 1.9 MB of `@`, over 200 s for `)`, 11 s for `define`; 785 MiB for an
unclosed 1.9 MB text; over a minute for `(a|a)*$` on 41 characters.
"""

from __future__ import annotations

import resource
import tracemalloc
from collections.abc import Callable

from decisionlang.core.spans import SourceFile
from decisionlang.language.parser import parse_module
from decisionlang.language.patterns import BadPattern, compile_pattern, search

SIZE = 1_900_000


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(run: Callable[[], object]) -> tuple[float, float]:
    """CPU time of one run, then the peak of a second run under tracemalloc (which slows it)."""
    start = _cpu()
    run()
    spent = _cpu() - start
    tracemalloc.start()
    run()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return spent, peak


def _parse(text: str) -> Callable[[], object]:
    return lambda: parse_module(SourceFile("bench.policy", text))


def _match(pattern: str, text: str) -> Callable[[], object]:
    compiled = compile_pattern(pattern)
    assert not isinstance(compiled, BadPattern)
    return lambda: search(compiled, text)


CASES: dict[str, Callable[[], object]] = {
    "1.9 MB of `@`": _parse("@" * SIZE),
    "1.9 MB of `)`": _parse(")" * SIZE),
    "1.9 MB of `define `": _parse("define " * (SIZE // 7)),
    "1.9 MB of `+` lines": _parse("+\n" * (SIZE // 2)),
    "unclosed 1.9 MB text": _parse('const x = "' + "a" * SIZE),
    "100,000 terms `n + n + …`": _parse("const x = " + " + ".join(["n"] * 100_000)),
    "(a|a)*$ on 41 characters": _match("(a|a)*$", "a" * 40 + "!"),
    "(a+)+$ on 100,001 characters": _match("(a+)+$", "a" * 100_000 + "!"),
    "(.*a){20} on 100,001 characters": _match("(.*a){20}", "a" * 100_000 + "!"),
}


def main() -> None:
    print(f"{'case':36} {'CPU s':>8} {'peak MiB':>9}")
    for name, run in CASES.items():
        spent, peak = measure(run)
        print(f"{name:36} {spent:8.2f} {peak:9.1f}")


if __name__ == "__main__":
    main()
