"""The canonical layout of a policy file (`decisionlang fmt`).

`format_policy(text)` parses the file, lays its parse tree out again by one set of rules and
keeps every comment where it was written (see docs/cli.md, "decisionlang fmt"):

- two spaces of indentation per block; a `because` / `until` that does not fit on its rule's line
  goes on its own line four spaces further in (`until` padded to line up with `because`);
- a line is at most `width` columns where the layout allows it: a long condition breaks before
  `and` / `or` (its operands lined up under the first), a long definition moves to its own line,
  a long list or table puts one item per line; texts, numbers and names are never touched;
- blank lines: at most two between top-level declarations and one inside a block, as written
  (none stays none), at least one around a top-level block (`scale`, `schema`, `criteria`,
  `tradeoff`, `maturity`, `policy`), none after `{` or before `}`;
- consecutive lines of the same kind are aligned (gofmt-style) when no blank line or comment
  line separates them: the `=` of `const` declarations and trade-off sides, the types of schema
  fields, the `weight` of criteria terms; end-of-line comments two spaces after the code, lined
  up across consecutive lines that carry one;
- a region between `# fmt: off` and `# fmt: on` comment lines (or the end of its block) is copied
  as written; LF line endings; one final newline.

The result is checked before it is returned: it must parse to the same declarations (positions
aside) with the same comments in the same order, else the file is reported and left alone.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from decisionlang.core.diagnostics import Diagnostic
from decisionlang.core.spans import SourceFile, point
from decisionlang.language.concrete import Branch, Concrete, Lexeme
from decisionlang.language.layout import (
    Align,
    Chain,
    Comment,
    Group,
    Hard,
    IfBreak,
    Line,
    Nest,
    Pad,
    Verbatim,
    render,
)
from decisionlang.language.parser import parse_concrete, parse_module

DEFAULT_WIDTH = 100
FMT_OFF = "# fmt: off"
FMT_ON = "# fmt: on"
TOP_BLANK_LINES = 2  # at most, between top-level declarations
BLOCK_BLANK_LINES = 1  # at most, between the items of a block
BRACED = frozenset(
    {
        "scale_decl",
        "schema_decl",
        "strict_schema_decl",
        "criteria_decl",
        "tradeoff_decl",
        "maturity_decl",
        "policy_decl",
    }
)
_ALIGNED = {
    "const_decl": "const",
    "field_decl": "field",
    "tradeoff_side": "side",
    "criteria_term": "term",
    "named_criteria_term": "term",
}
_TEXT_TESTS = {
    "starts_with": ("starts", "with"),
    "ends_with": ("ends", "with"),
    "contains": ("contains",),
    "matches": ("matches",),
}
_ARITHMETIC = {"add": "+", "sub": "-", "mul": "*", "div": "/"}
_CHAINS = {"or_op": "or", "and_op": "and"}


@dataclass(frozen=True)
class FormatResult:
    """The formatted text, or None when the file does not parse (`diagnostics` say where)."""

    text: str | None
    diagnostics: tuple[Diagnostic, ...]


def format_policy(text: str, file: str = "<text>", *, width: int = DEFAULT_WIDTH) -> FormatResult:
    """The canonical layout of a policy file's text (pure: reads and writes nothing)."""
    text = text.replace("\r\n", "\n")
    source = SourceFile(file, text)
    concrete, diagnostics = parse_concrete(source)
    if concrete is None:
        return FormatResult(None, tuple(diagnostics))
    try:
        doc = _Builder(source, concrete).module()
        formatted = render(doc, width)
    except _Mismatch as problem:  # a layout rule out of step with the grammar: a defect, reported
        return FormatResult(None, (_internal(source, str(problem)),))
    changed = _changed_meaning(source, concrete, formatted)
    if changed is not None:
        return FormatResult(None, (_internal(source, changed),))
    return FormatResult(formatted, tuple(diagnostics))


def comment_texts(text: str) -> tuple[str, ...] | None:
    """The comments of a policy file's text, in order (None when it does not parse)."""
    concrete, _ = parse_concrete(SourceFile("<text>", text.replace("\r\n", "\n")))
    return None if concrete is None else tuple(comment.text.rstrip() for comment in concrete.comments)


def _internal(source: SourceFile, problem: str) -> Diagnostic:
    return Diagnostic(
        "DL-FMT-INTERNAL",
        f"the formatter cannot lay this file out without changing it ({problem}); it is left as written",
        span=point(source, 1, 1),
        help="please report it with the file; `# fmt: off` around the part concerned is a workaround",
    )


def _changed_meaning(source: SourceFile, concrete: Concrete, formatted: str) -> str | None:
    after = SourceFile(source.path, formatted)
    module, diagnostics = parse_module(after)
    if module is None or any(diagnostic.is_error for diagnostic in diagnostics):
        return "the result does not parse"
    if module.declarations != concrete.module.declarations:
        return "the result parses to other declarations"
    again, _ = parse_concrete(after)
    before_comments = [comment.text.rstrip() for comment in concrete.comments]
    if again is None or [comment.text.rstrip() for comment in again.comments] != before_comments:
        return "the result does not keep the comments"
    return None


class _Mismatch(Exception):
    """The layout expected one token and the file has another."""


class _Builder:
    """Builds the layout document of one parsed file, taking its tokens in source order so each
    comment is placed next to the token it was written by."""

    def __init__(self, source: SourceFile, concrete: Concrete) -> None:
        self.text = source.text
        self.tokens = concrete.tokens
        self.tree = concrete.tree
        self.position = 0
        self.starts = [token.start for token in self.tokens]
        self.end_index = {token.end: index for index, token in enumerate(self.tokens)}
        self.trailing: dict[int, list[str]] = {}
        self.leading: dict[int, list[tuple[int, Lexeme]]] = {}
        self.statement_ends: set[int] = set()
        self.verbatim_until = -1
        self.verbatim_end_line = 0
        self.parens = self._grouping_parens()
        self._attach(concrete.comments)

    # ------------------------------------------------------------ comments and tokens

    def _attach(self, comments: tuple[Lexeme, ...]) -> None:
        previous_line: dict[int, int] = {}
        for comment in comments:
            before = bisect.bisect_right(self.starts, comment.start) - 1
            if before >= 0 and self.tokens[before].end_line == comment.line:
                self.trailing.setdefault(before, []).append(comment.text.rstrip())
                continue
            after = before + 1
            last = previous_line.get(after, self.tokens[before].end_line if before >= 0 else comment.line)
            self.leading.setdefault(after, []).append((max(0, comment.line - last - 1), comment))
            previous_line[after] = comment.line

    def _grouping_parens(self) -> dict[tuple[int, int], int]:
        """How many parentheses the author wrapped around each extent (start, end) of the text."""
        opened: list[int] = []
        pairs: dict[int, int] = {}
        for index, token in enumerate(self.tokens):
            if token.text == "(" and token.kind != "STRING":
                opened.append(index)
            elif token.text == ")" and token.kind != "STRING" and opened:
                pairs[opened.pop()] = index
        grouping = {
            left: right for left, right in pairs.items() if left == 0 or self.tokens[left - 1].kind != "NAME"
        }
        counts: dict[tuple[int, int], int] = {}
        for left, right in grouping.items():
            low, high = left + 1, right - 1
            while grouping.get(low) == high:
                low, high = low + 1, high - 1
            if low <= high:
                extent = (self.tokens[low].start, self.tokens[high].end)
                counts[extent] = counts.get(extent, 0) + 1
        return counts

    def _leading_docs(self, index: int, *, closed: bool = True) -> list[object]:
        """Comment lines written before a token inside a statement: each on its own line (and,
        when `closed`, a line break after them)."""
        docs: list[object] = []
        for _, comment in self.leading.pop(index, []):
            if comment.start >= self.verbatim_until:
                docs += [Hard(), comment.text.rstrip()]
        return [*docs, Hard()] if docs and closed else docs

    def _trailing_docs(self, index: int) -> list[object]:
        return [Comment(text) for text in self.trailing.pop(index, [])]

    def _next(self, expected: str | None) -> int:
        index = self.position
        if index >= len(self.tokens):
            raise _Mismatch(f"expected {expected!r} at the end of the file")
        token = self.tokens[index]
        if expected is not None and token.text != expected:
            raise _Mismatch(f"expected {expected!r}, found {token.text!r} at line {token.line}")
        self.position += 1
        return index

    def take(self, expected: str | None = None) -> list[object]:
        """The next token (checked against `expected`) with the comments written around it."""
        index = self._next(expected)
        docs = self._leading_docs(index)
        docs.append(self.tokens[index].text)
        if index not in self.statement_ends:
            docs += self._trailing_docs(index)
        return docs

    def take_quietly(self, expected: str) -> list[object]:
        """Consume a token the layout writes itself (or drops): only its comments are returned."""
        index = self._next(expected)
        docs = self._leading_docs(index)
        if index not in self.statement_ends:
            docs += self._trailing_docs(index)
        return docs

    def peek(self) -> str | None:
        return self.tokens[self.position].text if self.position < len(self.tokens) else None

    def lexeme(self, token: Lexeme) -> list[object]:
        if self.position >= len(self.tokens) or self.tokens[self.position].start != token.start:
            raise _Mismatch(f"expected {token.text!r} at line {token.line}")
        return self.take(token.text)

    # ------------------------------------------------------------ blocks

    def module(self) -> list[object]:
        items = [child for child in self.tree.children if isinstance(child, Branch)]
        docs = self.items(items, top=True)
        end = len(self.tokens)
        for blank, comment in self.leading.pop(end, []):
            if comment.start < self.verbatim_until:
                continue
            if docs:
                docs.append(Hard(min(blank, TOP_BLANK_LINES)))
            docs.append(comment.text.rstrip())
        return docs

    def _blank_before(self, index: int, cap: int) -> int:
        """Empty lines the author left before token `index` (after its leading comments)."""
        if index == 0:
            return 0
        comments = self.leading.get(index)
        last = comments[-1][1].line if comments else self.tokens[index - 1].end_line
        return min(cap, max(0, self.tokens[index].line - last - 1))

    def items(self, items: list[Branch], *, top: bool) -> list[object]:
        """The items of a block (or of the file), each on its own line, with their comments; the
        first has no line break before it."""
        cap = TOP_BLANK_LINES if top else BLOCK_BLANK_LINES
        docs: list[object] = []
        rows: list[_Row] = []
        position = 0
        previous_braced = False
        while position < len(items):
            item = items[position]
            first = self.position
            braced = top and item.kind in BRACED
            comments = [
                (blank, comment)
                for blank, comment in self.leading.pop(first, [])
                if comment.start >= self.verbatim_until
            ]
            off = next((number for number, (_, c) in enumerate(comments) if c.text.rstrip() == FMT_OFF), None)
            covered = self._verbatim(comments[off][1], items, position) if off is not None else 0
            shown = comments[:off] if covered else comments
            for number, (blank, comment) in enumerate(shown):
                if docs:
                    needs_blank = top and number == 0 and (previous_braced or braced)
                    docs.append(Hard(max(min(blank, cap), 1 if needs_blank else 0)))
                docs.append(comment.text.rstrip())
            if covered:
                assert off is not None
                blank, comment = comments[off]
                if docs:
                    docs.append(Hard(min(blank, cap)))
                docs.append(Verbatim(self._region_text(comment)))
                rows.append(_Row(None, (), True))
                position += covered
                previous_braced = False
                continue
            previous_line = shown[-1][1].line if shown else (self.tokens[first - 1].end_line if first else 0)
            previous_line = max(previous_line, self.verbatim_end_line)
            blank = min(cap, max(0, self.tokens[first].line - previous_line - 1))
            if docs:
                needs_blank = top and not shown and (previous_braced or braced)
                docs.append(Hard(max(blank, 1 if needs_blank else 0)))
            last = self.end_index.get(item.end)
            if last is not None:
                self.statement_ends.add(last)
            cells: list[Pad] = []
            docs.append(self.item(item, cells))
            if last is not None:
                docs += self._trailing_docs(last)
            rows.append(_Row(_ALIGNED.get(item.kind), tuple(cells), bool(shown) or blank > 0))
            previous_braced = braced
            position += 1
        _align(rows)
        return docs

    def _verbatim(self, off: Lexeme, items: list[Branch], position: int) -> int:
        """How many of `items` (from `position`) a `# fmt: off` region covers; sets where it ends."""
        on = next(
            (
                comment
                for index in sorted(self.leading)
                for _, comment in self.leading[index]
                if comment.start > off.start and comment.text.rstrip() == FMT_ON
            ),
            None,
        )
        stop = on.start if on is not None else None
        covered = 0
        for item in items[position:]:
            if stop is not None and item.start > stop:
                break
            covered += 1
        if covered == 0:
            return 0
        block_end = self._block_end(items)
        region_end = self._line_end(items[position + covered - 1].end)
        if on is not None and on.start < block_end:
            region_end = max(region_end, self._line_end(on.start))
        while position + covered < len(items) and items[position + covered].start < region_end:
            covered += 1
            region_end = max(region_end, self._line_end(items[position + covered - 1].end))
        if block_end < region_end:  # the block closes on the region's last line: not honoured
            return 0
        self.verbatim_until = region_end
        self.verbatim_end_line = self.text.count("\n", 0, region_end) + 1
        while self.position < len(self.tokens) and self.tokens[self.position].start < region_end:
            self.trailing.pop(self.position, None)
            self.position += 1
        return covered

    def _block_end(self, items: list[Branch]) -> int:
        """Where the block holding `items` closes: its `}` (or the end of the file)."""
        last_end = items[-1].end
        index = bisect.bisect_left(self.starts, last_end)
        return self.tokens[index].start if index < len(self.tokens) else len(self.text)

    def _line_end(self, offset: int) -> int:
        end = self.text.find("\n", offset)
        return len(self.text) if end < 0 else end

    def _region_text(self, off: Lexeme) -> str:
        start = self.text.rfind("\n", 0, off.start) + 1
        return self.text[start : self.verbatim_until].rstrip("\n")

    def braces(self, items: list[Branch]) -> list[object]:
        """`{`, the items one a line two spaces in, and `}` (an empty block is `{}`)."""
        opening = self.take("{")
        body = self.items(items, top=False)
        for blank, comment in self.leading.pop(self.position, []):
            if comment.start < self.verbatim_until:
                continue
            if body:
                body.append(Hard(min(blank, BLOCK_BLANK_LINES)))
            body.append(comment.text.rstrip())
        closing = self.take("}")
        if not body:
            return [*opening, *closing]
        return [*opening, Nest(2, [Hard(), *body]), Hard(), *closing]

    # ------------------------------------------------------------ declarations

    def item(self, node: Branch, cells: list[Pad]) -> object:
        """The layout of one item; `cells` receives what lines up with the next items' (padding
        written in place once the run of aligned items is known)."""
        method = getattr(self, f"_item_{node.kind}", None)
        if method is None:
            raise _Mismatch(f"no layout for {node.kind}")
        return method(node, cells)

    def _title(self, children: list[Branch | Lexeme]) -> list[object]:
        if children and isinstance(children[0], Branch) and children[0].kind == "title":
            node = children.pop(0)
            assert isinstance(node, Branch)
            return [" ", *self.lexeme(_token(node.children[0]))]
        return []

    def _item_import_decl(self, node: Branch, cells: list[Pad]) -> object:
        children = list(node.children)
        doc: list[object] = [*self.take("import"), " ", *self.lexeme(_token(children[0]))]
        if len(children) > 1:
            doc += [" ", *self.take("as"), " ", *self.lexeme(_token(children[1]))]
        return doc

    def _assigned(self, value: Branch) -> list[object]:
        """` = value`: on the same line when it fits, else on the next line two spaces in (a
        list or a table opens on the same line and puts its items below)."""
        equals = self.take("=")
        if value.kind in {"list", "table"} and not self._parenthesized(value):
            return [" ", *equals, " ", self.expr(value)]
        return [Group([" ", *equals, Nest(2, [Line(), self.expr(value)])])]

    def _item_const_decl(self, node: Branch, cells: list[Pad]) -> object:
        name, value = node.children
        head = [*self.take("const"), " ", *self.lexeme(_token(name))]
        pad = _cell(cells, len("const ") + len(_token(name).text))
        return [*head, pad, *self._assigned(_branch(value))]

    def _item_define_decl(self, node: Branch, cells: list[Pad]) -> object:
        children = list(node.children)
        doc: list[object] = [*self.take("define"), " ", *self.lexeme(_token(children.pop(0)))]
        doc += self._title(children)
        return [*doc, *self._assigned(_branch(children[-1]))]

    def _item_scale_decl(self, node: Branch, cells: list[Pad]) -> object:
        children = list(node.children)
        doc: list[object] = [*self.take("scale"), " ", *self.lexeme(_token(children.pop(0)))]
        doc += self._title(children)
        opening = self.take("{")
        values: list[object] = []
        for number, value in enumerate(children):
            if number:
                values += [" ", *self.take("<"), " "]
            values += self.lexeme(_token(value))
        closing_comments = self._leading_docs(self.position, closed=False)
        closing = self.take("}")
        return Group([*doc, " ", *opening, Nest(2, [Line(), *values, *closing_comments]), Line(), *closing])

    def _item_schema_decl(self, node: Branch, cells: list[Pad]) -> object:
        doc = [*self.take("schema"), " "]
        return [*doc, *self.braces(_branches(node))]

    def _item_strict_schema_decl(self, node: Branch, cells: list[Pad]) -> object:
        doc = [*self.take("schema"), " ", *self.take("strict"), " "]
        return [*doc, *self.braces(_branches(node))]

    def _item_field_decl(self, node: Branch, cells: list[Pad]) -> object:
        dotted, type_ref, *options = _branches(node)
        path: list[object] = []
        for number, part in enumerate(dotted.children):
            if number:
                path += self.take(".")
            path += self.lexeme(_token(part))
        width = sum(len(_token(part).text) for part in dotted.children) + len(dotted.children) - 1 + 1
        pad = _cell(cells, width)
        path += self.take(":")
        typed: list[object] = [self.type_ref(type_ref)]
        described = bool(options) and options[-1].kind == "field_description"
        for option in options[:-1] if described else options:
            typed += [" ", self.field_option(option)]
        doc = [*path, pad, " ", *typed]
        if described:
            description = self.field_option(options[-1])
            doc += [_cell(cells, _width(typed)), " ", *description]
        return doc

    def type_ref(self, node: Branch) -> list[object]:
        if node.kind == "simple_type":
            return self.lexeme(_token(node.children[0]))
        if node.kind == "list_type":
            return [*self.take("list"), " ", *self.take("of"), " ", *self.type_ref(_branch(node.children[0]))]
        doc: list[object] = [*self.take("{"), " "]
        for number, record_field in enumerate(_branches(node)):
            if number:
                doc.append(", ")
            name, field_type, *options = record_field.children
            doc += [*self.lexeme(_token(name)), *self.take(":"), " ", *self.type_ref(_branch(field_type))]
            for option in options:
                doc += [" ", self.field_option(_branch(option))]
            if self.peek() == ",":
                doc += self.take_quietly(",")
        return [*doc, " ", *self.take("}")]

    def field_option(self, node: Branch) -> list[object]:
        kind = node.kind
        if kind == "field_range":
            low, high = _branches(node)
            return [*self.signed(low), *self.take(".."), *self.signed(high)]
        if kind in {"field_min", "field_max"}:
            operator = self.take(">=" if kind == "field_min" else "<=")
            return [*operator, " ", *self.signed(_branch(node.children[0]))]
        if kind == "field_unit":
            return [*self.take("unit"), " ", *self.lexeme(_token(node.children[0]))]
        if kind == "field_required":
            return self.take("required")
        if kind == "field_fixed":
            return self.take("fixed")
        if kind == "field_fresh":
            keyword, amount, unit = node.children
            written = _token(keyword).text  # `fresh   for`, one token: written with one space
            words = ["fresh for" if doc == written else doc for doc in self.lexeme(_token(keyword))]
            words += [" ", *self.lexeme(_token(amount)), " "]
            return [*words, *self.lexeme(_token(_branch(unit).children[0]))]
        if kind == "field_allowed":
            doc = [*self.take("in"), " ", *self.take("{")]
            for number, value in enumerate(node.children):
                if number:
                    doc += [*self.take(","), " "]
                doc += self.signed(_branch(value))
            return [*doc, *self.take("}")]
        if kind == "field_description":
            return self.lexeme(_token(node.children[0]))
        raise _Mismatch(f"no layout for {kind}")

    def signed(self, node: Branch) -> list[object]:
        if node.kind == "negative_number":
            return [*self.take("-"), *self.lexeme(_token(node.children[0]))]
        if node.kind in {"true", "false"}:
            return self.take(node.kind)
        return self.lexeme(_token(node.children[0]))

    def _item_criteria_decl(self, node: Branch, cells: list[Pad]) -> object:
        children = list(node.children)
        doc: list[object] = [*self.take("criteria"), " ", *self.lexeme(_token(children.pop(0)))]
        doc += self._title(children)
        return [*doc, " ", *self.braces([_branch(child) for child in children])]

    def _term(self, cell: list[object], rest: list[Branch | Lexeme], cells: list[Pad]) -> object:
        weight, *options = rest
        doc: list[object] = [*cell, _cell(cells, _width(cell)), " ", *self.take("weight"), " "]
        weight_node = _branch(weight)
        if weight_node.kind == "weight_constant":
            doc += self.lexeme(_token(weight_node.children[0]))
        else:
            doc += self.signed(weight_node)
        for option in options:
            option_node = _branch(option)
            if option_node.kind == "term_range":
                low, high = _branches(option_node)
                doc += [" ", *self.take("over"), " ", *self.signed(low), *self.take(".."), *self.signed(high)]
            else:
                doc += [" ", *self.missing_as(option_node)]
        return doc

    def _item_criteria_term(self, node: Branch, cells: list[Pad]) -> object:
        expr, *rest = node.children
        return self._term([self.expr(_branch(expr))], rest, cells)

    def _item_named_criteria_term(self, node: Branch, cells: list[Pad]) -> object:
        name, expr, *rest = node.children
        cell = [*self.lexeme(_token(name)), *self.take(":"), " ", self.expr(_branch(expr))]
        return self._term(cell, rest, cells)

    def _item_criteria_normalize(self, node: Branch, cells: list[Pad]) -> object:
        doc = [*self.take("normalize"), " ", *self.take("to"), " ", *self.signed(_branch(node.children[0]))]
        return doc

    def missing_as(self, node: Branch) -> list[object]:
        return [*self.take("missing"), " ", *self.take("as"), " ", *self.signed(_branch(node.children[0]))]

    def _item_tradeoff_decl(self, node: Branch, cells: list[Pad]) -> object:
        children = list(node.children)
        doc: list[object] = [*self.take("tradeoff"), " ", *self.lexeme(_token(children.pop(0)))]
        doc += self._title(children)
        first, second, acceptable = (_branch(child) for child in children)
        zone = Branch("tradeoff_zone", (acceptable,), acceptable.start, acceptable.end)
        return [*doc, " ", *self.braces([first, second, zone])]

    def _item_tradeoff_side(self, node: Branch, cells: list[Pad]) -> object:
        name, expr = node.children
        doc = [*self.lexeme(_token(name)), _cell(cells, len(_token(name).text)), " ", *self.take("=")]
        doc += [" ", self.condition(_branch(expr))]
        return doc

    def _item_tradeoff_zone(self, node: Branch, cells: list[Pad]) -> object:
        # the zone's tokens start before the expression: `acceptable when`
        doc = [
            *self.take("acceptable"),
            " ",
            *self.take("when"),
            " ",
            self.condition(_branch(node.children[0])),
        ]
        return doc

    def _item_maturity_decl(self, node: Branch, cells: list[Pad]) -> object:
        children = list(node.children)
        doc: list[object] = [*self.take("maturity"), " ", *self.lexeme(_token(children.pop(0)))]
        doc += self._title(children)
        return [*doc, " ", *self.braces([_branch(child) for child in children])]

    def _item_level_decl(self, node: Branch, cells: list[Pad]) -> object:
        children = list(node.children)
        doc: list[object] = [*self.take("level"), " ", *self.lexeme(_token(children.pop(0)))]
        doc += self._title(children)
        return [*doc, " ", *self.braces([_branch(child) for child in children])]

    def _tail(self, head: list[object], options: list[Branch | Lexeme]) -> object:
        """A rule or requirement: `missing as` stays on its line; `because` and `until` join it
        when everything fits, else each goes on its own line four spaces in."""
        clauses: list[object] = []
        seen_because = False
        for option in options:
            node = _branch(option)
            if node.kind == "missing_as":
                head = [*head, " ", *self.missing_as(node)]
            elif node.kind == "because":
                seen_because = True
                clauses += [Line(), *self.take("because"), " ", *self.lexeme(_token(node.children[0]))]
            elif node.kind == "until":
                spacing = IfBreak("   ", " ") if seen_because else " "
                clauses += [Line(), *self.take("until"), spacing, *self.lexeme(_token(node.children[0]))]
        if not clauses:
            return head
        return Group([*head, Nest(4, clauses)])

    def _item_named_requirement(self, node: Branch, cells: list[Pad]) -> object:
        name, expr, *options = node.children
        head = [*self.lexeme(_token(name)), *self.take(":"), " ", self.condition(_branch(expr))]
        return self._tail(head, options)

    def _item_requirement(self, node: Branch, cells: list[Pad]) -> object:
        expr, *options = node.children
        head = [*self.take("require"), " ", self.condition(_branch(expr))]
        return self._tail(head, options)

    def _item_policy_decl(self, node: Branch, cells: list[Pad]) -> object:
        children = list(node.children)
        doc: list[object] = [*self.take("policy"), " ", *self.lexeme(_token(children.pop(0)))]
        doc += self._title(children)
        return [*doc, " ", *self.braces([_branch(child) for child in children])]

    def _item_applies(self, node: Branch, cells: list[Pad]) -> object:
        selector, *where = _branches(node)
        doc: list[object] = [*self.take("applies"), " ", *self.take("to"), " "]
        if selector.kind == "select_all":
            doc += self.take("all")
        else:
            for number, part in enumerate(_branches(selector)):
                if number:
                    doc.append(" ")
                doc += self.take("kind" if part.kind == "select_kind" else "tagged")
                for index, value in enumerate(part.children):
                    doc += [*self.take(","), " "] if index else [" "]
                    doc += self.lexeme(_token(value))
        if where:
            doc += [" ", *self.take("where"), " ", self.condition(where[0])]
        return doc

    def _item_enforcement(self, node: Branch, cells: list[Pad]) -> object:
        level = _branch(node.children[0])
        return [*self.take("enforcement"), " ", *self.lexeme(_token(level.children[0]))]

    def _item_review(self, node: Branch, cells: list[Pad]) -> object:
        keyword, amount, unit = node.children
        written = _token(keyword).text  # `review   after`, one token: written with one space
        words = ["review after" if doc == written else doc for doc in self.lexeme(_token(keyword))]
        words += [" ", *self.lexeme(_token(amount)), " "]
        return [*words, *self.lexeme(_token(_branch(unit).children[0]))]

    def _item_rule(self, node: Branch, cells: list[Pad]) -> object:
        kind, *rest = node.children
        head: list[object] = list(self.lexeme(_token(_branch(kind).children[0])))
        if rest and isinstance(rest[0], Lexeme):
            head += [" ", *self.lexeme(_token(rest.pop(0)))]
        condition = _branch(rest.pop(0))
        keyword = "when" if condition.kind == "when" else "unless"
        head += [" ", *self.take(keyword), " ", self.condition(_branch(condition.children[0]))]
        return self._tail(head, rest)

    def _item_otherwise(self, node: Branch, cells: list[Pad]) -> object:
        kind, *rest = node.children
        head: list[object] = [*self.take("otherwise"), " ", *self.lexeme(_token(_branch(kind).children[0]))]
        if rest and isinstance(rest[0], Lexeme):
            head += [" ", *self.lexeme(_token(rest.pop(0)))]
        return self._tail(head, rest)

    # ------------------------------------------------------------ expressions

    def condition(self, node: Branch) -> object:
        return Group([self.expr(node)])

    def _parenthesized(self, node: Branch) -> bool:
        return (node.start, node.end) in self.parens

    def expr(self, node: Branch | Lexeme) -> object:
        node = _branch(node)
        count = self.parens.get((node.start, node.end), 0)
        opening: list[object] = []
        for _ in range(count):
            opening += self.take("(")
        body = self._expr(node)
        closing: list[object] = []
        for _ in range(count):
            closing += self.take(")")
        if not count:
            return body
        return [*opening, Align([body]), *closing]

    def _operands(self, node: Branch, kind: str) -> list[Branch]:
        left, right = (_branch(child) for child in node.children)
        if left.kind == kind and not self._parenthesized(left):
            return [*self._operands(left, kind), right]
        return [left, right]

    def _expr(self, node: Branch) -> object:
        kind = node.kind
        children = node.children
        if kind in _CHAINS:
            operator = _CHAINS[kind]
            first, *others = self._operands(node, kind)
            head = self.expr(first)
            rest: list[tuple[str, object]] = []
            for operand in others:
                comments = self.take_quietly(operator)
                rest.append((operator, [*comments, self.expr(operand)]))
            return Group([Chain(head, rest)])
        if kind == "if_expr":
            return self._conditional(node)
        if kind == "not_op":
            return [*self.take("not"), " ", self.expr(children[0])]
        if kind == "compare":
            left, comparison, right = children
            return [self.expr(left), " ", *self.lexeme(_token(comparison)), " ", self.expr(right)]
        if kind in {"member", "not_member"}:
            left, right = children
            doc: list[object] = [self.expr(left), " "]
            if kind == "not_member":
                doc += [*self.take("not"), " "]
            return [*doc, *self.take("in"), " ", self.expr(right)]
        if kind in {"present", "missing"}:
            return [self.expr(children[0]), " ", *self.take("is"), " ", *self.take(kind)]
        if kind in _TEXT_TESTS:
            left, right = children
            doc = [self.expr(left)]
            for word in _TEXT_TESTS[kind]:
                doc += [" ", *self.take(word)]
            return [*doc, " ", self.expr(right)]
        if kind in _ARITHMETIC:
            left, right = children
            return [self.expr(left), " ", *self.take(_ARITHMETIC[kind]), " ", self.expr(right)]
        if kind == "neg":
            return [*self.take("-"), self.expr(children[0])]
        if kind == "default":
            left, right = children
            return [self.expr(left), " ", *self.take("??"), " ", self.expr(right)]
        if kind == "attr":
            base, name = children
            return [self.expr(base), *self.take("."), *self.lexeme(_token(name))]
        if kind == "index":
            base, key = children
            return [self.expr(base), *self.take("["), self.expr(key), *self.take("]")]
        if kind in {"number", "percent", "string", "date", "name"}:
            return self.lexeme(_token(children[0]))
        if kind == "duration":
            amount, unit = children
            return [*self.lexeme(_token(amount)), " ", *self.lexeme(_token(_branch(unit).children[0]))]
        if kind in {"true", "false", "today"}:
            return self.take(kind)
        if kind == "call":
            name, *args = children
            doc = [*self.lexeme(_token(name)), *self.take("(")]
            for number, arg in enumerate(args):
                if number:
                    doc += [*self.take(","), " "]
                doc.append(self.expr(arg))
            return [*doc, *self.take(")")]
        if kind == "quantifier":
            name, binding, body = children
            doc = [*self.lexeme(_token(name)), *self.take("("), self.expr(binding), *self.take(":"), " "]
            return [*doc, self.expr(body), *self.take(")")]
        if kind == "list":
            return self._sequence("[", "]", children)
        if kind == "table":
            return self._sequence("{", "}", children)
        raise _Mismatch(f"no layout for the expression {kind}")

    def _entry(self, entry: Branch) -> list[object]:
        key, value = entry.children
        return [*self.lexeme(_token(key)), *self.take(":"), " ", self.expr(value)]

    def _sequence(self, opening: str, closing: str, items: tuple[Branch | Lexeme, ...]) -> object:
        """`[a, b]` on one line when it fits, else one item a line, two spaces in."""
        first = self.take(opening)
        body: list[object] = []
        for number, item in enumerate(items):
            if number:
                body += [*self.take(","), Line()]
            node = _branch(item)
            body += self._entry(node) if node.kind == "map_entry" else [self.expr(node)]
        last = self.take(closing)
        if not body:
            return [*first, *last]
        return Group([*first, Nest(2, [Line(""), *body]), Line(""), *last])

    def _conditional(self, node: Branch) -> object:
        """`if a then b else if c then d else e`: one line when it fits, else each `else` on its
        own line under the `if`."""
        parts: list[object] = []
        current = node
        while True:
            condition, then, otherwise = (_branch(child) for child in current.children)
            parts += [
                *self.take("if"),
                " ",
                self.expr(condition),
                " ",
                *self.take("then"),
                " ",
                self.expr(then),
            ]
            parts += [Line(), *self.take("else"), " "]
            if otherwise.kind == "if_expr" and not self._parenthesized(otherwise):
                current = otherwise
                continue
            parts.append(self.expr(otherwise))
            break
        return Group([Align(parts)])


@dataclass(frozen=True)
class _Row:
    kind: str | None  # items of one kind line up (None: never)
    cells: tuple[Pad, ...]
    separated: bool  # by a blank line or a comment line from the item before: a new run


def _cell(cells: list[Pad], width: int | None) -> Pad:
    """The padding after a column of an item that lines up with its neighbours'."""
    cell = Pad(width)
    cells.append(cell)
    return cell


def _align(rows: list[_Row]) -> None:
    """Pad each column of each run of consecutive rows of one kind to the run's widest."""
    start = 0
    while start < len(rows):
        end = start + 1
        kind = rows[start].kind
        if kind is not None:
            while end < len(rows) and rows[end].kind == kind and not rows[end].separated:
                end += 1
        for column in range(max(len(row.cells) for row in rows[start:end])):
            cells = [row.cells[column] for row in rows[start:end] if len(row.cells) > column]
            widths = [cell.width for cell in cells if cell.width is not None]
            if not widths:
                continue
            widest = max(widths)
            for cell in cells:
                if cell.width is not None:
                    cell.text = " " * (widest - cell.width)
        start = end


def _width(doc: object) -> int | None:
    """The width of a cell on one line, or None when it cannot be one line (a comment in it)."""
    total = 0
    stack = [doc]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            total += len(item)
        elif isinstance(item, Pad):
            total += len(item.text)
        elif isinstance(item, Line):
            total += len(item.flat)
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, Group | Nest | Align):
            stack.extend(item.parts)
        elif isinstance(item, Chain):
            stack.append(item.first)
            for operator, operand in item.rest:
                stack += [f" {operator} ", operand]
        elif isinstance(item, IfBreak):
            stack.append(item.flat)
        else:
            return None
    return total


def _token(item: Branch | Lexeme) -> Lexeme:
    if not isinstance(item, Lexeme):
        raise _Mismatch(f"expected a token, found {item.kind}")
    return item


def _branch(item: Branch | Lexeme) -> Branch:
    if not isinstance(item, Branch):
        raise _Mismatch(f"expected a node, found {item.text!r}")
    return item


def _branches(node: Branch) -> list[Branch]:
    return [child for child in node.children if isinstance(child, Branch)]
