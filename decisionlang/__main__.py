"""`python -m decisionlang` runs the CLI."""

from decisionlang.cli import main

main()
