"""Archon workflow definitions: YAML DAGs parsed and validated into frozen dataclasses.

A definition is `name`, `description` and `nodes`; each node has an `id`, optional
`depends_on`, `trigger_rule`, `when` and `timeout`, and exactly one kind key: `prompt`,
`command`, `bash`, `loop`, `approval` or `cancel`.

`parse_workflow` reports every problem it can find in one pass (so an editor can show them
all), each with a path into the document such as "nodes[2].depends_on[0]". Unknown keys
are problems too (UNKNOWN_FIELD): a misspelt `depends-on` would otherwise silently drop a
dependency. Node ids are letters, digits, `_` and `-` (what conditions and templates can
reference); "inputs" and "self" are reserved because `$inputs.x` and `$self.output` mean
something else.

Defaults, spelled out in `raw` (the normalized, JSON-serializable mapping, which parses
back to an equal definition): `trigger_rule: all_success`, `loop.max_iterations: 10` (an
iteration cap is a guard against a loop that never signals completion, and 10 rounds of
fix-and-check is what long Archon loops use), `approval.on_reject.max_attempts: 1` (one
rework round), and `cancel: true` becomes a generic reason naming the node.
"""

from __future__ import annotations

import math
import re
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from heapq import heappop, heappush
from typing import Any

import yaml

from atrium.engines.workflows.conditions import (
    SELF,
    Condition,
    ConditionError,
    looks_like_expression,
    parse_condition,
)

MAX_NAME_LENGTH = 100
DEFAULT_MAX_ITERATIONS = 10
DEFAULT_MAX_ATTEMPTS = 1
_NAME = re.compile(r"[A-Za-z0-9._-]+")
_NODE_ID = re.compile(r"[A-Za-z0-9_-]+")
_RESERVED_IDS = frozenset({"inputs", SELF})
_WORKFLOW_KEYS = ("name", "description", "nodes")
_NODE_KEYS = ("id", "depends_on", "trigger_rule", "when", "timeout")
_LOOP_KEYS = ("prompt", "command", "until", "max_iterations")
_APPROVAL_KEYS = ("message", "on_reject")
_ON_REJECT_KEYS = ("prompt", "max_attempts")


class NodeKind(StrEnum):
    PROMPT = "prompt"
    COMMAND = "command"
    BASH = "bash"
    LOOP = "loop"
    APPROVAL = "approval"
    CANCEL = "cancel"


class TriggerRule(StrEnum):
    ALL_SUCCESS = "all_success"
    ONE_SUCCESS = "one_success"
    NONE_FAILED_MIN_ONE_SUCCESS = "none_failed_min_one_success"
    ALL_DONE = "all_done"


class ProblemCode(StrEnum):
    YAML_SYNTAX = "YAML_SYNTAX"
    NOT_A_MAPPING = "NOT_A_MAPPING"
    MISSING_FIELD = "MISSING_FIELD"
    INVALID_VALUE = "INVALID_VALUE"
    DUPLICATE_ID = "DUPLICATE_ID"
    UNKNOWN_DEPENDENCY = "UNKNOWN_DEPENDENCY"
    CYCLE = "CYCLE"
    NO_KIND = "NO_KIND"
    MULTIPLE_KINDS = "MULTIPLE_KINDS"
    BAD_CONDITION = "BAD_CONDITION"
    UNKNOWN_FIELD = "UNKNOWN_FIELD"


_KINDS = tuple(kind.value for kind in NodeKind)
_RULE_VALUES = tuple(rule.value for rule in TriggerRule)
_RULES = ", ".join(_RULE_VALUES)


@dataclass(frozen=True)
class Problem:
    """`path` is "" for the document itself (YAML syntax, not a mapping)."""

    path: str
    code: ProblemCode
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


@dataclass(frozen=True)
class Loop:
    """Exactly one of `prompt` / `command`. `until` is a condition when it looks like one
    (see `conditions.looks_like_expression`), else a completion signal to find in the
    iteration's text. `node_id` (set by `parse_workflow`) lets `until` name the loop's own
    output by its id as well as by `$self.output`."""

    prompt: str | None
    command: str | None
    until: str
    max_iterations: int = DEFAULT_MAX_ITERATIONS
    node_id: str | None = None


@dataclass(frozen=True)
class Approval:
    """On reject the runtime reruns `on_reject_prompt` with the reason, at most
    `max_attempts` times; without a prompt a rejection ends the node."""

    message: str
    on_reject_prompt: str | None = None
    max_attempts: int = DEFAULT_MAX_ATTEMPTS


@dataclass(frozen=True)
class Node:
    """One node; the field named by `kind` (or `loop`, `approval`, `cancel_reason`) is set."""

    id: str
    kind: NodeKind
    depends_on: tuple[str, ...] = ()
    trigger_rule: TriggerRule = TriggerRule.ALL_SUCCESS
    when: Condition | None = None
    prompt: str | None = None
    command: str | None = None
    bash: str | None = None
    timeout_seconds: float | None = None
    loop: Loop | None = None
    approval: Approval | None = None
    cancel_reason: str | None = None


@dataclass(frozen=True)
class Graph:
    """Indexes a scheduler needs on every call, computed once per definition."""

    order: tuple[str, ...]  # topological, ties broken by definition order
    nodes: tuple[Node, ...]  # the nodes in `order`
    dependents: Mapping[str, tuple[str, ...]]  # node id -> nodes that depend on it


@dataclass(frozen=True)
class WorkflowDefinition:
    """`raw` is derived from the rest, so it takes no part in equality."""

    name: str
    description: str
    nodes: tuple[Node, ...]
    raw: dict[str, Any] = field(compare=False, repr=False)

    def node(self, node_id: str) -> Node:
        """The node with this id; KeyError if there is none."""
        return self._by_id[node_id]

    @property
    def order(self) -> tuple[str, ...]:
        return self.graph.order

    @cached_property
    def _by_id(self) -> dict[str, Node]:
        return {node.id: node for node in self.nodes}

    @cached_property
    def graph(self) -> Graph:
        """Kahn's algorithm with a heap of definition positions, so the order is stable."""
        position = {node.id: index for index, node in enumerate(self.nodes)}
        dependents: dict[str, list[str]] = {node.id: [] for node in self.nodes}
        waiting = {node.id: len(node.depends_on) for node in self.nodes}
        for node in self.nodes:
            for dependency in node.depends_on:
                dependents[dependency].append(node.id)
        ready = [position[node_id] for node_id, count in waiting.items() if count == 0]
        order: list[str] = []
        while ready:
            node_id = self.nodes[heappop(ready)].id
            order.append(node_id)
            for dependent in dependents[node_id]:
                waiting[dependent] -= 1
                if waiting[dependent] == 0:
                    heappush(ready, position[dependent])
        if len(order) != len(self.nodes):
            raise ValueError(f"workflow {self.name!r} has a dependency cycle")
        return Graph(
            tuple(order),
            tuple(self.nodes[position[node_id]] for node_id in order),
            {node_id: tuple(ids) for node_id, ids in dependents.items()},
        )


def parse_workflow(
    source: str | Mapping[str, Any],
) -> tuple[WorkflowDefinition | None, list[Problem]]:
    """YAML text or a loaded mapping → (definition, []) or (None, every problem found)."""
    if isinstance(source, str):
        try:
            source = yaml.safe_load(source)
        except yaml.YAMLError as error:
            return None, [Problem("", ProblemCode.YAML_SYNTAX, _yaml_message(error))]
    if not isinstance(source, Mapping):
        message = "a workflow must be a mapping with name, description and nodes"
        return None, [Problem("", ProblemCode.NOT_A_MAPPING, message)]
    return _Parser(source).parse()


def _yaml_message(error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    if mark is None:
        return f"invalid YAML: {problem}"
    return f"invalid YAML at line {mark.line + 1}, column {mark.column + 1}: {problem}"


@dataclass
class _Draft:
    """What validation learns about one node before the whole graph is known."""

    index: int
    id: str | None  # None when the id is missing, invalid or a duplicate
    label: str
    edges: list[tuple[str, int]]  # (known dependency, its index in depends_on)
    node: dict[str, Any]  # Node keyword arguments; complete only if no problem was found
    conditions: list[tuple[str, Condition]]  # (path, condition) whose references to check


class _Parser:
    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data
        self.problems: list[Problem] = []

    def problem(self, path: str, code: ProblemCode, message: str) -> None:
        self.problems.append(Problem(path, code, message))

    def parse(self) -> tuple[WorkflowDefinition | None, list[Problem]]:
        name = self._name()
        description = self.data.get("description", "")
        if description is None:
            description = ""
        if not isinstance(description, str):
            self.problem("description", ProblemCode.INVALID_VALUE, "description must be text")
        self._unknown_keys("", self.data, _WORKFLOW_KEYS, "a workflow")
        entries = self._entries()
        known = self._ids(entries)
        drafts = [self._node(index, entry, known) for index, entry in entries]
        self._cycles(drafts)
        self._references(drafts, known)
        if self.problems:
            return None, self.problems
        nodes = tuple(Node(**draft.node) for draft in drafts)
        raw = {
            "name": name,
            "description": description,
            "nodes": [_raw_node(node) for node in nodes],
        }
        return WorkflowDefinition(name, description, nodes, raw), []

    def _unknown_keys(
        self, path: str, mapping: Mapping[str, Any], allowed: tuple[str, ...], what: str
    ) -> None:
        for key in mapping:
            if key not in allowed:
                self.problem(
                    f"{path}.{key}" if path else str(key),
                    ProblemCode.UNKNOWN_FIELD,
                    f"unknown field {key!r} in {what} (allowed: {', '.join(allowed)})",
                )

    def _name(self) -> str:
        name = self.data.get("name")
        if name is None:
            self.problem("name", ProblemCode.MISSING_FIELD, "a workflow needs a name")
        elif not isinstance(name, str) or not _NAME.fullmatch(name) or len(name) > MAX_NAME_LENGTH:
            self.problem(
                "name",
                ProblemCode.INVALID_VALUE,
                f"the name must be 1 to {MAX_NAME_LENGTH} letters, digits, '.', '_' or '-'",
            )
        return name if isinstance(name, str) else ""

    def _entries(self) -> list[tuple[int, Mapping[str, Any]]]:
        nodes = self.data.get("nodes")
        if nodes is None:
            self.problem("nodes", ProblemCode.MISSING_FIELD, "a workflow needs nodes")
            return []
        if not isinstance(nodes, list) or not nodes:
            message = "nodes must be a non-empty list of node mappings"
            self.problem("nodes", ProblemCode.INVALID_VALUE, message)
            return []
        entries = []
        for index, entry in enumerate(nodes):
            if isinstance(entry, Mapping):
                entries.append((index, entry))
            else:
                message = "a node must be a mapping with an id and one kind key"
                self.problem(f"nodes[{index}]", ProblemCode.NOT_A_MAPPING, message)
        return entries

    def _ids(self, entries: list[tuple[int, Mapping[str, Any]]]) -> dict[str, int]:
        """Node id → position of its first node. Ids with a bad shape still count as known,
        so one bad id yields one problem rather than one per dependent."""
        known: dict[str, int] = {}
        for index, entry in entries:
            path, node_id = f"nodes[{index}].id", entry.get("id")
            if node_id is None:
                self.problem(path, ProblemCode.MISSING_FIELD, "every node needs an id")
            elif not isinstance(node_id, str) or not _NODE_ID.fullmatch(node_id):
                message = "a node id is made of letters, digits, '_' and '-'"
                self.problem(path, ProblemCode.INVALID_VALUE, message)
                if isinstance(node_id, str) and node_id and node_id not in known:
                    known[node_id] = index
            elif node_id in known:
                message = f"duplicate node id {node_id!r} (first used by nodes[{known[node_id]}])"
                self.problem(path, ProblemCode.DUPLICATE_ID, message)
            else:
                if node_id in _RESERVED_IDS:
                    message = f"{node_id!r} is reserved in conditions and templates"
                    self.problem(path, ProblemCode.INVALID_VALUE, message)
                known[node_id] = index
        return known

    def _node(self, index: int, entry: Mapping[str, Any], known: dict[str, int]) -> _Draft:
        path, raw_id = f"nodes[{index}]", entry.get("id")
        node_id = raw_id if isinstance(raw_id, str) and known.get(raw_id) == index else None
        label = f"node {raw_id!r}" if isinstance(raw_id, str) else path
        draft = _Draft(index, node_id, label, [], {"id": raw_id}, [])
        self._unknown_keys(path, entry, _NODE_KEYS + _KINDS, label)
        self._depends_on(draft, entry.get("depends_on"), known)
        rule = entry.get("trigger_rule", TriggerRule.ALL_SUCCESS.value)
        if isinstance(rule, str) and rule in _RULE_VALUES:
            draft.node["trigger_rule"] = TriggerRule(rule)
        else:
            message = f"trigger_rule must be one of {_RULES} (got {rule!r})"
            self.problem(f"{path}.trigger_rule", ProblemCode.INVALID_VALUE, message)
        draft.node["when"] = self._condition(draft, f"{path}.when", entry.get("when"), "when")
        kinds = [key for key in _KINDS if key in entry]
        if not kinds:
            message = f"{label} needs exactly one of {', '.join(_KINDS)}"
            self.problem(path, ProblemCode.NO_KIND, message)
        elif len(kinds) > 1:
            message = f"{label} has more than one kind ({', '.join(kinds)}); keep one"
            self.problem(path, ProblemCode.MULTIPLE_KINDS, message)
        else:
            kind = NodeKind(kinds[0])
            draft.node["kind"] = kind
            self._kind(draft, kind, entry[kind.value], f"{path}.{kind.value}")
            self._timeout(draft, kind, entry.get("timeout"), f"{path}.timeout")
        return draft

    def _depends_on(self, draft: _Draft, value: Any, known: dict[str, int]) -> None:
        path = f"nodes[{draft.index}].depends_on"
        if value is None:
            value = []
        if not isinstance(value, list):
            self.problem(path, ProblemCode.INVALID_VALUE, "depends_on must be a list of node ids")
            value = []
        own_id = draft.node["id"]
        for position, dependency in enumerate(value):
            entry = f"{path}[{position}]"
            if not isinstance(dependency, str):
                self.problem(entry, ProblemCode.INVALID_VALUE, "a dependency is a node id")
            elif dependency == own_id:
                self.problem(entry, ProblemCode.CYCLE, f"{draft.label} depends on itself")
            elif dependency not in known:
                message = f"{draft.label} depends on unknown node {dependency!r}"
                self.problem(entry, ProblemCode.UNKNOWN_DEPENDENCY, message)
            elif all(dependency != known_dep for known_dep, _ in draft.edges):
                draft.edges.append((dependency, position))
        draft.node["depends_on"] = tuple(dependency for dependency, _ in draft.edges)

    def _condition(self, draft: _Draft, path: str, value: Any, what: str) -> Condition | None:
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            self.problem(path, ProblemCode.INVALID_VALUE, f"{what} must be a condition string")
            return None
        try:
            condition = parse_condition(value)
        except ConditionError as error:
            self.problem(path, ProblemCode.BAD_CONDITION, f"invalid condition: {error}")
            return None
        draft.conditions.append((path, condition))
        return condition

    def _text(self, path: str, value: Any, what: str) -> str | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            self.problem(path, ProblemCode.MISSING_FIELD, f"{what} is missing or empty")
        elif not isinstance(value, str):
            self.problem(path, ProblemCode.INVALID_VALUE, f"{what} must be text")
        else:
            return value
        return None

    def _count(self, path: str, value: Any, default: int, what: str) -> int:
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            self.problem(path, ProblemCode.INVALID_VALUE, f"{what} must be a whole number ≥ 1")
            return default
        return value

    def _mapping(self, path: str, value: Any, allowed: tuple[str, ...]) -> Mapping[str, Any] | None:
        if not isinstance(value, Mapping):
            message = f"expected a mapping with {', '.join(allowed)}"
            self.problem(path, ProblemCode.INVALID_VALUE, message)
            return None
        self._unknown_keys(path, value, allowed, path.rsplit(".", 1)[-1])
        return value

    def _kind(self, draft: _Draft, kind: NodeKind, value: Any, path: str) -> None:
        if kind in (NodeKind.PROMPT, NodeKind.COMMAND, NodeKind.BASH):
            draft.node[kind.value] = self._text(path, value, f"the {kind.value} text")
        elif kind is NodeKind.LOOP:
            draft.node["loop"] = self._loop(draft, path, value)
        elif kind is NodeKind.APPROVAL:
            draft.node["approval"] = self._approval(path, value)
        elif value is True:
            draft.node["cancel_reason"] = f"workflow cancelled by node {draft.node['id']!r}"
        elif isinstance(value, str) and value.strip():
            draft.node["cancel_reason"] = value
        else:
            message = "cancel must be a reason (text) or true"
            self.problem(path, ProblemCode.INVALID_VALUE, message)

    def _loop(self, draft: _Draft, path: str, value: Any) -> Loop | None:
        loop = self._mapping(path, value, _LOOP_KEYS)
        if loop is None:
            return None
        body: dict[str, str | None] = {"prompt": None, "command": None}
        if "prompt" in loop and "command" in loop:
            message = "a loop runs either a prompt or a command, not both"
            self.problem(path, ProblemCode.INVALID_VALUE, message)
        elif "prompt" not in loop and "command" not in loop:
            self.problem(f"{path}.prompt", ProblemCode.MISSING_FIELD, "a loop needs a prompt")
        else:
            key = "prompt" if "prompt" in loop else "command"
            body[key] = self._text(f"{path}.{key}", loop[key], f"the loop's {key}")
        until = self._text(f"{path}.until", loop.get("until"), "until")
        if until is not None and looks_like_expression(until):
            self._condition(draft, f"{path}.until", until, "until")
        iterations = self._count(
            f"{path}.max_iterations",
            loop.get("max_iterations"),
            DEFAULT_MAX_ITERATIONS,
            "max_iterations",
        )
        own_id = draft.node["id"] if isinstance(draft.node["id"], str) else None
        return Loop(body["prompt"], body["command"], until or "", iterations, own_id)

    def _approval(self, path: str, value: Any) -> Approval | None:
        approval = self._mapping(path, value, _APPROVAL_KEYS)
        if approval is None:
            return None
        message = self._text(f"{path}.message", approval.get("message"), "the approval message")
        prompt, attempts = None, DEFAULT_MAX_ATTEMPTS
        if approval.get("on_reject") is not None:
            on_reject = self._mapping(f"{path}.on_reject", approval["on_reject"], _ON_REJECT_KEYS)
            if on_reject is not None:
                prompt = self._text(
                    f"{path}.on_reject.prompt", on_reject.get("prompt"), "the rework prompt"
                )
                attempts = self._count(
                    f"{path}.on_reject.max_attempts",
                    on_reject.get("max_attempts"),
                    DEFAULT_MAX_ATTEMPTS,
                    "max_attempts",
                )
        return Approval(message or "", prompt, attempts)

    def _timeout(self, draft: _Draft, kind: NodeKind, value: Any, path: str) -> None:
        draft.node["timeout_seconds"] = None
        if value is None:
            return
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or value <= 0
        ):
            message = "timeout must be a positive number of seconds"
            self.problem(path, ProblemCode.INVALID_VALUE, message)
        elif kind in (NodeKind.APPROVAL, NodeKind.CANCEL):
            message = "timeout applies to prompt, command, bash and loop nodes"
            self.problem(path, ProblemCode.INVALID_VALUE, message)
        else:
            draft.node["timeout_seconds"] = float(value)

    def _cycles(self, drafts: list[_Draft]) -> None:
        """Depth-first search; each back edge closes one cycle, reported at that edge."""
        by_id = {draft.id: draft for draft in drafts if draft.id is not None}
        state: dict[str, bool] = {}  # False while on the current path, True once finished
        for root in by_id:
            if root in state:
                continue
            state[root] = False
            path = [root]
            stack: list[Iterator[tuple[str, int]]] = [iter(by_id[root].edges)]
            while stack:
                for dependency, position in stack[-1]:
                    if dependency not in by_id:
                        continue
                    if dependency not in state:
                        state[dependency] = False
                        path.append(dependency)
                        stack.append(iter(by_id[dependency].edges))
                        break
                    if state[dependency] is False:
                        cycle = [*path[path.index(dependency) :], dependency]
                        self.problem(
                            f"nodes[{by_id[path[-1]].index}].depends_on[{position}]",
                            ProblemCode.CYCLE,
                            f"dependency cycle: {' -> '.join(cycle)}",
                        )
                else:
                    state[path.pop()] = True
                    stack.pop()

    def _references(self, drafts: list[_Draft], known: dict[str, int]) -> None:
        """A condition may only read nodes that finish before it is evaluated: ancestors,
        plus, in a loop's `until`, the loop node itself."""
        edges = {draft.id: [dep for dep, _ in draft.edges] for draft in drafts if draft.id}
        for draft in drafts:
            if not draft.conditions:
                continue
            ancestors = _ancestors(draft.id, edges) if draft.id is not None else set()
            for path, condition in draft.conditions:
                is_until = path.endswith(".until")
                for reference in sorted(condition.references):
                    own = reference in (SELF, draft.node["id"])
                    if own and is_until:
                        continue
                    if own:
                        message = "a node's condition cannot read its own output"
                    elif reference not in known:
                        message = f"condition refers to unknown node {reference!r}"
                    elif reference not in ancestors:
                        message = (
                            f"condition refers to {reference!r}, which is not upstream of "
                            f"{draft.node['id']!r}; add it to depends_on"
                        )
                    else:
                        continue
                    self.problem(path, ProblemCode.BAD_CONDITION, message)


def _ancestors(node_id: str, edges: Mapping[str, list[str]]) -> set[str]:
    seen: set[str] = set()
    queue = deque(edges.get(node_id, []))
    while queue:
        current = queue.popleft()
        if current not in seen:
            seen.add(current)
            queue.extend(edges.get(current, []))
    return seen


def _raw_node(node: Node) -> dict[str, Any]:
    raw: dict[str, Any] = {"id": node.id}
    if node.kind is NodeKind.LOOP and node.loop is not None:
        body = {"prompt": node.loop.prompt} if node.loop.prompt else {"command": node.loop.command}
        raw["loop"] = body | {"until": node.loop.until, "max_iterations": node.loop.max_iterations}
    elif node.kind is NodeKind.APPROVAL and node.approval is not None:
        raw["approval"] = {"message": node.approval.message}
        if node.approval.on_reject_prompt is not None:
            raw["approval"]["on_reject"] = {
                "prompt": node.approval.on_reject_prompt,
                "max_attempts": node.approval.max_attempts,
            }
    elif node.kind is NodeKind.CANCEL:
        raw["cancel"] = node.cancel_reason
    else:
        raw[node.kind.value] = getattr(node, node.kind.value)
    raw["depends_on"] = list(node.depends_on)
    raw["trigger_rule"] = node.trigger_rule.value
    if node.when is not None:
        raw["when"] = node.when.source
    if node.timeout_seconds is not None:
        raw["timeout"] = node.timeout_seconds
    return raw
