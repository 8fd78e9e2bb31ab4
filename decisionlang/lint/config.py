"""The `lint:` block of decisionlang.yaml: a level per rule code, rule name or category.

    lint:
      rules:
        L201: off              # a code
        literal-threshold: info  # a name
        style: error           # a whole category

A rule's own entry wins over its category's, whatever their order (as Regal's configuration
does); a key that names no rule and no category is an error, with the closest one as a hint.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from decisionlang.core.diagnostics import Diagnostic, Severity
from decisionlang.core.hints import did_you_mean
from decisionlang.core.spans import Span
from decisionlang.lint.rules import CATEGORIES, RULES, Rule, find_rule

CONFIG_CODE = "DL-CONFIG"
_LEVELS: dict[str, Severity | None] = {
    "error": Severity.ERROR,
    "warning": Severity.WARNING,
    "info": Severity.INFO,
    "off": None,
}


@dataclass(frozen=True)
class LintConfig:
    """The severity of each rule (None: off). Rules not named keep their default severity."""

    levels: Mapping[str, Severity | None] = field(default_factory=dict)  # rule code -> level

    def severity(self, rule: Rule) -> Severity | None:
        return self.levels.get(rule.code, rule.severity)

    @staticmethod
    def of(levels: Mapping[str, str]) -> LintConfig:
        """From `{code, name or category: level}` given in code (keys as in decisionlang.yaml);
        raises ValueError on an unknown key or level."""
        written = [(key, level, None) for key, level in levels.items()]
        config, problems = parse_levels(written)
        if problems:
            raise ValueError("; ".join(problem.message for problem in problems))
        return config


def rule_keys() -> list[str]:
    """Everything a configuration or an ignore may name: codes, names, categories."""
    return [*(rule.code for rule in RULES), *(rule.name for rule in RULES), *CATEGORIES]


def parse_levels(entries: Iterable[tuple[str, str, Span | None]]) -> tuple[LintConfig, list[Diagnostic]]:
    """`(key, level, where the key is written)` entries as a configuration, and the problems."""
    by_category: dict[str, Severity | None] = {}
    by_rule: dict[str, Severity | None] = {}
    problems: list[Diagnostic] = []
    for key, level, span in entries:
        if level not in _LEVELS:
            names = ", ".join(f"`{name}`" for name in _LEVELS)
            problems.append(Diagnostic(CONFIG_CODE, f"the level of `{key}` must be one of {names}", span))
            continue
        rule = find_rule(key)
        if rule is not None:
            by_rule[rule.code] = _LEVELS[level]
        elif key.lower() in CATEGORIES:
            by_category[key.lower()] = _LEVELS[level]
        else:
            hint = did_you_mean(key, rule_keys(), cutoff=0.6)
            problems.append(
                Diagnostic(
                    CONFIG_CODE,
                    f"`{key}` in `lint: rules` names no lint rule and no category",
                    span,
                    help=hint or "run `decisionlang lint --list-rules` for the codes, names and categories",
                )
            )
    levels: dict[str, Severity | None] = {}
    for rule in RULES:
        if rule.code in by_rule:
            levels[rule.code] = by_rule[rule.code]
        elif rule.category in by_category:
            levels[rule.code] = by_category[rule.category]
    return LintConfig(levels), problems
