"""Which nodes of a run to start, skip or cancel next: a pure function of the node states.

The runtime owns persistence and execution; after every change (a node finished, failed,
was approved) it calls `plan` with all node states and applies the returned `Step`. Being
pure, `plan` can be called again after a crash with the stored states and answers the
same, which is what makes runs resumable.

One call decides everything decidable now: nodes are visited in topological order, and a
node skipped in this call counts as SKIPPED for the nodes after it, so a skip cascades down
a chain at once. A call is O(nodes + edges): the topological order is cached on the
definition (`WorkflowDefinition.graph`).

Trigger rules, over a node's dependencies (a node without any is ready at once):

- all_success: ready when all COMPLETED; skipped as soon as one FAILED, SKIPPED or CANCELLED;
- one_success: ready as soon as one COMPLETED; skipped when all are terminal and none did;
- none_failed_min_one_success: once all are terminal, ready if none FAILED and one
  COMPLETED, else skipped;
- all_done: ready once all are terminal.

A ready node's `when` is then evaluated against the COMPLETED nodes' outputs; false skips it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from atrium.engines.workflows.conditions import SELF, looks_like_expression, parse_condition
from atrium.engines.workflows.definition import (
    Loop,
    Node,
    NodeKind,
    TriggerRule,
    WorkflowDefinition,
)


class NodeStatus(StrEnum):
    PENDING = "pending"
    QUEUED = "queued"
    RUNNING = "running"
    WAITING_APPROVAL = "waiting_approval"
    COMPLETED = "completed"
    FAILED = "failed"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"

    @property
    def terminal(self) -> bool:
        return self in TERMINAL


TERMINAL = frozenset(
    {NodeStatus.COMPLETED, NodeStatus.FAILED, NodeStatus.SKIPPED, NodeStatus.CANCELLED}
)
_ACTIVE = frozenset({NodeStatus.QUEUED, NodeStatus.RUNNING})
_UNSUCCESSFUL = {
    NodeStatus.FAILED: "failed",
    NodeStatus.SKIPPED: "was skipped",
    NodeStatus.CANCELLED: "was cancelled",
}


class RunOutcome(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class NodeState:
    status: NodeStatus
    output: Any = None


@dataclass(frozen=True)
class Step:
    """What to do now. `start` lists PENDING nodes to dispatch, in topological order,
    approval nodes included (the runtime parks those in WAITING_APPROVAL) but never cancel
    nodes: a ready cancel node is `cancel` = (node id, reason), and then nothing starts."""

    start: tuple[str, ...]
    skip: dict[str, str]  # node id -> why, for the run's log
    cancel: tuple[str, str] | None
    outcome: RunOutcome


# Enum members as plain module constants: the scheduler's inner loop reads them per node.
_PENDING, _QUEUED = NodeStatus.PENDING, NodeStatus.QUEUED
_COMPLETED, _SKIPPED = NodeStatus.COMPLETED, NodeStatus.SKIPPED
_CANCEL, _ALL_SUCCESS = NodeKind.CANCEL, TriggerRule.ALL_SUCCESS
_BY_VALUE: dict[str, NodeStatus] = {member.value: member for member in NodeStatus}

_WAIT = None  # a decision that cannot be made yet
_RUN = ""  # ready; any other string is the reason to skip


def _decide(node: Node, status: Mapping[str, NodeStatus]) -> str | None:
    """`_WAIT`, `_RUN`, or the reason to skip `node` by its trigger rule."""
    rule, dependencies = node.trigger_rule, node.depends_on
    if rule is _ALL_SUCCESS:
        decision: str | None = _RUN
        for dependency in dependencies:
            state = status[dependency]
            if state is _COMPLETED:
                continue
            if state in _UNSUCCESSFUL:
                return f"upstream {dependency!r} {_UNSUCCESSFUL[state]} (trigger rule {rule})"
            decision = _WAIT
        return decision
    states = [status[dependency] for dependency in dependencies]
    completed = NodeStatus.COMPLETED in states
    settled = all(state in TERMINAL for state in states)
    if rule is TriggerRule.ONE_SUCCESS:
        if completed or not dependencies:
            return _RUN
        return f"no upstream node completed (trigger rule {rule})" if settled else _WAIT
    if not settled:
        return _WAIT
    if rule is TriggerRule.ALL_DONE:
        return _RUN
    for dependency, state in zip(dependencies, states, strict=True):
        if state is NodeStatus.FAILED:
            return f"upstream {dependency!r} failed (trigger rule {rule})"
    if completed or not dependencies:
        return _RUN
    return f"no upstream node completed (trigger rule {rule})"


def plan(
    definition: WorkflowDefinition,
    states: Mapping[str, NodeState],
    inputs: Mapping[str, Any],
) -> Step:
    """The next `Step` for a run whose nodes are in `states` (absent nodes are PENDING).

    Outcome: CANCELLED if a cancel node became ready; RUNNING while anything is queued,
    running or starting now; PAUSED if, besides, a node waits for approval; otherwise every
    node is terminal and the run is FAILED if a node failed, CANCELLED if a node was
    cancelled, else COMPLETED.
    """
    status: dict[str, NodeStatus] = {}
    outputs: dict[str, Any] = {}
    start: list[str] = []
    skip: dict[str, str] = {}
    cancel: tuple[str, str] | None = None
    # One pass in topological order: a node's dependencies are settled (for this call)
    # before it is reached, and so are the outputs its condition may read (its ancestors').
    for node in definition.graph.nodes:
        node_id, state = node.id, states.get(node.id)
        if state is not None:
            current = _BY_VALUE[state.status]  # also accepts plain strings from storage
            status[node_id] = current
            if current is not _PENDING:
                if current is _COMPLETED:
                    outputs[node_id] = state.output
                continue
        status[node_id] = _PENDING
        reason = _decide(node, status)
        if reason is _WAIT:
            continue
        if not reason and node.when is not None and not node.when.evaluate(outputs, inputs):
            reason = f"condition false: {node.when.source}"
        if reason:
            skip[node_id] = reason
            status[node_id] = _SKIPPED
        elif node.kind is _CANCEL:
            cancel = cancel or (node_id, node.cancel_reason or "workflow cancelled")
        else:
            start.append(node_id)
            status[node_id] = _QUEUED
    if cancel is not None:
        return Step((), skip, cancel, RunOutcome.CANCELLED)
    return Step(tuple(start), skip, None, _outcome(set(status.values())))


def _outcome(present: set[NodeStatus]) -> RunOutcome:
    if present & _ACTIVE:
        return RunOutcome.RUNNING
    if NodeStatus.WAITING_APPROVAL in present:
        return RunOutcome.PAUSED
    if NodeStatus.PENDING in present:
        # Unreachable with consistent states (the first pending node in topological order
        # has only terminal dependencies, so it was decided); wait rather than end the run.
        return RunOutcome.RUNNING
    if NodeStatus.FAILED in present:
        return RunOutcome.FAILED
    if NodeStatus.CANCELLED in present:
        return RunOutcome.CANCELLED
    return RunOutcome.COMPLETED


def loop_done(
    loop: Loop,
    output: Any,
    text: str,
    *,
    outputs: Mapping[str, Any],
    inputs: Mapping[str, Any],
) -> bool:
    """Whether one iteration's result meets `loop.until`.

    An expression (see `conditions.looks_like_expression`) is evaluated with `$self.output`,
    and `$<loop id>.output`, bound to this iteration's `output`; anything else is an Archon
    completion signal, met when it appears in the iteration's `text`.
    """
    until = loop.until
    if not looks_like_expression(until):
        return until.strip() in text
    bound = {**outputs, SELF: output}
    if loop.node_id is not None:
        bound[loop.node_id] = output
    return parse_condition(until).evaluate(bound, inputs)


def resume_states(
    definition: WorkflowDefinition, states: Mapping[str, NodeState]
) -> dict[str, NodeState]:
    """States to resume a failed, paused or cancelled run from: COMPLETED nodes are kept, with
    their outputs, and are never re-run; every other node goes back to PENDING.

    SKIPPED nodes are reset too, on purpose: a node skipped because its upstream failed
    must get its chance once that upstream succeeds on resume, and a node skipped by a
    false condition is skipped again by the next `plan` call (same outputs, same answer).
    """
    pending = NodeState(NodeStatus.PENDING)
    resumed: dict[str, NodeState] = {}
    for node_id in definition.order:
        state = states.get(node_id)
        completed = state is not None and state.status == NodeStatus.COMPLETED
        resumed[node_id] = state if completed and state is not None else pending
    return resumed
