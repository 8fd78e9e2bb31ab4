"""The VS Code extension in editors/vscode: its grammar, snippets, manifest and package.

The grammar is checked two ways: the construct-by-construct test files in
editors/vscode/test/grammar (run with vscode-tmgrammar-test), and against the parser itself: every
shipped policy is tokenised with vscode-textmate (as VS Code does) and each token the parser's
contextual lexer reads (keywords, names, texts, numbers, and the comments it skips) must carry the
matching scope, with no `invalid` scope anywhere.

The node toolchain comes from editors/vscode/package-lock.json (`npm ci`, once: node_modules is
kept between runs; `make unit` installs it before the tests). Without `npm` these tests are skipped.
"""

from __future__ import annotations

import fcntl
import json
import re
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from decisionlang.core.spans import SourceFile
from decisionlang.language.parser import _lark, parse_module

ROOT = Path(__file__).resolve().parent.parent
EXTENSION = ROOT / "editors" / "vscode"
GRAMMAR = EXTENSION / "syntaxes" / "decisionlang.tmLanguage.json"
SHIPPED = sorted([*ROOT.glob("policies/**/*.policy"), *ROOT.glob("examples/**/*.policy")])
DOCS = sorted([*ROOT.glob("docs/*.md"), ROOT / "README.md"])

TmToken = tuple[int, int, int, list[str]]  # line (from 1), start, end (UTF-16 units), scopes


def _npm() -> str:
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed: the VS Code extension's tests need node 20+ and npm")
    return npm


def _installed() -> bool:
    stamp = EXTENSION / "node_modules" / ".package-lock.json"
    lock = EXTENSION / "package-lock.json"
    return stamp.exists() and stamp.stat().st_mtime >= lock.stat().st_mtime


@pytest.fixture(scope="session")
def node_toolchain() -> Path:
    """editors/vscode/node_modules, installed with `npm ci` if it is missing or older than the lock."""
    npm = _npm()
    if not _installed():
        with open(EXTENSION / ".npm-install.lock", "w") as lock:  # pytest-xdist workers wait here
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not _installed():
                subprocess.run(
                    [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                    cwd=EXTENSION,
                    check=True,
                    timeout=600,
                )
    return EXTENSION / "node_modules"


def _bin(node_toolchain: Path, name: str) -> str:
    return str(node_toolchain / ".bin" / name)


def _run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=EXTENSION, capture_output=True, text=True, timeout=300, **kwargs)


# ---------------------------------------------------------------- grammar


def test_the_grammar_test_files_pass(node_toolchain: Path) -> None:
    """editors/vscode/test/grammar/*.policy: one assertion per construct (vscode-tmgrammar-test)."""
    files = [str(path.relative_to(EXTENSION)) for path in GRAMMAR_TESTS]
    assert len(files) >= 3
    for path in GRAMMAR_TESTS:  # the constructs are tested as the language writes them
        assert not parse_module(SourceFile(path.name, path.read_text(encoding="utf-8")))[1], path
    result = _run([_bin(node_toolchain, "vscode-tmgrammar-test"), "-g", str(GRAMMAR), *files])
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("run successfuly") == len(files), result.stdout


def _tokenise(node_toolchain: Path, files: list[Path]) -> dict[str, list[TmToken]]:
    node = shutil.which("node")
    assert node is not None
    result = _run([node, "test/tokenize.js", *map(str, files)])
    assert result.returncode == 0, result.stderr
    raw: dict[str, list[list[Any]]] = json.loads(result.stdout)
    return {
        name: [(line, start, end, scopes) for line, start, end, scopes in tokens]
        for name, tokens in raw.items()
    }


def _documented_policies() -> dict[str, str]:
    """The docs' ```decisionlang blocks that parse without a diagnostic (some show errors on purpose)."""
    blocks: dict[str, str] = {}
    for document in DOCS:
        text = document.read_text(encoding="utf-8")
        for match in re.finditer(r"^```decisionlang\n(.*?)^```", text, re.MULTILINE | re.DOTALL):
            line = text.count("\n", 0, match.start()) + 1
            if not parse_module(SourceFile("block.policy", match.group(1)))[1]:
                blocks[f"{document.relative_to(ROOT)}:{line}"] = match.group(1)
    return blocks


GRAMMAR_TESTS = sorted((EXTENSION / "test" / "grammar").glob("*.policy"))
CASES = {
    **{str(path.relative_to(ROOT)): path.read_text(encoding="utf-8") for path in [*SHIPPED, *GRAMMAR_TESTS]},
    **_documented_policies(),
}


@pytest.fixture(scope="module")
def case_tokens(node_toolchain: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[TmToken]]:
    """Every case tokenised in one node process (one file per case, in a temporary directory)."""
    assert len(SHIPPED) >= 20 and len(CASES) >= len(SHIPPED) + 20
    directory = tmp_path_factory.mktemp("grammar-cases")
    files = {}
    for number, (name, text) in enumerate(CASES.items()):
        files[name] = directory / f"{number}.policy"
        files[name].write_text(text, encoding="utf-8")
    tokens = _tokenise(node_toolchain, list(files.values()))
    return {name: tokens[str(path)] for name, path in files.items()}


def _utf16(text: str, column: int) -> int:
    """The UTF-16 offset of code-point `column` (from 0) in `text`."""
    return len(text[:column].encode("utf-16-le")) // 2


def _scopes_over(tokens: list[TmToken], line: int, start: int, end: int) -> list[list[str]]:
    return [scopes for (at, begin, stop, scopes) in tokens if at == line and begin < end and stop > start]


KEYWORD_SCOPES = ("keyword.", "storage.", "constant.language.")
WORD = re.compile(r"[^\W\d]\w*\Z")


def _expected_scope(kind: str, text: str) -> tuple[str, ...] | None:
    """The scope prefixes a parser token of this kind must carry as its innermost scope (None: any)."""
    if kind == "STRING":
        return ("string.quoted.double", "punctuation.definition.string", "constant.character.escape",
                "punctuation.section.interpolation", "meta.embedded", "variable.", "keyword.",
                "constant.", "support.function", "entity.name.function.call", "punctuation.")  # fmt: skip
    if kind in ("NUMBER", "PERCENT", "DATE"):
        return ("constant.numeric.",)
    if kind == "NAME":
        return ("variable.", "entity.name.", "support.function.", "support.type.")
    if WORD.match(text):  # a keyword: an anonymous token the grammar spells as a word
        return KEYWORD_SCOPES
    return None


def _parser_tokens(text: str) -> Iterator[tuple[str, str, int, int, int]]:
    """(kind, text, line, start column, end column) of every token, as the contextual lexer reads them."""
    interactive = _lark().parse_interactive(text, start="start")
    for token in interactive.iter_parse():
        yield token.type, str(token), token.line, token.column - 1, token.end_column - 1


@pytest.mark.parametrize("policy", sorted(CASES))
def test_the_grammar_scopes_every_shipped_policy_as_the_parser_reads_it(
    policy: str, case_tokens: dict[str, list[TmToken]]
) -> None:
    """Every shipped policy and every policy in the docs, as the parser's contextual lexer reads it."""
    text = CASES[policy]
    lines = text.split("\n")
    tokens = case_tokens[policy]
    invalid = [(line, start, lines[line - 1][start:end]) for line, start, end, scopes in tokens
               if any(scope.startswith("invalid") for scope in scopes)]  # fmt: skip
    assert not invalid, f"{policy}: scoped invalid: {invalid[:5]}"

    covered: dict[int, list[tuple[int, int]]] = {}
    problems: list[str] = []
    for kind, word, line, start, end in _parser_tokens(text):
        covered.setdefault(line, []).append((start, end))
        expected = _expected_scope(kind, word)
        if expected is None:
            continue
        source = lines[line - 1]
        for scopes in _scopes_over(tokens, line, _utf16(source, start), _utf16(source, end)):
            innermost = scopes[-1]
            if kind == "STRING" and not any(scope.startswith("string.quoted.double") for scope in scopes):
                problems.append(f"{line}:{start + 1} text {word!r} is not in a string scope: {scopes}")
            elif not innermost.startswith(expected):
                problems.append(f"{line}:{start + 1} {kind} {word!r} is scoped {innermost}")
    # the comments: from a `#` outside every token to the end of its line
    for number, source in enumerate(lines, start=1):
        spans = covered.get(number, [])
        for column, char in enumerate(source):
            if char == "#" and not any(start <= column < end for start, end in spans):
                for scopes in _scopes_over(
                    tokens, number, _utf16(source, column), _utf16(source, len(source))
                ):
                    if not any(scope.startswith("comment.line.number-sign") for scope in scopes):
                        problems.append(f"{number}:{column + 1} the comment is scoped {scopes}")
                break
    assert not problems, f"{policy}:\n" + "\n".join(problems[:20])


def test_the_grammar_marks_what_the_parser_refuses(node_toolchain: Path, tmp_path: Path) -> None:
    """A text left open and a single-quoted text are `invalid`; the parser refuses both."""
    bad = tmp_path / "bad.policy"
    bad.write_text("policy p {\n  warn when name == 'x'\n  warn when name == \"open\n}\n", encoding="utf-8")
    _, diagnostics = parse_module(SourceFile(str(bad), bad.read_text(encoding="utf-8")))
    assert diagnostics
    tokens = _tokenise(node_toolchain, [bad])[str(bad)]
    lines_with_invalid = {
        line for line, _, _, scopes in tokens if any(s.startswith("invalid") for s in scopes)
    }
    assert lines_with_invalid == {2, 3}


def test_the_grammar_reads_accented_names_and_emoji(node_toolchain: Path, tmp_path: Path) -> None:
    policy = tmp_path / "unicode.policy"
    policy.write_text(
        'const coût = 3\npolicy p { warn when criticité > 2 because "🔥 {coût}" }\n', encoding="utf-8"
    )
    tokens = _tokenise(node_toolchain, [policy])[str(policy)]
    names = {(line, start, end): scopes[-1] for line, start, end, scopes in tokens}
    assert names[(1, 6, 10)] == "variable.other.constant.decisionlang"
    assert names[(2, 21, 30)] == "variable.other.decisionlang"
    # the emoji is two UTF-16 units: the name in the interpolation after it starts at 48
    assert names[(2, 48, 52)] == "variable.other.decisionlang"


# ---------------------------------------------------------------- manifest, snippets, configuration


def _manifest() -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads((EXTENSION / "package.json").read_text(encoding="utf-8"))
    return manifest


def test_the_manifest_contributes_the_language_and_its_files() -> None:
    contributes = _manifest()["contributes"]
    (language,) = contributes["languages"]
    assert language["id"] == "decisionlang" and language["extensions"] == [".policy"]
    for entry in [language["configuration"], *(g["path"] for g in contributes["grammars"]),
                  *(s["path"] for s in contributes["snippets"])]:  # fmt: skip
        assert (EXTENSION / entry).is_file(), entry
    grammar = json.loads(GRAMMAR.read_text(encoding="utf-8"))
    assert contributes["grammars"][0]["scopeName"] == grammar["scopeName"] == "source.decisionlang"


def test_the_language_configuration_comments_with_a_hash() -> None:
    configuration = json.loads((EXTENSION / "language-configuration.json").read_text(encoding="utf-8"))
    assert configuration["comments"] == {"lineComment": "#"}
    assert ["{", "}"] in configuration["brackets"]
    for rule in configuration["indentationRules"].values():
        re.compile(rule)


_PLACEHOLDER = re.compile(r"\$\{\d+:([^{}]*)\}|\$\{\d+\|([^,|]*)[^}]*\}|\$\d+")


def _expand(body: list[str]) -> str:
    """A snippet as it reads once inserted with every default accepted."""
    text = "\n".join(body)
    while _PLACEHOLDER.search(text):
        text = _PLACEHOLDER.sub(lambda m: m.group(1) or m.group(2) or "", text)
    return text


def test_every_snippet_expands_to_a_policy_the_parser_reads() -> None:
    snippets = json.loads((EXTENSION / "snippets" / "decisionlang.code-snippets").read_text(encoding="utf-8"))
    prefixes = {snippet["prefix"] for snippet in snippets.values()}
    assert {"policy", "rule", "criteria", "maturity", "tradeoff", "schema"} <= prefixes
    for name, snippet in snippets.items():
        text = _expand(snippet["body"])
        if snippet["prefix"] in ("rule", "require", "applies"):  # a policy item: inside a policy
            text = (
                f"policy p {{\n{text}\n}}"
                if snippet["prefix"] != "require"
                else f"maturity m {{ level l {{\n{text}\n}} }}"
            )
        _, diagnostics = parse_module(SourceFile(f"{name}.policy", text + "\n"))
        assert not diagnostics, (name, text, [d.message for d in diagnostics])


# ---------------------------------------------------------------- client and package


def test_the_client_typechecks(node_toolchain: Path) -> None:
    result = _run([_bin(node_toolchain, "tsc"), "--noEmit", "-p", "."])
    assert result.returncode == 0, result.stdout + result.stderr


def test_vsce_packages_a_self_contained_vsix(node_toolchain: Path, tmp_path: Path) -> None:
    """`vsce package` (which bundles the client with esbuild first) makes a .vsix holding the
    manifest, grammar, language configuration, snippets and one client bundle, and no node_modules."""
    vsix = tmp_path / "decisionlang.vsix"
    command = [_bin(node_toolchain, "vsce"), "package", "--no-dependencies", "--allow-missing-repository",
               "--skip-license", "--out", str(vsix)]  # fmt: skip
    result = _run(command)
    assert result.returncode == 0, result.stdout + result.stderr
    with zipfile.ZipFile(vsix) as archive:
        names = set(archive.namelist())
        manifest = json.loads(archive.read("extension/package.json"))
        bundle = archive.read("extension/dist/extension.js").decode("utf-8")
    assert {
        "extension.vsixmanifest",
        "extension/package.json",
        "extension/language-configuration.json",
        "extension/syntaxes/decisionlang.tmLanguage.json",
        "extension/snippets/decisionlang.code-snippets",
        "extension/dist/extension.js",
    } <= names
    assert not [name for name in names if "node_modules" in name or name.endswith(".ts")]
    assert manifest["main"] == "./dist/extension.js"
    # vscode-languageclient is inside the bundle: the only module left to load is VS Code's own
    assert not re.findall(r'require\("vscode-languageclient', bundle)
    assert 'require("vscode")' in bundle and "lsp" in bundle
