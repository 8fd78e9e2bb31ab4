"""`decisionlang explain`: the full trace of one subject."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from decisionlang.cli.common import (
    EXIT_OK,
    as_of_option,
    cache_option,
    color_option,
    directory_argument,
    fail,
    flag_limits,
    guarded,
    limit_options,
    strict_option,
    use_color,
)
from decisionlang.cli.completion import complete_rules, complete_subjects, rule_names
from decisionlang.cli.progress import progress_option, progress_shown
from decisionlang.core.diagnostics import Diagnostic
from decisionlang.core.escapes import inert_json
from decisionlang.core.hints import did_you_mean

if TYPE_CHECKING:
    from decisionlang.api import Project


@click.command()
@click.argument("subject", shell_complete=complete_subjects)
@directory_argument
@click.option(
    "--rule",
    "focus",
    metavar="NAME",
    help="Show the trace of this policy, or of this rule (`policy.rule`), only; the verdict, the "
    "missing information and what must hold for GO stay the subject's.",
    shell_complete=complete_rules,
)
@click.option(
    "--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@strict_option
@as_of_option
@color_option
@cache_option
@limit_options
@progress_option
@guarded
def explain(
    subject: str,
    directory: Path,
    focus: str | None,
    output_format: str,
    strict: bool,
    as_of: dt.date | None,
    color: bool | None,
    progress: bool | None,
) -> None:
    """Show the full trace of one SUBJECT: every rule, fact, threshold and what must hold for GO."""
    from decisionlang.api import evaluate_project, load_project
    from decisionlang.render import render_explain

    with progress_shown(progress) as shown:
        project = load_project(directory, limits=flag_limits(), progress=shown)
    if focus is not None and not project.errors:
        _check_focus(focus, project)
    report = evaluate_project(project, as_of=as_of, services=[subject], strict=strict)
    if strict and any(d.is_error for d in report.diagnostics):
        fail([d for d in report.diagnostics if d.is_error], as_json=output_format == "json")
    from decisionlang.api import what_it_takes

    result = what_it_takes(project, report, strict=strict).subjects[0]  # to GO, or how fragile a GO
    if output_format == "json":
        payload = result.to_dict()
        if focus is not None:
            payload["policies"] = _focused_policies(payload["policies"], focus)
        click.echo(inert_json(json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False)))
    else:
        click.echo(render_explain(result, color=use_color(color), focus=focus), nl=False, color=True)
    sys.exit(EXIT_OK)


def _focused_policies(policies: list[dict[str, Any]], focus: str) -> list[dict[str, Any]]:
    """`--rule` in JSON: the policy named whole, or the named rule's policy with that rule only."""
    kept = []
    for policy in policies:
        if policy["policy"] == focus:
            kept.append(policy)
        elif rules := [rule for rule in policy["rules"] if rule["rule"] == focus]:
            kept.append({**policy, "rules": rules})
    return kept


def _check_focus(focus: str, project: Project) -> None:
    """`--rule NAME` names a policy or a rule of the project, or it is a usage error with a hint."""
    names = [name for name, _ in rule_names(project)]
    if focus in names:
        return
    hint = did_you_mean(focus, names)
    fail(
        [
            Diagnostic(
                "DL-CLI-UNKNOWN-RULE",
                f"no policy or rule named `{focus}`",
                file=".",
                help=hint or "a policy name, or a rule id `policy.rule` as the traces show it",
            )
        ]
    )
