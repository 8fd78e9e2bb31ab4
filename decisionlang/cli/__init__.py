"""`decisionlang`: a thin click shell over decisionlang.api, one module per command.

Exit codes: 0 all GO (or within --fail-on), 1 a NO-GO, 3 a NOT YET (no NO-GO) with
--fail-on not-yet, 2 invalid input or usage, 70 an internal error (never a traceback).
130 interrupted (SIGINT), 143 terminated (SIGTERM).
`decisionlang test`: 0 every case passed, 1 a case failed, 4 rule coverage below --min-coverage.
`decisionlang lint`: 0 no finding at or above --fail-on, 1 findings at or above it, 2 invalid input.
`decisionlang fmt`: 0 nothing (more) to change, 1 with --check a file would change, 2 a file does
not parse or cannot be read.
`decisionlang plan`: 0 a plan, 1 no plan (the mandatory H1 initiatives break the budget or a
capacity), 2 invalid input or the `plan` extra (highspy) not installed.

Each command's module is imported only when that command runs (`LazyGroup`): `decisionlang check`
never loads the decision log, the importers or the HTML report, and `decisionlang --help` loads
no command at all.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

import click

from decisionlang import __version__

if TYPE_CHECKING:  # the names __getattr__ imports on first use, for type checkers
    from decisionlang.cli.common import EXIT_INTERNAL as EXIT_INTERNAL
    from decisionlang.cli.common import EXIT_INTERRUPTED as EXIT_INTERRUPTED
    from decisionlang.cli.common import EXIT_INVALID as EXIT_INVALID
    from decisionlang.cli.common import EXIT_LOW_COVERAGE as EXIT_LOW_COVERAGE
    from decisionlang.cli.common import EXIT_NO_GO as EXIT_NO_GO
    from decisionlang.cli.common import EXIT_NOT_YET as EXIT_NOT_YET
    from decisionlang.cli.common import EXIT_OK as EXIT_OK
    from decisionlang.cli.common import EXIT_TERMINATED as EXIT_TERMINATED
    from decisionlang.cli.output import write_atomically as write_atomically

_EXIT_CODES = (
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_INVALID",
    "EXIT_LOW_COVERAGE",
    "EXIT_NOT_YET",
    "EXIT_NO_GO",
    "EXIT_OK",
    "EXIT_TERMINATED",
)
# Where each name this package re-exports lives: imported on first use, so that `--help` and a
# command that does not need them import neither module.
_LAZY_EXPORTS = {
    **dict.fromkeys(_EXIT_CODES, "decisionlang.cli.common"),
    "write_atomically": "decisionlang.cli.output",
}

__all__ = ["COMMANDS", "LazyGroup", "main", *_LAZY_EXPORTS]


def __getattr__(name: str) -> Any:
    if name in _LAZY_EXPORTS:
        return getattr(importlib.import_module(_LAZY_EXPORTS[name]), name)
    raise AttributeError(f"module 'decisionlang.cli' has no attribute {name!r}")


class LazyCommand(NamedTuple):
    """Where a command is defined, and the first sentence of its help (shown by `--help`, which
    so imports no command; tests/test_cli_startup.py checks it against the command's own)."""

    module: str
    attribute: str
    summary: str


COMMANDS: Mapping[str, LazyCommand] = {
    "annotate": LazyCommand(
        "decisionlang.cli.annotate",
        "annotate",
        "Append a note to the recorded decision DECISION_ID; the decision itself is never rewritten.",
    ),
    "cache": LazyCommand(
        "decisionlang.cli.cache",
        "cache",
        "The cache of checked policies and loaded states that makes a second run fast.",
    ),
    "check": LazyCommand(
        "decisionlang.cli.check",
        "check",
        "Evaluate every applicable policy on every subject of DIRECTORY.",
    ),
    "due": LazyCommand(
        "decisionlang.cli.due",
        "due",
        "List the recorded decisions due for review (a policy's `review after`, or `annotate --review-by`), "
        "the earliest first.",
    ),
    "eval": LazyCommand(
        "decisionlang.cli.evaluate",
        "evaluate",
        "Evaluate EXPRESSION for one subject of DIRECTORY, with its trace, to try a condition before "
        "writing the rule.",
    ),
    "explain": LazyCommand(
        "decisionlang.cli.explain",
        "explain",
        "Show the full trace of one SUBJECT: every rule, fact, threshold and what must hold for GO.",
    ),
    "fmt": LazyCommand(
        "decisionlang.cli.fmt",
        "fmt",
        "Rewrite policy files in the canonical layout: every comment kept, the meaning unchanged.",
    ),
    "history": LazyCommand(
        "decisionlang.cli.history",
        "history",
        "How SUBJECT's verdict moved between recorded decisions, when and why (the facts and rules that "
        "changed).",
    ),
    "import": LazyCommand(
        "decisionlang.cli.importing",
        "import_",
        "Write decisionlang state files from what teams already have.",
    ),
    "init": LazyCommand(
        "decisionlang.cli.init",
        "init",
        "Create a new decision repo in DIRECTORY: a vocabulary, a policy with tests, a service, a waiver "
        "template, JSON Schemas, editor settings, a CI workflow and a pre-commit configuration.",
    ),
    "lint": LazyCommand(
        "decisionlang.cli.lint",
        "lint",
        "Lint the policies of DIRECTORY: named rules beyond the checker's errors, configured in "
        "decisionlang.yaml (`lint: {rules: {CODE: off}}`), silenced inline with `# lint: ignore CODE "
        "reason`.",
    ),
    "lsp": LazyCommand(
        "decisionlang.cli.lsp",
        "lsp",
        "Run the language server for policy files and state YAML (Language Server Protocol, stdio).",
    ),
    "plan": LazyCommand(
        "decisionlang.cli.plan",
        "plan",
        "What to fund within --budget: among the initiatives that are GO or NOT YET with a known path to "
        "GO, the set of the highest value within the budget and the owners' capacities, with the "
        "initiatives they depend on and every H1 initiative funded; why each other one is left out, which "
        "constraint binds and what the next step of budget would buy.",
    ),
    "report": LazyCommand(
        "decisionlang.cli.report",
        "report",
        "Write the board report of DIRECTORY: one self-contained HTML file (verdicts and why, trade-offs, "
        "maturity, tier-1 dependencies, waivers), or Architecture Decision Records in Markdown.",
    ),
    "schema": LazyCommand(
        "decisionlang.cli.schema",
        "schema",
        "Print the JSON Schema of DIRECTORY's state files, from its policies' `schema` blocks.",
    ),
    "simulate": LazyCommand(
        "decisionlang.cli.simulate",
        "simulate",
        "Replay every recorded decision (its states at its revision, its --as-of) under the candidate "
        "policies, and list the verdicts that would have moved, with the rules and facts why.",
    ),
    "test": LazyCommand(
        "decisionlang.cli.policy_tests",
        "policy_tests",
        "Run the policy tests (`*.test.yaml`) under DIRECTORY and report rule coverage.",
    ),
    "validate": LazyCommand(
        "decisionlang.cli.validate",
        "validate",
        "Check policies and states statically, without evaluating anything.",
    ),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use (click's "lazy loading subcommands"
    pattern); its `--help` lists them from `lazy` summaries, importing none."""

    def __init__(self, *args: Any, lazy: Mapping[str, LazyCommand], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy:
            where = self.lazy[cmd_name]
            command = getattr(importlib.import_module(where.module), where.attribute)
            if not isinstance(command, click.Command):  # pragma: no cover - a wrong table entry
                raise TypeError(f"{where.module}.{where.attribute} is not a click command")
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """click's own layout of the commands, with each loaded command's short help, or the
        summary of one not imported yet."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            if name in self.commands:
                command = self.commands[name]
                if command.hidden:
                    continue
                rows.append((name, command.get_short_help_str(limit)))
            else:
                summary = click.Command(name, help=self.lazy[name].summary)
                rows.append((name, summary.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, lazy=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(version=__version__, package_name="decisionlang")  # no metadata lookup
def main() -> None:
    """Go / no-go / not-yet decisions for infrastructure, from readable policies."""
