"""The shipped library imported by name: `import "decisionlang:<file>" as lib` (docs/language.md#import)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from decisionlang.api import load_project
from decisionlang.inputs import library
from decisionlang.inputs.sources import SourceSet

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = ROOT / "policies"
STATE = "services:\n  - {name: a, criticality: high}\n"


def _errors(files: dict[str, str]) -> list[str]:
    project = load_project(SourceSet.from_memory({"services/a.yaml": STATE, **files}))
    return [f"{d.code} {d.message}" for d in project.diagnostics if d.is_error]


def test_the_library_ships_inside_the_wheel_as_package_data() -> None:
    """What `import "decisionlang:…"` reads once installed: policies/ as decisionlang/library/."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    included = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    assert included["policies"] == "decisionlang/library"
    assert library.library_names() == tuple(sorted(p.stem for p in LIBRARY.glob("*.policy")))


@pytest.mark.parametrize("name", [p.stem for p in sorted(LIBRARY.glob("*.policy"))])
def test_each_library_file_checks_on_its_own_beside_the_names_of_a_repo(name: str) -> None:
    """A repo with its own `criticality` scale, `value_case` and `speed_vs_robustness` adopts one
    library file: no collision, no error (the file imports the vocabulary it needs)."""
    own = (
        f'import "decisionlang:{name}" as lib\n'
        "scale criticality { low < medium < high < critical }\n"
        'schema { criticality: criticality "our own words for it" }\n'
        "criteria value_case { criticality weight 1 }\n"
        "tradeoff speed_vs_robustness { speed = 1\n robustness = 2\n acceptable when speed < robustness }\n"
        "policy ours { no_go when score(value_case) > 10 }\n"
    )
    assert _errors({"policies/ours.policy": own}) == []


def test_library_names_are_file_names_of_the_library_only() -> None:
    assert library.library_path("dora") == "decisionlang:dora.policy"
    assert library.library_path("dora.policy") == "decisionlang:dora.policy"
    for name in ("../policies/dora", "/etc/passwd", "dora/../dora", "tests/dora.test", "", "nope"):
        assert library.library_path(name) is None, name
    errors = _errors({"policies/p.policy": 'import "decisionlang:dorra" as d\npolicy p { no_go when false }'})
    assert errors == [
        "DL-CHECK-IMPORT-NOT-FOUND import `decisionlang:dorra`: the decisionlang library has no file `dorra`"
    ]


def test_a_library_file_read_by_name_is_the_installed_one() -> None:
    """Spans point at `decisionlang:<file>`, and the text is the library's own."""
    project = load_project(
        SourceSet.from_memory(
            {"services/a.yaml": STATE, "policies/p.policy": 'import "decisionlang:maturity" as m\n'}
        )
    )
    sources = {source.path: source.text for source in project.policy_files}
    assert sources["decisionlang:maturity.policy"] == (LIBRARY / "maturity.policy").read_text(
        encoding="utf-8"
    )
    assert "decisionlang:vocabulary.policy" in sources
    assert "m.maturity_floor" in {policy.id for policy in project.policies}


def test_copying_the_library_twice_into_a_repo_is_one_error() -> None:
    """Copying policies/ twice into a repo was 141 errors (one per name); it is one, naming both folders."""
    files = {f"policies/{p.name}": p.read_text(encoding="utf-8") for p in LIBRARY.glob("*.policy")}
    files |= {f"policies/copy/{p.name}": p.read_text(encoding="utf-8") for p in LIBRARY.glob("*.policy")}
    errors = _errors(files)
    count = len(list(LIBRARY.glob("*.policy")))
    assert len(errors) == 1, errors
    assert errors[0].startswith(
        f"DL-CHECK-DUPLICATE `policies/` and `policies/copy/` hold the same {count} files ("
    )
    assert errors[0].endswith("names declared twice")


def test_one_copied_file_is_one_error_naming_both_files() -> None:
    text = (LIBRARY / "vocabulary.policy").read_text(encoding="utf-8")
    errors = _errors({"policies/vocabulary.policy": text, "policies/copy/vocabulary.policy": text})
    assert errors == [
        "DL-CHECK-DUPLICATE `policies/copy/vocabulary.policy` declares 6 names that "
        "`policies/vocabulary.policy` declares already: scale `criticality`, scale `horizon`, "
        "scale `justification`, scale `rice_impact`, scale `rice_confidence`, scale `ai_autonomy`"
    ]


def test_a_bare_name_of_a_namespace_hints_at_its_qualified_spelling() -> None:
    project = load_project(
        SourceSet.from_memory(
            {
                "services/a.yaml": STATE,
                "policies/p.policy": 'import "decisionlang:dora" as dora\n'
                "policy p { no_go when dora_scope == 2 }\n",
            }
        )
    )
    errors = [d for d in project.diagnostics if d.is_error]
    assert len(errors) == 1, [str(d) for d in errors]
    error = errors[0]
    assert (error.code, error.message) == ("DL-CHECK-UNDEFINED", "unknown name `dora_scope`")
    assert error.help == "`dora_scope` is a name of a file imported with an alias: write `dora.dora_scope`"


def test_a_misspelt_library_name_hints_at_the_name_then_lists_the_files() -> None:
    project = load_project(SourceSet.from_memory({"policies/p.policy": 'import "decisionlang:dorra" as d\n'}))
    [error] = project.errors
    assert (error.code, error.where) == ("DL-CHECK-IMPORT-NOT-FOUND", "policies/p.policy:1:1")
    assert error.help is not None
    assert error.help.startswith("did you mean `dora`? The library files are `decisionlang:ai_readiness`, ")
