"""`check --format gitlab`: GitLab's Code Quality report, shown in merge requests.

A JSON array of findings in GitLab's own format (docs.gitlab.com, "Code Quality", "Code Quality
report format"): per finding a `description`, a `check_name`, a `fingerprint`, a `severity` and a
`location` with the file's `path` relative to the repository and `lines.begin`. The findings are
those of every CI format (`core.views.findings`), with SARIF's message and fingerprint: a hash of
policy, rule and subject, never of a line, so a finding survives edits around it and GitLab can
tell the findings a merge request introduces from those it resolves.

Severity: NO-GO `blocker`, NOT YET `major`, a warning `info`; a finding a waiver lifts stays
listed, as `info`, saying which waiver lifts it until when (the compromise stays visible).
Paths are the repository-relative paths GitLab wants: `path_prefix` (the decision repo's place in
the repository, `deploy/decisions/` or empty) before the decision repo's own path, which is
written as is (not percent-encoded: GitLab matches the path itself).
"""

from __future__ import annotations

import json
from typing import Any

from decisionlang.compare.changes import VerdictDiff
from decisionlang.core.escapes import inert_json
from decisionlang.core.model import FailOn, Report
from decisionlang.core.views import Finding, findings
from decisionlang.render.sarif import finding_level, finding_text, fingerprint

_SEVERITIES = {"error": "blocker", "warning": "major", "note": "info"}


def render_gitlab(report: Report, diff: VerdictDiff | None, *, fail_on: FailOn, path_prefix: str = "") -> str:
    """The report as a Code Quality JSON array (two-space indent, keys sorted, final newline).

    `diff` and `fail_on` do not change it: GitLab compares the report with the target branch's
    itself, and a Code Quality finding never fails a job."""
    del diff, fail_on
    issues = [code_quality_issue(finding, path_prefix) for finding in findings(report)]
    return inert_json(json.dumps(issues, indent=2, sort_keys=True, ensure_ascii=False)) + "\n"


def code_quality_issue(finding: Finding, path_prefix: str) -> dict[str, Any]:
    location = finding.location
    return {
        "type": "issue",
        "description": finding_text(finding),
        "check_name": finding.rule,
        "categories": ["Bug Risk"] if finding.verdict is not None else ["Style"],
        "fingerprint": fingerprint(finding),
        "severity": "info" if finding.waivers else _SEVERITIES[finding_level(finding)],
        "location": {
            "path": path_prefix + location.file.replace("\\", "/"),
            "lines": {"begin": location.line if location.line is not None and location.line >= 1 else 1},
        },
    }
