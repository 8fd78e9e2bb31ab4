"""`decisionlang lint`: the lint rules of decisionlang.lint on a decision repo's policies.

Exit codes: 0 no finding at or above --fail-on, 1 findings at or above it, 2 an invalid project,
configuration or usage (nothing was linted)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from decisionlang.cli.common import (
    EXIT_INVALID,
    EXIT_NO_GO,
    EXIT_OK,
    cache_option,
    directory_argument,
    guarded,
)
from decisionlang.core.diagnostics import Severity, render_text
from decisionlang.core.escapes import inert_json, safe_line, visible

EXIT_FINDINGS = EXIT_NO_GO  # 1: findings at or above --fail-on
LINT_FORMATS = ("text", "json", "sarif", "github")


@click.command()
@directory_argument
@click.option(
    "--format",
    "output_format",
    type=click.Choice(LINT_FORMATS),
    default="text",
    show_default=True,
    help="text for people; json (schema decisionlang/lint/v1); sarif for code scanning; github "
    "(workflow commands) for annotations.",
)
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning"]),
    default="error",
    show_default=True,
    help="Lowest severity of a finding that makes the exit code 1 (an info never does).",
)
@click.option(
    "--list-rules", is_flag=True, help="List the rules (code, name, category, default level) and exit."
)
@cache_option
@guarded
def lint(directory: Path, output_format: str, fail_on: str, list_rules: bool) -> None:
    """Lint the policies of DIRECTORY: named rules beyond the checker's errors, configured in
    decisionlang.yaml (`lint: {rules: {CODE: off}}`), silenced inline with `# lint: ignore CODE
    reason`."""
    from decisionlang.lint import RULES, LintReport
    from decisionlang.lint import lint as run_lint

    if list_rules:
        for rule in RULES:
            click.echo(
                f"{rule.code}  {rule.name:<24} {rule.category:<16} {rule.severity.value:<8} {rule.summary}"
            )
        sys.exit(EXIT_OK)
    report: LintReport = run_lint(directory)
    if not report.valid:
        if output_format == "json":
            click.echo(_json(report))
        for problem in report.problems:
            click.echo(render_text(problem), err=True)
        errors = sum(1 for problem in report.problems if problem.is_error)
        click.echo(f"decisionlang: {errors} error{'s' if errors != 1 else ''}; nothing was linted", err=True)
        sys.exit(EXIT_INVALID)
    if output_format == "json":
        click.echo(_json(report))
    elif output_format == "sarif":
        click.echo(_sarif(report, fail_on), nl=False)
    elif output_format == "github":
        from decisionlang.render.github import diagnostic_annotation

        for finding in report.findings:
            click.echo(diagnostic_annotation(finding))
    else:
        for finding in report.findings:
            click.echo(render_text(finding))
        click.echo(safe_line(visible(_summary(report))))
    failing = report.failing(Severity(fail_on))
    sys.exit(EXIT_FINDINGS if failing else EXIT_OK)


def _summary(report: object) -> str:
    from decisionlang.lint import LintReport
    from decisionlang.render.text import plural

    assert isinstance(report, LintReport)
    counts = [
        plural(report.count(Severity.ERROR), "error"),
        plural(report.count(Severity.WARNING), "warning"),
        plural(report.count(Severity.INFO), "info"),
    ]
    suppressed = f" ({report.suppressed} suppressed inline)" if report.suppressed else ""
    return f"lint: {plural(len(report.files), 'policy file')}, {', '.join(counts)}{suppressed}"


def _json(report: object) -> str:
    from decisionlang.lint import LintReport

    assert isinstance(report, LintReport)
    return inert_json(json.dumps(report.to_json(), indent=2, sort_keys=True, ensure_ascii=False))


def _sarif(report: object, fail_on: str) -> str:
    from decisionlang.lint import LintReport
    from decisionlang.render.sarif import DiagnosticRule, render_diagnostics_sarif

    assert isinstance(report, LintReport)
    levels = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
    rules = [
        DiagnosticRule(rule.code, rule.name, rule.summary, rule.help_uri, levels[rule.severity])
        for rule in report.rules
    ]
    properties = {"failOn": fail_on, "suppressed": report.suppressed}
    return render_diagnostics_sarif(report.findings, rules, properties)
