"""The board report (`decisionlang report`): golden HTML and Markdown, well-formed and self-contained
HTML, accessibility checks, waivers and decision-log sections, determinism, and the render time of a
1,000-subject portfolio (reported; bounded loosely so that a slow machine does not fail it).

Set DECISIONLANG_UPDATE_GOLDEN=1 (or `make golden`) to rewrite the golden files.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import given, settings
from hypothesis import strategies as st
from report_details import subject_details, with_details
from support import check_golden

from decisionlang import cli
from decisionlang.api import Project, evaluate_project, load_project
from decisionlang.core.board import Axis, BoardFacts
from decisionlang.core.model import Location, Report, SubjectResult, Verdict
from decisionlang.core.subjects import Portfolio, Subject
from decisionlang.engine.board import board_facts
from decisionlang.render.adr import DecisionRecord, decision_records, render_markdown
from decisionlang.render.html import (
    MAX_NAMED,
    BoardView,
    anchors_for,
    log_view,
    render_html,
    weak_links,
)

ROOT = Path(__file__).resolve().parent.parent
QUICKSTART = ROOT / "examples" / "quickstart"
LIBRARY = ROOT / "policies"
OUTPUT = Path(__file__).resolve().parent / "output"
AS_OF = dt.date(2026, 11, 26)
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli.main, list(args), env=env, catch_exceptions=False)


def report_of(root: Path, as_of: dt.date = AS_OF) -> tuple[Project, Report]:
    project = load_project(root)
    return project, evaluate_project(project, as_of=as_of)


def html_of(root: Path, title: str | None = None) -> str:
    project, report = report_of(root)
    return render_html(
        report, project.portfolio, board_facts(project.program, report), title=title or root.name
    )


# ---------------------------------------------------------------- a small project with everything


POLICY = """
scale criticality "Impact" { low < medium < high < critical }

schema {
  criticality:          criticality   "Impact of an outage"
  tier:                 integer 1..3  "1 = the business stops without it"
  speed:                number >= 0   "Deployments a week"
  safety:               number 0..1   "Share of changes that do not fail"
  target:               number 0..1   "The subject's own safety target"
  maturity.readability: integer 0..5  "Flows and dependencies mapped"
  maturity.operations:  integer 0..5  "Operations automated on mastered processes"
}

tradeoff speed_vs_safety "Speed vs safety" {
  fast = speed
  safe = safety
  acceptable when safe >= 80% or fast <= 1
}

tradeoff own_target "Safety vs its own target" {
  fast = speed
  safe = safety
  acceptable when safe >= target
}

policy mapped "Mapped before it changes" {
  applies to kind service
  enforcement soft
  not_yet unmapped when maturity.readability < 3
      because "readability {maturity.readability}/5"
      until   "readability reaches 3"
}

policy balanced "Delivery in balance" {
  applies to kind service
  enforcement hard
  not_yet off_balance unless speed_vs_safety and own_target
      because "changes fail too often for the pace"
      until   "fail less, or deploy less"
}

policy critical_mapped "Critical services fully mapped" {
  applies to kind service where criticality == critical
  enforcement hard
  no_go opaque when maturity.readability < 2
      because "a critical service nobody has mapped"
      until   "map it"
}
"""

SERVICES = """
services:
  - name: api
    owner: team-a
    criticality: critical
    tier: 1
    speed: 12
    safety: 0.9
    target: 0.85
    maturity: {readability: 4, operations: 3}
    depends_on: [db, legacy]
  - name: db
    owner: team-b
    criticality: critical
    tier: 1
    speed: 1
    safety: 0.95
    target: 0.9
    maturity: {readability: 2, operations: 4}
  - name: legacy
    owner: team-b
    criticality: critical
    tier: 2
    speed: 5
    safety: 0.5
    target: 0.7
    maturity: {readability: 1, operations: 1}
  - name: "odd <name> & co"
    owner: team-a
    criticality: low
    tier: 3
    speed: 0.5
    safety: 0.99
    target: 0.9
    maturity: {readability: 5}
"""

WAIVERS = """
waivers:
  - id: W-1
    subject: db
    policy: mapped
    owner: team-b
    approver: CTO
    rationale: "the mapping workshop is booked for January"
    compensating_measure: "a change freeze on db until then"
    granted: 2026-11-01
    expires: 2026-12-10
  - id: W-2
    subject: api
    policy: mapped
    owner: team-a
    approver: CTO
    rationale: "api is mapped; this waiver is stale"
    compensating_measure: "none"
    granted: 2026-11-01
    expires: 2027-06-30
"""


@pytest.fixture
def small(tmp_path: Path) -> Path:
    root = tmp_path / "small"
    (root / "policies").mkdir(parents=True)
    (root / "services").mkdir()
    (root / "waivers").mkdir()
    (root / "policies" / "p.policy").write_text(POLICY, encoding="utf-8")
    (root / "services" / "s.yaml").write_text(SERVICES, encoding="utf-8")
    (root / "waivers" / "w.yaml").write_text(WAIVERS, encoding="utf-8")
    return root


# ---------------------------------------------------------------- golden files


def test_quickstart_golden_html() -> None:
    check_golden("report/quickstart.html", html_of(QUICKSTART, "quickstart"))


def test_quickstart_golden_markdown() -> None:
    project, report = report_of(QUICKSTART)
    check_golden(
        "report/quickstart-services.md",
        render_markdown(report, project.portfolio, title="quickstart", kind="service"),
    )


# ---------------------------------------------------------------- structure


class Structure(HTMLParser):
    """Checks nesting as it parses, and keeps what the other checks need."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.ids: Counter[str] = Counter()
        self.attributes: list[tuple[str, str, str]] = []  # (tag, name, value)
        self.headings: list[int] = []
        self.tags: Counter[str] = Counter()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] += 1
        for name, value in attrs:
            self.attributes.append((tag, name, value or ""))
            if name == "id" and value:
                self.ids[value] += 1
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] += 1
        for name, value in attrs:
            self.attributes.append((tag, name, value or ""))
            if name == "id" and value:
                self.ids[value] += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes <{self.stack[-1] if self.stack else 'nothing'}>")
            return
        self.stack.pop()


def parse(text: str) -> Structure:
    parser = Structure()
    parser.feed(text)
    parser.close()
    return parser


def test_html_is_well_formed_and_ids_are_unique(small: Path) -> None:
    for page in (html_of(QUICKSTART), html_of(small)):
        assert page.startswith('<!DOCTYPE html>\n<html lang="en">')
        text = with_details(page)  # the page, and each subject's details in it (as when opened)
        structure = parse(text)
        assert structure.problems == []
        assert structure.stack == []
        assert [name for name, count in structure.ids.items() if count > 1] == []
        for _tag, name, value in structure.attributes:  # every fragment link lands somewhere
            if name == "href" and value.startswith("#"):
                assert value[1:] in structure.ids, value
            if name == "aria-labelledby":
                assert all(part in structure.ids for part in value.split()), value


def test_every_chart_is_valid_xml(small: Path) -> None:
    text = html_of(small)
    charts = re.findall(r"<svg\b.*?</svg>", text, flags=re.S)
    assert len(charts) >= 5
    for chart in charts:
        ElementTree.fromstring(chart)  # raises on malformed SVG


def test_no_external_resource(small: Path) -> None:
    for page in (html_of(QUICKSTART), html_of(small)):
        text = with_details(page)  # and nothing in the subjects' details either
        structure = parse(text)
        for tag, name, value in structure.attributes:
            if name in {"src", "href", "xlink:href", "action", "poster", "data", "srcset", "formaction"}:
                assert value.startswith(("#", "data:")), f"<{tag} {name}={value!r}>"
        assert structure.tags["link"] == 0 and structure.tags["img"] == 0 and structure.tags["iframe"] == 0
        assert "@import" not in text
        for reference in re.findall(r"url\(([^)]*)\)", text):
            assert reference.strip("'\"").startswith("#"), reference
        # the only absolute URL is the SVG namespace, which is a name, not a resource
        assert set(re.findall(r"https?://[^\s\"'<>)]+", text)) <= {"http://www.w3.org/2000/svg"}
        assert "default-src 'none'" in text  # and the browser is told so


def test_charts_and_tables_are_accessible(small: Path) -> None:
    text = with_details(html_of(small))  # the page, and the subjects' details as when opened
    for chart in re.findall(r"<svg\b.*?</svg>", text, flags=re.S):
        element = ElementTree.fromstring(chart)
        if element.get("aria-hidden") == "true":
            continue  # a decorative bar beside its number
        assert element.get("role") == "img"
        ns = "{http://www.w3.org/2000/svg}"
        title, desc = element.find(f"{ns}title"), element.find(f"{ns}desc")
        assert title is not None and (title.text or "").strip(), chart[:80]
        assert desc is not None and (desc.text or "").strip(), chart[:80]
        assert element.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    tables = re.findall(r"<table\b.*?</table>", text, flags=re.S)
    assert tables
    for table in tables:
        assert re.search(r"<caption>[^<]+", table), table[:120]
        assert '<thead><tr><th scope="col"' in table, table[:120]
    structure = parse(text)
    assert structure.headings.count(1) == 1
    steps = zip(structure.headings, structure.headings[1:], strict=False)
    assert all(after <= before + 1 for before, after in steps), "a heading level is skipped"


def test_verdicts_read_without_colour(small: Path) -> None:
    text = html_of(small)
    badges = re.findall(r'<span class="badge ([a-z-]+)">([^<]*)</span>', text)
    assert badges
    words = {verdict.value: f"{verdict.label}" for verdict in Verdict}
    for css, shown in badges:
        assert shown.split(" ", 1)[1] == words[css]  # the word, after a symbol
        assert shown[0] in "✓…✗"


def test_sections_and_subject_content(small: Path) -> None:
    text = html_of(small)
    for anchor in (
        "glance",
        "attention",
        "waivers",
        "tradeoffs",
        "maturity",
        "dependencies",
        "subjects",
        "reading",
    ):
        assert f'<section id="{anchor}"' in text
    # the justification: the because text, the facts, thresholds and margins, what must hold
    assert "changes fail too often for the pace" in text
    assert "<code>safety &lt;</code>" not in text  # escaped properly, never half a tag
    assert "readability reaches 3" in text or "fail less, or deploy less" in text
    assert "margin" in text.lower()
    # the odd name is escaped everywhere and still gets an anchor
    assert "odd &lt;name&gt; &amp; co" in text and "odd <name>" not in text
    assert 'id="s-odd-name-co"' in text


def test_waivers_shown_with_expiry_and_problems(small: Path) -> None:
    text = html_of(small)
    assert '✓ GO</span> <span class="waived">(waived: W-1, expires 2026-12-10)</span>' in text
    assert '<h2 id="waivers-h">' in text and "Waivers in force" in text
    assert "⚠ in 14 days" in text  # expiring within 30 days
    assert "Compensating measure" in text and "a change freeze on db until then" in text
    assert "Waivers that need attention" in text and "W-2" in text  # the stale one
    assert "DL-WAIVER-STALE" in text and "DL-WAIVER-EXPIRING" in text
    db = article(text, "s-db")
    assert "It is GO only because of 1 waiver (W-1)" in db
    compromise = db[db.index("Compromises knowingly accepted") :]
    assert (
        'readability 2/5</span> — <span class="badge not-yet">… NOT YET</span>' in compromise
    )  # what it lifted


def test_tradeoff_charts_zone_and_outliers(small: Path) -> None:
    text = html_of(small)
    speed = text[text.index('id="chart-tradeoff-speed_vs_safety"') :]
    speed = speed[: speed.index("</svg>")]
    assert '<path class="zone"' in speed and "The shaded area is the acceptable zone." in speed
    assert '<path class="pt-out"' in speed and ">legacy</text>" in speed  # the outlier, named
    own = text[text.index('id="chart-tradeoff-own_target"') :]
    own = own[: own.index("</svg>")]
    assert '<path class="zone"' not in own  # the zone depends on each subject's own target
    assert "cannot be drawn from these two measures alone (it depends on target)" in own


def test_dependency_view_highlights_blocking(small: Path) -> None:
    text = html_of(small)
    graph = text[text.index('id="chart-deps-api"') :]
    graph = graph[: graph.index("</svg>")]
    assert "block-no-go" in graph  # legacy is NO-GO: a blocking dependency
    assert 'class="edge blocking"' in graph
    assert "weak links (not GO): legacy" in graph
    assert "Tier-1 subjects without dependencies" in text  # db


def test_maturity_bars_per_subject(small: Path) -> None:
    text = html_of(small)
    maturity = text[text.index('<section id="maturity"') : text.index('<section id="dependencies"')]
    assert maturity.count('<svg class="bar"') == 7  # 3 subjects x 2 axes, 1 subject x 1 axis
    assert "readability" in maturity and "operations" in maturity


def test_movements_and_trend_from_a_decision_log(small: Path, tmp_path: Path) -> None:
    log = tmp_path / "decisions.sqlite"
    assert run("check", str(small), "--as-of", "2026-11-26", "--record", str(log)).exit_code in (1, 3)
    services = small / "services" / "s.yaml"
    services.write_text(services.read_text().replace("readability: 1, operations: 1", "readability: 3"))
    result = run(
        "report", str(small), "--as-of", "2026-11-26", "--log", str(log), "-o", str(tmp_path / "r.html")
    )
    assert result.exit_code == 0, result.output
    text = (tmp_path / "r.html").read_text(encoding="utf-8")
    moved = text[text.index("Moved since the last recorded decision") : text.index('<section id="attention"')]
    assert "Compared with entry 1" in moved
    assert "legacy" in moved and "NO-GO -&gt; " in moved  # the words of check --base
    assert 'id="trend"' in text and "this report" in text


def test_log_view_without_an_earlier_decision() -> None:
    project, report = report_of(QUICKSTART)
    view = log_view([], report, "abc", "decisions.sqlite")
    text = render_html(report, project.portfolio, board_facts(project.program, report), title="q", log=view)
    assert "holds no earlier decision to compare with" in text
    assert "No decision log was given" in html_of(QUICKSTART)


def test_axis_goes_logarithmic_over_orders_of_magnitude() -> None:
    assert Axis.fit([0.002, 22000.0], None).log
    linear = Axis.fit([0.2, 3.4], (0.0, 5.0))
    assert not linear.log and linear.low == 0 and linear.high == 5
    assert Axis.fit([0.992, 0.9998], (0.0, 1.0)).low > 0.9  # the declared range is not forced on a cluster


def test_render_is_deterministic_across_processes(small: Path) -> None:
    script = (
        "import datetime as dt, hashlib, sys\n"
        "from decisionlang.api import load_project, evaluate_project\n"
        "from decisionlang.engine.board import board_facts\n"
        "from decisionlang.render.html import render_html\n"
        "p = load_project(sys.argv[1]); r = evaluate_project(p, as_of=dt.date(2026, 11, 26))\n"
        "text = render_html(r, p.portfolio, board_facts(p.program, r), title='t')\n"
        "print(hashlib.sha256(text.encode()).hexdigest())\n"
    )
    digests = set()
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        completed = subprocess.run(
            [sys.executable, "-c", script, str(small)], capture_output=True, text=True, env=env, check=True
        )
        digests.add(completed.stdout.strip())
    assert len(digests) == 1


# ---------------------------------------------------------------- the CLI


def test_cli_writes_html_atomically(small: Path, tmp_path: Path) -> None:
    target = tmp_path / "board.html"
    result = run("report", str(small), "--as-of", "2026-11-26", "-o", str(target))
    assert result.exit_code == 0
    assert "wrote" in result.stderr
    assert target.read_text(encoding="utf-8") == html_of(small, "small")
    assert [path.name for path in tmp_path.iterdir() if path.name.startswith(".board")] == []


def test_cli_html_to_stdout(tmp_path: Path) -> None:
    copy = shutil.copytree(QUICKSTART, tmp_path / "quickstart")  # outside any git work tree
    result = run("report", str(copy), "--as-of", "2026-11-26", "-o", "-")
    assert result.exit_code == 0
    assert result.stdout == html_of(copy, "quickstart")
    assert "Decided from files that are not in a git work tree: no revision to name." in result.stdout


def test_cli_markdown_concatenated_and_as_files(small: Path, tmp_path: Path) -> None:
    single = tmp_path / "decisions.md"
    result = run(
        "report",
        str(small),
        "--format",
        "markdown",
        "--kind",
        "service",
        "--as-of",
        "2026-11-26",
        "-o",
        str(single),
    )
    assert result.exit_code == 0
    text = single.read_text(encoding="utf-8")
    assert text.startswith("# Decision records: small\n")
    assert text.count("\n## ") == 4 and "### Context" in text and "### Consequences" in text
    folder = tmp_path / "adr"
    result = run(
        "report",
        str(small),
        "--format",
        "markdown",
        "--kind",
        "service",
        "--as-of",
        "2026-11-26",
        "-o",
        f"{folder}/",
    )
    assert result.exit_code == 0
    assert sorted(path.name for path in folder.iterdir()) == [
        "api.md",
        "db.md",
        "index.md",
        "legacy.md",
        "odd-name-co.md",
    ]
    db = (folder / "db.md").read_text(encoding="utf-8")
    assert db.startswith("# db: ✓ GO (waived: W-1, expires 2026-12-10)\n")
    assert "## Context" in db and "## Decision" in db and "## Consequences" in db
    assert "`W-1` lifts `mapped` until 2026-12-10 (14 days left)" in db
    assert "(legacy.md)" in (folder / "index.md").read_text(encoding="utf-8")


def test_markdown_records_of_initiatives_by_default(small: Path) -> None:
    result = run("report", str(small), "--format", "markdown", "--as-of", "2026-11-26", "-o", "-")
    assert result.exit_code == cli.EXIT_INVALID
    assert "DL-CLI-NO-RECORD" in result.stderr and "--kind" in result.stderr
    project, report = report_of(ROOT / "examples" / "scaleup")
    records = decision_records(report, project.portfolio)
    assert records and all(report_kind == "initiative" for report_kind in kinds(report, records))


def kinds(report: Report, records: list[DecisionRecord]) -> list[str]:
    by_name = {result.subject: result.kind for result in report.subjects}
    return [by_name[record.subject] for record in records]


def test_cli_report_on_invalid_project(tmp_path: Path) -> None:
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "bad.policy").write_text("policy {", encoding="utf-8")
    result = run("report", str(tmp_path), "-o", str(tmp_path / "r.html"))
    assert result.exit_code == cli.EXIT_INVALID
    assert not (tmp_path / "r.html").exists()


# ---------------------------------------------------------------- 1,000 subjects


def flow(value: object) -> str:
    """A value in YAML flow style: `{a: 1, b: [x, y]}`; strings and dates as they are."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {flow(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(flow(item) for item in value) + "]"
    return str(value)


def generate_portfolio(root: Path, services: int = 900, initiatives: int = 100, seed: int = 7) -> None:
    """A deterministic portfolio on the policy library: services with every fact the library reads,
    dependencies, tier-1 tags, and initiatives targeting services."""
    rng = random.Random(seed)
    shutil.copytree(LIBRARY, root / "policies", ignore=shutil.ignore_patterns("tests"))
    (root / "services").mkdir()
    (root / "initiatives").mkdir()
    teams = [f"team-{index:02d}" for index in range(25)]
    levels = ["low", "medium", "high", "critical"]
    axes = ("readability", "scalability", "governance", "decision", "operations")
    names = [f"svc-{index:04d}" for index in range(services)]

    def service(index: int) -> dict[str, object]:
        fields: dict[str, object] = {
            "name": names[index],
            "owner": rng.choice(teams),
            "tags": ["tier-1" if rng.random() < 0.08 else "internal"],
            "criticality": rng.choice(levels),
            "business_value": rng.randint(0, 10),
            "maturity": {axis: rng.randint(1, 5) for axis in axes},
            "cost": {"monthly_eur": rng.randint(200, 60000), "unit_target_eur": rng.randint(1, 60)},
            "load": {"monthly_units": rng.randint(1000, 5000000)},
            "slo": {"target": 0.99, "measured": round(rng.uniform(0.97, 0.9999), 4)},
            "stack": {"standard_share": round(rng.uniform(0.3, 0.95), 2), "justified_exception_share": 0.03},
            "dora": {
                "deploys_per_week": round(rng.uniform(0.1, 20), 1),
                "lead_time_hours": rng.randint(2, 900),
                "change_failure_rate": round(rng.uniform(0.01, 0.4), 2),
                "restore_hours": rng.randint(1, 48),
                "measured_on": "2026-11-02",
            },
            "fragility": {"reviewed_on": f"2026-0{rng.randint(1, 9)}-15"},
            "team": {"key_people": rng.randint(1, 6)},
            "capacity": {
                "plan_updated_on": "2026-06-30",
                "headroom": {"compute": 0.4, "storage": 0.3, "network": 0.5},
            },
            "support_ends": f"20{rng.randint(26, 30)}-06-30",
        }
        dependencies = sorted(set(rng.sample(names[:index], k=min(index, rng.randint(0, 3)))))
        if dependencies:
            fields["depends_on"] = dependencies
        return fields

    def initiative(index: int) -> dict[str, object]:
        return {
            "name": f"init-{index:03d}",
            "owner": rng.choice(teams),
            "tags": [rng.choice(["ai", "finops", "security"])],
            "targets": sorted(set(rng.sample(names, k=rng.randint(1, 3)))),
            "horizon": f"H{rng.randint(1, 3)}",
            "justification": rng.choice(["roadmap", "regulation", "budget", "incident"]),
            "decided_on": "2026-10-01",
            "trajectory": f'"Theme {index % 7}"',
            "criticality": rng.choice(levels),
            "business_value": rng.randint(1, 10),
            "effort": {kind: rng.randint(1, 5) for kind in ("technical", "organisational", "human")},
            "risk": {kind: rng.randint(0, 10) for kind in ("security", "compliance", "dependencies")},
            "innovation": {"novelty": rng.randint(0, 5)},
            "security": {"safeguards": rng.randint(0, 5)},
        }

    for start in range(0, services, 100):
        items = [service(index) for index in range(start, min(start + 100, services))]
        text = "services:\n" + "".join(f"  - {flow(item)}\n" for item in items)
        (root / "services" / f"s{start:04d}.yaml").write_text(text, encoding="utf-8")
    text = "initiatives:\n" + "".join(f"  - {flow(initiative(index))}\n" for index in range(initiatives))
    (root / "initiatives" / "i.yaml").write_text(text, encoding="utf-8")


def test_a_thousand_subjects_give_one_well_formed_report(tmp_path: Path) -> None:
    """Scale, without timing (speed is measured by benchmarks/bench_report.py): every subject has its
    article, the document is well formed, and the charts are there."""
    root = tmp_path / "big"
    generate_portfolio(root)
    project = load_project(root)
    assert not project.errors, project.errors[:3]
    report = evaluate_project(project, as_of=AS_OF)
    assert len(report.subjects) == 1000
    facts = board_facts(project.program, report)  # the zones, evaluated by the engine
    text = render_html(report, project.portfolio, facts, title="big")
    structure = parse(text)
    assert structure.problems == [] and structure.stack == []
    assert text.count('<tr id="s-') == 1000  # one index row per subject
    details = subject_details(text)
    assert len(details) == 1000 and all(
        html.startswith('<article class="subject') for html in details.values()
    )
    structure = parse(with_details(text))
    assert structure.problems == [] and structure.stack == []
    assert [name for name, count in structure.ids.items() if count > 1] == []
    # the summaries summarise: beyond 100 subjects, counts for all and the first 100 rows
    attention = text[text.index('<section id="attention"') : text.index('<section id="policies"')]
    assert "What holds them back: subjects per reason" in attention
    assert attention.count("<tr>") <= 2 * (100 + 1) and "more subjects: the" in attention
    maturity = text[text.index('<section id="maturity"') : text.index('<section id="dependencies"')]
    assert "Subjects per level reached" in maturity and maturity.count('<a href="#s-') == 0
    services = [html for html in details.values() if '<span class="kind">service</span></h3>' in html]
    assert len(services) == 900 and all("<dt>Maturity</dt>" in html for html in services)  # their scores
    dependencies = text[text.index('<section id="dependencies"') : text.index('<section id="subjects"')]
    drawn = dependencies.count('<svg class="chart" id="chart-deps-')
    assert 0 < drawn <= 24
    undrawn = [html for html in details.values() if "<h4>Dependencies</h4>" in html]
    tier_one_with_dependencies = [
        subject
        for subject in project.portfolio.subjects
        if "tier-1" in subject.fields.get("tags", ()) and project.portfolio.dependencies_of(subject.name)
    ]
    assert drawn + len(undrawn) == len(tier_one_with_dependencies)
    assert len(text.encode("utf-8")) < 2_500_000  # 1.7 MB (9 MB when every subject was HTML)
    assert text.count('role="img"') > 10


# ---------------------------------------------------------------- the board report's defects (issue 8)

BOARD_POLICY = """
scale criticality { low < medium < high < critical }

schema {
  criticality:  criticality
  support_ends: date
  value:        integer 0..10
  effort:       integer 1..5
  cost:         number >= 0 unit "€"
}

criteria worth "Worth it" {
  value  weight 2 over 0..10
  effort weight -1 over 1..5
  normalize to 100
}

policy supported "Supported dependencies" {
  no_go unsupported when any(t in depends_on: t.support_ends < today)
      because "a dependency is out of support"
}

policy own_support "Own support" {
  applies to kind service where criticality >= high
  no_go ended when support_ends < today because "support ended on {support_ends}"
}

policy value "Worth the money" {
  not_yet low_value when score(worth) < 70 because "scores {score(worth)}/100"
  not_yet dear when cost > 1000 because "costs {cost} €"
}
"""

BOARD_SERVICES = """
services:
  - {name: app, criticality: high, support_ends: 2026-09-24, value: 7, effort: 3, cost: 1200,
     depends_on: [lib-a, lib-b]}
  - {name: lib-a, criticality: low, support_ends: 2027-01-31, value: 5, effort: 1, cost: 10}
  - {name: lib-b, criticality: low, support_ends: 2026-10-31, value: 5, effort: 1, cost: 10}
"""


@pytest.fixture
def board(tmp_path: Path) -> Path:
    root = tmp_path / "board"
    (root / "policies").mkdir(parents=True)
    (root / "services").mkdir()
    (root / "policies" / "p.policy").write_text(BOARD_POLICY, encoding="utf-8")
    (root / "services" / "s.yaml").write_text(BOARD_SERVICES, encoding="utf-8")
    return root


def article(text: str, anchor: str) -> str:
    return subject_details(text)[anchor]


def test_what_was_checked_names_the_item_an_aggregate_compared(board: Path) -> None:
    app = article(html_of(board), "s-app")
    assert '<code>t.support_ends &lt;</code> <span class="where">[t = lib-a]</span>' in app
    assert '<code>t.support_ends &lt;</code> <span class="where">[t = lib-b]</span>' in app


def test_a_blocking_rule_says_it_blocks_and_by_how_much_in_its_unit(board: Path) -> None:
    app = article(html_of(board), "s-app")
    assert "<td>holds</td><td>blocks by 63 days</td>" in app  # support ended 63 days before AS_OF
    assert "<td>holds</td><td>blocks by 26 days</td>" in app  # lib-b, inside the aggregate
    assert "<td>does not hold</td><td>passes by 66 days</td>" in app  # lib-a
    assert "<td>holds</td><td>blocks by 200 €</td>" in app
    assert "holds +63" not in app and "+63" not in app


def test_a_normalised_score_shows_its_rescale_step(board: Path) -> None:
    app = article(html_of(board), "s-app")
    # value 7 of 0..10 weighs 2 x 0.7 = 1.4, effort 3 of 1..5 weighs -1 x 0.5 = -0.5: raw 0.9 of -1..2
    assert "worth &quot;Worth it&quot; = 63.33 out of 100" in app
    assert "rescaled from -1..2 to 0..100: (0.9 - -1) / (2 - -1) × 100 = 63.33" in app
    assert "scores 63.33/100" in app and "63.3333" not in app


def git(root: Path, *args: str) -> str:
    environment = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org"}
    environment |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}
    done = subprocess.run(
        ["git", *args], cwd=root, env=environment, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_the_report_names_the_commit_and_uncommitted_changes(board: Path, tmp_path: Path) -> None:
    git(board, "init", "-q")
    git(board, "add", ".")
    git(board, "commit", "-q", "-m", "decisions")
    commit = git(board, "rev-parse", "HEAD")
    clean = run("report", str(board), "--as-of", "2026-11-26", "-o", "-").stdout
    assert f'Decided from commit <code title="{commit}">{commit[:12]}</code>' in clean
    assert "with no uncommitted change." in clean
    (board / "services" / "s.yaml").write_text(BOARD_SERVICES.replace("cost: 1200", "cost: 900"), "utf-8")
    dirty = run("report", str(board), "--as-of", "2026-11-26", "-o", "-").stdout
    assert f"{commit[:12]}</code> of the decision repo, <strong>with uncommitted changes</strong>" in dirty


MATURITY_POLICY = """
schema {
  runbook: bool
  on_call: bool
  maturity.operations: integer 0..5 "Operations automated"
}

maturity ops_readiness "Operational readiness" {
  level basic { has_runbook: runbook }
  level managed { has_on_call: on_call }
}

maturity automation "Automation" {
  level scripted { scripts: maturity.operations >= 2 }
}

maturity unused "Declared, read by no policy" {
  level one { written: runbook }
}

policy ready {
  not_yet unready when level(ops_readiness) < 2 and level(automation) < 1
}
"""


def test_every_maturity_model_declared_appears_whatever_its_name(tmp_path: Path) -> None:
    root = tmp_path / "m"
    (root / "policies").mkdir(parents=True)
    (root / "services").mkdir()
    (root / "policies" / "p.policy").write_text(MATURITY_POLICY, encoding="utf-8")
    services = "services:\n  - {name: svc, runbook: true, on_call: false, maturity: {operations: 1}}\n"
    (root / "services" / "s.yaml").write_text(services, encoding="utf-8")
    text = html_of(root)
    maturity = text[text.index('<section id="maturity"') : text.index('<section id="dependencies"')]
    assert "<code>ops_readiness</code>: 1 subject placed on its levels" in maturity
    assert "<code>automation</code>: 1 subject placed on its levels" in maturity
    assert "<code>unused</code>: no policy reads its level" in maturity
    assert "ops_readiness: 1 basic, next: managed" in maturity  # not named maturity.*, still shown
    assert "automation: 0 (none), next: scripted" in maturity


def test_the_zone_is_the_engines_own_evaluation(small: Path) -> None:
    """The shaded cells are where the engine's compiled condition holds, with its own semantics."""
    project, report = report_of(small)
    facts = board_facts(project.program, report)
    chart = next(chart for chart in facts.tradeoffs if chart.name == "speed_vs_safety")
    assert chart.zone is not None and chart.constants == ()
    zone = chart.zone
    for row, cells in enumerate(zone.cells):
        safe = zone.y.value(1 - (row + 0.5) / zone.rows)
        for column, cell in enumerate(cells):
            fast = zone.x.value((column + 0.5) / zone.columns)
            assert cell is (safe >= 0.8 or fast <= 1), (fast, safe)
    own = next(chart for chart in facts.tradeoffs if chart.name == "own_target")
    assert own.zone is not None and own.zone.depends_on == ("target",)
    assert {cell for cells in own.zone.cells for cell in cells} == {None}


# ---------------------------------------------------------------- the dependency closure, at scale


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.lists(st.integers(min_value=0, max_value=11), max_size=4),  # each subject's depends_on
        min_size=1,
        max_size=12,
    ),
    st.lists(st.sampled_from(list(Verdict)), min_size=12, max_size=12),
)
def test_closure_bits_are_the_portfolios_closure(graph: list[list[int]], verdicts: list[Verdict]) -> None:
    """The report works the dependency closures out once, over strongly connected components, as
    bit sets: the same subjects as `Portfolio.closure` for every subject, cycles, self-references
    and names outside the portfolio included; the weak links are those of them that are not GO."""
    names = [f"s{index:02d}" for index in range(len(graph))]
    subjects = [
        Subject(name, "service", "s.yaml", 1, 1, {"depends_on": [f"s{dep:02d}" for dep in deps]}, {})
        for name, deps in zip(names, graph, strict=True)
    ]
    portfolio = Portfolio.of(subjects)
    results = tuple(
        SubjectResult(name, "service", verdicts[index], Location("s.yaml", 1, 1), (), (), ())
        for index, name in enumerate(names)
    )
    report = Report(Verdict.worst([result.verdict for result in results]), results)
    view = BoardView("t", report, portfolio, BoardFacts(), anchors_for(report), None)
    for name in names:
        expected = portfolio.closure(name, "depends_on")
        bits = view.closure_bits(name)
        assert view.names_of(bits, len(names)) == list(expected)
        count, first = weak_links(view, name)
        weak = [other for other in expected if verdicts[names.index(other)] is not Verdict.GO]
        assert count == len(weak) and first == weak[:MAX_NAMED]
