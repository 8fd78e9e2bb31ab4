"""Importers: decisionlang state files from what teams already have (`decisionlang import ...`).

Each importer reads untrusted YAML through `decisionlang.yamlfile`, which waiver files share.
"""
