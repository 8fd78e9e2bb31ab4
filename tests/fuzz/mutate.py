"""Seeds (every shipped policy and example, the conformance cases, the small test repo) and the
grammar-aware mutator of policy files: token streams from Lark's own lexer for the grammar in
grammar/, mutated by deleting, duplicating, swapping tokens, replacing one by a sample of another
terminal, splicing lines between files, and inserting huge numbers, deep nesting, long strings and
Unicode oddities."""

from __future__ import annotations

import functools
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml  # type: ignore[import-untyped]
from lark import Lark
from lark.lexer import PatternStr

ROOT = Path(__file__).resolve().parents[2]
GRAMMAR = ROOT / "grammar" / "decisionlang.lark"

Files = dict[str, str]
MAX_LEXED = 50_000  # characters
MAX_TEXT = 2_500_000  # characters: a mutation never grows a file past the size limits (policy: 2 MB)


@dataclass(frozen=True)
class Seed:
    name: str
    files: Mapping[str, str]


# ---------------------------------------------------------------- seeds


def _tree(directory: Path, *, tests: bool = True) -> Files:
    files: Files = {}
    for path in sorted(directory.rglob("*")):
        wanted = path.suffix in {".policy", ".yaml", ".yml"} and (
            tests or not path.name.endswith(".test.yaml")
        )
        if path.is_file() and wanted:
            files[path.relative_to(directory).as_posix()] = path.read_text(encoding="utf-8")
    return files


def _conformance() -> list[Seed]:
    seeds = []
    for path in sorted((ROOT / "tests" / "conformance").glob("*.yaml")):
        for number, case in enumerate(yaml.safe_load(path.read_text(encoding="utf-8")) or []):
            if isinstance(case, dict) and isinstance(case.get("policy"), str):
                files = {"policies/case.policy": case["policy"]}
                if isinstance(case.get("state"), str):
                    files["services/case.yaml"] = case["state"]
                seeds.append(Seed(f"conformance/{path.stem}#{number}", files))
    return seeds


@functools.cache
def seeds() -> tuple[Seed, ...]:
    from support import MINIMAL_PROJECT

    shipped = {"policies": _tree(ROOT / "policies")}
    repos = [Seed("minimal", dict(MINIMAL_PROJECT))]
    for example in ("quickstart", "scaleup"):
        repos.append(Seed(f"examples/{example}", _tree(ROOT / "examples" / example)))
    # The shipped library of policies, with the minimal repo's states so there is something to decide.
    library = {f"policies/{k}": v for k, v in shipped["policies"].items()}
    repos.append(Seed("policies", {**library, "services/a.yaml": MINIMAL_PROJECT["services/a.yaml"]}))
    return tuple(repos + _conformance())


# ---------------------------------------------------------------- tokens


@functools.cache
def _lexer() -> Lark:
    return Lark(GRAMMAR.read_text(encoding="utf-8"), parser=None, lexer="basic")  # the lexer only, built once


# Samples of the terminals written as regular expressions; literal terminals are their own sample.
PATTERN_SAMPLES: dict[str, tuple[str, ...]] = {
    "NAME": ("x", "risk", "criticité", "é" * 3, "a" * 300, "_", "ℌ", "today", "kind"),
    "NUMBER": ("0", "1", "1_000", "3.14", "9" * 400, "9" * 400 + ".5", "0." + "0" * 400 + "1"),
    "PERCENT": ("0%", "100%", "150%", "9" * 400 + "%", "0.5%"),
    "DATE": ("2026-02-30", "0000-01-01", "9999-12-31", "2026-13-01", "2026-11-26"),
    "STRING": ('""', '"x"', '"{risk}"', '"{"', '"}"', '"{{"', '"\\u202e"', '"\\ud800"', '"\\"', '"a\\nb"'),
    "COMP_OP": ("==", "!=", "<", "<=", ">", ">="),
    "COMMENT": ("# c", "#" + "x" * 1000),
}


@functools.cache
def terminal_samples() -> tuple[str, ...]:
    samples: list[str] = []
    for terminal in _lexer().terminals:
        if isinstance(terminal.pattern, PatternStr):
            samples.append(terminal.pattern.value)
        else:
            samples.extend(PATTERN_SAMPLES.get(terminal.name, ()))
    return tuple(samples)


def tokens(text: str) -> list[tuple[int, int]]:
    """(start, end) of each token, by the grammar's lexer; a rough split where it cannot lex."""
    if len(text) > MAX_LEXED:
        text = text[:MAX_LEXED]  # mutate the head of a huge file: lexing all of it costs more than running it
    try:
        return [(t.start_pos or 0, t.end_pos or 0) for t in _lexer().lex(text)]
    except Exception:  # the text is already broken: any word/symbol split will do
        import re

        return [(m.start(), m.end()) for m in re.finditer(r"\w+|\"[^\"\n]*\"|\S", text)]


# ---------------------------------------------------------------- mutations


def _oddities() -> tuple[str, ...]:
    return (
        "9" * 400,
        "9" * 400 + ".9",
        "(" * 300 + "1" + ")" * 300,
        "not " * 500 + "true",
        "-" * 500 + "1",
        "[" * 300 + "]" * 300,
        '"' + "x" * 100_000 + '"',
        '"' + "{" * 500 + '"',
        "x" * 10_000,
        "\u202e",
        "\u200b",
        "\x00",
        "\ufeff",
        "\x1b[31m",
        "\u2028",
        "é",
        "e\u0301",
        "\U0001f600",
        "\r",
        "{",
        "}",
        "\n" * 3,
        " or ".join(["risk > 1"] * 300),
        " + ".join(["1"] * 1000),
    )


def _replace_token(
    text: str, rng: random.Random, spans: list[tuple[int, int]], new: Callable[[str], str]
) -> str:
    start, end = spans[rng.randrange(len(spans))]
    return text[:start] + new(text[start:end]) + text[end:]


def mutate_policy(text: str, rng: random.Random, others: list[str]) -> str:
    """One to three token- or line-level mutations of a policy text."""
    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        mutated = _mutate_once(text, rng, others)
        text = mutated if len(mutated) <= MAX_TEXT else text
    return text


def _mutate_once(text: str, rng: random.Random, others: list[str]) -> str:
    spans = tokens(text)
    choice = rng.randrange(10)
    if not spans or choice == 0:
        return _splice_lines(text, rng, others)
    if choice == 1:  # delete a token
        return _replace_token(text, rng, spans, lambda _token: "")
    if choice == 2:  # duplicate a token
        return _replace_token(text, rng, spans, lambda token: token + " " + token)
    if choice == 3:  # swap two tokens
        (a, b), (c, d) = sorted(rng.sample(spans, 2)) if len(spans) > 1 else (spans[0], spans[0])
        if b <= c:
            return text[:a] + text[c:d] + text[b:c] + text[a:b] + text[d:]
        return text
    if choice in (4, 5, 6):  # another terminal's sample
        sample = rng.choice(terminal_samples())
        return _replace_token(text, rng, spans, lambda _token: sample)
    if choice == 7:  # an oddity next to a token
        oddity = rng.choice(_oddities())
        return _replace_token(
            text, rng, spans, lambda token: token + oddity if rng.random() < 0.5 else oddity
        )
    if choice == 8:  # whole-file oddities: line ends, a BOM, truncation
        return _whole_file(text, rng)
    return _splice_lines(text, rng, others)


def _whole_file(text: str, rng: random.Random) -> str:
    kind = rng.randrange(5)
    if kind == 0:
        return text.replace("\n", "\r")
    if kind == 1:
        return text.replace("\n", "\r\n")
    if kind == 2:
        return "\ufeff" + text
    if kind == 3:
        return text[: rng.randrange(len(text) + 1)]
    return text * (rng.choice((2, 50)) if len(text) < 5_000 else 2)


def _splice_lines(text: str, rng: random.Random, others: list[str]) -> str:
    lines = text.splitlines(keepends=True)
    donor = rng.choice(others).splitlines(keepends=True) if others else lines
    if not donor:
        return text
    start = rng.randrange(len(donor))
    piece = donor[start : start + rng.choice((1, 1, 2, 5))]
    at = rng.randrange(len(lines) + 1)
    if lines and rng.random() < 0.3:  # replace a line rather than insert
        return "".join(lines[:at] + piece + lines[at + 1 :])
    return "".join(lines[:at] + piece + lines[at:])


def mutated_policy_input(seed: Seed, rng: random.Random, donors: list[str]) -> Files:
    files = dict(seed.files)
    policies = sorted(path for path in files if path.endswith(".policy"))
    if not policies:
        return files
    target = rng.choice(policies)
    files[target] = mutate_policy(files[target], rng, donors)
    return files


def mutated_yaml_input(seed: Seed, rng: random.Random, donors: list[str]) -> Files:
    """A line-level mutation of one of the seed's YAML files (states, waivers, tests)."""
    files = dict(seed.files)
    documents = sorted(path for path in files if path.endswith((".yaml", ".yml")))
    if not documents:
        return mutated_policy_input(seed, rng, donors)
    target = rng.choice(documents)
    text = files[target]
    kind = rng.randrange(4)
    if kind == 0:
        text = _splice_lines(text, rng, donors)
    elif kind == 1:
        lines = text.splitlines(keepends=True)
        if lines:
            del lines[rng.randrange(len(lines))]
        text = "".join(lines)
    elif kind == 2:
        text = _whole_file(text, rng)
    else:
        spans = tokens(text)
        if spans:
            scalar = rng.choice(ODD_SCALARS)
            text = _replace_token(text, rng, spans, lambda _token: scalar)
    files[target] = text
    return files


ODD_SCALARS: tuple[str, ...] = (
    ".inf",
    "-.inf",
    ".nan",
    "1e999",
    "-1e999",
    "9" * 400,
    "-" + "9" * 400,
    "20261218",
    "2027-W09-7",
    "2026-02-30",
    "0x1F",
    "0o17",
    "1_000",
    "12:30:00",
    "~",
    "null",
    "yes",
    "on",
    '"\\ud800"',
    '"\\udfff x"',
    '"\\u202e"',
    '"\\0"',
    '"\\x1b[31m"',
    '"a\\nb"',
    '"\\r::error::x"',
    "!!binary aGVsbG8=",
    "!!python/object:os.system x",
    "!!set {a, b}",
    "&a x",
    "*a",
    "*nowhere",
    "[" * 200 + "]" * 200,
    "{" * 100 + "}" * 100,
    "? [1, 2]",
    "x" * 10_000,
    "'",
    '"',
    "|",
    ">-",
    "-",
    ":",
    "@x",
    "`x`",
    "%TAG ! x",
)
