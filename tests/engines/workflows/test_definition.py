"""parse_workflow(): the parsed shape, normalization, and every problem with its path."""

from __future__ import annotations

import json
from typing import Any

import pytest

from atrium.engines.workflows import (
    Approval,
    Loop,
    NodeKind,
    Problem,
    ProblemCode,
    TriggerRule,
    parse_workflow,
)

FULL = """
name: fix-issue
description: Plan, implement, review and ship a fix.
nodes:
  - id: plan
    prompt: "Plan a fix for: $ARGUMENTS"
    timeout: 120
  - id: classify
    command: classify
    depends_on: [plan]
  - id: implement
    depends_on: [classify]
    when: "$classify.output.type == 'bug' && $plan.output.steps > 0"
    loop:
      prompt: "Implement the next step of $plan.output"
      until: ALL_TASKS_DONE
      max_iterations: 4
  - id: review
    depends_on: [implement]
    approval:
      message: "Ship $plan.output.title?"
      on_reject: {prompt: "Address: $REJECTION_REASON", max_attempts: 3}
  - id: tests
    bash: make test
    depends_on: [implement]
    trigger_rule: all_done
  - id: give-up
    depends_on: [classify]
    when: "$classify.output.type != 'bug'"
    cancel: Not a bug
"""


def problems_of(source: str | dict[str, Any]) -> list[tuple[str, ProblemCode]]:
    definition, problems = parse_workflow(source)
    assert definition is None
    return [(p.path, p.code) for p in problems]


def minimal(*nodes: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"name": "wf", "nodes": list(nodes)} | top


def test_a_full_definition_parses_into_frozen_nodes():
    # given a YAML workflow with every node kind
    definition, problems = parse_workflow(FULL)
    # then it parses without problems
    assert problems == []
    assert definition is not None
    assert (definition.name, definition.description) == (
        "fix-issue",
        "Plan, implement, review and ship a fix.",
    )
    assert [n.kind for n in definition.nodes] == [
        NodeKind.PROMPT,
        NodeKind.COMMAND,
        NodeKind.LOOP,
        NodeKind.APPROVAL,
        NodeKind.BASH,
        NodeKind.CANCEL,
    ]
    plan = definition.node("plan")
    assert (plan.prompt, plan.timeout_seconds, plan.depends_on) == (
        "Plan a fix for: $ARGUMENTS",
        120.0,
        (),
    )
    implement = definition.node("implement")
    assert implement.loop == Loop(
        "Implement the next step of $plan.output", None, "ALL_TASKS_DONE", 4, "implement"
    )
    assert implement.when is not None
    assert implement.when.references == frozenset({"classify", "plan"})
    assert definition.node("review").approval == Approval(
        "Ship $plan.output.title?", "Address: $REJECTION_REASON", 3
    )
    assert definition.node("tests").trigger_rule is TriggerRule.ALL_DONE
    assert definition.node("give-up").cancel_reason == "Not a bug"
    assert definition.order == ("plan", "classify", "implement", "review", "tests", "give-up")
    with pytest.raises(KeyError):
        definition.node("nope")


def test_raw_is_normalized_json_that_parses_back_to_the_same_definition():
    definition, _ = parse_workflow(FULL)
    assert definition is not None
    # then raw is JSON-serializable, spells out defaults, and round-trips
    stored = json.loads(json.dumps(definition.raw))
    assert stored["nodes"][0]["trigger_rule"] == "all_success"
    assert stored["nodes"][1]["depends_on"] == ["plan"]
    again, problems = parse_workflow(stored)
    assert problems == []
    assert again == definition
    assert again is not None and again.raw == definition.raw


def test_defaults_for_loop_approval_cancel_and_description():
    definition, problems = parse_workflow(
        minimal(
            {"id": "loop", "loop": {"command": "step", "until": "DONE"}},
            {"id": "ok", "approval": {"message": "go?"}},
            {"id": "halt", "cancel": True, "depends_on": ["ok"]},
        )
    )
    assert problems == [] and definition is not None
    assert definition.description == ""
    assert definition.node("loop").loop == Loop(None, "step", "DONE", 10, "loop")
    assert definition.node("ok").approval == Approval("go?", None, 1)
    assert definition.node("halt").cancel_reason == "workflow cancelled by node 'halt'"


def test_yaml_syntax_error_names_line_and_column():
    definition, problems = parse_workflow("name: x\nnodes: [\n  {id: a\n")
    assert definition is None
    assert [p.code for p in problems] == [ProblemCode.YAML_SYNTAX]
    assert problems[0].path == ""
    assert "line" in problems[0].message and "column" in problems[0].message
    assert str(problems[0]) == problems[0].message


@pytest.mark.parametrize("source", ["- a\n- b\n", "just text", "", {"name"}])
def test_documents_that_are_not_mappings(source):
    assert problems_of(source) == [("", ProblemCode.NOT_A_MAPPING)]


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"nodes": [{"id": "a", "prompt": "x"}]}, [("name", ProblemCode.MISSING_FIELD)]),
        (minimal({"id": "a", "prompt": "x"}, name="has space"), [("name", "INVALID_VALUE")]),
        (minimal({"id": "a", "prompt": "x"}, name="x" * 101), [("name", "INVALID_VALUE")]),
        (minimal({"id": "a", "prompt": "x"}, name=7), [("name", "INVALID_VALUE")]),
        (minimal({"id": "a", "prompt": "x"}, description=3), [("description", "INVALID_VALUE")]),
        ({"name": "wf"}, [("nodes", ProblemCode.MISSING_FIELD)]),
        (minimal(), [("nodes", ProblemCode.INVALID_VALUE)]),
        ({"name": "wf", "nodes": {"a": 1}}, [("nodes", ProblemCode.INVALID_VALUE)]),
        (minimal("a"), [("nodes[0]", ProblemCode.NOT_A_MAPPING)]),
        (minimal({"id": "a", "prompt": "x"}, model="opus"), [("model", "UNKNOWN_FIELD")]),
    ],
)
def test_workflow_level_problems(document, expected):
    assert problems_of(document) == expected


@pytest.mark.parametrize(
    ("nodes", "expected"),
    [
        ([{"prompt": "x"}], [("nodes[0].id", ProblemCode.MISSING_FIELD)]),
        ([{"id": "a b", "prompt": "x"}], [("nodes[0].id", ProblemCode.INVALID_VALUE)]),
        ([{"id": 3, "prompt": "x"}], [("nodes[0].id", ProblemCode.INVALID_VALUE)]),
        ([{"id": "inputs", "prompt": "x"}], [("nodes[0].id", ProblemCode.INVALID_VALUE)]),
        (
            [{"id": "a", "prompt": "x"}, {"id": "a", "bash": "y"}],
            [("nodes[1].id", ProblemCode.DUPLICATE_ID)],
        ),
        ([{"id": "a"}], [("nodes[0]", ProblemCode.NO_KIND)]),
        ([{"id": "a", "prompt": "x", "bash": "y"}], [("nodes[0]", ProblemCode.MULTIPLE_KINDS)]),
        ([{"id": "a", "prompt": ""}], [("nodes[0].prompt", ProblemCode.MISSING_FIELD)]),
        ([{"id": "a", "bash": None}], [("nodes[0].bash", ProblemCode.MISSING_FIELD)]),
        ([{"id": "a", "command": ["x"]}], [("nodes[0].command", ProblemCode.INVALID_VALUE)]),
        (
            [{"id": "a", "prompt": "x", "depends-on": ["b"]}],
            [("nodes[0].depends-on", ProblemCode.UNKNOWN_FIELD)],
        ),
        (
            [{"id": "a", "prompt": "x", "depends_on": "b"}],
            [("nodes[0].depends_on", ProblemCode.INVALID_VALUE)],
        ),
        (
            [{"id": "a", "prompt": "x", "depends_on": ["zz"]}],
            [("nodes[0].depends_on[0]", ProblemCode.UNKNOWN_DEPENDENCY)],
        ),
        (
            [{"id": "a", "prompt": "x", "depends_on": ["a"]}],
            [("nodes[0].depends_on[0]", ProblemCode.CYCLE)],
        ),
        (
            [{"id": "a", "prompt": "x", "trigger_rule": "sometimes"}],
            [("nodes[0].trigger_rule", ProblemCode.INVALID_VALUE)],
        ),
        (
            [{"id": "a", "prompt": "x", "timeout": -1}],
            [("nodes[0].timeout", ProblemCode.INVALID_VALUE)],
        ),
        (
            [{"id": "a", "cancel": "stop", "timeout": 5}],
            [("nodes[0].timeout", ProblemCode.INVALID_VALUE)],
        ),
        ([{"id": "a", "cancel": False}], [("nodes[0].cancel", ProblemCode.INVALID_VALUE)]),
        ([{"id": "a", "loop": "again"}], [("nodes[0].loop", ProblemCode.INVALID_VALUE)]),
        (
            [{"id": "a", "loop": {}}],
            [
                ("nodes[0].loop.prompt", ProblemCode.MISSING_FIELD),
                ("nodes[0].loop.until", ProblemCode.MISSING_FIELD),
            ],
        ),
        (
            [{"id": "a", "loop": {"prompt": "x", "command": "y", "until": "DONE"}}],
            [("nodes[0].loop", ProblemCode.INVALID_VALUE)],
        ),
        (
            [{"id": "a", "loop": {"prompt": "x", "until": "DONE", "max_iterations": 0}}],
            [("nodes[0].loop.max_iterations", ProblemCode.INVALID_VALUE)],
        ),
        (
            [{"id": "a", "loop": {"prompt": "x", "until": "DONE", "fresh": True}}],
            [("nodes[0].loop.fresh", ProblemCode.UNKNOWN_FIELD)],
        ),
        (
            [{"id": "a", "loop": {"prompt": "x", "until": "$self.output.done =="}}],
            [("nodes[0].loop.until", ProblemCode.BAD_CONDITION)],
        ),
        ([{"id": "a", "approval": {}}], [("nodes[0].approval.message", "MISSING_FIELD")]),
        (
            [{"id": "a", "approval": {"message": "ok?", "on_reject": {"max_attempts": True}}}],
            [
                ("nodes[0].approval.on_reject.prompt", ProblemCode.MISSING_FIELD),
                ("nodes[0].approval.on_reject.max_attempts", ProblemCode.INVALID_VALUE),
            ],
        ),
        (
            [{"id": "a", "approval": {"message": "ok?", "on_reject": "redo"}}],
            [("nodes[0].approval.on_reject", ProblemCode.INVALID_VALUE)],
        ),
        ([{"id": "a", "prompt": "x", "when": 1}], [("nodes[0].when", "INVALID_VALUE")]),
        (
            [{"id": "a", "prompt": "x", "when": "$a.output = 1"}],
            [("nodes[0].when", ProblemCode.BAD_CONDITION)],
        ),
    ],
)
def test_node_problems_with_their_paths(nodes, expected):
    assert problems_of(minimal(*nodes)) == expected


def test_condition_problems_carry_the_parser_message_and_position():
    _, problems = parse_workflow(minimal({"id": "a", "prompt": "x", "when": "$a.output = 1"}))
    assert str(problems[0]) == (
        "nodes[0].when: invalid condition: use '==' to compare at position 10"
    )


def test_conditions_may_only_read_upstream_nodes():
    # given conditions on an unknown node, a sibling, the node itself, and a grandparent
    nodes = [
        {"id": "root", "prompt": "x"},
        {"id": "mid", "prompt": "x", "depends_on": ["root"]},
        {"id": "sib", "prompt": "x", "depends_on": ["root"], "when": "$mid.output"},
        {"id": "me", "prompt": "x", "depends_on": ["mid"], "when": "$me.output || $ghost.output"},
        {"id": "ok", "prompt": "x", "depends_on": ["mid"], "when": "$root.output"},
        {"id": "lp", "depends_on": ["root"], "loop": {"prompt": "x", "until": "$mid.output"}},
    ]
    _, problems = parse_workflow(minimal(*nodes))
    # then each bad reference is a BAD_CONDITION at the condition's path; ancestors are fine
    assert [(p.path, p.code) for p in problems] == [
        ("nodes[2].when", ProblemCode.BAD_CONDITION),
        ("nodes[3].when", ProblemCode.BAD_CONDITION),
        ("nodes[3].when", ProblemCode.BAD_CONDITION),
        ("nodes[5].loop.until", ProblemCode.BAD_CONDITION),
    ]
    messages = [p.message for p in problems]
    assert "'mid', which is not upstream of 'sib'" in messages[0]
    assert "unknown node 'ghost'" in messages[1]
    assert "its own output" in messages[2]


def test_each_cycle_is_reported_once_with_its_path():
    # given a two-node cycle and a separate three-node cycle
    nodes = [
        {"id": "a", "prompt": "x", "depends_on": ["b"]},
        {"id": "b", "prompt": "x", "depends_on": ["a"]},
        {"id": "c", "prompt": "x", "depends_on": ["e"]},
        {"id": "d", "prompt": "x", "depends_on": ["c"]},
        {"id": "e", "prompt": "x", "depends_on": ["d"]},
        {"id": "f", "prompt": "x", "depends_on": ["a"]},
    ]
    _, problems = parse_workflow(minimal(*nodes))
    # then each cycle appears once, reported at the dependency that closes it
    assert [str(p) for p in problems] == [
        "nodes[1].depends_on[0]: dependency cycle: a -> b -> a",
        "nodes[3].depends_on[0]: dependency cycle: c -> e -> d -> c",
    ]
    assert {p.code for p in problems} == {ProblemCode.CYCLE}


def test_every_problem_is_reported_at_once():
    # given a YAML document with many unrelated mistakes
    source = """
name: "bad name!"
nodes:
  - id: a
    prompt: x
    bash: y
    depends_on: [b, zz]
  - id: b
    depends_on: [a]
    prompt: hi
    trigger_rule: sometimes
  - id: a
    command: go
  - prompt: orphan
    colour: red
"""
    # then every one of them is listed, in document order, cycles last
    assert problems_of(source) == [
        ("name", ProblemCode.INVALID_VALUE),
        ("nodes[2].id", ProblemCode.DUPLICATE_ID),
        ("nodes[3].id", ProblemCode.MISSING_FIELD),
        ("nodes[0].depends_on[1]", ProblemCode.UNKNOWN_DEPENDENCY),
        ("nodes[0]", ProblemCode.MULTIPLE_KINDS),
        ("nodes[1].trigger_rule", ProblemCode.INVALID_VALUE),
        ("nodes[3].colour", ProblemCode.UNKNOWN_FIELD),
        ("nodes[1].depends_on[0]", ProblemCode.CYCLE),
    ]


def test_every_problem_code_is_reachable():
    # the parametrized cases above cover each code; this guards the enum against drift
    assert {code.value for code in ProblemCode} == {
        "YAML_SYNTAX",
        "NOT_A_MAPPING",
        "MISSING_FIELD",
        "INVALID_VALUE",
        "DUPLICATE_ID",
        "UNKNOWN_DEPENDENCY",
        "CYCLE",
        "NO_KIND",
        "MULTIPLE_KINDS",
        "BAD_CONDITION",
        "UNKNOWN_FIELD",
    }
    assert str(Problem("name", ProblemCode.MISSING_FIELD, "a workflow needs a name")) == (
        "name: a workflow needs a name"
    )
