"""The board report in a real browser: Debian's chromium, headless, on the examples.

Chromium is installed by `scripts/install-chromium.sh` when /usr/bin/chromium is missing and the
tests run as root (as on the project's machines and in CI); otherwise these tests are skipped with
the reason. Set DECISIONLANG_SKIP_BROWSER=1 to skip them on purpose.

Each report is opened from a file:// URL with networking off. The tests check that the inline script
ran without an error (it writes `data-status="ok"` into the DOM only then), that nothing was logged
to the console (a script error, or a blocked request: the report's Content-Security-Policy refuses
anything outside the file), that every section and chart is in the rendered DOM, and they save a
screenshot and a PDF print under tests/output/browser/ (git-ignored).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import struct
import subprocess
from pathlib import Path

import pytest
from browser_cdp import Browser, Page

from decisionlang.api import evaluate_project, load_project, plan
from decisionlang.engine.board import board_facts
from decisionlang.render.html import render_html

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = Path(__file__).resolve().parent / "output" / "browser"
CHROMIUM = Path("/usr/bin/chromium")
INSTALL = ROOT / "scripts" / "install-chromium.sh"
AS_OF = dt.date(2026, 11, 26)
SECTIONS = ("glance", "attention", "policies", "waivers", "tradeoffs", "maturity", "dependencies", "subjects")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
)


@pytest.fixture(scope="module")
def chromium() -> Path:
    if os.environ.get("DECISIONLANG_SKIP_BROWSER") == "1":
        pytest.skip("DECISIONLANG_SKIP_BROWSER=1")
    if not CHROMIUM.exists():
        if os.geteuid() != 0:
            pytest.skip(
                "chromium is missing and installing it needs root: run scripts/install-chromium.sh as root"
            )
        completed = subprocess.run(
            ["bash", str(INSTALL)], capture_output=True, text=True, timeout=1800, check=False
        )
        if completed.returncode != 0 or not CHROMIUM.exists():
            pytest.fail(
                f"scripts/install-chromium.sh failed (exit {completed.returncode}):\n"
                f"{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}"
            )
    return CHROMIUM


def browse(chromium: Path, page: Path, profile: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    arguments = [str(chromium), *FLAGS, f"--user-data-dir={profile}", *extra, page.as_uri()]
    return subprocess.run(arguments, capture_output=True, text=True, timeout=180, check=False)


def console_lines(stderr: str) -> list[str]:
    """What the page logged: script errors, CSP refusals, console calls."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.fixture(scope="module", params=["quickstart", "scaleup"])
def page(request: pytest.FixtureRequest) -> tuple[str, Path, str]:
    name: str = request.param
    project = load_project(ROOT / "examples" / name)
    report = evaluate_project(project, as_of=AS_OF)
    # scaleup with a budget: the section What to fund (`report --budget`), as governance.md shows it
    funding = (
        plan(project, report, budget=600_000, capacities={"team-platform": 1}) if name == "scaleup" else None
    )
    facts = board_facts(project.program, report)
    text = render_html(report, project.portfolio, facts, title=name, plan=funding)
    OUTPUT.mkdir(parents=True, exist_ok=True)
    path = OUTPUT / f"{name}.html"
    path.write_text(text, encoding="utf-8")
    return name, path, text


def test_report_renders_in_chromium(chromium: Path, page: tuple[str, Path, str], tmp_path: Path) -> None:
    name, path, static = page
    completed = browse(chromium, path, tmp_path / "profile", "--dump-dom")
    assert completed.returncode == 0, completed.stderr[-3000:]
    dom = completed.stdout
    assert console_lines(completed.stderr) == []
    status = re.search(r'<p id="report-status"[^>]*>', dom)
    assert status is not None
    assert 'data-status="ok"' in status.group(0), re.findall(r'<p id="report-status".*?</p>', dom)
    charts = static.count('role="img"')
    assert f'data-charts="{charts}"' in status.group(0)
    assert dom.count('role="img"') == charts and charts >= 3
    for anchor in SECTIONS:
        assert f'<section id="{anchor}"' in dom, anchor
    assert 'id="verdict-bar"' in dom
    project = load_project(ROOT / "examples" / name)
    for tradeoff in project.program.tradeoffs:
        assert f'id="tradeoff-{tradeoff}"' in dom
    assert dom.count('<tr id="s-') == len(project.portfolio.subjects)  # the index, one row each
    assert re.search(r'<div class="filter" id="subject-filter"(?! hidden)', dom), "the filter was not enabled"
    if name == "scaleup":
        assert dom.count('id="chart-deps-') >= 3
        assert 'class="zone"' in dom and 'class="pt-out"' in dom
        fund = re.search(r'<section id="what-to-fund".*?</section>', dom, re.S)
        assert fund is not None, "the section What to fund is not in the rendered page"
        assert '<a href="#what-to-fund">What to fund</a>' in dom  # in the contents
        body = fund.group(0)
        assert body.count("<tr>") >= 1 + 4 + 1 + 4  # funded: a header and 4 rows; left out: a header and 4
        assert "nordics-expansion" in body and "once: decided_on" in body
        assert "does not fit: needs 260" in body and "Next budget step" in body
    else:
        assert '<section id="what-to-fund"' not in dom  # no budget, no section


def test_screenshot_and_print(chromium: Path, page: tuple[str, Path, str], tmp_path: Path) -> None:
    name, path, _static = page
    shot = OUTPUT / f"{name}.png"
    shot.unlink(missing_ok=True)
    completed = browse(chromium, path, tmp_path / "shot", f"--screenshot={shot}", "--window-size=1280,2000")
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert console_lines(completed.stderr) == []
    assert png_size(shot) == (1280, 2000)
    assert shot.stat().st_size > 20_000  # text and charts, not a blank page
    pdf = OUTPUT / f"{name}.pdf"
    pdf.unlink(missing_ok=True)
    completed = browse(chromium, path, tmp_path / "print", f"--print-to-pdf={pdf}", "--no-pdf-header-footer")
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert pdf.read_bytes()[:5] == b"%PDF-"
    assert pdf.stat().st_size > 20_000


# ---------------------------------------------------------------- a reader's actions, driven in the page


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, str]]:
    """quickstart (its details as plain JSON) and a 300-subject portfolio (details compressed)."""
    from test_report_html import generate_portfolio

    root = tmp_path_factory.mktemp("big") / "big"
    generate_portfolio(root, services=270, initiatives=30)
    found: dict[str, tuple[Path, str]] = {}
    OUTPUT.mkdir(parents=True, exist_ok=True)
    for name, directory in (("quickstart", ROOT / "examples" / "quickstart"), ("three-hundred", root)):
        project = load_project(directory)
        report = evaluate_project(project, as_of=AS_OF)
        text = render_html(report, project.portfolio, board_facts(project.program, report), title=name)
        path = OUTPUT / f"interactive-{name}.html"
        path.write_text(text, encoding="utf-8")
        found[name] = (path, text)
    return found


@pytest.mark.parametrize("name", ["quickstart", "three-hundred"])
def test_open_search_and_filter_in_chromium(
    chromium: Path, pages: dict[str, tuple[Path, str]], name: str, tmp_path: Path
) -> None:
    path, text = pages[name]
    encoding = "json" if name == "quickstart" else "deflate-base64"
    assert f'"encoding":"{encoding}"' in text
    browser = Browser(chromium, tmp_path / "profile", FLAGS)
    try:
        page = Page(browser, path.as_uri())
        assert page.eval("document.getElementById('report-status').dataset.status") == "ok"
        rows = page.eval("document.querySelectorAll('#subject-index > tbody > tr').length")
        assert rows == text.count('<tr id="s-')
        assert page.eval("document.querySelectorAll('tr.detail').length") == 0  # nothing opened yet
        # open a subject by its name: its details appear under its row
        row = "document.querySelectorAll('#subject-index > tbody > tr')[" + str(rows - 1) + "]"
        subject = page.eval(f"{row}.querySelector('th a').textContent")
        page.eval(f"{row}.querySelector('th a').click()")
        page.wait(f"{row}.nextElementSibling && {row}.nextElementSibling.classList.contains('detail')")
        detail = page.eval(f"{row}.nextElementSibling.textContent")
        assert f"{subject} is " in detail and "Policies applied" in detail
        assert page.eval(f"{row}.querySelector('th a').getAttribute('aria-expanded')") == "true"
        page.eval(f"{row}.querySelector('th a').click()")  # and closes it again
        assert page.eval(f"{row}.nextElementSibling.hidden") is True
        # a link to a subject (as from the summaries) opens it
        first = page.eval("document.querySelector('#subject-index > tbody > tr').id")
        page.eval(f"location.hash = '#{first}'")
        page.wait(f"document.getElementById('{first}').classList.contains('open')")
        assert "<article" in page.eval(f"document.getElementById('{first}').nextElementSibling.innerHTML")
        if name == "scaleup":  # each fact a reason read says where it comes from, and how old it is
            page.eval("location.hash = '#s-billing-engine'")
            page.wait("document.getElementById('s-billing-engine').classList.contains('open')")
            facts = page.eval("document.getElementById('s-billing-engine').nextElementSibling.textContent")
            assert "observed 2026-10-31 by dora-exporter, 26 days ago, fresh for 90 days" in facts
        # search: the rows shown all match every word, and the count says how many
        word = page.eval(f"{row}.cells[2].textContent")  # an owner
        page.eval(
            f"(function (input) {{ input.value = {json.dumps(word)};"
            " input.dispatchEvent(new Event('input')); })"
            "(document.querySelector('#subject-filter input[type=search]'))"
        )
        shown = page.eval(
            "[...document.querySelectorAll('#subject-index > tbody > tr:not(.detail)')]"
            ".filter(r => !r.hidden).map(r => r.textContent)"
        )
        assert shown and all(word.lower() in line.lower() for line in shown)
        assert page.eval("document.querySelector('#subject-filter output').textContent") == (
            f"{len(shown)} of {rows} subjects shown"
        )
        # filter: without GO, no GO row is shown
        page.eval(
            "(function (input) { input.value = ''; input.dispatchEvent(new Event('input')); })"
            "(document.querySelector('#subject-filter input[type=search]'))"
        )
        page.eval("document.querySelector('#subject-filter input[value=go]').click()")
        visible = page.eval(
            "[...document.querySelectorAll('#subject-index > tbody > tr:not(.detail)')]"
            ".filter(r => !r.hidden).map(r => r.className.split(' ')[0])"
        )
        assert (
            visible
            and "go" not in visible
            and len(visible) == text.count('class="not-yet"><th') + text.count('class="no-go"><th')
        )
        assert page.problems() == []
        assert page.eval("document.getElementById('report-status').dataset.status") == "ok"
    finally:
        stderr = browser.close()
    assert console_lines(stderr) == []
