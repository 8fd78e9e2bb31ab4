"""`decisionlang`: a thin click shell over decisionlang.api, one module per command.

Exit codes: 0 all GO (or within --fail-on), 1 a NO-GO, 3 a NOT YET (no NO-GO) with
--fail-on not-yet, 2 invalid input or usage, 70 an internal error (never a traceback).
130 interrupted (SIGINT), 143 terminated (SIGTERM).
`decisionlang test`: 0 every case passed, 1 a case failed, 4 rule coverage below --min-coverage.
"""

from __future__ import annotations

import click

from decisionlang.cli.annotate import annotate
from decisionlang.cli.check import check
from decisionlang.cli.common import (
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_INVALID,
    EXIT_LOW_COVERAGE,
    EXIT_NO_GO,
    EXIT_NOT_YET,
    EXIT_OK,
    EXIT_TERMINATED,
)
from decisionlang.cli.explain import explain
from decisionlang.cli.history import history
from decisionlang.cli.importing import import_
from decisionlang.cli.output import write_atomically
from decisionlang.cli.policy_tests import policy_tests
from decisionlang.cli.report import report
from decisionlang.cli.validate import validate

__all__ = [
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_INVALID",
    "EXIT_LOW_COVERAGE",
    "EXIT_NOT_YET",
    "EXIT_NO_GO",
    "EXIT_OK",
    "EXIT_TERMINATED",
    "main",
    "write_atomically",
]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="decisionlang")
def main() -> None:
    """Go / no-go / not-yet decisions for infrastructure, from readable policies."""


for command in (check, explain, validate, import_, policy_tests, history, annotate, report):
    main.add_command(command)
