"""A Mermaid flowchart of an architecture, for every generated document.

Node ids are derived from component keys but sanitized (Mermaid ids allow only letters, digits
and underscores, and words like `end` break its parser), so every id gets a prefix and ids that
collide after sanitizing get a numeric suffix. Labels are quoted with `"` escaped, so any name
a user types renders as text instead of breaking the diagram.
"""

from __future__ import annotations

import re

from atrium.engines.architecture.model import ArchitectureSpec, Component, ComponentKind, Link

# (opening, closing) around the quoted label: the shape a reader recognises for each kind.
SHAPES: dict[ComponentKind, tuple[str, str]] = {
    ComponentKind.SERVICE: ("[", "]"),
    ComponentKind.FUNCTION: ("[[", "]]"),
    ComponentKind.DATABASE: ("[(", ")]"),
    ComponentKind.CACHE: ("([", "])"),
    ComponentKind.QUEUE: ("[/", "/]"),
    ComponentKind.OBJECT_STORAGE: ("[\\", "\\]"),
    ComponentKind.CDN: (">", "]"),
    ComponentKind.LOAD_BALANCER: ("[/", "\\]"),
    ComponentKind.GATEWAY: ("{{", "}}"),
    ComponentKind.EXTERNAL: ("((", "))"),
}
_UNSAFE = re.compile(r"[^A-Za-z0-9_]")


def _label(text: str) -> str:
    """Quoted, with the characters Mermaid would parse (quotes, HTML brackets) as entity codes."""
    escaped = text.replace('"', "#quot;").replace("<", "#60;").replace(">", "#62;")
    return '"' + escaped.replace("\n", " ") + '"'


class _Ids:
    """Stable, unique Mermaid ids: the same spec always yields the same ids."""

    def __init__(self, prefix: str) -> None:
        self._prefix = prefix
        self._ids: dict[str, str] = {}
        self._taken: set[str] = set()

    def __call__(self, key: str) -> str:
        if key not in self._ids:
            base = self._prefix + _UNSAFE.sub("_", key)
            candidate, n = base, 1
            while candidate in self._taken:
                n += 1
                candidate = f"{base}_{n}"
            self._taken.add(candidate)
            self._ids[key] = candidate
        return self._ids[key]


def node_line(node_id: str, component: Component) -> str:
    opening, closing = SHAPES[component.kind]
    text = component.name if component.name.strip() else component.key
    return f"{node_id}{opening}{_label(text)}{closing}"


def edge_line(source_id: str, target_id: str, link: Link) -> str:
    """Unencrypted flows are dotted and say so, the first thing a reviewer looks for."""
    if link.encrypted:
        return f"{source_id} -->|{_label(link.protocol)}| {target_id}"
    return f"{source_id} -.->|{_label(f'{link.protocol} unencrypted')}| {target_id}"


def mermaid_diagram(spec: ArchitectureSpec) -> str:
    """A `flowchart LR` without the fence; components in unknown zones are drawn outside any."""
    node_ids, zone_ids = _Ids("n_"), _Ids("z_")
    for component in spec.components:  # ids follow spec order, whatever the zones are
        node_ids(component.key)
    zone_keys = {z.key for z in spec.trust_zones}
    members: dict[str, list[Component]] = {key: [] for key in zone_keys}
    for component in spec.components:
        if component.trust_zone in members:
            members[component.trust_zone].append(component)
    lines = ["flowchart LR"]
    for zone in spec.trust_zones:
        title = f"{zone.name} (trust {zone.trust_level})"
        lines.append(f"    subgraph {zone_ids(zone.key)}[{_label(title)}]")
        # pop: a zone key given twice (which validation rejects) draws its nodes once
        lines += [f"        {node_line(node_ids(c.key), c)}" for c in members.pop(zone.key, [])]
        lines.append("    end")
    lines += [
        f"    {node_line(node_ids(c.key), c)}"
        for c in spec.components
        if c.trust_zone not in zone_keys
    ]
    known = {c.key for c in spec.components}
    lines += [
        f"    {edge_line(node_ids(link.source), node_ids(link.target), link)}"
        for link in spec.links
        if link.source in known and link.target in known
    ]
    return "\n".join(lines)


__all__ = ["SHAPES", "edge_line", "mermaid_diagram", "node_line"]
