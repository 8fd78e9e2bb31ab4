"""Completion in a policy file: the keywords the grammar accepts at the cursor (the parser's
acceptable tokens), and where it accepts a name, the names in scope: schema fields (a dotted
field completes as a whole: `risk.` offers `risk.security`), scale values, consts, defines,
criteria, trade-offs, maturity models, scales and the built-in functions."""

from __future__ import annotations

import re

from lsprotocol import types

from decisionlang.core.format import show_number
from decisionlang.language.checker import FUNCTIONS, Program
from decisionlang.language.parser import expected_at
from decisionlang.language.types import FieldSpec

_DOTTED_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*\Z")


def completions(
    prefix: str, program: Program, word_start: types.Position, cursor: types.Position
) -> list[types.CompletionItem]:
    """The items for a cursor after PREFIX (the file's text before it). WORD_START is where the
    (dotted) word being typed begins, in the client's units; CURSOR is the cursor."""
    typed = typed_word(prefix)
    before = prefix[: len(prefix) - len(typed)]
    if typed[:1].isdigit():
        return []
    accepted = expected_at(before)
    if accepted is None:  # a syntax error before the cursor: names are still worth offering
        accepted = frozenset({"NAME"})
    items: list[types.CompletionItem] = []
    if "." not in typed:
        items += [
            types.CompletionItem(label=token, kind=types.CompletionItemKind.Keyword, sort_text=f"2{token}")
            for token in sorted(accepted)
            if token.isidentifier() and token.islower()
        ]
    if "NAME" in accepted:
        replace = types.Range(word_start, cursor)
        items += _fields(program, replace, typed)
        if "." not in typed:
            items += _names(program)
    return items


def typed_word(prefix: str) -> str:
    """The (dotted) word being typed at the end of PREFIX: `risk.sec`, or nothing."""
    word = _DOTTED_WORD.search(prefix)
    return word.group() if word is not None else ""


def _fields(program: Program, replace: types.Range, typed: str) -> list[types.CompletionItem]:
    items = []
    for path, spec in sorted(program.all_fields().items()):
        if "." in typed and not path.startswith(typed.rpartition(".")[0] + "."):
            continue
        items.append(
            types.CompletionItem(
                label=path,
                kind=types.CompletionItemKind.Field,
                detail=_field_detail(spec),
                documentation=spec.description,
                filter_text=path,
                sort_text=f"0{path}",
                text_edit=types.TextEdit(range=replace, new_text=path),
            )
        )
    return items


def _field_detail(spec: FieldSpec) -> str:
    detail = spec.type_text()
    if spec.minimum is not None and spec.maximum is not None:
        detail += f" {show_number(spec.minimum)}..{show_number(spec.maximum)}"
    if spec.unit:
        detail += f' unit "{spec.unit}"'
    return detail


def _names(program: Program) -> list[types.CompletionItem]:
    kinds = types.CompletionItemKind
    items: list[types.CompletionItem] = []

    def add(label: str, kind: types.CompletionItemKind, detail: str, rank: str = "1") -> None:
        items.append(types.CompletionItem(label=label, kind=kind, detail=detail, sort_text=f"{rank}{label}"))

    for scale in sorted(program.scales.values(), key=lambda each: each.name):
        add(scale.name, kinds.Enum, "scale: " + " < ".join(scale.values))
        for rank, value in enumerate(scale.values, 1):
            add(value, kinds.EnumMember, f"{scale.name} value {rank} of {len(scale.values)}")
    for name in sorted(program.constants):
        add(name, kinds.Constant, "const")
    for name in sorted(program.defines):
        add(name, kinds.Function, "define")
    for name in sorted(program.criteria):
        add(name, kinds.Struct, "criteria: score(...)")
    for name in sorted(program.tradeoffs):
        add(name, kinds.Interface, "tradeoff")
    for name in sorted(program.maturities):
        add(name, kinds.Class, "maturity: level(...)")
    for name in sorted(set(FUNCTIONS)):
        add(name, kinds.Function, "built-in function", rank="3")
    return items
