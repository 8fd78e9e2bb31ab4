"""Importers: decisionlang state files from what teams already have (`decisionlang import ...`).

Each importer reads untrusted YAML through `decisionlang.inputs.yamlreader`, which waiver files share.
"""
