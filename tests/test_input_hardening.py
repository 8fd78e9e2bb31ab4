"""Bad input at the load stage: text that is not characters, numbers beyond float range, paths with
NUL bytes or names that are not UTF-8, deep trees, floods of diagnostics, one date rule."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from support import check_golden

from decisionlang import cli
from decisionlang.core.diagnostics import Diagnostic, render_text
from decisionlang.inputs.layout import policy_source
from decisionlang.inputs.sources import SourceFile, SourceSet
from decisionlang.inputs.yamlreader import read_yaml

ROOT = Path(__file__).parent.parent
QUICKSTART = ROOT / "examples" / "quickstart"
SUBJECT = "name: zz\nowner: t\ncriticality: low\ntier: 1\nbusiness_value: 1\neffort: 1\n"

# Every input kind the one YAML reader serves, by the prefix that codes its problems.
PREFIXES = ("DL-STATE", "DL-WAIVER", "DL-TEST", "DL-CONFIG", "DL-IMPORT")


def run(*args: str) -> Result:
    return CliRunner().invoke(cli.main, list(args), catch_exceptions=False)


def run_process(*args: str | bytes) -> subprocess.CompletedProcess[bytes]:
    """The CLI in its own process: what a terminal or CI job sees, encoding included."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "decisionlang", *args], capture_output=True, env=environment, check=False
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    target = tmp_path / "repo"
    shutil.copytree(QUICKSTART, target)
    return target


def rendered(diagnostics: list[Diagnostic] | tuple[Diagnostic, ...]) -> str:
    return "\n\n".join(render_text(diagnostic) for diagnostic in diagnostics) + "\n"


# ---------------------------------------------------------------------------------------------
# text that is not characters


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('name: "bad\\ud800"\n', (1, 11)),  # a value
        ('"k\\udc00": 1\n', (1, 3)),  # a key
        ("- x\n- ['a', \"\\U0000DBFF\"]\n", (2, 10)),  # an item of a flow list
        ('a: "line one\n  \\ud800 on two"\n', (1, 4)),  # escape not on the first line: the text
        ("a: \ud800\n", (1, 4)),  # a plain scalar of text given in memory
    ],
)
def test_a_lone_surrogate_is_refused_where_it_is_written(
    prefix: str, text: str, where: tuple[int, int]
) -> None:
    read = read_yaml(("f.yaml", text), prefix=prefix)
    assert read.documents == ()
    (problem,) = read.diagnostics
    assert problem.code == f"{prefix}-YAML"
    assert problem.span is not None and (problem.span.line, problem.span.column) == where
    assert "surrogate" in problem.message
    rendered([problem]).encode("utf-8")  # every output can write it


def test_a_surrogate_pair_is_the_character_json_means() -> None:
    read = read_yaml(("f.yaml", 'a: "\\ud83d\\ude00 ok"\n'), prefix="DL-STATE")
    assert read.diagnostics == ()
    assert read.documents[0].value == {"a": "\U0001f600 ok"}


def test_surrogates_golden() -> None:
    text = 'name: "b\\ud83d\\ude00 x\\ud800"\n"k\\udc00": 1\nok: "\\\\ud800 is written escaped"\n'
    read = read_yaml(("services/z.yaml", text), prefix="DL-STATE")
    assert len(read.diagnostics) == 2
    check_golden("inputs/surrogates.txt", rendered(read.diagnostics))


@pytest.mark.parametrize("output_format", ["text", "json", "sarif", "markdown", "github", "junit"])
def test_a_surrogate_in_a_subject_name_is_a_load_error_in_every_format(
    repo: Path, output_format: str
) -> None:
    (repo / "services" / "z.yaml").write_text(SUBJECT.replace("zz", '"z\\udfff"'), encoding="utf-8")
    result = run_process("check", str(repo), "--format", output_format)
    assert result.returncode == cli.EXIT_INVALID, result.stderr
    assert b"Traceback" not in result.stderr
    assert b"services/z.yaml:1:9: error[DL-STATE-YAML]" in result.stderr
    if output_format == "json":
        assert json.loads(result.stdout)["diagnostics"][0]["code"] == "DL-STATE-YAML"


def test_a_surrogate_in_a_policy_given_in_memory_is_located() -> None:
    files = SourceSet.from_memory({"policies/a.policy": 'scale s "x\ud800" { a < b }\n'})
    (problem,) = [d for d in files.diagnostics if d.is_error]  # besides: no state file
    assert (problem.code, str(problem.span)) == ("DL-PARSE-ENCODING", "policies/a.policy:1:11")
    source, problem = policy_source(SourceFile("policies/a.policy", 'scale s "x\ud800" { a < b }\n'))
    assert source is None and problem is not None
    assert (problem.code, str(problem.span)) == ("DL-PARSE-ENCODING", "policies/a.policy:1:11")
    assert "surrogate" in problem.message


def test_a_file_name_that_is_not_utf8_is_refused_by_its_bytes(repo: Path) -> None:
    name = os.fsdecode(b"z\xff.yaml")
    (repo / "services" / name).write_text(SUBJECT, encoding="utf-8")
    result = run_process("check", str(repo), "--format", "json")
    assert result.returncode == cli.EXIT_INVALID
    (problem,) = json.loads(result.stdout)["diagnostics"]
    assert problem["code"] == "DL-STATE-READ"
    assert problem["file"] == "services/z\\xff.yaml"
    assert "not valid UTF-8" in problem["message"]


def test_a_directory_given_with_bytes_that_are_not_utf8_is_named_by_them(tmp_path: Path) -> None:
    directory = os.fsencode(tmp_path) + b"/repo\xff"
    shutil.copytree(QUICKSTART, os.fsdecode(directory))
    report = tmp_path / "report.html"
    assert run_process("report", directory, "-o", str(report)).returncode == 0
    assert "repo\\xff" in report.read_text(encoding="utf-8")
    missing = run_process("check", directory + b"-missing", "--format", "json")
    assert missing.returncode == cli.EXIT_INVALID
    assert "repo\\xff-missing" in json.loads(missing.stdout)["diagnostics"][0]["message"]
