"""Shell completion of the names a decision repo defines: subjects, policies and rules.

click completes commands and options itself (`_DECISIONLANG_COMPLETE=bash_source decisionlang`,
docs/cli.md "Shell completion"); these functions give the values of `--service`, `explain
SUBJECT`, `history SUBJECT` and `explain --rule`, read from the decision repo named on the command
line so far (`.` when none yet). Completion runs on every Tab: a repo that does not load completes
nothing rather than printing errors into the user's prompt, and the cache keeps a second Tab fast.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import click
from click.shell_completion import CompletionItem

if TYPE_CHECKING:
    from decisionlang.api import Project


def complete_subjects(
    context: click.Context, _parameter: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Subject names, each with its kind as help (zsh and fish show it)."""
    return _matching(
        context, incomplete, lambda project: ((s.name, s.kind) for s in project.portfolio.subjects)
    )


def complete_rules(
    context: click.Context, _parameter: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Policy names, then their rules' ids (`policy.rule`), in the order the policies are written."""
    return _matching(context, incomplete, rule_names)


def _matching(
    context: click.Context, incomplete: str, names: Callable[[Project], Iterable[tuple[str, str]]]
) -> list[CompletionItem]:
    project = _project_of(context)
    if project is None:
        return []
    return [CompletionItem(name, help=words) for name, words in names(project) if name.startswith(incomplete)]


def rule_names(project: Project) -> Iterable[tuple[str, str]]:
    """Every policy and rule a name can select, with a word on what it is."""
    for policy in project.policies:
        yield policy.id, f"policy{': ' + policy.title if policy.title else ''}"
        for rule in policy.rules:
            yield rule.id, f"{rule.kind.value} rule of {policy.id}"


def _project_of(context: click.Context) -> Project | None:
    """The decision repo the command line names, loaded quietly; None when it cannot be."""
    directory = _directory_of(context)
    try:
        from decisionlang.api import load_project

        project = load_project(Path(directory))
    except Exception:  # completion never fails the prompt
        return None
    return None if project.errors else project


def _directory_of(context: click.Context) -> Path:
    """The DIRECTORY argument typed so far. While completing, click leaves the positional words
    unassigned in `context.args` when an option still waits for its value: they are matched to the
    command's arguments in order."""
    given = context.params.get("directory")
    if given is not None and Path(given) != Path("."):
        return Path(given)
    arguments = [
        parameter.name for parameter in context.command.params if isinstance(parameter, click.Argument)
    ]
    words = [word for word in context.args if not word.startswith("-")]
    typed = dict(zip(arguments, words, strict=False))
    return Path(typed.get("directory") or ".")
