"""A node's output as conditions and templates see it.

Prompt and command nodes answer with text, and workflows branch on what that text says:
`when: "$plan.output.approved == true"` only works if the plan's answer is read as JSON.
Models rarely answer with bare JSON, so three shapes are recognised, most explicit first:
the whole (stripped) text is a JSON object or array; a fenced ```json block (the last one
that parses, since the final answer usually comes last); or a last line holding a JSON
object (a summary line after free text). Anything else stays the text itself.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from enum import Enum
from typing import Any

_FENCED_JSON = re.compile(r"```[ \t]*json[ \t]*\r?\n(.*?)```", re.IGNORECASE | re.DOTALL)


class _Missing(Enum):
    MISSING = "missing"


# What `field_of` answers for a path that leads nowhere: templates leave such references
# as written, conditions read them as None.
MISSING = _Missing.MISSING


def _json(text: str) -> tuple[bool, Any]:
    try:
        return True, json.loads(text)
    except ValueError:
        return False, None


def parse_output(text: str) -> Any:
    """The parsed JSON when the text carries some (see the module docstring), else the text."""
    stripped = text.strip()
    if stripped.startswith(("{", "[")):
        ok, value = _json(stripped)
        if ok and isinstance(value, dict | list):
            return value
    for block in reversed(_FENCED_JSON.findall(text)):
        ok, value = _json(block)
        if ok:
            return value
    lines = stripped.splitlines()
    if lines and lines[-1].strip().startswith("{"):
        ok, value = _json(lines[-1].strip())
        if ok and isinstance(value, dict):
            return value
    return text


def field_of(value: Any, path: Sequence[str]) -> Any:
    """`value` followed along `path` (mapping keys, or list indices written as digits).

    A text value is parsed with `parse_output` first, so a runtime may store raw text and
    `$node.output.field` still finds the field. Answers `MISSING` where the path breaks.
    """
    for segment in path:
        if isinstance(value, str):
            value = parse_output(value)
        if isinstance(value, Mapping):
            if segment not in value:
                return MISSING
            value = value[segment]
        elif isinstance(value, list) and segment.isdigit() and int(segment) < len(value):
            value = value[int(segment)]
        else:
            return MISSING
    return value
