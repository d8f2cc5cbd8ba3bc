"""Variable substitution in prompts, commands and bash scripts, Archon style.

One regular expression finds every reference and one `re.sub` pass replaces them, so a
substituted value (a model's answer, a user's message) is never scanned again: text that
happens to contain `$ARGUMENTS` cannot inject anything. References:

- `$ARGUMENTS` and `$USER_MESSAGE`: the run's message;
- `$ITERATION`: the loop iteration (1-based), when rendering a loop body;
- `$inputs.name` (and `$inputs.name.field`): the run's inputs;
- `$nodeId.output` and `$nodeId.output.field.sub`: an upstream node's output, with list
  indices written as digits (`$plan.output.steps.0`).

Strings are inserted as they are, None as nothing, anything else as JSON. A reference that
does not resolve (an unknown node, a missing field, `$ITERATION` outside a loop) is left as
written, so the reader of the prompt sees what was not available instead of a silent gap.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from atrium.engines.workflows.outputs import MISSING, field_of

_REFERENCE = re.compile(
    r"\$(?:"
    r"(?P<builtin>ARGUMENTS|USER_MESSAGE|ITERATION)(?![A-Za-z0-9_])"
    r"|inputs\.(?P<input>[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*)"
    r"|(?P<node>[A-Za-z0-9_-]+)\.output(?P<path>(?:\.[A-Za-z0-9_-]+)*)(?![A-Za-z0-9_-])"
    r")"
)


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False)


def render(
    template: str,
    *,
    message: str,
    inputs: Mapping[str, Any],
    outputs: Mapping[str, Any],
    iteration: int | None = None,
) -> str:
    """`template` with every resolvable reference substituted (see the module docstring)."""

    def substitute(match: re.Match[str]) -> str:
        builtin, name, node = match.group("builtin", "input", "node")
        if builtin == "ITERATION":
            return match.group() if iteration is None else str(iteration)
        if builtin is not None:
            return message
        if name is not None:
            value = field_of(inputs, name.split("."))
        elif node in outputs:
            path = match.group("path")
            value = field_of(outputs[node], path[1:].split(".") if path else [])
        else:
            value = MISSING
        return match.group() if value is MISSING else _text(value)

    return _REFERENCE.sub(substitute, template)
