"""Parser: the grammar builds without conflicts, the AST is right, and syntax errors read well."""

from __future__ import annotations

import datetime as dt

import pytest
from support import check_golden

from decisionlang.core.diagnostics import render_text
from decisionlang.core.spans import SourceFile
from decisionlang.language import ast
from decisionlang.language.parser import build_parser_strictly, parse_expression, parse_module


def parse(text: str) -> ast.Module:
    module, diagnostics = parse_module(SourceFile("test.policy", text))
    assert not diagnostics, [render_text(d) for d in diagnostics]
    assert module is not None
    return module


def expr(text: str) -> ast.Expr:
    node, diagnostics = parse_expression(text)
    assert not diagnostics, [render_text(d) for d in diagnostics]
    assert node is not None
    return node


def test_grammar_builds_strictly_without_conflicts() -> None:
    build_parser_strictly()


def test_precedence_and_or_not_comparison_arithmetic() -> None:
    node = expr("not a > 1 + 2 * 3 and b or c")
    assert isinstance(node, ast.Logical) and node.op is ast.LogicOp.OR
    left = node.left
    assert isinstance(left, ast.Logical) and left.op is ast.LogicOp.AND
    negation = left.left
    assert isinstance(negation, ast.Unary) and negation.op is ast.UnaryOp.NOT
    comparison = negation.operand
    assert isinstance(comparison, ast.Compare)
    assert comparison.right == ast.Arithmetic(
        ast.ArithOp.ADD,
        ast.Number(1, "1", span=comparison.span),
        ast.Arithmetic(
            ast.ArithOp.MUL,
            ast.Number(2, "2", span=comparison.span),
            ast.Number(3, "3", span=comparison.span),
            span=comparison.span,
        ),
        span=comparison.span,
    )


def test_spans_are_left_out_of_equality() -> None:
    assert expr("risk.security >= 8") == expr("risk.security   >=   8")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("85%", ast.Number(0.85, "85%", span=None)),  # type: ignore[arg-type]
        ("12_000", ast.Number(12000, "12_000", span=None)),  # type: ignore[arg-type]
        ("2027-03-31", ast.DateLiteral(dt.date(2027, 3, 31), span=None)),  # type: ignore[arg-type]
        ("90 days", ast.DurationLiteral(90, "90 days", span=None)),  # type: ignore[arg-type]
        ("3 months", ast.DurationLiteral(90, "3 months", span=None)),  # type: ignore[arg-type]
        ('"criticité élevée"', ast.Text("criticité élevée", span=None)),  # type: ignore[arg-type]
        ("today", ast.Today(span=None)),  # type: ignore[arg-type]
    ],
)
def test_literals(text: str, expected: ast.Expr) -> None:
    assert expr(text) == expected


def test_quantifier_and_call_are_told_apart() -> None:
    quantifier = expr("all(d in depends_on: d.tier <= tier)")
    assert isinstance(quantifier, ast.Quantifier)
    assert (quantifier.function, quantifier.variable) == ("all", "d")
    call = expr('count("ai" in tags)')
    assert isinstance(call, ast.Call) and isinstance(call.args[0], ast.Membership)


def test_text_tests_and_presence() -> None:
    assert isinstance(expr('name starts with "pay"'), ast.TextTest)
    assert expr("owner is missing") == ast.Presence(ast.Name("owner", span=None), False, span=None)  # type: ignore[arg-type]
    assert isinstance(expr('kind not in ["a", "b"]'), ast.Membership)


def test_keywords_are_names_where_the_grammar_expects_a_name() -> None:
    node = expr("kind == level and weight > 2")
    assert isinstance(node, ast.Logical)


def test_unicode_identifiers() -> None:
    module = parse("schema { criticité: number lisibilité.flux: integer 0..5 }\n")
    schema = module.declarations[0]
    assert isinstance(schema, ast.SchemaDecl)
    assert [f.path for f in schema.fields] == ["criticité", "lisibilité.flux"]


def test_message_interpolation_is_parsed_and_placed() -> None:
    module = parse('policy p { no_go when x > 1 because "cost {cost.monthly_eur} € > {budget}" }')
    policy = module.declarations[0]
    assert isinstance(policy, ast.PolicyDecl)
    because = policy.rules[0].because
    assert because is not None
    texts = [part for part in because.parts if isinstance(part, str)]
    exprs = [part for part in because.parts if isinstance(part, ast.Expr)]
    assert texts == ["cost ", " € > "]
    assert exprs[0].span.column == 44 and exprs[0].span.text() == "cost.monthly_eur"


def test_rule_ids_names_and_unless() -> None:
    module = parse('policy p { not_yet fragile unless t until "t holds" otherwise no_go "x" }')
    policy = module.declarations[0]
    assert isinstance(policy, ast.PolicyDecl)
    rule = policy.rules[0]
    assert (rule.kind, rule.name, rule.unless) == (ast.RuleKind.NOT_YET, "fragile", True)
    assert policy.otherwise is not None and policy.otherwise.kind is ast.RuleKind.NO_GO


def test_ast_dump_of_the_quickstart_is_stable() -> None:
    from pathlib import Path

    root = Path(__file__).parent.parent / "examples" / "quickstart" / "policies"
    dump = []
    for path in sorted(root.glob("*.policy")):
        module = parse(path.read_text(encoding="utf-8"))
        dump.append(f"# {path.name}")
        dump.extend(repr(declaration) for declaration in module.declarations)
    check_golden("parser/quickstart.ast.txt", "\n".join(dump) + "\n")


# A catalogue of bad policies: each renders its diagnostics exactly as users will see them.
BAD_POLICIES = {
    "single_equals": "policy p {\n  no_go when tier = 1\n}\n",
    "c_style_and": "policy p {\n  no_go when a && b\n}\n",
    "missing_brace": "scale s { low < high\n",
    "misspelt_weight": "criteria c {\n  value weigth 3\n}\n",
    "misspelt_keyword": "policy p {\n  no_go wehn x > 1\n}\n",
    "single_quotes": "policy p {\n  go when owner == 'team'\n}\n",
    "bad_date": "policy p {\n  go when today < 2027-02-30\n}\n",
    "incomplete_interpolation": 'policy p {\n  no_go when x > 1 because "too big: {x + }"\n}\n',
    "empty_interpolation": 'policy p {\n  no_go when x > 1 because "too big: {}"\n}\n',
    "quantifier_without_binding": "policy p {\n  go when all(depends_on: true)\n}\n",
    "two_enforcements": "policy p {\n  enforcement hard\n  enforcement soft\n  go when true\n}\n",
    "several_errors": "policy p {\n  no_go when x >\n}\npolicy q {\n  go when (a\n}\n",
    "unknown_character": "policy p {\n  go when cost > 10 $\n}\n",
    "number_too_large": "policy p {\n  no_go when cost > " + "9" * 400 + "\n}\n",
    "duration_too_large": "policy p {\n  no_go when age > 1" + "0" * 306 + " years\n}\n",
    "range_too_large": "schema {\n  cost: number 0..1" + "0" * 309 + "\n}\n",
    "generator_style_sum": "policy p {\n  no_go when sum(pr.age_days for pr in git.pull_requests) > 9\n}\n",
    "unclosed_object_type": "schema {\n  changes: list of { action: text\n}\n",
}


@pytest.mark.parametrize("name", sorted(BAD_POLICIES))
def test_syntax_error_catalogue(name: str) -> None:
    _, diagnostics = parse_module(SourceFile(f"{name}.policy", BAD_POLICIES[name]))
    assert diagnostics, "a bad policy must produce diagnostics"
    assert all(d.code.startswith("DL-PARSE-") for d in diagnostics)
    assert all(d.span is not None for d in diagnostics)
    check_golden(f"parser/{name}.txt", "\n\n".join(render_text(d) for d in diagnostics) + "\n")


def test_all_errors_of_a_file_are_reported() -> None:
    _, diagnostics = parse_module(SourceFile("x.policy", BAD_POLICIES["several_errors"]))
    assert len({d.span.line for d in diagnostics if d.span}) >= 2


@pytest.mark.parametrize(
    ("options", "repeated"),
    [("fixed fixed", "`fixed`"), ("0..5 >= 1", "lower bound"), ('required "a" "b"', "`description`")],
)
def test_a_field_option_given_twice_is_an_error(options: str, repeated: str) -> None:
    """The second would silently win: `fixed fixed`, a range and a bound, two descriptions."""
    _, diagnostics = parse_module(SourceFile("test.policy", f"schema {{\n  tier: integer {options}\n}}\n"))
    (diagnostic,) = diagnostics
    assert (diagnostic.code, diagnostic.where) == ("DL-PARSE-REPEATED-CLAUSE", "test.policy:2:3")
    assert diagnostic.message == f"field `tier` gives its {repeated} twice"
