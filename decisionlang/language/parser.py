"""Policy text -> typed AST. The only module that knows Lark exists."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import io
import math
import os
import re
import unicodedata
from collections.abc import Callable
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import lark
from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from decisionlang.core.cachedir import cache_disabled, default_directory
from decisionlang.core.dates import DURATION_UNITS, UNIT_NAMES, days_of, percent
from decisionlang.core.diagnostics import Diagnostic
from decisionlang.core.spans import SourceFile, Span, point
from decisionlang.language import ast
from decisionlang.language.concrete import Branch, Concrete, Lexeme

MAX_SYNTAX_ERRORS = 10
MAX_RECOVERIES = 100  # syntax errors diagnosed per file, cascades included, before the parser gives up

# Keywords of several words, lexed as one token so that each word stays free as a name.
KEYWORD_TERMINALS: dict[str, str] = {"REVIEW_AFTER": "review after", "FRESH_FOR": "fresh for"}

FRIENDLY_TOKENS: dict[str, str] = {
    "NAME": "a name",
    "NUMBER": "a number",
    "PERCENT": "a percentage",
    "REVIEW_AFTER": "'review after'",
    "FRESH_FOR": "'fresh for'",
    "STRING": 'a quoted text ("...")',
    "DATE": "a date (YYYY-MM-DD)",
    "COMP_OP": "a comparison operator (==, !=, <, <=, >, >=)",
    "$END": "the end of the file",
    "LBRACE": "'{'",
    "RBRACE": "'}'",
    "LPAR": "'('",
    "RPAR": "')'",
    "LSQB": "'['",
    "RSQB": "']'",
    "COMMA": "','",
    "COLON": "':'",
    "DOT": "'.'",
    "EQUAL": "'='",
    "LESSTHAN": "'<'",
    "PLUS": "'+'",
    "MINUS": "'-'",
    "STAR": "'*'",
    "SLASH": "'/'",
}


GRAMMAR_FILE = "decisionlang.lark"
PREBUILT_FILE = "decisionlang.lark-parser"  # Lark.save() of the grammar, next to it
_PREBUILT_MAGIC = b"decisionlang-parser 1\n"
_REPO_GRAMMAR = Path(__file__).resolve().parents[2] / "grammar"


def _grammar_file(name: str) -> Traversable:
    """A file of the grammar directory: in the package (decisionlang/grammar), else the repo's."""
    packaged = resources.files("decisionlang").joinpath(f"grammar/{name}")
    return packaged if packaged.is_file() else _REPO_GRAMMAR / name


def _grammar_text() -> str:
    return _grammar_file(GRAMMAR_FILE).read_text(encoding="utf-8")


def _prebuilt_header(grammar: str) -> bytes:
    """What the prebuilt parser must start with to be the one of `grammar` for this Lark."""
    digest = hashlib.sha256(grammar.encode()).hexdigest()
    return _PREBUILT_MAGIC + f"lark {lark.__version__}\ngrammar {digest}\n".encode()


def _load_prebuilt(grammar: str) -> Lark | None:
    """The parser shipped with the package (grammar/decisionlang.lark-parser), when it was built
    from this grammar by this version of Lark and its payload is intact; else None.

    The file is `Lark.save()` output (a pickle of plain tables) after a header and the sha256 of
    the payload. It is part of the package, so loading it trusts nothing more than importing
    decisionlang does; it spares every fresh environment (a CI job, a container) building the
    LALR tables, and needs no cache directory. `make parser` rewrites it after a grammar change;
    tests/test_parser_prebuilt.py fails while it is out of date."""
    try:
        data = _grammar_file(PREBUILT_FILE).read_bytes()
    except OSError:
        return None
    header = _prebuilt_header(grammar)
    if not data.startswith(header):
        return None
    digest, payload = data[len(header) : len(header) + 32], data[len(header) + 32 :]
    if hashlib.sha256(payload).digest() != digest:
        return None
    try:
        return Lark.load(io.BytesIO(payload))
    except Exception:  # a payload this Lark cannot read: build the parser instead
        return None


def prebuilt_parser(grammar: str | None = None) -> bytes:
    """The bytes of grammar/decisionlang.lark-parser for `grammar` (default: the grammar file)."""
    grammar = _grammar_text() if grammar is None else grammar
    stream = io.BytesIO()
    _build(grammar, strict=False, cache=False).save(stream)
    payload = stream.getvalue()
    return _prebuilt_header(grammar) + hashlib.sha256(payload).digest() + payload


def write_prebuilt_parser(directory: Path = _REPO_GRAMMAR) -> Path:
    """Rewrite the prebuilt parser of the repo's grammar (`make parser`)."""
    grammar = (directory / GRAMMAR_FILE).read_text(encoding="utf-8")
    target = directory / PREBUILT_FILE
    temporary = target.with_name(f".{target.name}.tmp")
    temporary.write_bytes(prebuilt_parser(grammar))
    os.replace(temporary, target)
    return target


def _cache_file(grammar: str) -> str | bool:
    """Where to keep Lark's analysis of the grammar (a pickle): a private per-user directory.

    Building the LALR tables is most of a CLI run's start-up; the cache brings it from ~175 ms to
    ~15 ms. A shared temporary directory is never used, since loading a pickle others can write
    would run their code. Set DECISIONLANG_PARSER_CACHE=0 (or DECISIONLANG_NO_CACHE=1, which
    turns every cache off) to turn it off; it lives where the other caches do
    (`decisionlang.core.cachedir`)."""
    if os.environ.get("DECISIONLANG_PARSER_CACHE") == "0" or cache_disabled():
        return False
    base = default_directory()
    try:
        base.mkdir(mode=0o700, parents=True, exist_ok=True)
        if base.stat().st_uid != os.getuid() or base.stat().st_mode & 0o022:
            return False
    except OSError:
        return False
    digest = hashlib.sha256(f"{lark.__version__}\n{grammar}".encode()).hexdigest()[:16]
    return str(base / f"parser-{digest}.lark")


def _build(grammar: str, *, strict: bool, cache: str | bool) -> Lark:
    return Lark(
        grammar,
        parser="lalr",
        lexer="contextual",
        propagate_positions=True,
        maybe_placeholders=False,
        start=["start", "expr"],
        strict=strict,
        cache=cache,
    )


@functools.cache
def _lark(strict: bool = False) -> Lark:
    """The parser: the prebuilt one when it is current, else Lark's, built (strictly, for tests)
    or loaded from the per-user cache."""
    grammar = _grammar_text()
    if strict:
        return _build(grammar, strict=True, cache=False)
    return _load_prebuilt(grammar) or _build(grammar, strict=False, cache=_cache_file(grammar))


def build_parser_strictly() -> None:
    """Build the grammar with Lark's strict checks (used by tests: conflicts fail loudly)."""
    _lark(strict=True)


# ---------------------------------------------------------------- strings


_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "{": "{", "}": "}"}


def _unescape(raw: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), raw)


# ---------------------------------------------------------------- transformer


class _ToAst(Transformer[Token, Any]):
    """Lark tree -> AST. `line_shift`/`column_shift` place expressions parsed from inside a string."""

    def __init__(self, source: SourceFile, line_shift: int = 0, column_shift: int = 0) -> None:
        super().__init__()
        self.source = source
        self.line_shift = line_shift
        self.column_shift = column_shift
        self.diagnostics: list[Diagnostic] = []

    # -- spans
    def _place(self, line: int, column: int) -> tuple[int, int]:
        if line == 1:
            return line + self.line_shift, column + self.column_shift
        return line + self.line_shift, column

    def span_of(self, item: Any) -> Span:
        if isinstance(item, Token):
            line, column = self._place(item.line or 1, item.column or 1)
            end_line, end_column = self._place(item.end_line or 1, item.end_column or 1)
        else:
            line, column = self._place(item.line, item.column)
            end_line, end_column = self._place(item.end_line, item.end_column)
        return Span(self.source, line, column, end_line, end_column)

    def message(self, token: Token) -> ast.Message:
        return parse_message(token, self.source, self, self.span_of(token))

    # -- module
    @v_args(meta=True)
    def start(self, meta: Any, items: list[ast.Declaration]) -> list[ast.Declaration]:
        return items

    def title(self, items: list[Token]) -> str:
        return _unescape(items[0][1:-1])

    @v_args(meta=True)
    def import_decl(self, meta: Any, items: list[Token]) -> ast.Import:
        alias = str(items[1]) if len(items) > 1 else None
        return ast.Import(_unescape(items[0][1:-1]), alias, span=self.span_of(meta))

    @v_args(meta=True)
    def scale_decl(self, meta: Any, items: list[Any]) -> ast.ScaleDecl:
        name, rest = items[0], items[1:]
        title = rest.pop(0) if rest and isinstance(rest[0], str) and not isinstance(rest[0], Token) else None
        return ast.ScaleDecl(
            str(name),
            title,
            tuple(str(token) for token in rest),
            tuple(self.span_of(token) for token in rest),
            span=self.span_of(meta),
        )

    @v_args(meta=True)
    def const_decl(self, meta: Any, items: list[Any]) -> ast.ConstDecl:
        return ast.ConstDecl(str(items[0]), items[1], span=self.span_of(items[0]))

    @v_args(meta=True)
    def define_decl(self, meta: Any, items: list[Any]) -> ast.DefineDecl:
        title = items[1] if len(items) == 3 else None
        return ast.DefineDecl(str(items[0]), title, items[-1], span=self.span_of(items[0]))

    # -- schema
    @v_args(meta=True)
    def schema_decl(self, meta: Any, items: list[ast.FieldDecl]) -> ast.SchemaDecl:
        return ast.SchemaDecl(tuple(items), span=self.span_of(meta))

    @v_args(meta=True)
    def strict_schema_decl(self, meta: Any, items: list[ast.FieldDecl]) -> ast.SchemaDecl:
        return ast.SchemaDecl(tuple(items), strict=True, span=self.span_of(meta))

    def dotted(self, items: list[Token]) -> tuple[str, Span]:
        first, last = self.span_of(items[0]), self.span_of(items[-1])
        return ".".join(items), Span(self.source, first.line, first.column, last.end_line, last.end_column)

    def field_decl(self, items: list[Any]) -> ast.FieldDecl:
        (path, span), type_ref, *options = items
        settings: dict[str, Any] = {}
        for key, value in options:
            given = dict(zip(("minimum", "maximum"), value, strict=True)) if key == "range" else {key: value}
            repeated = [name for name in given if name in settings]
            if repeated:  # `fixed fixed`, `0..5 >= 1`: the second would silently win
                words = {"minimum": "lower bound", "maximum": "upper bound"}
                self.diagnostics.append(
                    Diagnostic(
                        "DL-PARSE-REPEATED-CLAUSE",
                        f"field `{path}` gives its {words.get(repeated[0], f'`{repeated[0]}`')} twice",
                        span=span,
                        help="keep one of them",
                    )
                )
            settings.update(given)
        return ast.FieldDecl(path, type_ref, span=span, **settings)

    @v_args(meta=True)
    def simple_type(self, meta: Any, items: list[Token]) -> ast.TypeRef:
        return ast.TypeRef(str(items[0]), span=self.span_of(meta))

    @v_args(meta=True)
    def list_type(self, meta: Any, items: list[ast.TypeRef]) -> ast.TypeRef:
        return ast.TypeRef("list", items[0], span=self.span_of(meta))

    @v_args(meta=True)
    def record_type(self, meta: Any, items: list[ast.FieldDecl]) -> ast.TypeRef:
        return ast.TypeRef("record", fields=tuple(items), span=self.span_of(meta))

    def record_field(self, items: list[Any]) -> ast.FieldDecl:
        name, type_ref, *options = items
        return self.field_decl([(str(name), self.span_of(name)), type_ref, *options])

    def field_range(self, items: list[float]) -> tuple[str, Any]:
        return ("range", (items[0], items[1]))

    def field_min(self, items: list[float]) -> tuple[str, Any]:
        return ("minimum", items[0])

    def field_max(self, items: list[float]) -> tuple[str, Any]:
        return ("maximum", items[0])

    def field_unit(self, items: list[Token]) -> tuple[str, Any]:
        return ("unit", _unescape(items[0][1:-1]))

    def field_required(self, items: list[Any]) -> tuple[str, Any]:
        return ("required", True)

    def field_fixed(self, items: list[Any]) -> tuple[str, Any]:
        return ("fixed", True)

    @v_args(meta=True)
    def field_fresh(self, meta: Any, items: list[Any]) -> tuple[str, Any]:
        _, number, (unit, _) = items
        amount = self.literal(number, per_unit=float(DURATION_UNITS[unit.removesuffix("s")]))
        days = days_of(str(number), unit) if amount else 0.0
        return ("fresh", ast.DurationLiteral(days, f"{number} {unit}", span=self.span_of(meta)))

    def field_allowed(self, items: list[float]) -> tuple[str, Any]:
        return ("allowed", tuple(dict.fromkeys(items)))

    def field_description(self, items: list[Token]) -> tuple[str, Any]:
        return ("description", _unescape(items[0][1:-1]))

    def literal(self, token: Token, per_unit: float = 1) -> float:
        """The value of a number written in the policy (PERCENT included), or 0 with a DL-PARSE-RANGE
        error when it is beyond what a number can hold (~1.8e308): never `inf`."""
        text = str(token)
        value = _percent(text[:-1]) if token.type == "PERCENT" else _number(text)
        if math.isfinite(float(value) * per_unit):
            return value
        limit = "about 1.8 × 10³⁰⁸" + (" days" if per_unit != 1 else "")
        self.diagnostics.append(
            Diagnostic(
                "DL-PARSE-RANGE",
                f"the {'duration' if per_unit != 1 else 'number'} `{_shortened(text)}` is too large",
                span=self.span_of(token),
                help=f"{'durations' if per_unit != 1 else 'numbers'} go up to {limit}",
            )
        )
        return 0

    def signed_number(self, items: list[Token]) -> float:
        return self.literal(items[0])

    def negative_number(self, items: list[Token]) -> float:
        return -self.literal(items[0])

    # -- criteria
    @v_args(meta=True)
    def criteria_decl(self, meta: Any, items: list[Any]) -> ast.CriteriaDecl:
        name, rest = items[0], items[1:]
        title = rest.pop(0) if rest and isinstance(rest[0], str) else None
        terms = tuple(item for item in rest if isinstance(item, ast.CriterionTerm))
        normalize = [item[1] for item in rest if isinstance(item, tuple)]
        return ast.CriteriaDecl(
            str(name), title, terms, normalize[-1] if normalize else None, span=self.span_of(name)
        )

    @v_args(meta=True)
    def criteria_term(self, meta: Any, items: list[Any]) -> ast.CriterionTerm:
        items = self._with_missing_as(items)
        expr, weight = items[0], items[1]
        low, high = items[2] if len(items) > 2 else (None, None)
        if isinstance(weight, Token):  # `weight w_value`: a constant, resolved by the checker
            return ast.CriterionTerm(expr, 0, low, high, str(weight), span=self.span_of(meta))
        return ast.CriterionTerm(expr, weight, low, high, span=self.span_of(meta))

    @v_args(meta=True)
    def named_criteria_term(self, meta: Any, items: list[Any]) -> ast.CriterionTerm:
        term: ast.CriterionTerm = self.criteria_term(meta, items[1:])
        return dataclasses.replace(term, name=str(items[0]))

    def weight_constant(self, items: list[Token]) -> Token:
        return items[0]

    def criteria_normalize(self, items: list[float]) -> tuple[str, float]:
        return ("normalize", items[0])

    def term_range(self, items: list[float]) -> tuple[float, float]:
        return items[0], items[1]

    @v_args(meta=True)
    def missing_as(self, meta: Any, items: list[Any]) -> _MissingAs:
        value, span = items[0], self.span_of(meta)
        if not isinstance(value, ast.Expr):  # a number: keep it as written (comments and spaces aside)
            raw = self.source.text[meta.start_pos : meta.end_pos] if not self.line_shift else span.text()
            written = _COMMENT.sub("", raw).split(None, 2)[-1]
            value = ast.Number(value, "".join(written.split()), span=span)
        return _MissingAs(value)

    @staticmethod
    def _with_missing_as(items: list[Any]) -> list[Any]:
        """`missing as d` after an expression: the expression becomes `Default(expr, d)`."""
        found = [item for item in items if isinstance(item, _MissingAs)]
        if not found:
            return items
        rest = [item for item in items if not isinstance(item, _MissingAs)]
        expr = rest[0]
        rest[0] = ast.Default(expr, found[0].value, "missing as", span=expr.span)
        return rest

    # -- trade-offs
    @v_args(meta=True)
    def tradeoff_decl(self, meta: Any, items: list[Any]) -> ast.TradeoffDecl:
        name, rest = items[0], items[1:]
        title = rest.pop(0) if isinstance(rest[0], str) else None
        first, second, acceptable = rest
        return ast.TradeoffDecl(str(name), title, first, second, acceptable, span=self.span_of(name))

    @v_args(meta=True)
    def tradeoff_side(self, meta: Any, items: list[Any]) -> ast.TradeoffSide:
        return ast.TradeoffSide(str(items[0]), items[1], span=self.span_of(items[0]))

    # -- maturity
    @v_args(meta=True)
    def maturity_decl(self, meta: Any, items: list[Any]) -> ast.MaturityDecl:
        name, rest = items[0], items[1:]
        title = rest.pop(0) if isinstance(rest[0], str) else None
        return ast.MaturityDecl(str(name), title, tuple(rest), span=self.span_of(name))

    @v_args(meta=True)
    def level_decl(self, meta: Any, items: list[Any]) -> ast.LevelDecl:
        name, rest = items[0], items[1:]
        title = rest.pop(0) if rest and isinstance(rest[0], str) else None
        return ast.LevelDecl(str(name), title, tuple(rest), span=self.span_of(name))

    @v_args(meta=True)
    def named_requirement(self, meta: Any, items: list[Any]) -> ast.Requirement:
        items = [items[0], *self._with_missing_as(items[1:])]
        because = items[2][1] if len(items) > 2 else None
        return ast.Requirement(str(items[0]), items[1], because, span=self.span_of(meta))

    @v_args(meta=True)
    def requirement(self, meta: Any, items: list[Any]) -> ast.Requirement:
        items = self._with_missing_as(items)
        because = items[1][1] if len(items) > 1 else None
        return ast.Requirement(None, items[0], because, span=self.span_of(meta))

    # -- policies
    @v_args(meta=True)
    def policy_decl(self, meta: Any, items: list[Any]) -> ast.PolicyDecl:
        name, rest = items[0], items[1:]
        title = rest.pop(0) if rest and isinstance(rest[0], str) else None
        selectors = [item for item in rest if isinstance(item, ast.Selector)]
        enforcements = [item for item in rest if isinstance(item, ast.Enforcement)]
        rules = tuple(item for item in rest if isinstance(item, ast.RuleDecl))
        otherwise = [item for item in rest if isinstance(item, ast.Otherwise)]
        reviews = [item for item in rest if isinstance(item, ast.ReviewAfter)]
        for extra, what in (
            (selectors, "`applies to`"),
            (enforcements, "`enforcement`"),
            (reviews, "`review after`"),
            (otherwise, "`otherwise`"),
        ):
            if len(extra) > 1:
                self.diagnostics.append(
                    Diagnostic(
                        "DL-PARSE-REPEATED-CLAUSE",
                        f"policy `{name}` has {len(extra)} {what} clauses",
                        span=self.span_of(name),
                        help=f"keep a single {what} clause per policy",
                    )
                )
        return ast.PolicyDecl(
            str(name),
            title,
            selectors[0] if selectors else None,
            enforcements[0] if enforcements else None,
            rules,
            otherwise[0] if otherwise else None,
            reviews[0] if reviews else None,
            span=self.span_of(name),
        )

    @v_args(meta=True)
    def applies(self, meta: Any, items: list[Any]) -> ast.Selector:
        selector: ast.Selector = items[0]
        where = items[1] if len(items) > 1 else None
        return ast.Selector(selector.kinds, selector.tags, where, span=self.span_of(meta))

    @v_args(meta=True)
    def select_all(self, meta: Any, items: list[Any]) -> ast.Selector:
        return ast.Selector(span=self.span_of(meta))

    @v_args(meta=True)
    def select_parts(self, meta: Any, items: list[tuple[str, tuple[str, ...]]]) -> ast.Selector:
        kinds = tuple(values for key, values in items if key == "kind")
        tags = tuple(values for key, values in items if key == "tag")
        return ast.Selector(kinds, tags, span=self.span_of(meta))

    def select_kind(self, items: list[Token]) -> tuple[str, tuple[str, ...]]:
        return ("kind", tuple(str(token) for token in items))

    def select_tagged(self, items: list[Token]) -> tuple[str, tuple[str, ...]]:
        return ("tag", tuple(_unescape(token[1:-1]) for token in items))

    def enforcement(self, items: list[ast.Enforcement]) -> ast.Enforcement:
        return items[0]

    @v_args(meta=True)
    def review(self, meta: Any, items: list[Any]) -> ast.ReviewAfter:
        _, number, (unit, _) = items
        amount = self.literal(number, per_unit=float(DURATION_UNITS[unit.removesuffix("s")]))
        days = days_of(str(number), unit) if amount else 0.0
        return ast.ReviewAfter(days, f"{number} {unit}", span=self.span_of(meta))

    def enforcement_level(self, items: list[Token]) -> ast.Enforcement:
        return ast.Enforcement(str(items[0]))

    def rule_kind(self, items: list[Token]) -> tuple[ast.RuleKind, Token]:
        return ast.RuleKind(str(items[0])), items[0]

    @v_args(meta=True)
    def rule(self, meta: Any, items: list[Any]) -> ast.RuleDecl:
        (kind, _), rest = items[0], items[1:]
        name = str(rest.pop(0)) if isinstance(rest[0], Token) else None
        unless, condition = rest.pop(0)
        if rest and isinstance(rest[0], _MissingAs):
            condition = ast.Default(condition, rest.pop(0).value, "missing as", span=condition.span)
        because = next((item[1] for item in rest if item[0] == "because"), None)
        until = next((item[1] for item in rest if item[0] == "until"), None)
        return ast.RuleDecl(kind, name, condition, unless, because, until, span=self.span_of(meta))

    def when(self, items: list[ast.Expr]) -> tuple[bool, ast.Expr]:
        return False, items[0]

    def unless(self, items: list[ast.Expr]) -> tuple[bool, ast.Expr]:
        return True, items[0]

    def because(self, items: list[Token]) -> tuple[str, ast.Message]:
        return "because", self.message(items[0])

    def until(self, items: list[Token]) -> tuple[str, ast.Message]:
        return "until", self.message(items[0])

    @v_args(meta=True)
    def otherwise(self, meta: Any, items: list[Any]) -> ast.Otherwise:
        kind, _ = items[0]
        rest = items[1:]
        until = rest.pop()[1] if rest and isinstance(rest[-1], tuple) else None
        message = self.message(rest[0]) if rest else None
        return ast.Otherwise(kind, message, until, span=self.span_of(meta))

    # -- expressions
    @v_args(meta=True)
    def if_expr(self, meta: Any, items: list[ast.Expr]) -> ast.Expr:
        return ast.Conditional(items[0], items[1], items[2], span=self.span_of(meta))

    @v_args(meta=True)
    def or_op(self, meta: Any, items: list[ast.Expr]) -> ast.Expr:
        return ast.Logical(ast.LogicOp.OR, items[0], items[1], span=self.span_of(meta))

    @v_args(meta=True)
    def and_op(self, meta: Any, items: list[ast.Expr]) -> ast.Expr:
        return ast.Logical(ast.LogicOp.AND, items[0], items[1], span=self.span_of(meta))

    @v_args(meta=True)
    def not_op(self, meta: Any, items: list[ast.Expr]) -> ast.Expr:
        return ast.Unary(ast.UnaryOp.NOT, items[0], span=self.span_of(meta))

    @v_args(meta=True)
    def compare(self, meta: Any, items: list[Any]) -> ast.Expr:
        return ast.Compare(ast.CompareOp(str(items[1])), items[0], items[2], span=self.span_of(meta))

    @v_args(meta=True)
    def member(self, meta: Any, items: list[ast.Expr]) -> ast.Expr:
        return ast.Membership(items[0], items[1], span=self.span_of(meta))

    @v_args(meta=True)
    def not_member(self, meta: Any, items: list[ast.Expr]) -> ast.Expr:
        return ast.Membership(items[0], items[1], negated=True, span=self.span_of(meta))

    @v_args(meta=True)
    def present(self, meta: Any, items: list[ast.Expr]) -> ast.Expr:
        return ast.Presence(items[0], True, span=self.span_of(meta))

    @v_args(meta=True)
    def missing(self, meta: Any, items: list[ast.Expr]) -> ast.Expr:
        return ast.Presence(items[0], False, span=self.span_of(meta))

    def _text_test(self, op: ast.TextTestOp, meta: Any, items: list[ast.Expr]) -> ast.Expr:
        return ast.TextTest(op, items[0], items[1], span=self.span_of(meta))

    @v_args(meta=True)
    def starts_with(self, meta: Any, items: list[ast.Expr]) -> ast.Expr:
        return self._text_test(ast.TextTestOp.STARTS_WITH, meta, items)

    @v_args(meta=True)
    def ends_with(self, meta: Any, items: list[ast.Expr]) -> ast.Expr:
        return self._text_test(ast.TextTestOp.ENDS_WITH, meta, items)

    @v_args(meta=True)
    def contains(self, meta: Any, items: list[ast.Expr]) -> ast.Expr:
        return self._text_test(ast.TextTestOp.CONTAINS, meta, items)

    @v_args(meta=True)
    def matches(self, meta: Any, items: list[ast.Expr]) -> ast.Expr:
        return self._text_test(ast.TextTestOp.MATCHES, meta, items)

    def _arith(self, op: ast.ArithOp, meta: Any, items: list[ast.Expr]) -> ast.Expr:
        return ast.Arithmetic(op, items[0], items[1], span=self.span_of(meta))

    @v_args(meta=True)
    def add(self, meta: Any, items: list[ast.Expr]) -> ast.Expr:
        return self._arith(ast.ArithOp.ADD, meta, items)

    @v_args(meta=True)
    def sub(self, meta: Any, items: list[ast.Expr]) -> ast.Expr:
        return self._arith(ast.ArithOp.SUB, meta, items)

    @v_args(meta=True)
    def mul(self, meta: Any, items: list[ast.Expr]) -> ast.Expr:
        return self._arith(ast.ArithOp.MUL, meta, items)

    @v_args(meta=True)
    def div(self, meta: Any, items: list[ast.Expr]) -> ast.Expr:
        return self._arith(ast.ArithOp.DIV, meta, items)

    @v_args(meta=True)
    def neg(self, meta: Any, items: list[ast.Expr]) -> ast.Expr:
        operand = items[0]
        if isinstance(operand, ast.Number):
            return ast.Number(-operand.value, "-" + operand.text, span=self.span_of(meta))
        return ast.Unary(ast.UnaryOp.NEG, operand, span=self.span_of(meta))

    @v_args(meta=True)
    def default(self, meta: Any, items: list[ast.Expr]) -> ast.Expr:
        return ast.Default(items[0], items[1], span=self.span_of(meta))

    @v_args(meta=True)
    def attr(self, meta: Any, items: list[Any]) -> ast.Expr:
        return ast.Attribute(items[0], str(items[1]), span=self.span_of(meta))

    def number(self, items: list[Token]) -> ast.Expr:
        return ast.Number(self.literal(items[0]), str(items[0]), span=self.span_of(items[0]))

    def percent(self, items: list[Token]) -> ast.Expr:
        return ast.Number(self.literal(items[0]), str(items[0]), span=self.span_of(items[0]))

    @v_args(meta=True)
    def duration(self, meta: Any, items: list[Any]) -> ast.Expr:
        unit = items[1][0]
        amount = self.literal(items[0], per_unit=float(DURATION_UNITS[unit.removesuffix("s")]))
        days = days_of(str(items[0]), unit) if amount else 0.0  # the exact days, nearest float
        return ast.DurationLiteral(days, f"{items[0]} {unit}", span=self.span_of(meta))

    def duration_unit(self, items: list[Token]) -> tuple[str, Token]:
        return str(items[0]), items[0]

    fresh_unit = duration_unit

    def string(self, items: list[Token]) -> ast.Expr:
        return ast.Text(_unescape(items[0][1:-1]), span=self.span_of(items[0]))

    def date(self, items: list[Token]) -> ast.Expr:
        span = self.span_of(items[0])
        try:
            value = dt.date.fromisoformat(str(items[0]))
        except ValueError:
            self.diagnostics.append(
                Diagnostic(
                    "DL-PARSE-DATE",
                    f"`{items[0]}` is not a calendar date",
                    span=span,
                    help="write dates as YYYY-MM-DD, e.g. 2027-03-31",
                )
            )
            value = dt.date(1970, 1, 1)
        return ast.DateLiteral(value, span=span)

    @v_args(meta=True)
    def true(self, meta: Any, items: list[Any]) -> ast.Expr:
        return ast.Boolean(True, span=self.span_of(meta))

    @v_args(meta=True)
    def false(self, meta: Any, items: list[Any]) -> ast.Expr:
        return ast.Boolean(False, span=self.span_of(meta))

    @v_args(meta=True)
    def today(self, meta: Any, items: list[Any]) -> ast.Expr:
        return ast.Today(span=self.span_of(meta))

    def name(self, items: list[Token]) -> ast.Expr:
        return ast.Name(str(items[0]), span=self.span_of(items[0]))

    @v_args(meta=True)
    def call(self, meta: Any, items: list[Any]) -> ast.Expr:
        return ast.Call(str(items[0]), tuple(items[1:]), span=self.span_of(meta))

    @v_args(meta=True)
    def quantifier(self, meta: Any, items: list[Any]) -> ast.Expr:
        function, binding, body = str(items[0]), items[1], items[2]
        span = self.span_of(meta)
        if (
            not isinstance(binding, ast.Membership)
            or binding.negated
            or not isinstance(binding.item, ast.Name)
        ):
            self.diagnostics.append(
                Diagnostic(
                    "DL-PARSE-QUANTIFIER",
                    f"`{function}(...: ...)` needs a binding `name in collection` before the colon",
                    span=binding.span if isinstance(binding, ast.Node) else span,
                    help=f"for example `{function}(d in depends_on: d.tier <= tier)`",
                )
            )
            return ast.Quantifier(function, "_", ast.ListLiteral((), span=span), body, span=span)
        return ast.Quantifier(function, binding.item.name, binding.collection, body, span=span)

    @v_args(meta=True)
    def table(self, meta: Any, items: list[tuple[Token, ast.Expr] | None]) -> ast.Expr:
        entries = [item for item in items if item is not None]
        keys = tuple(_unescape(key[1:-1]) if key.type == "STRING" else str(key) for key, _ in entries)
        return ast.Table(
            keys,
            tuple(value for _, value in entries),
            tuple(self.span_of(key) for key, _ in entries),
            tuple(key.type == "STRING" for key, _ in entries),
            span=self.span_of(meta),
        )

    def map_entry(self, items: list[Any]) -> tuple[Token, ast.Expr]:
        return items[0], items[1]

    @v_args(meta=True)
    def index(self, meta: Any, items: list[ast.Expr]) -> ast.Expr:
        return ast.Index(items[0], items[1], span=self.span_of(meta))

    @v_args(meta=True)
    def list(self, meta: Any, items: list[ast.Expr]) -> ast.Expr:
        return ast.ListLiteral(tuple(items), span=self.span_of(meta))


@dataclasses.dataclass(frozen=True)
class _MissingAs:
    """A parsed `missing as d` clause, folded into the expression it follows."""

    value: ast.Expr


def _number(text: str) -> float:
    """`12_000` is 12000; beyond the range of a number the value is `inf` (which `literal` refuses).
    The digits are counted first: converting a 5,000-digit integer would be refused by Python."""
    digits = text.replace("_", "")
    whole = digits.partition(".")[0].lstrip("0")
    if len(whole) > _MAX_WHOLE_DIGITS:
        return math.inf
    value = float(digits)
    return int(value) if value.is_integer() and "." not in text else value


_MAX_WHOLE_DIGITS = 309  # the largest number (~1.8e308) has 309 digits before the decimal point


def _percent(text: str) -> float:
    """`99.9` of `99.9%` as the number 0.999 itself (S25), by the rule states use too."""
    digits = text.replace("_", "")
    if len(digits.partition(".")[0].lstrip("0")) > _MAX_WHOLE_DIGITS + 2:
        return math.inf
    return percent(digits)


def _shortened(text: str, keep: int = 24) -> str:
    return text if len(text) <= keep else f"{text[: keep // 2]}…{text[-keep // 2 :]} ({len(text)} characters)"


# ---------------------------------------------------------------- messages


_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def parse_message(token: Token, source: SourceFile, owner: _ToAst, span: Span) -> ast.Message:
    """Split a quoted message into text and `{expression}` parts, each expression parsed and placed."""
    raw = str(token)[1:-1]
    parts: list[str | ast.Expr] = []
    position = 0
    for match in _PLACEHOLDER.finditer(raw):
        backslashes = len(raw[: match.start()]) - len(raw[: match.start()].rstrip("\\"))
        if backslashes % 2 == 1:  # `\{x}` is a literal brace; `\\{x}` a backslash, then x
            continue
        if match.start() > position:
            parts.append(_unescape(raw[position : match.start()]))
        inner = match.group(1)
        column = span.column + 1 + match.start(1)
        expr = _parse_fragment(inner, source, span.line, column, owner.diagnostics)
        if expr is not None:
            parts.append(expr)
        position = match.end()
    if position < len(raw):
        parts.append(_unescape(raw[position:]))
    return ast.Message(_unescape(raw), tuple(parts), span=span)


def _parse_fragment(
    text: str,
    source: SourceFile,
    line: int,
    column: int,
    diagnostics: list[Diagnostic],
    *,
    in_message: bool = True,
) -> ast.Expr | None:
    """An expression: one of a message's `{...}` (`in_message`), or standalone (`eval`, `plan
    --value`), whose problems are worded as an expression's, not as a message's."""
    transformer = _ToAst(source, line_shift=line - 1, column_shift=column - 1)
    stripped = text.strip()
    if not stripped:
        diagnostics.append(
            Diagnostic(
                "DL-PARSE-MESSAGE",
                "empty `{}` in a message",
                span=point(source, line, column - 1, 2),
                help="put a field or expression between the braces, or write \\{ for a literal brace",
            )
            if in_message
            else Diagnostic(
                "DL-PARSE-EOF",
                "the expression is empty",
                span=point(source, line, column, 1),
                help="write an expression, e.g. `risk >= 8`",
            )
        )
        return None
    try:
        tree = _lark().parse(_unescape(text), start="expr")
        too_deep = _nesting_problem(tree, source)
        if too_deep is not None:  # placed at the fragment: the tree's positions are the fragment's own
            diagnostics.append(dataclasses.replace(too_deep, span=point(source, line, column, len(text))))
            return None
        expr: ast.Expr = transformer.transform(tree)
    except UnexpectedInput as error:
        diagnostic = _syntax_diagnostic(error, source, line_shift=line - 1, column_shift=column - 1)
        if diagnostic.code == "DL-PARSE-EOF" and in_message:
            diagnostic = Diagnostic(
                "DL-PARSE-MESSAGE",
                f"the expression `{{{text}}}` in this message is incomplete",
                span=point(source, line, column, len(text)),
                help="complete the expression, or write \\{ for a literal brace",
            )
        elif diagnostic.code == "DL-PARSE-EOF":  # a standalone expression is no file: say what ends
            said = diagnostic.message.replace("the file ends too early", "the expression ends too early", 1)
            diagnostic = dataclasses.replace(diagnostic, message=said, help="complete the expression")
        diagnostics.append(diagnostic)
        return None
    diagnostics.extend(transformer.diagnostics)
    return expr


# ---------------------------------------------------------------- errors


def _token_name(name: str) -> str:
    if name in FRIENDLY_TOKENS:
        return FRIENDLY_TOKENS[name]
    try:
        pattern = _lark().get_terminal(name).pattern
    except KeyError:
        return name.lower()
    if isinstance(pattern, lark.lexer.PatternStr):
        return f"'{pattern.value}'"
    return name.lower()


def _expected_list(expected: set[str]) -> str:
    names = sorted({_token_name(name) for name in expected})
    if len(names) > 8:
        keywords = [name for name in names if name.startswith("'")]
        others = [name for name in names if not name.startswith("'")]
        names = others + keywords[:6] + ["..."]
    return (
        ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else (names[0] if names else "nothing")
    )


_HINTS: list[tuple[Callable[[str, set[str]], bool], str]] = [
    (
        lambda got, exp: got.isspace(),
        "an unusual space: to group digits write 12_000 (or 12000); elsewhere use a plain space",
    ),
    (
        lambda got, exp: got == "=" and "COMP_OP" in exp,
        "to compare, write `==`; `=` only names a trade-off side",
    ),
    (lambda got, exp: got in {"&&", "&"}, "write `and` instead of `&&`"),
    (lambda got, exp: got in {"||", "|"}, "write `or` instead of `||`"),
    (lambda got, exp: got == "!", "write `not` instead of `!`"),
    (lambda got, exp: got == "'", 'texts are written between double quotes: "like this"'),
    (
        lambda got, exp: "WHEN" in exp and "UNLESS" in exp,
        "a rule reads `<verdict> [id] when <condition>` or `... unless <condition>`",
    ),
    (
        lambda got, exp: got == "for" and "COLON" in exp,
        "an aggregate names its item first: `sum(pr in git.pull_requests: pr.age_days)`",
    ),
    (lambda got, exp: "WEIGHT" in exp, "a criteria term reads `<expression> weight <number>`"),
    (
        lambda got, exp: "RBRACE" in exp and got.isidentifier(),
        "is a `}` missing above, or a keyword misspelt?",
    ),
]


def _show_character(char: str) -> str:
    """`&`, or for an invisible or unusual character its code point and name: U+00A0 (NO-BREAK SPACE)."""
    if char.isprintable() and not char.isspace() and ord(char) < 0x2000:
        return f"`{char}`"
    return f"U+{ord(char):04X} ({unicodedata.name(char, 'unnamed character')})"


def _hint(got: str, expected: set[str]) -> str | None:
    for test, text in _HINTS:
        if test(got, expected):
            return text
    return None


def _syntax_diagnostic(
    error: UnexpectedInput, source: SourceFile, line_shift: int = 0, column_shift: int = 0
) -> Diagnostic:
    line = (error.line if error.line and error.line > 0 else 1) + line_shift
    column = (error.column if error.column and error.column > 0 else 1) + (
        column_shift if error.line in (1, -1, None) else 0
    )
    if isinstance(error, UnexpectedCharacters):
        got = source.line_text(line)[column - 1 : column] or "?"
        expected = set(error.allowed or ())
        if got == '"':
            return Diagnostic(
                "DL-PARSE-STRING",
                'this text is not closed: the `"` that opens it has no closing `"` on the same line',
                span=point(source, line, column),
                help='close it with `"` on the same line (texts cannot span lines; write \\" for a quote)',
            )
        return Diagnostic(
            "DL-PARSE-CHARACTER",
            f"unexpected character {_show_character(got)}; expected {_expected_list(expected)}",
            span=point(source, line, column),
            help=_hint(got, expected) or "remove the character, or put the text between double quotes",
        )
    if (isinstance(error, UnexpectedToken) and error.token.type == "$END") or isinstance(
        error, UnexpectedEOF
    ):
        expected = set(getattr(error, "expected", ()) or ())
        last_line = max(1, len(source.text.splitlines()))
        last_text = source.line_text(last_line)
        return Diagnostic(
            "DL-PARSE-EOF",
            f"the file ends too early; expected {_expected_list(expected)}",
            span=point(source, last_line, len(last_text) + 1),
            help=_hint("", expected) or 'is a closing `}` or `"` missing?',
        )
    assert isinstance(error, UnexpectedToken)
    token = error.token
    got = str(token)
    expected = set(getattr(error, "accepts", None) or error.expected)
    help = _hint(got, expected)
    if token.type == "NAME" and _AFTER_NUMBER.search(source.line_text(line)[: column - 1]):
        help = (
            f"`{got}` is not a unit of time; a duration is a number and one of {UNIT_NAMES}, e.g. `4 hours`"
        )
    return Diagnostic(
        "DL-PARSE-TOKEN",
        f"unexpected {_describe(token)}; expected {_expected_list(expected)}",
        span=point(source, line, column, len(got)),
        help=help,
    )


_AFTER_NUMBER = re.compile(r"(?<![\w.])\d[\d_]*(?:\.\d+)?\s+$")  # `4 hrs`: a name right after a number


def _describe(token: Token) -> str:
    if token.type == "NAME":
        return f"name `{token}`"
    if token.type in {"NUMBER", "PERCENT"}:
        return f"number `{token}`"
    if token.type == "STRING":
        return f"text {token}"
    return f"`{token}`"


# ---------------------------------------------------------------- entry points


def parse_module(source: SourceFile) -> tuple[ast.Module | None, list[Diagnostic]]:
    """Parse one policy file. Syntax errors are collected (up to a cap) rather than raised."""
    diagnostics: list[Diagnostic] = []
    recoveries = 0

    def recover(error: UnexpectedInput) -> bool:
        nonlocal recoveries
        recoveries += 1
        diagnostic = _syntax_diagnostic(error, source)
        if not diagnostics or not _same_expectation(diagnostics[-1], diagnostic):
            diagnostics.append(diagnostic)  # else a cascade of the previous error
        # Cascades are not reported, but each costs a diagnosis: a file of one bad token repeated
        # would be diagnosed once per token (minutes for 2 MB). The work stops after a fixed number.
        return (
            len(diagnostics) < MAX_SYNTAX_ERRORS
            and recoveries < MAX_RECOVERIES
            and not isinstance(error, UnexpectedEOF)
        )

    try:
        tree = _lark().parse(source.text, start="start", on_error=recover)
    except UnexpectedInput as error:
        final = _syntax_diagnostic(error, source)
        if not diagnostics or (final != diagnostics[-1] and not _same_expectation(diagnostics[-1], final)):
            diagnostics.append(final)
        return None, _first_per_line(diagnostics)
    if diagnostics:
        return None, _first_per_line(diagnostics)
    too_deep = _nesting_problem(tree, source)
    if too_deep is not None:
        return None, [too_deep]
    transformer = _ToAst(source)
    try:
        declarations = transformer.transform(tree)
    except VisitError as error:  # a bug in the transformer, not in the policy
        raise RuntimeError(f"internal error while reading {source.path}: {error.orig_exc!r}") from error
    module = ast.Module(source.path, tuple(declarations), span=point(source, 1, 1))
    return module, transformer.diagnostics


MAX_NESTING = 100


def _nesting_problem(tree: lark.Tree[Token], source: SourceFile) -> Diagnostic | None:
    """Expressions nested (or chained) deeper than MAX_NESTING: refused before anything recurses."""
    stack: list[tuple[lark.Tree[Token], int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_NESTING:
            line = getattr(node.meta, "line", 1) if not node.meta.empty else 1
            column = getattr(node.meta, "column", 1) if not node.meta.empty else 1
            return Diagnostic(
                "DL-PARSE-LIMIT",
                f"this expression nests more than {MAX_NESTING} levels deep",
                span=point(source, line, column),
                help="split it into named `define`s; no readable policy needs this depth",
            )
        stack.extend((child, depth + 1) for child in node.children if isinstance(child, lark.Tree))
    return None


def parse_expression(text: str, path: str = "<expression>") -> tuple[ast.Expr | None, list[Diagnostic]]:
    """Parse a standalone expression (used by tests and tools)."""
    source = SourceFile(path, text)
    diagnostics: list[Diagnostic] = []
    expr = _parse_fragment(text, source, 1, 1, diagnostics, in_message=False)
    return expr, diagnostics


def _same_expectation(previous: Diagnostic, current: Diagnostic) -> bool:
    return previous.message.partition("; expected")[2] == current.message.partition("; expected")[2] != ""


def _first_per_line(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """Recovery cascades: keep the first error of each line."""
    seen: set[tuple[str, int]] = set()
    kept = []
    for diagnostic in diagnostics:
        key = (diagnostic.where.rsplit(":", 2)[0], diagnostic.span.line if diagnostic.span else 0)
        if key not in seen:
            seen.add(key)
            kept.append(diagnostic)
    return kept


# ---------------------------------------------------------------- concrete syntax (the formatter's)


_COMMENT = re.compile(r"#[^\n]*")


def _lexeme(token: Token) -> Lexeme:
    return Lexeme(
        token.type,
        str(token),
        token.start_pos or 0,
        token.end_pos or 0,
        token.line or 1,
        token.end_line or token.line or 1,
    )


def _branch(tree: lark.Tree[Token]) -> Branch:
    children: list[Branch | Lexeme] = []
    for child in tree.children:
        children.append(_branch(child) if isinstance(child, lark.Tree) else _lexeme(child))
    meta = tree.meta
    start = 0 if meta.empty else meta.start_pos
    end = 0 if meta.empty else meta.end_pos
    return Branch(str(tree.data), tuple(children), start, end)


def parse_concrete(source: SourceFile) -> tuple[Concrete | None, list[Diagnostic]]:
    """The concrete syntax of a policy file (for the formatter), or None and the parser's
    diagnostics when it does not parse (the diagnostics `parse_module` gives)."""
    module, diagnostics = parse_module(source)
    if module is None or any(diagnostic.is_error for diagnostic in diagnostics):
        return None, diagnostics
    interactive = _lark().parse_interactive(source.text, start="start")
    found = [_lexeme(token) for token in interactive.iter_parse() if token.type != "$END"]
    tree = interactive.resume_parse()  # type: ignore[no-untyped-call]
    return Concrete(_branch(tree), tuple(found), _comments_between(source, found), module), diagnostics


def _comments_between(source: SourceFile, tokens: list[Lexeme]) -> tuple[Lexeme, ...]:
    """The comments: what lies between two tokens is only spaces and comments (the grammar
    ignores both), so each `#...` found there is one."""
    comments: list[Lexeme] = []
    text = source.text
    edges = [0, *(offset for token in tokens for offset in (token.start, token.end)), len(text)]
    for gap_start, gap_end in zip(edges[::2], edges[1::2], strict=True):
        for match in _COMMENT.finditer(text, gap_start, gap_end):
            line, _ = source.position(match.start())
            comments.append(Lexeme("COMMENT", match.group(), match.start(), match.end(), line, line))
    return tuple(comments)


def expected_at(prefix: str) -> frozenset[str] | None:
    """What the grammar accepts after PREFIX (the text of a file before a cursor), for completion:
    a keyword or operator as its text (`when`, `{`), any other token by its terminal's name
    (`NAME`, `NUMBER`, `STRING`, ...). None when PREFIX does not read as the start of a file (a
    syntax error before the cursor)."""
    parser = _lark()
    try:
        interactive = parser.parse_interactive(prefix, start="start")
        interactive.exhaust_lexer()
        accepted: set[str] = interactive.accepts()  # type: ignore[no-untyped-call]
    except (UnexpectedInput, lark.exceptions.LarkError):
        return None
    shown: set[str] = set()
    for name in accepted:
        if name == "$END":
            continue
        try:
            pattern = parser.get_terminal(name).pattern
        except KeyError:
            shown.add(name)
            continue
        if name in KEYWORD_TERMINALS:  # two words as one token: offered as they are written
            shown.add(KEYWORD_TERMINALS[name])
            continue
        shown.add(pattern.value if isinstance(pattern, lark.lexer.PatternStr) else name)
    return frozenset(shown)
