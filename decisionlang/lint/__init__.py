"""`decisionlang lint`: named, documented rules on a checked program, beyond the checker's errors.

The library API (the CLI and the language server are shells over it):

    from decisionlang.lint import lint, lint_project, lint_config, LintConfig

    report = lint("path/to/repo")                    # load (with the policy tests) and lint
    project = load_project(SourceSet.from_disk(root, tests=True))
    config, problems = lint_config(project)          # the `lint:` block of decisionlang.yaml
    report = lint_project(project, config)           # -> LintReport
    report.findings                                  # Diagnostics with spans, sorted by file,
                                                     # line, column, code: the same bytes each run

`LintConfig.of({"L201": "off", "style": "error"})` builds a configuration in code. Each finding
is a `core.diagnostics.Diagnostic` whose code is the rule's (`L201`), at the severity configured
(error, warning or info), its message ending with the rule's name in brackets, so that any output
of diagnostics (text, JSON, SARIF, an editor) shows it as it shows the checker's.

A project whose policies do not parse or check is not linted: `LintReport.problems` holds its
errors (and those of the `lint:` configuration); the rules read only a sound program. The rules
themselves are `decisionlang.lint.rules.RULES`; inline `# lint: ignore CODE reason` comments are
read by `decisionlang.lint.directives`. docs/lint.md documents every rule.

Stage: lint reads what the engine loaded (`engine.project.Project`), the language's tree and
the inputs' YAML reader (for the test files); render and cli are above it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from decisionlang.core.diagnostics import Diagnostic, Severity, sorted_diagnostics
from decisionlang.core.hints import did_you_mean
from decisionlang.core.spans import SourceFile
from decisionlang.engine.project import Project, load_project
from decisionlang.inputs.library import is_library
from decisionlang.inputs.sources import SourceFile as InputFile
from decisionlang.inputs.sources import SourceSet
from decisionlang.language.checker import Program
from decisionlang.language.types import ListType, ScaleType
from decisionlang.lint.config import LintConfig, parse_levels, rule_keys
from decisionlang.lint.directives import Directive, directives
from decisionlang.lint.rules import (
    BY_CODE,
    IGNORE_WITHOUT_REASON,
    RULES,
    UNKNOWN_IGNORE,
    UNUSED_IGNORE,
    Context,
    Rule,
    find_rule,
)

__all__ = ["RULES", "LintConfig", "LintReport", "Rule", "lint", "lint_config", "lint_project"]


@dataclass(frozen=True)
class LintReport:
    """What linting found. `findings` are sorted; `problems` are why linting could not run
    (an invalid project or configuration): with problems there are no findings."""

    findings: tuple[Diagnostic, ...] = ()
    problems: tuple[Diagnostic, ...] = ()
    files: tuple[str, ...] = ()  # the policy files linted
    suppressed: int = 0  # findings an inline ignore suppressed
    rules: tuple[Rule, ...] = field(default=RULES, repr=False)  # the rules that ran (not off)

    @property
    def valid(self) -> bool:
        return not self.problems

    def count(self, severity: Severity) -> int:
        return sum(1 for finding in self.findings if finding.severity is severity)

    def to_json(self) -> dict[str, Any]:
        """The report as data (`lint --format json`, schema `decisionlang/lint/v1`)."""
        return {
            "schema": "decisionlang/lint/v1",
            "valid": self.valid,
            "files": list(self.files),
            "problems": [problem.to_json() for problem in self.problems],
            "findings": [_finding_json(finding) for finding in self.findings],
            "summary": {
                "errors": self.count(Severity.ERROR),
                "warnings": self.count(Severity.WARNING),
                "infos": self.count(Severity.INFO),
                "suppressed": self.suppressed,
            },
        }

    def failing(self, fail_on: Severity) -> list[Diagnostic]:
        """The findings at or above `fail_on` (error, or warning: errors and warnings)."""
        allowed = {Severity.ERROR} if fail_on is Severity.ERROR else {Severity.ERROR, Severity.WARNING}
        return [finding for finding in self.findings if finding.severity in allowed]


def _finding_json(finding: Diagnostic) -> dict[str, Any]:
    data = finding.to_json()
    rule = BY_CODE.get(finding.code)
    if rule is not None:
        data.update(rule=rule.name, category=rule.category, help_uri=rule.help_uri)
    return data


def lint(root: str | Path, config: LintConfig | None = None, *, cache: bool = True) -> LintReport:
    """Load the decision repo at `root` with its policy tests and lint it; `config` replaces the
    `lint:` block of its decisionlang.yaml."""
    project = load_project(SourceSet.from_disk(root, tests=True), cache=cache)
    problems: list[Diagnostic] = []
    if config is None:
        config, problems = lint_config(project)
    report = lint_project(project, config)
    if problems:
        return LintReport(
            problems=tuple(sorted_diagnostics([*problems, *report.problems])), files=report.files
        )
    return report


def lint_config(project: Project) -> tuple[LintConfig, list[Diagnostic]]:
    """The `lint:` block of the project's decisionlang.yaml, and the keys in it that name nothing."""
    return parse_levels(project.sources.settings.lint_rules)


def lint_project(
    project: Project, config: LintConfig | None = None, *, tests: Sequence[InputFile] | None = None
) -> LintReport:
    """Lint a loaded project. `tests` are the policy test files (default: those the project's
    `SourceSet` read, so load it with `tests=True`: a project read without them has no test)."""
    config = config or LintConfig()
    errors = [d for d in project.diagnostics if d.is_error]
    program = project.program
    own = _own_files(project, program)
    if errors:
        return LintReport(problems=tuple(sorted_diagnostics(errors)), files=tuple(sorted(own)))
    test_files = project.sources.tests if tests is None else tuple(tests)
    tested, tests_all = _tested(test_files)
    ctx = Context(
        program,
        frozenset(own),
        frozenset(tested),
        tests_all,
        bool(test_files),
        _values_held(project),
        bool(project.portfolio.subjects),
    )
    active = [rule for rule in RULES if config.severity(rule) is not None]
    raw: list[Diagnostic] = []
    for rule in active:
        severity = config.severity(rule)
        assert severity is not None
        for hit in rule.check(ctx):
            raw.append(
                Diagnostic(rule.code, f"{hit.message} [{rule.name}]", hit.span, hit.help, severity=severity)
            )
    found = [d for path in sorted(own) for d in directives(own[path])]
    kept, suppressed = _suppress(raw, found)
    kept += _directive_findings(found, config)
    return LintReport(tuple(sorted_diagnostics(kept)), (), tuple(sorted(own)), suppressed, tuple(active))


def _own_files(project: Project, program: Program) -> dict[str, SourceFile]:
    """The project's policy files (never the library's), by path, as the spans know them."""
    paths = {file.path for file in project.policy_files if not is_library(file.path)}
    sources: dict[str, SourceFile] = {}
    for declaration in (*program.scale_decls.values(), *program.declarations()):
        source = declaration.span.source
        if source.path in paths:
            sources.setdefault(source.path, source)
    for file in project.policy_files:  # a file of comments alone declares nothing
        if file.path in paths and file.path not in sources:
            sources[file.path] = SourceFile(file.path, file.text)
    return sources


def _suppress(raw: list[Diagnostic], found: list[Directive]) -> tuple[list[Diagnostic], int]:
    by_line: dict[tuple[str, int], list[Directive]] = {}
    for directive in found:
        if directive.verb == "ignore":
            by_line.setdefault((directive.span.path, directive.target_line), []).append(directive)
    kept: list[Diagnostic] = []
    suppressed = 0
    for diagnostic in raw:
        span = diagnostic.span
        assert span is not None
        matched = False
        for directive in by_line.get((span.path, span.line), []):
            for key, _ in directive.keys:
                rule = find_rule(key)
                if rule is not None and rule.code == diagnostic.code:
                    directive.used.add(rule.code)
                    matched = True
        if matched:
            suppressed += 1
        else:
            kept.append(diagnostic)
    return kept, suppressed


def _directive_findings(found: list[Directive], config: LintConfig) -> list[Diagnostic]:
    findings: list[Diagnostic] = []

    def add(code: str, hit_span: Any, message: str, help: str | None) -> None:
        rule = BY_CODE[code]
        severity = config.severity(rule)
        if severity is not None:
            findings.append(Diagnostic(code, f"{message} [{rule.name}]", hit_span, help, severity=severity))

    for directive in found:
        if directive.verb != "ignore":
            hint = did_you_mean(directive.verb, ["ignore"])
            add(
                UNKNOWN_IGNORE,
                directive.span,
                f"`# lint: {directive.verb}` is no directive",
                hint or "write `# lint: ignore CODE reason`",
            )
            continue
        if not directive.keys:
            add(
                UNKNOWN_IGNORE,
                directive.span,
                "`# lint: ignore` names no rule",
                "write `# lint: ignore CODE reason`",
            )
            continue
        if not directive.reason:
            add(
                IGNORE_WITHOUT_REASON,
                directive.span,
                "`# lint: ignore` gives no reason",
                "say why after the codes: `# lint: ignore L301 the report's own figure`",
            )
        for key, span in directive.keys:
            rule = find_rule(key)
            if rule is None:
                hint = did_you_mean(key, rule_keys(), cutoff=0.6)
                add(
                    UNKNOWN_IGNORE,
                    span,
                    f"`{key}` names no lint rule",
                    hint or "see docs/lint.md for the rules",
                )
            elif rule.code not in directive.used and config.severity(rule) is not None:
                add(
                    UNUSED_IGNORE,
                    span,
                    f"`# lint: ignore {key}` suppresses nothing on line {directive.target_line}",
                    "remove it: the finding it was for is gone",
                )
    return findings


def _tested(files: Sequence[InputFile]) -> tuple[set[str], bool]:
    """The policies some test case names (in `policies:`, `expect.policies`, `expect.rules` or
    `expect.warnings`), and whether a file or case tests `policies: all`."""
    if not files:
        return set(), False
    from decisionlang.inputs.yamlreader import read_yaml

    names: set[str] = set()
    every = False

    def take(value: Any) -> None:
        nonlocal every
        if value == "all":
            every = True
        elif isinstance(value, str):
            names.add(value)
        elif isinstance(value, list):
            names.update(item for item in value if isinstance(item, str))
        elif isinstance(value, dict):
            names.update(key for key in value if isinstance(key, str))

    for file in files:
        read = read_yaml(file, prefix="DL-TEST", noun="test file", single=True)
        data = read.documents[0].value if read.documents else None
        if not isinstance(data, dict):
            continue
        take(data.get("policies"))
        cases = data.get("cases")
        for case in cases if isinstance(cases, list) else []:
            if not isinstance(case, dict):
                continue
            take(case.get("policies"))
            expect = case.get("expect")
            if isinstance(expect, dict):
                take(expect.get("policies"))
                for key in ("rules", "warnings"):
                    rules = expect.get(key)
                    for item in rules if isinstance(rules, list) else []:
                        if isinstance(item, str) and "." in item:
                            names.add(item.rsplit(".", 1)[0])
    return names, every


def _values_held(project: Project) -> dict[str, frozenset[str]]:
    """For each scale (by name), the values some subject's field of that scale holds."""
    fields: dict[str, ScaleType] = {}
    for path, spec in project.program.fields.items():
        type_ = spec.type.element if isinstance(spec.type, ListType) else spec.type
        if isinstance(type_, ScaleType):
            fields[path] = type_
    held: dict[str, set[str]] = {}
    for path, scale in fields.items():
        values = held.setdefault(scale.name, set())
        for subject in project.portfolio.subjects:
            value = subject.fields.get(path)
            if isinstance(value, str):
                values.add(value)
            elif isinstance(value, list | tuple):
                values.update(item for item in value if isinstance(item, str))
    return {name: frozenset(values) for name, values in held.items()}
