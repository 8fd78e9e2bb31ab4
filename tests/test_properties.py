"""Property tests: random policies over a small random schema, random states, invariants of the semantics.

Policies are generated as trees, rendered to policy text and run through the real pipeline (parser,
checker, compiler, evaluator). A small reference model written from docs/semantics.md (Kleene logic,
S4's steps, S13's worst verdict) is the oracle for the verdicts; the other properties need no oracle:
monotonicity, missing data, determinism of the output, and robustness of the parser and loader.
"""

from __future__ import annotations

import datetime as dt
import operator
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from decisionlang.api import evaluate_project, load_project
from decisionlang.core.model import Enforcement, Outcome, Report, RuleKind, SubjectResult, Verdict
from decisionlang.core.spans import SourceFile
from decisionlang.core.subjects import Portfolio, Subject
from decisionlang.engine.compiler import CompiledPolicy, compile_program
from decisionlang.engine.evaluator import EvaluationOptions, evaluate
from decisionlang.language.checker import check_program
from decisionlang.language.parser import parse_module
from decisionlang.render import render_json, render_text, report_to_dict

TODAY = dt.date(2026, 11, 26)
LEVELS = ("low", "medium", "high")
NUMBER_FIELDS = ("n0", "n1", "risk.security")
SCALE_FIELDS = ("s0", "s1")
BOOL_FIELDS = ("b0", "b1")
COMPARE = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}
WORSE = {Verdict.GO: 0, Verdict.NOT_YET: 1, Verdict.NO_GO: 2}

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ---------------------------------------------------------------- a tiny model of conditions


Cond = tuple[Any, ...]  # ("cmp", field, op, k) | ("bool", field) | ("lit", b) | ("present", field, wanted)
# | ("and", a, b) | ("or", a, b) | ("not", a) | ("if", c, a, b)

State = dict[str, Any]  # field -> value; an absent key is missing information


def render_cond(cond: Cond) -> str:
    kind = cond[0]
    if kind == "cmp":
        _, name, op, value = cond
        return f"{name} {op} {value}"
    if kind == "bool":
        return cond[1]
    if kind == "lit":
        return "true" if cond[1] else "false"
    if kind == "present":
        return f"{cond[1]} is {'present' if cond[2] else 'missing'}"
    if kind == "not":
        return f"not ({render_cond(cond[1])})"
    if kind == "if":
        return f"(if {render_cond(cond[1])} then {render_cond(cond[2])} else {render_cond(cond[3])})"
    return f"({render_cond(cond[1])} {kind} {render_cond(cond[2])})"


def kleene(cond: Cond, state: State) -> bool | None:
    """The value of a condition by S17-S20: None is unknown."""
    kind = cond[0]
    if kind == "cmp":
        _, name, op, value = cond
        if name not in state:
            return None
        left = state[name]
        if name in SCALE_FIELDS:
            left, value = LEVELS.index(left), LEVELS.index(value)
        return bool(COMPARE[op](left, value))
    if kind == "bool":
        return state.get(cond[1])
    if kind == "lit":
        return bool(cond[1])
    if kind == "present":
        return (cond[1] in state) == cond[2]
    if kind == "not":
        inner = kleene(cond[1], state)
        return None if inner is None else not inner
    if kind == "if":
        test = kleene(cond[1], state)
        if test is None:
            return None
        return kleene(cond[2] if test else cond[3], state)
    left, right = kleene(cond[1], state), kleene(cond[2], state)
    if kind == "and":
        if left is False or right is False:
            return False
        return None if left is None or right is None else True
    if left is True or right is True:
        return True
    return None if left is None or right is None else False


def fields_of(cond: Cond) -> set[str]:
    kind = cond[0]
    if kind in ("cmp", "bool", "present"):
        return {cond[1]}
    if kind == "lit":
        return set()
    return set().union(*(fields_of(part) for part in cond[1:]))


def has_presence(cond: Cond) -> bool:
    if cond[0] == "present":
        return True
    if cond[0] in ("cmp", "bool", "lit"):
        return False
    return any(has_presence(part) for part in cond[1:])


@dataclass(frozen=True)
class Rule:
    kind: str  # no_go, not_yet, go, warn
    cond: Cond
    unless: bool = False

    def value(self, state: State) -> bool | None:
        value = kleene(self.cond, state)
        return value if value is None or not self.unless else not value


@dataclass(frozen=True)
class Policy:
    name: str
    rules: tuple[Rule, ...]
    enforcement: str = "hard"
    otherwise: str | None = None  # go, no_go, not_yet
    where: Cond | None = None

    def text(self) -> str:
        lines = [f"policy {self.name} {{"]
        if self.where is not None:
            lines.append(f"  applies to all where {render_cond(self.where)}")
        lines.append(f"  enforcement {self.enforcement}")
        for index, rule in enumerate(self.rules):
            lines.append(
                f"  {rule.kind} r{index} {'unless' if rule.unless else 'when'} {render_cond(rule.cond)}"
            )
        if self.otherwise is not None:
            lines.append(f'  otherwise {self.otherwise} "fallback of {self.name}"')
        lines.append("}")
        return "\n".join(lines)


@dataclass(frozen=True)
class World:
    fields: tuple[str, ...]  # declared schema fields
    policies: tuple[Policy, ...]
    states: tuple[tuple[str, State], ...]  # (subject name, state)

    def policy_text(self) -> str:
        declared = []
        for name in self.fields:
            if name in NUMBER_FIELDS:
                declared.append(f"  {name}: integer 0..10")
            elif name in SCALE_FIELDS:
                declared.append(f"  {name}: level")
            else:
                declared.append(f"  {name}: bool")
        header = f"scale level {{ {' < '.join(LEVELS)} }}\nschema {{\n" + "\n".join(declared) + "\n}\n"
        return header + "\n".join(policy.text() for policy in self.policies) + "\n"


# ---------------------------------------------------------------- the reference model (docs/semantics.md)


def model_policy(policy: Policy, state: State) -> tuple[Verdict, set[str]] | None:
    """S2-S6 on one subject: the verdict and the ids of the deciding rules, None when it does not apply."""
    if policy.where is not None:
        applies = kleene(policy.where, state)
        if applies is False:
            return None
        if applies is None:
            return Verdict.NOT_YET, {f"{policy.name}.applies"}
    values = [(f"{policy.name}.r{i}", rule.kind, rule.value(state)) for i, rule in enumerate(policy.rules)]
    fired_no_go = {rid for rid, kind, value in values if kind == "no_go" and value is True}
    if fired_no_go:
        return Verdict.NO_GO, fired_no_go
    blocking = {rid for rid, kind, value in values if kind in ("no_go", "not_yet") and value is not False}
    if blocking:
        return Verdict.NOT_YET, blocking
    gos = [(rid, value) for rid, kind, value in values if kind == "go"]
    if not gos:
        return Verdict.GO, set()
    holding = {rid for rid, value in gos if value is True}
    if holding:
        return Verdict.GO, holding
    undecided = {rid for rid, value in gos if value is None}
    if undecided:
        return Verdict.NOT_YET, undecided
    fallback = {"go": Verdict.GO, "no_go": Verdict.NO_GO, "not_yet": Verdict.NOT_YET}[
        policy.otherwise or "not_yet"
    ]
    return fallback, {f"{policy.name}.otherwise"}


def model_subject(world: World, state: State) -> Verdict:
    """S11-S13: the worst verdict of the hard and soft policies that apply."""
    verdicts = []
    for policy in world.policies:
        result = model_policy(policy, state)
        if result is not None and policy.enforcement != "advisory":
            verdicts.append(result[0])
    return max(verdicts, key=WORSE.__getitem__, default=Verdict.GO)


# ---------------------------------------------------------------- strategies


@st.composite
def conditions(draw: st.DrawFn, fields: tuple[str, ...], presence: bool = True, depth: int = 3) -> Cond:
    leaves: list[st.SearchStrategy[Cond]] = [st.tuples(st.just("lit"), st.booleans())]
    numbers = [name for name in fields if name in NUMBER_FIELDS]
    scales = [name for name in fields if name in SCALE_FIELDS]
    bools = [name for name in fields if name in BOOL_FIELDS]
    ops = st.sampled_from(sorted(COMPARE))
    if numbers:
        leaves.append(st.tuples(st.just("cmp"), st.sampled_from(numbers), ops, st.integers(-1, 11)))
    if scales:
        leaves.append(st.tuples(st.just("cmp"), st.sampled_from(scales), ops, st.sampled_from(LEVELS)))
    if bools:
        leaves.append(st.tuples(st.just("bool"), st.sampled_from(bools)))
    if presence:
        leaves.append(st.tuples(st.just("present"), st.sampled_from(fields), st.booleans()))
    leaf = st.one_of(*leaves)
    if depth == 0:
        return draw(leaf)
    sub = conditions(fields, presence, depth - 1)
    return draw(
        st.one_of(
            leaf,
            leaf,
            st.tuples(st.sampled_from(["and", "or"]), sub, sub),
            st.tuples(st.just("not"), sub),
            st.tuples(st.just("if"), sub, sub, sub),
        )
    )


@st.composite
def schemas(draw: st.DrawFn) -> tuple[str, ...]:
    pool = NUMBER_FIELDS + SCALE_FIELDS + BOOL_FIELDS
    chosen = draw(st.sets(st.sampled_from(pool), min_size=1, max_size=5))
    return tuple(name for name in pool if name in chosen)


def values_for(name: str) -> st.SearchStrategy[Any]:
    if name in NUMBER_FIELDS:
        return st.integers(0, 10)
    if name in SCALE_FIELDS:
        return st.sampled_from(LEVELS)
    return st.booleans()


@st.composite
def states(draw: st.DrawFn, fields: tuple[str, ...]) -> State:
    state: State = {}
    for name in fields:
        if draw(st.booleans()) or draw(st.booleans()):  # three times in four the field is known
            state[name] = draw(values_for(name))
    return state


@st.composite
def rules(
    draw: st.DrawFn, fields: tuple[str, ...], presence: bool = True, kinds: tuple[str, ...] = ()
) -> Rule:
    kind = draw(st.sampled_from(kinds or ("no_go", "not_yet", "go", "warn")))
    return Rule(kind, draw(conditions(fields, presence)), draw(st.booleans()))


@st.composite
def policies(draw: st.DrawFn, fields: tuple[str, ...], name: str, presence: bool = True) -> Policy:
    return Policy(
        name,
        tuple(draw(st.lists(rules(fields, presence), min_size=0, max_size=4))),
        draw(st.sampled_from(["hard", "hard", "soft", "advisory"])),
        draw(st.sampled_from([None, "go", "no_go", "not_yet"])),
        draw(st.none() | conditions(fields, presence, depth=1)),
    )


@st.composite
def worlds(draw: st.DrawFn, presence: bool = True) -> World:
    fields = draw(schemas())
    count = draw(st.integers(1, 3))
    drawn = tuple(draw(policies(fields, f"p{index}", presence)) for index in range(count))
    subjects = draw(st.integers(1, 4))
    return World(fields, drawn, tuple((f"svc{index}", draw(states(fields))) for index in range(subjects)))


# ---------------------------------------------------------------- running the real pipeline


def compile_text(text: str) -> tuple[CompiledPolicy, ...]:
    module, problems = parse_module(SourceFile("policies/generated.policy", text))
    assert module is not None, [str(problem.message) for problem in problems]
    program, checked = check_program([module])
    errors = [d.message for d in problems + checked if d.is_error]
    assert errors == [], (errors, text)
    return compile_program(program)


def subject(name: str, state: State, line: int = 1) -> Subject:
    fields: dict[str, Any] = {"name": name, "kind": "service", "tags": [], "depends_on": [], "targets": []}
    fields.update(state)
    return Subject(name, "service", "services/generated.yaml", line, 1, fields, {})


def run(world: World, text: str | None = None) -> Report:
    compiled = compile_text(text if text is not None else world.policy_text())
    portfolio = Portfolio.of(subject(name, state, line) for line, (name, state) in enumerate(world.states, 1))
    return evaluate(compiled, portfolio, EvaluationOptions(today=TODAY))


def verdicts(report: Report) -> dict[str, Verdict]:
    return {result.subject: result.verdict for result in report.subjects}


def by_name(report: Report) -> dict[str, SubjectResult]:
    return {result.subject: result for result in report.subjects}


# ---------------------------------------------------------------- the verdicts follow the semantics


@FAST
@given(worlds())
def test_verdicts_and_reasons_follow_the_reference_model(world: World) -> None:
    report = run(world)
    results = by_name(report)
    for name, state in world.states:
        result = results[name]
        assert result.verdict is model_subject(world, state), (world.policy_text(), state)
        for policy_result in result.policies:
            policy = next(p for p in world.policies if p.name == policy_result.policy)
            expected = model_policy(policy, state)
            assert expected is not None
            assert policy_result.verdict is expected[0]
            assert {rule.rule for rule in policy_result.reasons} == expected[1]
        applicable = {p.name for p in world.policies if model_policy(p, state) is not None}
        assert {p.policy for p in result.policies} == applicable
    assert report.verdict is max(
        (model_subject(world, state) for _, state in world.states), key=WORSE.__getitem__
    )


@FAST
@given(st.data())
def test_and_or_not_agree_with_kleene_logic(data: st.DataObject) -> None:
    fields = data.draw(schemas())
    conds = data.draw(st.lists(conditions(fields, depth=4), min_size=1, max_size=6))
    policy = Policy("probe", tuple(Rule("warn", cond) for cond in conds))
    world = World(fields, (policy,), tuple((f"s{i}", data.draw(states(fields))) for i in range(3)))
    report = run(world)
    expected_outcome = {True: Outcome.FIRED, False: Outcome.NOT_FIRED, None: Outcome.UNKNOWN}
    for result, (_, state) in zip(report.subjects, world.states, strict=True):
        traces = result.policies[0].rules
        for trace, cond in zip(traces, conds, strict=True):
            assert trace.outcome is expected_outcome[kleene(cond, state)], (render_cond(cond), state)
        assert result.verdict is Verdict.GO  # S9: warn rules never change a verdict


# ---------------------------------------------------------------- monotonicity


def _with_rule(world: World, index: int, rule: Rule) -> World:
    policies = list(world.policies)
    policies[index] = replace(policies[index], rules=(*policies[index].rules, rule))
    return replace(world, policies=tuple(policies))


@FAST
@given(worlds(), st.data())
def test_a_firing_no_go_makes_the_subject_no_go(world: World, data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(world.policies) - 1))
    assume(world.policies[index].enforcement != "advisory")
    after = run(_with_rule(world, index, Rule("no_go", ("lit", True))))
    for name, state in world.states:
        applies = world.policies[index].where is None or kleene(world.policies[index].where, state) is True
        if applies:
            assert verdicts(after)[name] is Verdict.NO_GO


@FAST
@given(worlds(), st.data())
def test_adding_a_blocking_rule_never_improves_a_verdict(world: World, data: st.DataObject) -> None:
    """S4 steps 1-2 come first: a new no_go or not_yet rule can only block more. (A policy whose
    `otherwise` says no_go is left out: an undecided new rule turns its NO-GO into NOT YET, by design.)"""
    index = data.draw(st.integers(0, len(world.policies) - 1))
    assume(world.policies[index].otherwise != "no_go")
    rule = data.draw(rules(world.fields, kinds=("no_go", "not_yet")))
    before, after = verdicts(run(world)), verdicts(run(_with_rule(world, index, rule)))
    for name in before:
        assert WORSE[after[name]] >= WORSE[before[name]], (name, rule)


@FAST
@given(worlds(), st.data())
def test_adding_a_blocking_rule_never_creates_a_go(world: World, data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(world.policies) - 1))
    rule = data.draw(rules(world.fields, kinds=("no_go", "not_yet")))
    before, after = verdicts(run(world)), verdicts(run(_with_rule(world, index, rule)))
    for name in before:
        if before[name] is not Verdict.GO:
            assert after[name] is not Verdict.GO, (name, rule)
        if before[name] is Verdict.NO_GO:
            assert after[name] is not Verdict.GO


@FAST
@given(worlds(), st.data())
def test_warn_rules_and_advisory_policies_never_change_a_verdict(world: World, data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(world.policies) - 1))
    warned = _with_rule(world, index, data.draw(rules(world.fields, kinds=("warn",))))
    advice = Policy(
        "advice",
        tuple(data.draw(st.lists(rules(world.fields), max_size=3))),
        "advisory",
        data.draw(st.none()),
    )
    advised = replace(world, policies=(*world.policies, advice))
    before = verdicts(run(world))
    assert verdicts(run(warned)) == before
    assert verdicts(run(advised)) == before


@FAST
@given(worlds(), st.data())
def test_adding_a_hard_policy_never_improves_a_subject(world: World, data: st.DataObject) -> None:
    extra = replace(data.draw(policies(world.fields, "extra")), enforcement="hard")
    before, after = verdicts(run(world)), verdicts(run(replace(world, policies=(*world.policies, extra))))
    for name in before:
        assert WORSE[after[name]] >= WORSE[before[name]]


# ---------------------------------------------------------------- missing information


@FAST
@given(worlds(presence=False))
def test_a_go_subject_has_no_undecided_blocking_rule_and_no_missing_field(world: World) -> None:
    for result in run(world).subjects:
        if result.verdict is not Verdict.GO:
            continue
        assert result.missing == ()
        assert result.must_hold == ()
        for policy in result.policies:
            if policy.enforcement is Enforcement.ADVISORY:
                continue
            for rule in policy.rules:
                if rule.kind.blocks:
                    assert rule.outcome is Outcome.NOT_FIRED, rule.rule


@FAST
@given(worlds(presence=False), st.data())
def test_removing_a_field_never_turns_a_non_go_into_go(world: World, data: st.DataObject) -> None:
    """Without presence tests, losing a value can only make rules undecided (S16-S18, S21)."""
    position = data.draw(st.integers(0, len(world.states) - 1))
    name, state = world.states[position]
    assume(state)
    removed = data.draw(st.sampled_from(sorted(state)))
    smaller = {key: value for key, value in state.items() if key != removed}
    states_after = list(world.states)
    states_after[position] = (name, smaller)
    before = by_name(run(world))[name]
    after = by_name(run(replace(world, states=tuple(states_after))))[name]
    if before.verdict is not Verdict.GO:
        assert after.verdict is not Verdict.GO
    if after.verdict is Verdict.GO:
        assert before.verdict is Verdict.GO
        assert removed not in {missing.path for missing in after.missing}
        for policy in after.policies:
            if policy.enforcement is Enforcement.ADVISORY:
                continue
            for rule in policy.reasons:
                # held (or the otherwise fallback applied) despite the unknown, never invented a value
                assert rule.outcome in (Outcome.FIRED, Outcome.APPLIED), rule.rule
                assert all(fact.missing for fact in rule.facts if fact.path == removed)
    if after.verdict is not before.verdict:
        # only the lost value can explain the change: it is now named as missing information
        assert removed in {missing.path for missing in after.missing}


@FAST
@given(worlds(presence=False))
def test_missing_fields_named_are_fields_the_deciding_rules_read(world: World) -> None:
    for result, (_, state) in zip(run(world).subjects, sorted(world.states), strict=True):
        for missing in result.missing:
            assert missing.path not in state
            assert missing.file == "services/generated.yaml"
        for policy in result.policies:
            source = next(p for p in world.policies if p.name == policy.policy)
            for rule in policy.reasons:
                if rule.outcome is not Outcome.UNKNOWN:
                    continue
                if rule.kind is RuleKind.APPLIES:
                    read = fields_of(source.where or ("lit", True))
                else:
                    read = fields_of(source.rules[int(rule.rule.rsplit(".r", 1)[1])].cond)
                assert {path for _, _, path in rule.missing} <= read - set(state)
                assert rule.missing, rule.rule


# ---------------------------------------------------------------- determinism (S40)


@contextmanager
def project_dir(world: World, state_order: list[int] | None = None) -> Iterator[Path]:
    """The world as a decision repo: one state file per subject, listed in `state_order`."""
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        (root / "policies").mkdir()
        (root / "services").mkdir()
        (root / "policies" / "generated.policy").write_text(world.policy_text(), encoding="utf-8")
        names = []
        for name, state in world.states:
            (root / "services" / f"{name}.yaml").write_text(state_yaml(name, state), encoding="utf-8")
            names.append(f"services/{name}.yaml")
        order = state_order if state_order is not None else list(range(len(names)))
        listing = "\n".join(f"  - {names[index]}" for index in order)
        (root / "decisionlang.yaml").write_text(
            f"policies: [policies]\nstates:\n{listing}\n", encoding="utf-8"
        )
        yield root


def state_yaml(name: str, state: State) -> str:
    lines = [f"name: {name}"]
    for key, value in state.items():
        text = ("true" if value else "false") if isinstance(value, bool) else str(value)
        lines.append(f"{key}: {text}")
    return "\n".join(lines) + "\n"


def _report(root: Path) -> Report:
    project = load_project(root)
    assert not project.errors, [d.message for d in project.errors]
    return evaluate_project(project, as_of=TODAY)


@SLOW
@given(worlds())
def test_output_is_byte_for_byte_deterministic(world: World) -> None:
    with project_dir(world) as root:
        first, second = _report(root), _report(root)
        assert first == second
        assert render_json(first) == render_json(second)
        assert render_text(first, color=False) == render_text(second, color=False)
        assert render_text(first, color=True) == render_text(second, color=True)
        assert [s.subject for s in first.subjects] == sorted(name for name, _ in world.states)
    assert run(world) == run(world)


@SLOW
@given(worlds(), st.randoms(use_true_random=False))
def test_the_order_of_state_files_does_not_change_the_output(world: World, random: Any) -> None:
    order = list(range(len(world.states)))
    shuffled = order[:]
    random.shuffle(shuffled)
    with project_dir(world, order) as root:
        expected = render_json(_report(root))
    with project_dir(world, shuffled) as root:
        assert render_json(_report(root)) == expected


POSITIONS = ("line", "column", "location")


def _without_lines(data: Any) -> Any:
    """Report data with the positions of state values dropped (they move when subjects move)."""
    if isinstance(data, dict):
        return {
            key: _without_lines(value)
            for key, value in data.items()
            if key not in ("line", "column", "location")
        }
    if isinstance(data, list):
        return [_without_lines(item) for item in data]
    return data


@SLOW
@given(worlds(), st.randoms(use_true_random=False))
def test_the_order_of_subjects_in_a_file_does_not_change_the_decisions(world: World, random: Any) -> None:
    subjects = list(world.states)
    random.shuffle(subjects)
    shuffled = replace(world, states=tuple(subjects))
    first, second = report_to_dict(run(world)), report_to_dict(run(shuffled))
    assert _without_lines(first) == _without_lines(second)
    assert render_json(run(world)) == render_json(run(world))


# ---------------------------------------------------------------- robustness: never raise on bad input

TOKENS = (
    "policy", "scale", "schema", "criteria", "tradeoff", "maturity", "level", "import", "define", "applies",
    "to", "all", "kind", "tagged", "where", "enforcement", "hard", "soft", "advisory", "no_go", "not_yet",
    "go", "warn", "when", "unless", "because", "until", "otherwise", "weight", "over", "normalize",
    "acceptable", "require", "and", "or", "not", "in", "is", "present", "missing", "if", "then", "else",
    "starts", "with", "ends", "contains", "matches", "true", "false", "today", "list", "of", "number",
    "integer", "bool", "text", "date", "duration", "required", "unit", "{", "}", "(", ")", "[", "]", ",",
    ":", ".", "..", "=", "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "%", "x", "y", "p", "n0",
    "risk", "security", "low", "high", "score", "level(", "max", "any", "d", "depends_on", "tier",
    "0", "1", "2.5", "85%", "2026-02-30", "2027-03-31", "3 months", '"t"', '"{n0}"', '"{"', '"\\"',
    "#", "\n", "  ", "\t", "\ufeff", "é", "\x00",
)  # fmt: skip


def token_soup() -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(TOKENS), max_size=40).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=200), token_soup()))
def test_the_parser_never_raises(text: str) -> None:
    module, diagnostics = parse_module(SourceFile("policies/fuzz.policy", text))
    assert module is not None or any(d.is_error for d in diagnostics)
    for diagnostic in diagnostics:
        assert re.fullmatch(r"DL-[A-Z]+(-[A-Z]+)*", diagnostic.code)
        assert diagnostic.message


VALID_PREFIX = "scale level { low < medium < high }\nschema { n0: integer 0..10  s0: level  b0: bool }\n"


def policy_soup() -> st.SearchStrategy[str]:
    """Text that is often close to valid: a valid header and rules from a shuffled token soup.

    `const` is left out on purpose: a constant defined through itself crashes the checker today
    (see the xfail cases in tests/conformance/static_errors.yaml)."""
    rule = st.tuples(
        st.sampled_from(["no_go", "not_yet", "go", "warn"]),
        st.lists(st.sampled_from((*TOKENS[60:], "n0", "s0", "b0", "low", "high")), max_size=8).map(" ".join),
    ).map(lambda pair: f"  {pair[0]} when {pair[1]}")
    body = st.lists(rule, max_size=4).map("\n".join)
    return st.one_of(
        token_soup(),
        body.map(lambda rules: f"{VALID_PREFIX}policy fuzz {{\n{rules}\n}}\n"),
        token_soup().map(lambda soup: f"{VALID_PREFIX}policy fuzz {{\n  no_go when {soup}\n}}\n"),
    )


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(policy_soup(), st.sampled_from(["", "name: a\nn0: 3\ns0: high\nb0: true\n", "name: b\n"]))
def test_the_whole_pipeline_never_raises_on_random_policy_text(text: str, state: str) -> None:
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        (root / "policies").mkdir()
        (root / "services").mkdir()
        (root / "policies" / "fuzz.policy").write_text(text, encoding="utf-8")
        (root / "services" / "state.yaml").write_text(state, encoding="utf-8")
        project = load_project(root)
        if project.errors:
            return
        report = evaluate_project(project, as_of=TODAY)
        render_json(report)
        render_text(report, color=False)


# ---------------------------------------------------------------- the oracle itself


def test_the_model_implements_kleene_tables() -> None:
    """The oracle itself, on the nine cases of each table (S18)."""
    values: dict[bool | None, Cond] = {True: ("lit", True), False: ("lit", False), None: ("bool", "b0")}
    for left, a in values.items():
        for right, b in values.items():
            both_and = kleene(("and", a, b), {})
            both_or = kleene(("or", a, b), {})
            assert both_and == (False if False in (left, right) else None if None in (left, right) else True)
            assert both_or == (True if True in (left, right) else None if None in (left, right) else False)
    assert kleene(("not", ("bool", "b0")), {}) is None
    assert kleene(("if", ("bool", "b0"), ("lit", True), ("lit", True)), {}) is None


def test_a_rendered_condition_parses_back_as_the_same_shape() -> None:
    cond: Cond = ("or", ("and", ("cmp", "n0", ">=", 3), ("bool", "b0")), ("not", ("present", "s0", True)))
    assert render_cond(cond) == "((n0 >= 3 and b0) or not (s0 is present))"
    world = World(("n0", "s0", "b0"), (Policy("p", (Rule("warn", cond),)),), (("a", {"n0": 4, "b0": True}),))
    assert run(world).subjects[0].policies[0].rules[0].outcome is Outcome.FIRED
