"""Workflow types: definitions, commands, runs, their nodes and their events."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import cast

import strawberry
import yaml as pyyaml
from strawberry.scalars import JSON

from atrium.core.events import event_from_record
from atrium.core.pubsub import Event
from atrium.engines.workflows.definition import NodeKind, Problem
from atrium.engines.workflows.scheduler import NodeStatus
from atrium.models import workflows as models
from atrium.resolvers.repositories import loaders as repository_loaders
from atrium.resolvers.threads import loaders as thread_loaders
from atrium.resolvers.workflows import events, loaders
from atrium.resolvers.workflows.definitions import StoredCommand, StoredDefinition
from atrium.schema.common import AtriumInfo, Node
from atrium.schema.identity.types import User, load_user
from atrium.schema.repositories import Repository
from atrium.schema.threads.types import Thread

strawberry.enum(
    models.RunStatus,
    name="WorkflowRunStatus",
    description="PENDING, RUNNING, PAUSED (an approval gate waits), COMPLETED, FAILED, CANCELLED.",
)
strawberry.enum(
    models.WorkflowSource,
    name="WorkflowSource",
    description="BUNDLED with Atrium (read-only) or saved by the ORGANIZATION.",
)
strawberry.enum(NodeStatus, name="WorkflowNodeStatus", description="Where a node of a run is.")
strawberry.enum(NodeKind, name="WorkflowNodeKind", description="What a node does.")


@strawberry.enum(description="What happened in a workflow run.")
class WorkflowEventType(StrEnum):
    WORKFLOW_STATUS = events.WORKFLOW_STATUS
    NODE_STARTED = events.NODE_STARTED
    NODE_COMPLETED = events.NODE_COMPLETED
    NODE_FAILED = events.NODE_FAILED
    NODE_SKIPPED = events.NODE_SKIPPED
    NODE_CANCELLED = events.NODE_CANCELLED
    NODE_OUTPUT = events.NODE_OUTPUT
    APPROVAL_REQUESTED = events.APPROVAL_REQUESTED
    APPROVAL_RECEIVED = events.APPROVAL_RECEIVED
    LOOP_ITERATION = events.LOOP_ITERATION


_EVENT_TYPES = {t.value: t for t in WorkflowEventType}


@strawberry.type(description="One problem of a workflow definition, with where it is.")
class WorkflowProblem:
    path: str = strawberry.field(description="Where, e.g. `nodes[2].depends_on[0]`.")
    code: str = strawberry.field(description="What kind of problem, e.g. `CYCLE`.")
    message: str = strawberry.field(description="What is wrong, for people.")

    @classmethod
    def of(cls, problem: Problem) -> WorkflowProblem:
        return cls(path=problem.path, code=str(problem.code), message=problem.message)


@strawberry.type(description="The outcome of validating a definition without saving it.")
class WorkflowValidation:
    valid: bool = strawberry.field(description="No problems.")
    problems: list[WorkflowProblem] = strawberry.field(description="Every problem found.")

    @strawberry.field(description="The problems as `path: message` lines (Archon's `errors`).")
    def errors(self) -> list[str]:
        return [f"{p.path}: {p.message}" if p.path else p.message for p in self.problems]


@strawberry.type(description="A node of a definition.")
class WorkflowNodeDefinition:
    id: str = strawberry.field(description="Its id in the definition.")
    kind: NodeKind = strawberry.field(description="What it does.")
    depends_on: list[str] = strawberry.field(description="Nodes it waits for.")
    trigger_rule: str = strawberry.field(description="How its dependencies must end.")
    when: str | None = strawberry.field(description="Its condition, if any.")


@strawberry.type(description="A workflow definition (Archon's YAML DAG).")
class WorkflowDefinition:
    name: str = strawberry.field(description="Name, unique in the organization.")
    description: str = strawberry.field(description="What it does.")
    source: models.WorkflowSource = strawberry.field(description="Bundled or the organization's.")
    filename: str = strawberry.field(description="Archon's file name for it.")
    definition: JSON = strawberry.field(description="The definition as JSON.")
    nodes: list[WorkflowNodeDefinition] = strawberry.field(description="Its nodes.")

    @classmethod
    def of(cls, stored: StoredDefinition) -> WorkflowDefinition:
        d = stored.definition
        return cls(
            name=stored.name,
            description=stored.description,
            source=stored.source,
            filename=stored.filename,
            definition=cast("JSON", d.raw),
            nodes=[
                WorkflowNodeDefinition(
                    id=n.id,
                    kind=n.kind,
                    depends_on=list(n.depends_on),
                    trigger_rule=str(n.trigger_rule),
                    when=n.when.source if n.when else None,
                )
                for n in d.nodes
            ],
        )

    @strawberry.field(description="The definition as YAML.")
    def yaml(self) -> str:
        return pyyaml.safe_dump(self.definition, sort_keys=False, allow_unicode=True)


@strawberry.type(description="A named prompt template for `command` nodes.")
class WorkflowCommand:
    name: str = strawberry.field(description="Name used by `command:`.")
    description: str = strawberry.field(description="What it is for.")
    template: str = strawberry.field(description="The prompt, with `$ARGUMENTS` etc.")
    source: models.WorkflowSource = strawberry.field(description="Bundled or the organization's.")

    @classmethod
    def of(cls, command: StoredCommand) -> WorkflowCommand:
        return cls(
            name=command.name,
            description=command.description,
            template=command.template,
            source=command.source,
        )


@strawberry.type(description="A node of a run: its status, attempts and output.")
class WorkflowNodeRun:
    node_id: str = strawberry.field(description="The node's id in the definition.")
    kind: NodeKind = strawberry.field(description="What it does.")
    status: NodeStatus = strawberry.field(description="Where it is.")
    attempts: int = strawberry.field(description="Times it was started.")
    iteration: int = strawberry.field(description="Loop iterations done.")
    output: JSON | None = strawberry.field(description="Its output (JSON if it answered JSON).")
    output_text: str | None = strawberry.field(description="Its output as text.")
    error: str | None = strawberry.field(description="Why it failed or was cancelled.")
    skip_reason: str | None = strawberry.field(description="Why it was skipped.")
    started_at: datetime | None = strawberry.field(description="When it started.")
    finished_at: datetime | None = strawberry.field(description="When it ended.")

    @classmethod
    def from_model(cls, row: models.WorkflowNodeRun) -> WorkflowNodeRun:
        return cls(
            node_id=row.node_id,
            kind=NodeKind(row.kind),
            status=NodeStatus(row.status),
            attempts=row.attempts,
            iteration=row.iteration,
            output=cast("JSON", row.output),
            output_text=row.output_text,
            error=row.error,
            skip_reason=row.skip_reason,
            started_at=row.started_at,
            finished_at=row.finished_at,
        )


@strawberry.type(description="Something that happened in a run.")
class WorkflowRunEvent:
    id: strawberry.ID = strawberry.field(description="Event ID (`evt_…`).")
    type: WorkflowEventType = strawberry.field(description="What happened.")
    sequence: int | None = strawberry.field(
        description="Position in the run's history (null for output chunks, not stored)."
    )
    run_id: strawberry.ID = strawberry.field(description="The run.")
    workflow_name: str = strawberry.field(description="The run's workflow.")
    status: models.RunStatus = strawberry.field(description="The run's status then.")
    node_id: str | None = strawberry.field(description="The node concerned, if any.")
    delta: str | None = strawberry.field(description="A chunk of a node's output.")
    occurred_at: datetime = strawberry.field(description="When.")
    data: JSON = strawberry.field(description="Details: reason, error, comment, iteration….")

    @classmethod
    def from_event(cls, event: Event) -> WorkflowRunEvent | None:
        kind = _EVENT_TYPES.get(event.type)
        if kind is None:
            return None
        p = event.payload
        return cls(
            id=strawberry.ID(event.id),
            type=kind,
            sequence=event.sequence,
            run_id=strawberry.ID(p["run_id"]),
            workflow_name=p.get("workflow_name", ""),
            status=models.RunStatus(p.get("status", "RUNNING")),
            node_id=p.get("node_id"),
            delta=p.get("delta"),
            occurred_at=event.occurred_at,
            data=cast("JSON", {k: v for k, v in p.items() if k not in _ENVELOPE}),
        )


_ENVELOPE = frozenset({"run_id", "workflow_name", "status", "node_id", "delta"})


@strawberry.type(description="One run of a workflow.")
class WorkflowRun(Node):
    workflow_name: str = strawberry.field(description="The workflow run.")
    source: models.WorkflowSource = strawberry.field(description="Where its definition came from.")
    status: models.RunStatus = strawberry.field(description="Where it is.")
    message: str = strawberry.field(description="What it was asked to do (`$ARGUMENTS`).")
    inputs: JSON = strawberry.field(description="Named inputs (`$inputs.name`).")
    definition: JSON = strawberry.field(description="The definition it runs (a snapshot).")
    error: str | None = strawberry.field(description="Why it failed or was cancelled.")
    created_at: datetime = strawberry.field(description="When it was started.")
    started_at: datetime | None = strawberry.field(description="When it began running.")
    finished_at: datetime | None = strawberry.field(description="When it ended.")
    organization_id: strawberry.Private[str]
    thread_id: strawberry.Private[str | None]
    repository_id: strawberry.Private[str | None]
    started_by_id: strawberry.Private[str | None]

    @classmethod
    def from_model(cls, row: models.WorkflowRun) -> WorkflowRun:
        return cls(
            id=strawberry.ID(row.id),
            workflow_name=row.workflow_name,
            source=row.source,
            status=row.status,
            message=row.message,
            inputs=cast("JSON", row.inputs),
            definition=cast("JSON", row.definition),
            error=row.error,
            created_at=row.created_at,
            started_at=row.started_at,
            finished_at=row.finished_at,
            organization_id=row.organization_id,
            thread_id=row.thread_id,
            repository_id=row.repository_id,
            started_by_id=row.started_by_id,
        )

    @strawberry.field(description="Its nodes, in definition order.")
    async def nodes(self, info: AtriumInfo) -> list[WorkflowNodeRun]:
        rows = await info.context.loaders.get(loaders.nodes_by_run).load(self.id)
        order = {n: i for i, n in enumerate(n["id"] for n in self.definition.get("nodes", []))}  # type: ignore[attr-defined]
        rows = sorted(rows, key=lambda r: order.get(r.node_id, len(order)))
        return [WorkflowNodeRun.from_model(row) for row in rows]

    @strawberry.field(description="Its history: every state change, oldest first.")
    async def events(self, info: AtriumInfo) -> list[WorkflowRunEvent]:
        rows = await info.context.loaders.get(loaders.events_by_run).load(self.id)
        converted = (WorkflowRunEvent.from_event(event_from_record(r)) for r in rows)
        return [e for e in converted if e is not None]

    @strawberry.field(description="The thread (conversation) it belongs to.")
    async def thread(self, info: AtriumInfo) -> Thread | None:
        if self.thread_id is None:
            return None
        row = await info.context.loaders.get(thread_loaders.threads_by_id).load(self.thread_id)
        return Thread.from_model(row) if row else None

    @strawberry.field(description="The repository its worktree comes from.")
    async def repository(self, info: AtriumInfo) -> Repository | None:
        if self.repository_id is None:
            return None
        loader = info.context.loaders.get(repository_loaders.repositories_by_id)
        row = await loader.load(self.repository_id)
        return Repository.from_model(row) if row else None

    @strawberry.field(description="Who started it (null for routines and API keys).")
    async def started_by(self, info: AtriumInfo) -> User | None:
        return await load_user(info, self.started_by_id)


@strawberry.type(description="How many runs have a status.")
class WorkflowRunStatusCount:
    status: models.RunStatus = strawberry.field(description="The status.")
    count: int = strawberry.field(description="Runs with it.")
