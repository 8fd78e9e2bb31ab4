"""`decisionlang lsp`: a language server for policy files and state YAML, a shell over the library
API like the CLI (diagnostics as you type, hover, definitions and references, completion,
document symbols, formatting, code lenses).

It needs the optional extra `decisionlang[lsp]` (pygls and lsprotocol); only `server` and the
modules it imports use them, and `decisionlang.cli.lsp` imports `server` only once they are there.
"""

from __future__ import annotations

INSTALL_HINT = "pip install 'decisionlang[lsp]'"
