"""Regenerate the screenshots of docs/governance.md: the board report of examples/scaleup, as of
2026-11-26, in Debian's headless chromium (installed by scripts/install-chromium.sh when missing).

    .venv/bin/python scripts/report-screenshots.py [--output docs/images]

`report.png` is the top of the report as a board opens it. The other images show one part of the
same report: the page is rendered with the other parts hidden (one added CSS rule), so that what
is shown is exactly what the report draws. Chromium's screenshot starts at the top of the page.
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from decisionlang.api import evaluate_project, load_project  # noqa: E402
from decisionlang.engine.board import board_facts  # noqa: E402
from decisionlang.render.html import render_html  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
AS_OF = dt.date(2026, 11, 26)
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)

# image name -> (CSS keeping one part, window height)
VIEWS = {
    "report.png": ("", 2000),
    "report-tradeoffs.png": (
        "header, main > section:not(#tradeoffs), #tradeoffs > * { display: none; }"
        " #tradeoffs > h2, #tradeoffs > p:first-of-type, #tradeoff-speed_vs_robustness,"
        " #tradeoff-speed_vs_robustness + p, #tradeoff-speed_vs_robustness + p + figure { display: block; }",
        1050,
    ),
    "report-waivers.png": (
        "header, main > section:not(#waivers) { display: none; }",
        1000,
    ),
    "report-dependencies.png": (
        "header, main > section:not(#dependencies) { display: none; }",
        1300,
    ),
    "report-subject.png": (
        "header, main > section:not(#subjects), #subjects > p, article.subject:not(#s-billing-engine)"
        " { display: none !important; }",
        1500,
    ),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "images")
    options = parser.parse_args()
    if not CHROMIUM.exists():
        subprocess.run(["bash", str(ROOT / "scripts" / "install-chromium.sh")], check=True)
    project = load_project(ROOT / "examples" / "scaleup")
    report = evaluate_project(project, as_of=AS_OF)
    page = render_html(report, project.portfolio, board_facts(project.program, report), title="scaleup")
    options.output.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        for name, (css, height) in VIEWS.items():
            html = page.replace("</style>", f"{css}\n</style>", 1) if css else page
            if name == "report-subject.png":  # one justification unfolded, as a reader would
                start = html.index('id="s-billing-engine"')
                html = html[:start] + html[start:].replace("<details>", "<details open>", 1)
            source = Path(scratch) / f"{name}.html"
            source.write_text(html, encoding="utf-8")
            target = options.output / name
            arguments = [
                str(CHROMIUM),
                *FLAGS,
                f"--user-data-dir={Path(scratch) / 'profile'}",
                f"--screenshot={target}",
                f"--window-size=1280,{height}",
                source.as_uri(),
            ]
            subprocess.run(arguments, check=True, capture_output=True, timeout=180)
            print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
