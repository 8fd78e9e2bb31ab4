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
from decisionlang.core.diagnostics import Diagnostic, Severity, render_text
from decisionlang.core.undetermined import OutOfRange
from decisionlang.inputs.layout import policy_source
from decisionlang.inputs.sources import SourceFile, SourceSet
from decisionlang.inputs.states import load_states
from decisionlang.inputs.yamlreader import read_yaml
from decisionlang.language.types import DURATION, NUMBER, TEXT, FieldSpec, ScaleType, list_of

ROOT = Path(__file__).parent.parent
QUICKSTART = ROOT / "examples" / "quickstart"
SUBJECT = "name: zz\nowner: t\ncriticality: low\ntier: 1\nbusiness_value: 1\neffort: 1\n"

LEVEL = ScaleType("level", ("low", "high"))
NUMBERS: dict[str, FieldSpec] = {
    spec.path: spec
    for spec in (
        FieldSpec("criticality", LEVEL),
        FieldSpec("risk.security", NUMBER, minimum=0, maximum=10),
        FieldSpec("cost.monthly", NUMBER, minimum=0),
        FieldSpec("review_every", DURATION),
        FieldSpec("replicas", NUMBER, integer=True, minimum=1),
        FieldSpec("zones", list_of(NUMBER)),
        FieldSpec("owner", TEXT),
    )
}

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


# ---------------------------------------------------------------------------------------------
# numbers beyond float range


HUGE = "1" + "0" * 320
ENORMOUS = "9" * 5000  # past Python's int-to-str limit


@pytest.mark.parametrize(
    "written", [HUGE, "-" + HUGE, ENORMOUS, "1e999", "-1e999", ".inf", "-.inf", ".nan", "0x" + "f" * 300]
)
def test_a_number_beyond_float_range_is_kept_as_written(written: str) -> None:
    read = read_yaml(("f.yaml", f"a: {written}\nb: [1, {written}]\n"), prefix="DL-STATE")
    assert read.diagnostics == ()
    value = read.documents[0].value
    assert value["a"] == OutOfRange(written)
    assert value["b"] == [1, OutOfRange(written)]


@pytest.mark.parametrize("written", ["1" + "0" * 308, "1.7e308", "-1e308", "1e-999", "0x" + "f" * 200])
def test_a_number_within_float_range_is_a_number(written: str) -> None:
    read = read_yaml(("f.yaml", f"a: {written}\n"), prefix="DL-STATE")
    assert isinstance(read.documents[0].value["a"], int | float)


def test_a_state_number_beyond_range_is_a_located_warning_and_the_value_is_kept() -> None:
    text = (
        f"name: api\ncriticality: low\nrisk: {{security: {ENORMOUS}}}\ncost:\n  monthly: 1e999\n"
        f"review_every: {HUGE} days\nzones: [1, -1e999]\nreplicas: .nan\nowner: 1e999\n"
    )
    _, diagnostics = load_states([("states/api.yaml", text)], NUMBERS)
    check_golden("inputs/numbers.txt", rendered(diagnostics))
    assert [(d.code, d.severity) for d in diagnostics] == [
        *[("DL-STATE-NUMBER", Severity.WARNING)] * 5,
        ("DL-STATE-TYPE", Severity.ERROR),  # a text field: the usual type error
    ]
    assert "digits" in diagnostics[0].message and "set_int_max_str_digits" not in rendered(diagnostics)
    assert len(rendered(diagnostics)) < 4000  # the 5,000 digits are not repeated


def test_a_state_number_beyond_range_reaches_the_subject_as_out_of_range() -> None:
    text = f"name: api\ncriticality: low\nrisk: {{security: {HUGE}}}\nreplicas: 1e999\n"
    portfolio, diagnostics = load_states([("states/api.yaml", text)], NUMBERS)
    assert {d.code for d in diagnostics} == {"DL-STATE-NUMBER"}
    (api,) = portfolio.subjects
    assert api.fields["risk.security"] == OutOfRange(HUGE)
    assert api.fields["replicas"] == OutOfRange("1e999")
    assert api.location_of("risk.security") == (3, 18)


def test_validate_shows_the_warning_where_the_number_is_written(repo: Path) -> None:
    (repo / "services" / "z.yaml").write_text(
        SUBJECT.replace("tier: 1", f"tier: {ENORMOUS}"), encoding="utf-8"
    )
    result = run("validate", str(repo))
    assert result.exit_code == 0
    assert "services/z.yaml:4:7: warning[DL-STATE-NUMBER]: `tier` is a number of 5000 digits" in result.output
    assert "set_int_max_str_digits" not in result.output


# ---------------------------------------------------------------------------------------------
# floods: a cap per file, long lines excerpted


def flood(count: int) -> str:
    """One line of `count` subjects, each with two mistakes: about 46 KB for 1,000."""
    subjects = ", ".join(f"{{name: s{i}, criticality: bogus{i}, tier: x}}" for i in range(count))
    return f"services: [{subjects}]\n"


def test_a_one_line_file_of_2000_mistakes_writes_a_bounded_report(repo: Path) -> None:
    (repo / "services" / "z.yaml").write_text(flood(1000), encoding="utf-8")
    result = run_process("validate", str(repo))  # was 137 MB on stderr
    assert result.returncode == cli.EXIT_INVALID
    assert len(result.stderr) < 64_000
    assert result.stderr.count(b"error[DL-STATE-") == 50
    assert b"error[DL-INPUT-CAPPED]: \xe2\x80\xa6 and 1950 more problems in this file" in result.stderr
    failure = run_process("check", str(repo), "--format", "json")
    assert failure.returncode == cli.EXIT_INVALID
    diagnostics = json.loads(failure.stdout)["diagnostics"]
    assert len(diagnostics) == 51 and diagnostics[-1]["code"] == "DL-INPUT-CAPPED"
    assert (diagnostics[-1]["line"], diagnostics[-1]["column"]) == (1, 1117)  # the first left out


def test_the_cap_counts_what_it_leaves_out_per_file() -> None:
    from decisionlang.core.diagnostics import CAPPED, capped

    many = [Diagnostic("DL-X", f"p{i}", file="a", line=i) for i in range(1, 54)]
    few = [Diagnostic("DL-X", "q", file="b", line=1, severity=Severity.WARNING)]
    kept = capped(many + few)
    assert [d.message for d in kept[:50]] == [f"p{i}" for i in range(1, 51)]
    assert kept[50].message == "q"
    assert (kept[51].code, kept[51].where, kept[51].is_error) == (CAPPED, "a:51:1", True)
    assert "3 more problems" in kept[51].message and "(3 errors, 0 warnings)" in kept[51].message
    assert capped(few) == few


@pytest.mark.parametrize(
    ("line", "column", "width", "expected"),
    [
        ("abc: 12", 6, 2, ["1 | abc: 12", "  |      ^^"]),
        (
            "x" * 200 + "BAD" + "y" * 200,
            201,
            3,
            ["1 | …" + "x" * 40 + "BAD" + "y" * 77 + "…", "  | " + " " * 41 + "^^^"],
        ),
        ("y" * 200 + "BAD", 201, 3, ["1 | …" + "y" * 117 + "BAD", "  | " + " " * 118 + "^^^"]),
        (
            "a" * 10 + "BAD" + "y" * 200,
            11,
            3,
            ["1 | " + "a" * 10 + "BAD" + "y" * 107 + "…", "  | " + " " * 10 + "^^^"],
        ),
        (
            '名前: "é\u0301" 値',
            10,
            1,
            ['1 | 名前: "é\u0301" 値', "  | " + " " * 10 + "^^"],
        ),  # wide, combining
        ("a:\tb", 4, 1, ["1 | a:\tb", "  |   \t^"]),
    ],
)
def test_an_excerpt_is_a_window_with_the_caret_under_the_column(
    line: str, column: int, width: int, expected: list[str]
) -> None:
    from decisionlang.core.spans import SourceFile as Lined
    from decisionlang.core.spans import point

    assert point(Lined("f", line), 1, column, width).excerpt() == expected


# ---------------------------------------------------------------------------------------------
# folders: a bounded walk; paths with a NUL byte


def test_a_folder_1000_directories_deep_is_a_located_error(repo: Path) -> None:
    deep = repo / "services"
    for _ in range(1000):  # overflowed the recursion of Path.rglob (and would `mkdir(parents=True)`'s)
        deep = deep / "d"
        deep.mkdir()
    (deep / "s.yaml").write_text(SUBJECT, encoding="utf-8")
    try:
        result = run("validate", str(repo))
    finally:  # bottom up: shutil.rmtree (and pytest's cleanup of old runs) would overflow the recursion
        (deep / "s.yaml").unlink()
        while deep != repo / "services":
            deep.rmdir()
            deep = deep.parent
    assert result.exit_code == cli.EXIT_INVALID
    assert "services/" + "d/" * 32 + "d: error[DL-CONFIG-LIMIT]: `services` holds directories nested" in (
        result.output
    )


def test_a_walk_is_bounded_in_entries_and_never_follows_a_link_to_a_directory(tmp_path: Path) -> None:
    from decisionlang.core.diagnostics import DecisionlangError
    from decisionlang.inputs.walk import WalkLimits, files_under

    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "s.yaml").write_text("x: 1\n", encoding="utf-8")
    (tmp_path / "a" / "loop").symlink_to(tmp_path)  # a loop of links
    (tmp_path / "a" / "linked.yaml").symlink_to(tmp_path / "a" / "b" / "s.yaml")
    assert files_under(tmp_path, code="DL-X") == [tmp_path / "a/b/s.yaml", tmp_path / "a/linked.yaml"]
    for index in range(20):
        (tmp_path / f"empty{index}").mkdir()
    with pytest.raises(DecisionlangError) as raised:
        files_under(tmp_path, code="DL-X", limits=WalkLimits(max_entries=10), root=tmp_path.parent)
    (problem,) = raised.value.diagnostics
    assert (problem.code, problem.file) == ("DL-X", tmp_path.name)
    assert "more than 10 files and directories" in problem.message


@pytest.mark.parametrize(
    ("config", "where"),
    [
        ('states: ["services\\0x"]\n', "1:10"),
        ('policies: [policies, "a\\0"]\n', "1:22"),
        ('states: "s\\0"\n', "1:9"),
    ],
)
def test_a_nul_byte_in_a_configured_path_is_located(repo: Path, config: str, where: str) -> None:
    (repo / "decisionlang.yaml").write_text(config, encoding="utf-8")
    result = run("validate", str(repo))  # was ValueError: embedded null byte, exit 70
    assert result.exit_code == cli.EXIT_INVALID
    assert f"decisionlang.yaml:{where}: error[DL-CONFIG]: " in result.output
    assert "NUL character" in result.output


def test_a_nul_byte_in_a_path_given_to_the_library_is_a_diagnostic() -> None:
    from decisionlang.inputs.sources import Role, read_file

    (problem,) = SourceSet.from_disk("a\0b").diagnostics
    assert (problem.code, problem.file) == ("DL-CONFIG", "a\\0b")
    unreadable = read_file(Path("x\0y"), "x", Role.STATE)
    assert isinstance(unreadable, Diagnostic) and "NUL" in unreadable.message


# ---------------------------------------------------------------------------------------------
# one date rule: YYYY-MM-DD


NOT_DATES = ["20261218", "2027-W09-7", "2027-03-31T10:00:00", "2027-03-31 10:00", "2027-02-30", "2027-3-31x"]


@pytest.mark.parametrize("text", NOT_DATES)
def test_the_one_date_rule_refuses_what_is_not_yyyy_mm_dd(text: str) -> None:
    from decisionlang.core.dates import parse_date

    assert parse_date(text) is None


def test_the_one_date_rule_reads_a_day() -> None:
    import datetime as dt

    from decisionlang.core.dates import parse_date

    assert parse_date(" 2027-03-31 ") == parse_date(dt.date(2027, 3, 31)) == dt.date(2027, 3, 31)
    assert parse_date(dt.datetime(2027, 3, 31, 10)) is None
    assert parse_date(20261218) is None


WAIVER = (
    "waivers:\n  - id: W-1\n    subject: legacy-crm\n    rule: change_readiness.unsupported\n"
    "    owner: team-a\n    approver: CIO\n    rationale: r\n    compensating_measure: m\n"
    "    granted: 2026-01-01\n    expires: {expires}\n"
)


@pytest.mark.parametrize("written", ["20261218", "2027-W09-7", "2027-03-31T10:00:00", '"2027-03-31 10:00"'])
def test_waivers_and_states_refuse_the_same_dates(repo: Path, written: str) -> None:
    (repo / "waivers").mkdir(exist_ok=True)
    (repo / "waivers" / "w.yaml").write_text(WAIVER.format(expires=written), encoding="utf-8")
    (repo / "services" / "z.yaml").write_text(SUBJECT + f"support_ends: {written}\n", encoding="utf-8")
    result = run("validate", str(repo))
    assert result.exit_code == cli.EXIT_INVALID
    assert (
        "waivers/w.yaml:10:14: error[DL-WAIVER-DATE]: `expires` must be a date like 2027-03-31"
        in result.output
    )
    assert "services/z.yaml:7:15: error[DL-STATE-TYPE]: `support_ends` must be a date" in result.output
    assert result.output.count("help: write a real calendar date as YYYY-MM-DD, e.g. 2027-03-31") == 2


@pytest.mark.parametrize("written", ["20261218", "2027-W09-7", "2027-03-31T10:00:00"])
def test_as_of_follows_the_same_date_rule(written: str) -> None:
    result = run("check", str(QUICKSTART), "--as-of", written)
    assert result.exit_code == cli.EXIT_INVALID
    assert "write a real calendar date as YYYY-MM-DD" in result.output


def test_waiver_dates_golden(repo: Path) -> None:
    from decisionlang.inputs.waivers import load_waivers

    files = [(f"waivers/{name}.yaml", WAIVER.format(expires=name)) for name in ("20261218", "2027-W09-7")]
    _, diagnostics = load_waivers(files)
    check_golden("inputs/waiver-dates.txt", rendered(diagnostics))


def test_an_integer_field_with_bounds_that_are_not_whole_numbers_loads() -> None:
    """`integer 0.5..3.5` (the fuzzer's SchemaError, an exit 70): the bounds of a whole number are
    the whole numbers inside them, so 1 and 3 pass and 0 and 4 are out of range."""
    fields = {"tier": FieldSpec("tier", NUMBER, integer=True, minimum=0.5, maximum=3.5)}
    codes = []
    for tier in (0, 1, 3, 4):
        _, diagnostics = load_states([("states/s.yaml", f"name: s\ntier: {tier}\n")], fields)
        codes.append([d.code for d in diagnostics if d.is_error])
    assert codes == [["DL-STATE-RANGE"], [], [], ["DL-STATE-RANGE"]]
