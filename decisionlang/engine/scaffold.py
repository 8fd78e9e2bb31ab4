"""A new decision repo (`decisionlang init`): a vocabulary, one policy with its tests, one service,
a waiver template, the JSON Schemas of its files, editor settings, a CI workflow and a pre-commit
configuration. The files pass `decisionlang validate`, `test` and `check` as written.

The templates are texts; the schemas are generated from the template's own policies, so they are
what `decisionlang schema` prints for the new repo.
"""

from __future__ import annotations

from collections.abc import Mapping

from decisionlang.core.diagnostics import DecisionlangError
from decisionlang.engine.schemas import TARGETS, project_schema, render_schema
from decisionlang.inputs.sources import SourceSet

__all__ = ["SCHEMA_FILES", "TEMPLATE", "new_repo"]

# Where each generated schema is written, relative to the repo root.
SCHEMA_FILES = {target: f"schemas/{target}.schema.json" for target in TARGETS}

_CONFIG = """\
# decisionlang.yaml: where this decision repo keeps its files (docs/cli.md, "Configuration").
policies: [policies]
states: [services]
waivers: [waivers]
"""

_VOCABULARY = """\
# The shared vocabulary: the scales and the facts (schema) every policy reads.
# « Un langage commun de décision »: the terms are written once, here, with what they mean.

scale criticality "Criticité: impact of an outage on the business" {
  low < medium < high < critical
}

schema {
  owner:            text required          # a built-in field, made required: who is accountable
  criticality:      criticality            "Criticité: impact of an outage on the business"
  tier:             integer 1..3           "Niveau de service: 1 = the business stops without it"
  risk.security:    integer 0..10          "Risque sécurité: security risk, 0 to 10"
  cost.monthly_eur: number >= 0 unit "€"   "Coût mensuel: monthly run cost"
  support_ends:     date                   "Fin de support: end of vendor support"
  on_call:          bool                   "Astreinte: someone is on call for it"
}
"""

_POLICY = """\
# Is a service ready for production? Tests: tests/production.test.yaml (`decisionlang test`).

const max_security_risk = 7

policy production_readiness "Prêt pour la production: a service is steerable before it runs" {
  applies to kind service
  enforcement soft   # a waiver (waivers/) may lift its verdict for one service, until a date

  no_go unsupported when support_ends < today and criticality >= high
      because "vendor support ended on {support_ends}"
      until   "support_ends after today: migrate to a supported version"

  no_go exposed when risk.security > max_security_risk
      because "security risk {risk.security}/10, above {max_security_risk}"
      until   "bring risk.security to {max_security_risk} or below"

  not_yet no_on_call when criticality >= high and not on_call
      because "nobody is on call for a {criticality} service"
      until   "name an on-call rotation (on_call: true)"

  go ready when support_ends >= today and risk.security <= max_security_risk
      because "supported until {support_ends}, security risk {risk.security}/10"

  otherwise not_yet "support end and security risk are not both known"
}
"""

_TESTS = """\
# yaml-language-server: $schema=../../schemas/tests.schema.json
# Tests of policies/production.policy: `decisionlang test` runs them and reports rule coverage.

as_of: 2026-11-26

cases:
  - name: a supported, low-risk service with on-call is GO
    subjects:
      - name: api
        owner: team-a
        criticality: high
        risk: {security: 2}
        support_ends: 2028-06-30
        on_call: true
    expect:
      verdict: go
      rules: [production_readiness.ready]

  - name: a high-criticality service without support is NO-GO
    subjects:
      - name: crm
        owner: team-b
        criticality: high
        risk: {security: 2}
        support_ends: 2025-12-31
        on_call: true
    expect:
      verdict: no-go
      rules: [production_readiness.unsupported]

  - name: a security risk above the limit is NO-GO
    subjects:
      - name: web
        owner: team-c
        criticality: low
        risk: {security: 9}
        support_ends: 2028-06-30
    expect:
      verdict: no-go
      rules: [production_readiness.exposed]
      message_contains: ["security risk 9/10"]

  - name: nobody on call for a critical service is NOT YET
    subjects:
      - name: ledger
        owner: team-d
        criticality: critical
        risk: {security: 1}
        support_ends: 2029-01-31
        on_call: false
    expect:
      verdict: not-yet
      rules: [production_readiness.no_on_call]

  - name: a low-criticality service past its support end is NOT YET
    subjects:
      - name: wiki
        owner: team-f
        criticality: low
        risk: {security: 1}
        support_ends: 2025-06-30
    expect:
      verdict: not-yet
      rules: [production_readiness.otherwise]

  - name: an unknown security risk is NOT YET, never a pass
    subjects:
      - name: batch
        owner: team-e
        criticality: low
        support_ends: 2028-06-30
    expect:
      verdict: not-yet
      missing: [risk.security]
"""

_SERVICE = """\
# yaml-language-server: $schema=../schemas/states.schema.json
# One file per team or system; every fact is checked against policies/vocabulary.policy.
services:
  - name: payments-api
    owner: équipe-paiements
    criticality: critical
    tier: 1
    risk: {security: 3}
    cost: {monthly_eur: 12500}
    support_ends: 2028-06-30
    on_call: true
  - name: recherche
    owner: équipe-données
    criticality: medium
    tier: 2
    risk: {security: 4}
    support_ends: 2027-09-30
  - name: intranet-wiki
    owner: équipe-outils
    criticality: low
    tier: 3
    risk: {security: 2}
    support_ends: 2029-01-31
"""

_WAIVERS = """\
# yaml-language-server: $schema=../schemas/waivers.schema.json
# Assumed compromises: a waiver lifts a soft policy's verdict for one subject, until a date.
# Every field is required (docs/governance.md). Copy the example below into the list:
#
#  - id: W-2026-001
#    subject: payments-api
#    rule: production_readiness.no_on_call
#    owner: équipe-paiements
#    approver: CTO
#    rationale: the on-call rotation starts with the new hires in January
#    compensating_measure: the platform team's on-call covers it meanwhile
#    granted: 2026-11-26
#    expires: 2027-01-31
waivers: []
"""

_WORKFLOW = """\
# On every pull request that touches the decision repo: validate, run the policy tests, check that
# the JSON Schemas are current, then compare the decisions with the base branch (docs/ci.md).
name: decisionlang

on:
  pull_request:
    paths: ["policies/**", "services/**", "waivers/**", "schemas/**", "decisionlang.yaml"]

permissions:
  contents: read
  pull-requests: write # the action comments the verdict diff
  security-events: write # and uploads SARIF to code scanning

jobs:
  decisions:
    runs-on: ubuntu-latest
    timeout-minutes: 10
    steps:
      - uses: actions/checkout@v6
      # Where your organisation hosts decisionlang: pin a commit id (no release tags yet; docs/ci.md).
      - uses: your-org/decisionlang@main
        with:
          directory: .
          fail-on: not-yet
          github-token: ${{ secrets.GITHUB_TOKEN }}
          sarif: true
      - name: policy tests and schemas
        run: |
          decisionlang lint .
          decisionlang test .
          decisionlang schema --output schemas/states.schema.json --check
          decisionlang schema --for waivers --output schemas/waivers.schema.json --check
          decisionlang schema --for tests --output schemas/tests.schema.json --check
"""

_PRE_COMMIT = """\
# pre-commit hooks (https://pre-commit.com): `pre-commit install`, then every commit runs them.
# They call the decisionlang installed in your environment.
repos:
  - repo: local
    hooks:
      - id: decisionlang-validate
        name: decisionlang validate
        entry: decisionlang validate
        language: system
        pass_filenames: false
        files: \\.(policy|ya?ml)$
      - id: decisionlang-lint
        name: decisionlang lint
        entry: decisionlang lint
        language: system
        pass_filenames: false
        files: \\.policy$
      - id: decisionlang-test
        name: decisionlang test
        entry: decisionlang test
        language: system
        pass_filenames: false
        files: \\.(policy|ya?ml)$
      - id: decisionlang-schema
        name: the state file schema is current
        entry: decisionlang schema --output schemas/states.schema.json --check
        language: system
        pass_filenames: false
        files: \\.policy$
"""

_VSCODE = """\
{
  "files.associations": {"*.policy": "decisionlang"},
  "yaml.schemas": {
    "./schemas/states.schema.json": ["services/**/*.yaml", "services/**/*.yml"],
    "./schemas/waivers.schema.json": ["waivers/**/*.yaml"],
    "./schemas/tests.schema.json": ["**/*.test.yaml"]
  }
}
"""

_README = """\
# Decision repo

Go / no-go / not-yet decisions for our services, from readable policies (decisionlang).

| Path | Holds |
|---|---|
| `policies/vocabulary.policy` | the shared scales and the facts the policies read |
| `policies/production.policy` | the production readiness policy |
| `policies/tests/` | its tests: `decisionlang test` |
| `services/` | the facts about each service, one file per team or system |
| `waivers/` | assumed compromises, each with an owner, an approver and an expiry date |
| `schemas/` | JSON Schemas for editors, generated by `decisionlang schema` |

```sh
decisionlang validate             # policies and state files are well-formed
decisionlang lint                 # and written the way the rules ask
decisionlang test                 # the policies decide what their tests expect
decisionlang check                # the verdict of every service
decisionlang explain payments-api # why
```

After changing a `schema` block, regenerate the schemas:
`decisionlang schema --output schemas/states.schema.json` (and `--for waivers`, `--for tests`).
"""

TEMPLATE: Mapping[str, str] = {
    "decisionlang.yaml": _CONFIG,
    "policies/vocabulary.policy": _VOCABULARY,
    "policies/production.policy": _POLICY,
    "policies/tests/production.test.yaml": _TESTS,
    "services/catalog.yaml": _SERVICE,
    "waivers/waivers.yaml": _WAIVERS,
    ".github/workflows/decisionlang.yml": _WORKFLOW,
    ".pre-commit-config.yaml": _PRE_COMMIT,
    ".vscode/settings.json": _VSCODE,
    "README.md": _README,
}


def new_repo() -> dict[str, str]:
    """Every file of a new decision repo by root-relative path, the schemas included, sorted."""
    sources = SourceSet.from_memory(
        {path: text for path, text in TEMPLATE.items() if path.endswith(".policy")}
    )
    files = dict(TEMPLATE)
    for target, path in SCHEMA_FILES.items():
        schema, diagnostics = project_schema(sources, target, cache=False)
        if schema is None:  # pragma: no cover - the template's policies are tested
            raise DecisionlangError(list(diagnostics))
        files[path] = render_schema(schema)
    return dict(sorted(files.items()))
