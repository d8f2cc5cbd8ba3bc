"""plan(), loop_done() and resume_states(): DAG shapes, trigger rules, skips and outcomes."""

from __future__ import annotations

from typing import Any

import pytest

from atrium.engines.workflows import (
    NodeState,
    NodeStatus,
    RunOutcome,
    WorkflowDefinition,
    loop_done,
    parse_workflow,
    plan,
    resume_states,
)


def workflow(*nodes: dict[str, Any]) -> WorkflowDefinition:
    """A valid definition of `nodes`; fails the test with the problems otherwise."""
    definition, problems = parse_workflow({"name": "test", "nodes": list(nodes)})
    assert problems == [], [str(p) for p in problems]
    assert definition is not None
    return definition


def node(node_id: str, *depends_on: str, **fields: Any) -> dict[str, Any]:
    """A prompt node unless `fields` names another kind."""
    kinds = {"prompt", "command", "bash", "loop", "approval", "cancel"}
    body: dict[str, Any] = {"id": node_id, "depends_on": list(depends_on)}
    if not kinds & fields.keys():
        body["prompt"] = f"do {node_id}"
    return body | fields


def done(output: Any = None) -> NodeState:
    return NodeState(NodeStatus.COMPLETED, output)


FAILED = NodeState(NodeStatus.FAILED)
SKIPPED = NodeState(NodeStatus.SKIPPED)
CANCELLED = NodeState(NodeStatus.CANCELLED)
RUNNING = NodeState(NodeStatus.RUNNING)
WAITING = NodeState(NodeStatus.WAITING_APPROVAL)


def test_linear_chain_runs_one_node_at_a_time_then_completes():
    # given a -> b -> c
    definition = workflow(node("a"), node("b", "a"), node("c", "b"))
    # when nothing ran yet, then only the root starts
    step = plan(definition, {}, {})
    assert (step.start, step.skip, step.cancel, step.outcome) == (
        ("a",),
        {},
        None,
        RunOutcome.RUNNING,
    )
    # when a is running, then nothing new starts and the run is still running
    assert plan(definition, {"a": RUNNING}, {}).start == ()
    # when a completed, then b starts
    assert plan(definition, {"a": done()}, {}).start == ("b",)
    # when all completed, then the run is completed
    final = plan(definition, {"a": done(), "b": done(), "c": done()}, {})
    assert (final.start, final.outcome) == ((), RunOutcome.COMPLETED)


def test_fan_out_starts_every_branch_in_definition_order():
    # given one root feeding three branches declared c, b, d
    definition = workflow(node("root"), node("c", "root"), node("b", "root"), node("d", "root"))
    # when the root completed, then the branches start together, ties in definition order
    assert plan(definition, {"root": done()}, {}).start == ("c", "b", "d")
    assert definition.order == ("root", "c", "b", "d")


def test_statuses_may_arrive_as_plain_strings_from_storage():
    definition = workflow(node("a"), node("b", "a"))
    step = plan(definition, {"a": NodeState("completed")}, {})  # type: ignore[arg-type]
    assert step.start == ("b",)


@pytest.mark.parametrize(
    ("left", "right", "expected"),
    [
        (done(), done(), "run"),
        (done(), RUNNING, "wait"),
        (done(), FAILED, "skip"),
        (RUNNING, SKIPPED, "skip"),  # skipped as soon as one upstream is unsuccessful
        (CANCELLED, done(), "skip"),
    ],
)
def test_fan_in_all_success(left, right, expected):
    # given join depends on x and y with the default rule
    definition = workflow(node("x"), node("y"), node("join", "x", "y"))
    # when x and y are in the given states
    step = plan(definition, {"x": left, "y": right}, {})
    # then join runs, waits or is skipped
    assert _verdict(step, "join") == expected


@pytest.mark.parametrize(
    ("left", "right", "expected"),
    [
        (done(), RUNNING, "run"),  # as soon as one completed
        (FAILED, done(), "run"),
        (FAILED, RUNNING, "wait"),
        (FAILED, SKIPPED, "skip"),
        (CANCELLED, FAILED, "skip"),
    ],
)
def test_fan_in_one_success(left, right, expected):
    definition = workflow(node("x"), node("y"), node("join", "x", "y", trigger_rule="one_success"))
    assert _verdict(plan(definition, {"x": left, "y": right}, {}), "join") == expected


@pytest.mark.parametrize(
    ("left", "right", "expected"),
    [
        (done(), SKIPPED, "run"),
        (done(), RUNNING, "wait"),  # waits for every upstream to settle
        (done(), FAILED, "skip"),
        (SKIPPED, SKIPPED, "skip"),
        (done(), CANCELLED, "run"),  # only FAILED counts as failure
    ],
)
def test_fan_in_none_failed_min_one_success(left, right, expected):
    definition = workflow(
        node("x"), node("y"), node("join", "x", "y", trigger_rule="none_failed_min_one_success")
    )
    assert _verdict(plan(definition, {"x": left, "y": right}, {}), "join") == expected


@pytest.mark.parametrize(
    ("left", "right", "expected"),
    [
        (FAILED, SKIPPED, "run"),
        (done(), CANCELLED, "run"),
        (FAILED, RUNNING, "wait"),
    ],
)
def test_fan_in_all_done(left, right, expected):
    definition = workflow(node("x"), node("y"), node("join", "x", "y", trigger_rule="all_done"))
    assert _verdict(plan(definition, {"x": left, "y": right}, {}), "join") == expected


def _verdict(step, node_id: str) -> str:
    if node_id in step.start:
        return "run"
    return "skip" if node_id in step.skip else "wait"


def test_skip_reasons_name_the_upstream_and_the_rule():
    definition = workflow(
        node("build"),
        node("other"),
        node("deploy", "build"),
        node("notify", "build", "other", trigger_rule="one_success"),
    )
    step = plan(definition, {"build": FAILED, "other": SKIPPED}, {})
    assert step.skip == {
        "deploy": "upstream 'build' failed (trigger rule all_success)",
        "notify": "no upstream node completed (trigger rule one_success)",
    }


def test_skips_cascade_down_the_graph_in_one_call():
    # given a failing build followed by a chain and a cleanup that runs regardless
    definition = workflow(
        node("build"),
        node("test", "build"),
        node("package", "test"),
        node("publish", "package"),
        node("cleanup", "publish", trigger_rule="all_done"),
    )
    # when build failed
    step = plan(definition, {"build": FAILED}, {})
    # then the whole chain is skipped at once and cleanup starts in the same call
    assert list(step.skip) == ["test", "package", "publish"]
    assert step.skip["package"] == "upstream 'test' was skipped (trigger rule all_success)"
    assert step.start == ("cleanup",)
    assert step.outcome is RunOutcome.RUNNING


def test_a_false_condition_skips_and_the_skip_cascades():
    definition = workflow(
        node("plan"),
        node("build", "plan", when="$plan.output.ok == true"),
        node("ship", "build"),
    )
    # when plan answered ok: false
    step = plan(definition, {"plan": done({"ok": False})}, {})
    # then build is skipped with the condition as its reason, and ship with it
    assert step.skip == {
        "build": "condition false: $plan.output.ok == true",
        "ship": "upstream 'build' was skipped (trigger rule all_success)",
    }
    assert step.outcome is RunOutcome.COMPLETED
    # when plan answered ok: true, then build starts
    assert plan(definition, {"plan": done({"ok": True})}, {}).start == ("build",)


def test_conditions_read_inputs_and_only_completed_outputs():
    definition = workflow(
        node("a"),
        node("b"),
        node("c", "a", "b", trigger_rule="one_success", when="$b.output == 'x' || $inputs.force"),
    )
    # when only a completed and b failed with an output recorded, then b reads as missing
    states = {"a": done("x"), "b": NodeState(NodeStatus.FAILED, "x")}
    assert "c" in plan(definition, states, {}).skip
    # when the run's inputs force it, then c runs
    assert plan(definition, states, {"force": True}).start == ("c",)


def test_a_branch_finishes_after_another_failed_then_the_run_fails():
    # given two independent branches
    definition = workflow(node("a"), node("a2", "a"), node("b"), node("b2", "b"))
    # when a failed while b is still going, then b's branch carries on
    step = plan(definition, {"a": FAILED, "b": done()}, {})
    assert (step.start, step.outcome) == (("b2",), RunOutcome.RUNNING)
    assert "a2" in step.skip
    # when b2 completed too, then the run failed
    final = plan(definition, {"a": FAILED, "a2": SKIPPED, "b": done(), "b2": done()}, {})
    assert final.outcome is RunOutcome.FAILED


def test_approval_nodes_start_then_the_run_pauses():
    definition = workflow(
        node("plan"),
        node("review", "plan", approval={"message": "Ship it?"}),
        node("ship", "review"),
    )
    # when plan completed, then the approval node is started like any other
    assert plan(definition, {"plan": done()}, {}).start == ("review",)
    # when it waits for a person, then nothing else is left to do: paused
    step = plan(definition, {"plan": done(), "review": WAITING}, {})
    assert (step.start, step.outcome) == ((), RunOutcome.PAUSED)
    # when approved (completed), then the run goes on
    assert plan(definition, {"plan": done(), "review": done("ok")}, {}).start == ("ship",)


def test_a_running_node_outranks_a_waiting_approval():
    definition = workflow(node("a"), node("gate", approval={"message": "ok?"}))
    step = plan(definition, {"a": RUNNING, "gate": WAITING}, {})
    assert step.outcome is RunOutcome.RUNNING


def test_a_ready_cancel_node_cancels_the_run_and_starts_nothing():
    definition = workflow(
        node("check"),
        node("stop", "check", cancel="nothing to do", when="$check.output.empty"),
        node("other"),
        node("work", "check"),
    )
    # when check says there is nothing to do
    step = plan(definition, {"check": done({"empty": True})}, {})
    # then the cancel node fires with its reason and nothing starts, not even "other"
    assert (step.start, step.cancel, step.outcome) == (
        (),
        ("stop", "nothing to do"),
        RunOutcome.CANCELLED,
    )
    # when check found work, then the cancel node is skipped and the work starts
    step = plan(definition, {"check": done({"empty": False}), "other": done()}, {})
    assert step.cancel is None
    assert step.start == ("work",)
    assert step.skip == {"stop": "condition false: $check.output.empty"}


def test_cancel_true_gets_a_generic_reason():
    definition = workflow(node("halt", cancel=True))
    assert plan(definition, {}, {}).cancel == ("halt", "workflow cancelled by node 'halt'")


def test_cancel_nodes_are_never_started():
    definition = workflow(node("a"), node("halt", "a", cancel="stop"))
    assert plan(definition, {}, {}).start == ("a",)


def test_a_run_with_a_cancelled_node_and_no_failure_ends_cancelled():
    definition = workflow(node("a"), node("b"))
    assert plan(definition, {"a": done(), "b": CANCELLED}, {}).outcome is RunOutcome.CANCELLED


def test_states_of_unknown_nodes_are_ignored():
    definition = workflow(node("a"))
    assert plan(definition, {"gone": FAILED}, {}).start == ("a",)


def test_loop_until_an_expression_on_its_own_output():
    definition = workflow(
        node("limit"),
        node(
            "fix",
            "limit",
            loop={"prompt": "fix", "until": "$self.output.left <= $limit.output.max"},
        ),
    )
    loop = definition.node("fix").loop
    assert loop is not None
    outputs = {"limit": {"max": 2}}
    # when 3 issues are left, then not done; when 2 are left, then done
    assert not loop_done(loop, {"left": 3}, "", outputs=outputs, inputs={})
    assert loop_done(loop, {"left": "2"}, "", outputs=outputs, inputs={})


def test_loop_until_may_name_the_loop_by_its_id():
    definition = workflow(node("fix", loop={"command": "fix", "until": "$fix.output.done"}))
    loop = definition.node("fix").loop
    assert loop is not None and loop.max_iterations == 10
    assert loop_done(loop, {"done": True}, "{}", outputs={}, inputs={})
    assert not loop_done(loop, {"done": False}, "{}", outputs={}, inputs={})


def test_loop_until_a_completion_signal_in_the_text():
    definition = workflow(
        node("impl", loop={"prompt": "go", "until": "ALL_TASKS_DONE", "max_iterations": 3}),
        node("tag", loop={"prompt": "go", "until": "<promise>DONE</promise>"}),
    )
    impl, tag = definition.node("impl").loop, definition.node("tag").loop
    assert impl is not None and tag is not None
    assert loop_done(impl, None, "Step 3 done.\nALL_TASKS_DONE\n", outputs={}, inputs={})
    assert not loop_done(impl, None, "still working", outputs={}, inputs={})
    # a signal with angle brackets stays a signal, not a comparison
    assert loop_done(tag, None, "ok <promise>DONE</promise>", outputs={}, inputs={})


def test_resume_keeps_completed_nodes_and_resets_everything_else():
    definition = workflow(
        node("a"), node("b", "a"), node("c", "b"), node("d", "a"), node("e", "a"), node("f")
    )
    states = {
        "a": done({"n": 1}),
        "b": FAILED,
        "c": SKIPPED,
        "d": WAITING,
        "e": RUNNING,
    }
    # when resumed
    resumed = resume_states(definition, states)
    # then completed nodes keep their outputs and every other node is pending again
    assert resumed["a"] == done({"n": 1})
    assert {n for n, s in resumed.items() if s.status is NodeStatus.PENDING} == {
        "b",
        "c",
        "d",
        "e",
        "f",
    }
    # and the next plan reruns the failed node (and, later, the one skipped because of it)
    assert plan(definition, resumed, {}).start == ("b", "d", "e", "f")


def test_driving_a_diamond_to_completion():
    # given a diamond whose join accepts a skipped side
    definition = workflow(
        node("start"),
        node("left", "start", when="$start.output.side == 'left'"),
        node("right", "start", when="$start.output.side == 'right'"),
        node("join", "left", "right", trigger_rule="none_failed_min_one_success"),
    )
    states: dict[str, NodeState] = {}
    started: list[str] = []
    outputs = {"start": {"side": "right"}}
    # when each started node completes with its output and plan is asked again
    for _ in range(10):
        step = plan(definition, states, {})
        states |= {n: NodeState(NodeStatus.SKIPPED) for n in step.skip}
        states |= {n: done(outputs.get(n)) for n in step.start}
        started += step.start
        if step.outcome is not RunOutcome.RUNNING:
            break
    # then the left side was skipped, the join ran, and the run completed
    assert started == ["start", "right", "join"]
    assert step.outcome is RunOutcome.COMPLETED
