"""Open state files (undeclared keys ignored unless misspelt), `schema strict`, and JSON state files."""

from __future__ import annotations

import json
import string
from pathlib import Path

from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from support import write_project

from decisionlang import cli
from decisionlang.core.diagnostics import Diagnostic, render_text
from decisionlang.core.hints import misspelling_of, typo_allowance
from decisionlang.core.subjects import Portfolio
from decisionlang.inputs.states import load_states
from decisionlang.inputs.yamlreader import read_yaml
from decisionlang.language.types import NUMBER, TEXT, FieldSpec

SCHEMA = {
    spec.path: spec
    for spec in (
        FieldSpec("git.vulnerabilities.critical", NUMBER, integer=True),
        FieldSpec("git.vulnerabilities.high", NUMBER, integer=True),
        FieldSpec("git.default_branch", TEXT),
        FieldSpec("risk.security", NUMBER),
        FieldSpec("tier", NUMBER, integer=True),
    )
}


def strict(schema: dict[str, FieldSpec], *paths: str) -> dict[str, FieldSpec]:
    from dataclasses import replace

    return {path: replace(spec, strict=path in paths) for path, spec in schema.items()}


def load(
    text: str, path: str = "services/a.yaml", schema: dict[str, FieldSpec] = SCHEMA
) -> tuple[Portfolio, list[Diagnostic]]:
    return load_states([(path, text)], schema)


# ---------------------------------------------------------------------------------------------
# open schemas


def test_an_undeclared_key_is_ignored_and_listed_with_its_position() -> None:
    portfolio, diagnostics = load(
        "name: a\ngit:\n  vulnerabilities: {critical: 0, high: 1, medium: 3}\n  stars: 12\ncolour: blue\n"
    )
    assert diagnostics == []
    assert [s.name for s in portfolio.subjects] == ["a"]
    assert [(f.path, f.line, f.column, f.subject) for f in portfolio.ignored] == [
        ("git.vulnerabilities.medium", 3, 43, "a"),
        ("git.stars", 4, 3, "a"),
        ("colour", 5, 1, "a"),
    ]
    assert "colour" not in portfolio.by_name["a"].fields


def test_the_hint_never_proposes_the_keys_parent() -> None:
    # Before: `git.vulnerabilities.medium` got "did you mean `git.vulnerabilities`?" and the run stopped.
    _, diagnostics = load("name: a\ngit.vulnerabilities.medium: 3\n")
    assert diagnostics == []


def test_a_misspelt_sibling_is_an_error_with_the_sibling() -> None:
    _, diagnostics = load("name: a\ngit:\n  vulnerabilities: {critcal: 1}\n")
    assert [(d.code, d.help) for d in diagnostics] == [
        ("DL-STATE-UNKNOWN-FIELD", "did you mean `git.vulnerabilities.critical`?")
    ]
    assert (diagnostics[0].span.line, diagnostics[0].span.column) == (3, 21)  # type: ignore[union-attr]


def test_a_misspelt_mapping_in_a_dotted_key_keeps_what_follows() -> None:
    _, diagnostics = load("name: a\ngit.vulnerabilites.high: 1\n")
    assert [d.help for d in diagnostics] == ["did you mean `git.vulnerabilities.high`?"]


def test_a_key_of_another_mapping_is_no_sibling() -> None:
    # `security` is declared under `risk`, not under `git`: at `git.securty` it is other data.
    portfolio, diagnostics = load("name: a\ngit: {securty: 1}\n")
    assert diagnostics == []
    assert [f.path for f in portfolio.ignored] == ["git.securty"]


def test_a_key_below_a_declared_value_is_a_type_error() -> None:
    _, diagnostics = load("name: a\ntier.level: 2\n")
    assert [d.code for d in diagnostics] == ["DL-STATE-TYPE"]
    assert "`tier` is a single value (an integer)" in diagnostics[0].message


def test_schema_strict_refuses_undeclared_keys_in_the_mappings_it_declares() -> None:
    schema = strict(SCHEMA, "git.vulnerabilities.critical")
    portfolio, diagnostics = load(
        "name: a\ngit:\n  vulnerabilities: {critical: 0, medium: 3}\n  stars: 2\nrisk: {colour: red}\n",
        schema=schema,
    )
    rendered = [render_text(d) for d in diagnostics]
    assert [d.code for d in diagnostics] == ["DL-STATE-UNKNOWN-FIELD"] * 2
    assert "field `git.vulnerabilities.medium` is not declared" in rendered[0]
    assert "`git.vulnerabilities.critical`, `git.vulnerabilities.high`" in rendered[0]
    assert "field `git.stars` is not declared" in rendered[1]
    # `risk` is declared by a block that is not strict: still open.
    assert [f.path for f in portfolio.ignored] == ["risk.colour"]


def test_schema_strict_closes_the_top_level() -> None:
    _, diagnostics = load("name: a\ncolour: blue\n", schema=strict(SCHEMA, "tier"))
    assert [(d.code, d.message) for d in diagnostics] == [
        ("DL-STATE-UNKNOWN-FIELD", "field `colour` is not declared")
    ]


NAMES = st.text(alphabet=string.ascii_lowercase + "_", min_size=1, max_size=12)


@settings(max_examples=300, deadline=None)
@given(parent=NAMES, children=st.lists(NAMES, min_size=1, max_size=5, unique=True), key=NAMES)
def test_the_hint_is_always_a_sibling_never_the_parent(parent: str, children: list[str], key: str) -> None:
    """Whatever key is written under `parent`, a hint names a declared child of `parent`."""
    schema = {f"{parent}.{child}": FieldSpec(f"{parent}.{child}", NUMBER) for child in children}
    if key in children or parent in ("name", "kind", "owner", "tags", "depends_on", "targets"):
        return
    _, diagnostics = load_states([("s.yaml", f'name: a\n"{parent}":\n  "{key}": 1\n')], schema)
    hints = [d.help for d in diagnostics if d.help and d.help.startswith("did you mean")]
    assert len(diagnostics) == len(hints) <= 1
    for hint in hints:
        meant = hint.removeprefix("did you mean `").removesuffix("`?")
        assert meant != parent
        assert meant in schema
    assert bool(hints) == (misspelling_of(key, children) is not None)


@settings(max_examples=300, deadline=None)
@given(name=st.text(alphabet=string.ascii_lowercase, min_size=4, max_size=14), data=st.data())
def test_one_letter_dropped_from_a_declared_name_is_a_typo(name: str, data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(name) - 1))
    typo = name[:index] + name[index + 1 :]
    if typo == name:
        return
    assert misspelling_of(typo, [name]) == name
    assert typo_allowance(typo, name) >= 1


def test_short_names_with_another_letter_are_other_names() -> None:
    assert misspelling_of("host", ["cost"]) is None
    assert misspelling_of("medium", ["high", "critical"]) is None
    assert misspelling_of("On-Call", ["on_call"]) == "on_call"
    assert misspelling_of("securtiy", ["security"]) == "security"


@settings(max_examples=300, deadline=None)
@given(name=st.text(alphabet=string.ascii_lowercase, min_size=3, max_size=14), data=st.data())
def test_two_neighbouring_letters_swapped_are_a_typo_even_in_a_short_name(
    name: str, data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, len(name) - 2))
    typo = name[:index] + name[index + 1] + name[index] + name[index + 2 :]
    if typo == name:
        return
    assert misspelling_of(typo, [name]) == name  # `hihg` for `high`


def test_a_swapped_short_sibling_key_is_an_error_not_an_ignored_key() -> None:
    _, diagnostics = load("name: a\ngit:\n  vulnerabilities: {hihg: 1}\n")
    assert [(d.code, d.help) for d in diagnostics] == [
        ("DL-STATE-UNKNOWN-FIELD", "did you mean `git.vulnerabilities.high`?")
    ]


# ---------------------------------------------------------------------------------------------
# JSON state files


def test_a_json_state_file_reads_like_yaml_with_positions() -> None:
    text = '{\n\t"name": "a",\n\t"tier": 2,\n\t"git": {"vulnerabilities": {"critical": 1}, "stars": 3}\n}\n'
    portfolio, diagnostics = load(text, path="services/a.json")
    assert diagnostics == []
    subject = portfolio.by_name["a"]
    assert subject.fields["tier"] == 2 and subject.fields["git.vulnerabilities.critical"] == 1
    assert subject.location_of("tier") == (3, 10)
    assert subject.location_of("git.vulnerabilities.critical") == (4, 42)
    assert [(f.path, f.line, f.column) for f in portfolio.ignored] == [("git.stars", 4, 46)]


def test_json_values_are_validated_where_they_are_written() -> None:
    _, diagnostics = load('{"name": "a",\n "tier": "two"}', path="services/a.json")
    assert [(d.code, d.where) for d in diagnostics] == [("DL-STATE-TYPE", "services/a.json:2:10")]


def test_json_subject_lists() -> None:
    text = json.dumps({"services": [{"name": "a", "tier": 1}, {"name": "b", "tier": 3}]}, indent=2)
    portfolio, diagnostics = load(text, path="services/all.json")
    assert diagnostics == []
    assert [s.name for s in portfolio.subjects] == ["a", "b"]


def json_problem(text: str) -> Diagnostic:
    read = read_yaml(("s.json", text), prefix="DL-STATE")
    assert read.documents == ()
    (diagnostic,) = read.diagnostics
    return diagnostic


def test_json_syntax_errors_are_located() -> None:
    cases = {
        '{"a": 1,}': ("DL-STATE-JSON", "s.json:1:9", "expecting property name enclosed in double quotes"),
        "{'a': 1}": ("DL-STATE-JSON", "s.json:1:2", "expecting property name"),
        '{"a": 1}\n# note': ("DL-STATE-JSON", "s.json:2:1", "extra data"),
        '{"a": NaN}': ("DL-STATE-JSON", "s.json:1:7", "`NaN` is not a JSON value"),
        '{"a": -Infinity}': ("DL-STATE-JSON", "s.json:1:7", "`-Infinity` is not a JSON value"),
        '{"a": "x\ty"}': ("DL-STATE-JSON", "s.json:1:9", "a control character in a text"),
        '{"a": 1, "a": 2}': ("DL-STATE-JSON", "s.json:1:10", 'duplicate key "a"'),
        "": ("DL-STATE-JSON", "s.json:1:1", "expecting value"),
    }
    for text, (code, where, message) in cases.items():
        diagnostic = json_problem(text)
        assert (diagnostic.code, diagnostic.where) == (code, where), text
        assert message in diagnostic.message, (text, diagnostic.message)


def test_json_shares_the_limits() -> None:
    deep = json_problem("[" * 100 + "]" * 100)
    assert (deep.code, deep.where) == ("DL-STATE-LIMIT", "s.json:1:65")
    long_key = json_problem('{"' + "k" * 1100 + '": 1}')
    assert long_key.code == "DL-STATE-LIMIT" and "1100 characters" in long_key.message
    assert json_problem("[" * 100_000 + "]" * 100_000).code == "DL-STATE-LIMIT"  # beyond Python's own parser


def test_json_numbers_texts_and_escapes() -> None:
    text = (
        '{"a": 1e5, "b": 123456789012345678901234567890, "c": "\\ud83d\\ude00\\/",'
        ' "d": "2026-01-01", "e": 1E400}'
    )
    (document,) = read_yaml(("s.json", text), prefix="DL-STATE").documents
    value = document.value
    assert value["a"] == 100000.0 and value["b"] == 123456789012345678901234567890
    assert value["c"] == "😀/" and value["d"] == "2026-01-01"  # a JSON text stays text
    assert type(value["e"]).__name__ == "OutOfRange"


def test_validate_reads_json_states_and_lists_ignored_keys(tmp_path: Path) -> None:
    root = write_project(
        tmp_path,
        {
            "services/b.json": '{"name": "beta", "criticality": "low", "risk": 2, "colour": "blue"}\n',
        },
    )
    quiet = CliRunner().invoke(cli.main, ["validate", str(root)])
    assert quiet.exit_code == 0, quiet.output
    assert "2 subjects" in quiet.stdout
    assert "1 ignored field (--verbose lists them)" in quiet.stdout
    verbose = CliRunner().invoke(cli.main, ["validate", "--verbose", str(root)])
    assert (
        "services/b.json:1:51: ignored: `colour` of subject `beta` is declared by no schema" in verbose.stdout
    )
    payload = json.loads(
        CliRunner().invoke(cli.main, ["validate", "-v", "--format", "json", str(root)]).stdout
    )
    assert payload["ignored_fields"] == [
        {
            "path": "colour",
            "subject": "beta",
            "location": {"file": "services/b.json", "line": 1, "column": 51},
        }
    ]
    assert payload["states"] == 2


def test_validate_lists_ignored_keys_of_list_items_named_as_traces_name_them(tmp_path: Path) -> None:
    policy = (
        "schema { git.pull_requests: list of { status: text, age_days: integer } }\n"
        "policy hygiene {\n"
        '  not_yet stale when any(pr in git.pull_requests: pr.status == "OPEN" and pr.age_days > 30)\n'
        "}\n"
    )
    state = (
        "name: s\ngit:\n  pull_requests:\n    - {status: MERGED, age_days: 1}\n"
        "    - status: OPEN\n      age_days: 45\n      foo: 1\n"
    )
    root = tmp_path / "repo"
    for relative, text in {"policies/p.policy": policy, "services/s.yaml": state}.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text, encoding="utf-8")
    verbose = CliRunner().invoke(cli.main, ["validate", "--verbose", str(root)])
    assert verbose.exit_code == 0, verbose.output
    line = "services/s.yaml:7:7: ignored: `git.pull_requests[1].foo` of subject `s` is declared by no schema"
    assert line in verbose.stdout.splitlines()
    payload = json.loads(
        CliRunner().invoke(cli.main, ["validate", "-v", "--format", "json", str(root)]).stdout
    )
    assert payload["ignored_fields"] == [
        {
            "path": "git.pull_requests[1].foo",
            "subject": "s",
            "location": {"file": "services/s.yaml", "line": 7, "column": 7},
        }
    ]
    # the same item as the trace names it
    explained = json.loads(CliRunner().invoke(cli.main, ["check", "--format", "json", str(root)]).stdout)
    assert "git.pull_requests[1].status" in json.dumps(explained)


def test_a_broken_json_state_is_invalid_input(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"services/b.json": '{"name": "beta",}\n'})
    result = CliRunner().invoke(cli.main, ["validate", str(root)])
    assert result.exit_code == 2
    assert "services/b.json:1:17: error[DL-STATE-JSON]: invalid JSON" in result.stderr


def test_keys_of_list_items_follow_the_same_rule() -> None:
    from decisionlang.language.types import RecordType, list_of, record_of

    item = record_of((FieldSpec("status", TEXT), FieldSpec("age_days", NUMBER, integer=True)))
    assert isinstance(item, RecordType)
    schema = {"prs": FieldSpec("prs", list_of(item))}
    text = "name: a\nprs:\n  - {status: OPEN, age_days: 3, labels: [x]}\n  - {statuss: OPEN}\n"
    portfolio, diagnostics = load(text, schema=schema)
    assert [(d.code, d.where, d.help) for d in diagnostics] == [
        ("DL-STATE-UNKNOWN-FIELD", "services/a.yaml:4:6", "did you mean `status`?")
    ]
    assert [(f.path, f.line, f.column) for f in portfolio.ignored] == [("prs[0].labels", 3, 33)]
    _, closed = load(text.replace("  - {statuss: OPEN}\n", ""), schema=strict(schema, "prs"))
    assert [(d.code, d.where) for d in closed] == [("DL-STATE-UNKNOWN-FIELD", "services/a.yaml:3:33")]
