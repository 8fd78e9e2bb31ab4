"""The concrete syntax of a policy file: its parse tree with every token, comments included.

The typed AST (`decisionlang.language.ast`) keeps what a policy means; the formatter also needs
how it was written: the keywords, the parentheses and the comments, each with its position.
`decisionlang.language.parser.parse_concrete` builds this from the grammar's own parse, so the
formatter reads the same structure the compiler does without knowing the parser library.
"""

from __future__ import annotations

from dataclasses import dataclass

from decisionlang.language import ast


@dataclass(frozen=True, slots=True)
class Lexeme:
    """One token as the lexer read it: `kind` is the grammar's terminal name (NAME, STRING,
    COMMENT, or a keyword's or punctuation's terminal), `start`/`end` character offsets and
    `line`/`end_line` 1-based lines."""

    kind: str
    text: str
    start: int
    end: int
    line: int
    end_line: int


@dataclass(frozen=True, slots=True)
class Branch:
    """A node of the parse tree: `kind` is the grammar rule (or its alias, e.g. `and_op`);
    `children` hold the nodes and the named tokens in source order (keywords and punctuation
    are implied by the rule and found in `Concrete.tokens`)."""

    kind: str
    children: tuple[Branch | Lexeme, ...]
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Concrete:
    """A parsed file: the tree, every token but comments in order, the comments in order, and
    the typed syntax tree of the same text."""

    tree: Branch
    tokens: tuple[Lexeme, ...]
    comments: tuple[Lexeme, ...]
    module: ast.Module
