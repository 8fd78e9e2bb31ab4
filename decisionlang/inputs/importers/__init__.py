"""Importers: decisionlang state files from what teams already have (`decisionlang import ...`).

`backstage` (catalog entities), `terraform` (the JSON of `terraform show -json`) and `openslo` (SLO
specifications) each read untrusted files through `decisionlang.inputs.yamlreader` (a plan's JSON
is checked as JSON first, then read by the same reader for positions) and return an
`ImportResult`; `common` renders the one report and the one state file all of them share.
"""
