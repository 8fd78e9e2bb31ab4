"""Where a value is written in a YAML file (Spot): kept by loaded subjects, so in the cache's
pickles. It lives apart from the YAML reader so that unpickling a cached portfolio imports no
YAML machinery (ruamel is loaded only when a file is actually read)."""

from __future__ import annotations

from typing import NamedTuple

from decisionlang.core.spans import SourceFile, Span, point


class Spot(NamedTuple):
    """Where a key, value or item is written: 1-based line and column."""

    line: int
    column: int

    def width(self, source: SourceFile) -> int:
        """Width of the token written here; only computed for the few spots a diagnostic shows."""
        from decisionlang.inputs.yamlreader import token_width

        return token_width(source.line_text(self.line), self.column - 1)

    def span(self, source: SourceFile) -> Span:
        return point(source, self.line, self.column, self.width(source))
