"""Document symbols (the outline), code lenses and formatting of one policy file, as LSP data."""

from __future__ import annotations

from lsprotocol import types

from decisionlang.language.formatter import format_policy
from decisionlang.lsp.analysis import span_range
from decisionlang.lsp.hover import RuleOutcomes
from decisionlang.lsp.positions import UTF16, split_lines, to_client
from decisionlang.lsp.symbols import Declared, Key

EXPLAIN_COMMAND = "decisionlang.explainSubject"  # the ids the VS Code extension's palette uses too
TEST_COMMAND = "decisionlang.runTests"
COMMANDS = (EXPLAIN_COMMAND, TEST_COMMAND)
FORMAT_WIDTH = 100

_KINDS: dict[str, types.SymbolKind] = {
    "policy": types.SymbolKind.Module,
    "rule": types.SymbolKind.Event,
    "scale": types.SymbolKind.Enum,
    "value": types.SymbolKind.EnumMember,
    "field": types.SymbolKind.Field,
    "const": types.SymbolKind.Constant,
    "define": types.SymbolKind.Function,
    "criteria": types.SymbolKind.Struct,
    "tradeoff": types.SymbolKind.Interface,
    "maturity": types.SymbolKind.Class,
    "import": types.SymbolKind.File,
}


def _label(key: Key) -> str:
    return key[-1]


def _detail(declared: Declared) -> str:
    return "schema field" if declared.key[0] == "field" else declared.key[0]


def document_symbols(declarations: list[Declared], encoding: str = UTF16) -> list[types.DocumentSymbol]:
    def symbol(declared: Declared) -> types.DocumentSymbol:
        selection = span_range(declared.span, encoding)
        whole = span_range(declared.whole, encoding)
        if not _contains(whole, selection):
            whole = selection
        return types.DocumentSymbol(
            name=_label(declared.key),
            detail=_detail(declared),
            kind=_KINDS.get(declared.key[0], types.SymbolKind.Object),
            range=whole,
            selection_range=selection,
            children=[symbol(child) for child in declared.children] or None,
        )

    return [symbol(declared) for declared in declarations]


def _contains(outer: types.Range, inner: types.Range) -> bool:
    def key(position: types.Position) -> tuple[int, int]:
        return (position.line, position.character)

    return key(outer.start) <= key(inner.start) and key(inner.end) <= key(outer.end)


def code_lenses(
    uri: str, declarations: list[Declared], outcomes: RuleOutcomes | None, encoding: str = UTF16
) -> list[types.CodeLens]:
    """Above each policy: "explain on subject…" (offering the subjects it applies to) and "run
    tests"; above each named rule: "explain on subject…" offering the subjects it fires for first."""
    lenses: list[types.CodeLens] = []
    for declared in declarations:
        if declared.key[0] != "policy":
            continue
        policy = declared.key[1]
        applies = outcomes.applies.get(policy, ()) if outcomes is not None else ()
        where = span_range(declared.span, encoding)
        argument: dict[str, object] = {"uri": uri, "policy": policy, "subjects": list(applies)}
        lenses.append(_lens(where, "explain on subject…", EXPLAIN_COMMAND, argument))
        lenses.append(_lens(where, "run tests", TEST_COMMAND, {"uri": uri, "policy": policy}))
        for rule in declared.children:
            rule_id = f"{policy}.{rule.key[2]}"
            fired = outcomes.fired.get(rule_id, ()) if outcomes is not None else ()
            others = [name for name in applies if name not in fired]
            title = (
                f"explain on subject… (fires for {len(fired)})"
                if outcomes is not None
                else "explain on subject…"
            )
            argument = {"uri": uri, "policy": policy, "rule": rule_id, "subjects": [*fired, *others]}
            lenses.append(_lens(span_range(rule.span, encoding), title, EXPLAIN_COMMAND, argument))
    return lenses


def _lens(where: types.Range, title: str, command: str, argument: dict[str, object]) -> types.CodeLens:
    return types.CodeLens(
        range=where, command=types.Command(title=title, command=command, arguments=[argument])
    )


def formatting_edits(path: str, text: str, encoding: str = UTF16) -> list[types.TextEdit] | None:
    """One edit replacing the whole document by its canonical layout; none when it is already
    canonical; None when it does not parse (the diagnostics say why)."""
    result = format_policy(text, path, width=FORMAT_WIDTH)
    if result.text is None:
        return None
    if result.text == text:
        return []
    lines = split_lines(text)
    end = types.Position(len(lines) - 1, to_client(lines[-1], len(lines[-1]) + 1, encoding))
    return [types.TextEdit(range=types.Range(types.Position(0, 0), end), new_text=result.text)]
