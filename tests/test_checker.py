"""Static checker: a catalogue of wrong policies with their rendered diagnostics (golden files)."""

from __future__ import annotations

import pytest
from support import check_golden

from decisionlang.core.diagnostics import Severity, render_text, sorted_diagnostics
from decisionlang.core.spans import SourceFile
from decisionlang.language.checker import check_program
from decisionlang.language.parser import parse_module

VOCABULARY = """\
scale criticality { low < medium < high < critical }
scale horizon { H1 < H2 < H3 }
schema {
  criticality: criticality
  tier: integer 1..3
  risk.security: integer 0..10
  cost.monthly_eur: number >= 0 unit "€"
  support_ends: date
  team: text
  on_call: bool
}
criteria value { tier weight 1 }
tradeoff speed_vs_cost { speed = tier  cost = cost.monthly_eur  acceptable when cost < 1000 }
"""

BAD_CHECKS = {
    "undefined_field": "policy p {\n  no_go when critcality == high\n}\n",
    "undefined_nested_field": "policy p {\n  no_go when risk.securty > 3\n}\n",
    "unknown_scale_value": "policy p {\n  no_go when criticality >= hihg\n}\n",
    "scale_against_number": "policy p {\n  no_go when criticality > 2\n}\n",
    "scale_against_text": 'policy p {\n  no_go when criticality == "high"\n}\n',
    "scales_mixed": "policy p {\n  no_go when criticality == H1\n}\n",
    "arithmetic_on_text": "policy p {\n  no_go when team + 1 > 2\n}\n",
    "condition_not_boolean": "policy p {\n  no_go when tier\n}\n",
    "text_ordering": 'policy p {\n  no_go when team > "a"\n}\n',
    "duplicate_policy": "policy p {\n  go when true\n}\npolicy p {\n  go when true\n}\n",
    "duplicate_rule_id": "policy p {\n  no_go x when tier == 1\n  not_yet x when tier == 2\n}\n",
    "duplicate_scale_value": "scale s { a < b < a }\n",
    "never_fires_range": "policy p {\n  no_go when risk.security > 10\n}\n",
    "never_fires_scale": "policy p {\n  not_yet when criticality > critical\n}\n",
    "never_fires_literal": "policy p {\n  no_go when 1 > 2\n}\n",
    "unknown_function": "policy p {\n  go when scor(value) > 1\n}\n",
    "unknown_criteria": "policy p {\n  go when score(valeu) > 1\n}\n",
    "wrong_arity": "policy p {\n  go when abs(1, 2) > 1\n}\n",
    "unknown_type": "schema {\n  budget: nmber\n}\n",
    "builtin_redeclared": "schema {\n  owner: number\n}\n",
    "derived_redeclared": "schema {\n  dependents: list of subject\n}\n",
    "empty_range": "schema {\n  x: number 10..1\n}\n",
    "range_on_text": "schema {\n  x: text 0..1\n}\n",
    "constant_reads_state": "const limit = tier * 2\n",
    "define_cycle": "define a = b > 1\ndefine b = a\n",
    "tradeoff_unknown_side": "policy p {\n  go when speed_vs_cost.sped > 1\n}\n",
    "quantifier_over_number": "policy p {\n  go when all(d in tier: d.tier > 1)\n}\n",
    "field_of_non_subject": "policy p {\n  go when all(t in tags: t.tier > 1)\n}\n",
    "otherwise_warn": 'policy p {\n  go when tier == 1\n  otherwise warn "x"\n}\n',
    "otherwise_without_go": 'policy p {\n  no_go when tier == 1\n  otherwise no_go "x"\n}\n',
    "normalize_without_range": "criteria c {\n  cost.monthly_eur weight 1\n  normalize to 100\n}\n",
    "bad_regex": 'policy p {\n  warn when team matches "[a-"\n}\n',
    "regex_backreference": 'policy p {\n  warn when team matches "(ab)\\\\1"\n}\n',
    "regex_lookahead": 'policy p {\n  warn when team matches "^pay(?!-tmp)"\n}\n',
    "regex_possessive": 'policy p {\n  warn when team matches "a++b"\n}\n',
    "regex_end_of_text": 'const naming = "^[a-z]+\\\\Z"\npolicy p {\n  warn when team matches naming\n}\n',
    "regex_not_word_in_class": 'policy p {\n  warn when team matches "[\\\\W_]"\n}\n',
    "definitions_nested_too_deep": "define e0 = tier\n"
    + "".join(f"define e{i} = e{i - 1} + 1\n" for i in range(1, 200))
    + "policy p {\n  no_go when e199 > 1\n}\n",
    "expression_too_deep_through_definitions": "define deep = "
    + "-" * 60
    + "tier\npolicy p {\n  no_go when "
    + "-" * 60
    + "deep > 1\n}\n",
    "message_with_unknown_name": 'policy p {\n  no_go when tier == 1 because "tier {tiers}"\n}\n',
    "empty_policy": "policy p {\n}\n",
    "several_errors_in_one_file": (
        "policy p {\n  no_go when critcality == high\n  not_yet when tier == hihg\n  go when team + 1\n}\n"
    ),
}


def check(name: str, text: str) -> list[str]:
    vocabulary, problems = parse_module(SourceFile("vocabulary.policy", VOCABULARY))
    module, parse_problems = parse_module(SourceFile(f"{name}.policy", text))
    assert vocabulary is not None and module is not None and not problems and not parse_problems
    _, diagnostics = check_program([vocabulary, module])
    return [render_text(d) for d in sorted_diagnostics(diagnostics)]


def test_the_vocabulary_alone_is_clean() -> None:
    vocabulary, _ = parse_module(SourceFile("vocabulary.policy", VOCABULARY))
    assert vocabulary is not None
    assert check_program([vocabulary])[1] == []


@pytest.mark.parametrize("name", sorted(BAD_CHECKS))
def test_check_catalogue(name: str) -> None:
    rendered = check(name, BAD_CHECKS[name])
    assert rendered, "a wrong policy must produce diagnostics"
    assert all("DL-CHECK-" in line.splitlines()[0] for line in rendered)
    check_golden(f"checker/{name}.txt", "\n\n".join(rendered) + "\n")


def test_all_errors_of_a_file_are_reported() -> None:
    rendered = check("several", BAD_CHECKS["several_errors_in_one_file"])
    assert len(rendered) >= 3


def test_never_fires_is_a_warning_not_an_error() -> None:
    vocabulary, _ = parse_module(SourceFile("vocabulary.policy", VOCABULARY))
    module, _ = parse_module(SourceFile("p.policy", BAD_CHECKS["never_fires_range"]))
    assert vocabulary and module
    _, diagnostics = check_program([vocabulary, module])
    assert [(d.code, d.severity) for d in diagnostics] == [("DL-CHECK-NEVER-FIRES", Severity.WARNING)]
