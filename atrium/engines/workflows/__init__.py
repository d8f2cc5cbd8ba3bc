"""Archon workflows, the pure part: definitions, conditions, templates and scheduling.

- `parse_workflow(yaml_or_mapping)` validates a YAML DAG and reports every problem with
  its path; a valid definition carries `raw`, a normalized mapping to store and re-parse;
- `plan(definition, states, inputs)` answers which nodes to start, skip or cancel next and
  the run's outcome, from the node states alone, so the runtime can crash and resume;
- `loop_done` decides a loop iteration, `resume_states` prepares a resumed run;
- `render` fills `$ARGUMENTS`, `$inputs.x` and `$node.output.field` into a node's text and
  `parse_output` reads a node's answer as JSON when it carries some.

Nothing here touches a database, the network, a subprocess or the clock.
"""

from atrium.engines.workflows.conditions import Condition, ConditionError, parse_condition
from atrium.engines.workflows.definition import (
    Approval,
    Graph,
    Loop,
    Node,
    NodeKind,
    Problem,
    ProblemCode,
    TriggerRule,
    WorkflowDefinition,
    parse_workflow,
)
from atrium.engines.workflows.outputs import parse_output
from atrium.engines.workflows.scheduler import (
    TERMINAL,
    NodeState,
    NodeStatus,
    RunOutcome,
    Step,
    loop_done,
    plan,
    resume_states,
)
from atrium.engines.workflows.templates import render

__all__ = [
    "TERMINAL",
    "Approval",
    "Condition",
    "ConditionError",
    "Graph",
    "Loop",
    "Node",
    "NodeKind",
    "NodeState",
    "NodeStatus",
    "Problem",
    "ProblemCode",
    "RunOutcome",
    "Step",
    "TriggerRule",
    "WorkflowDefinition",
    "loop_done",
    "parse_condition",
    "parse_output",
    "parse_workflow",
    "plan",
    "render",
    "resume_states",
]
