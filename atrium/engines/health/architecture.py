"""An architecture overview of a Python codebase from its import graph.

- modules: every Python module by dotted name (see `pysource` for naming), with its lines
  of code and its layer;
- dependencies: module-to-module imports inside the codebase, found with `ast` (imports
  inside functions count too: they are still dependencies, just deferred ones);
- layers: the top-level packages below the common root. When everything lives in one
  package (`atrium.*`), its subpackages (`atrium.core`, `atrium.schema`) are the layers, since
  a single layer says nothing. Each layer lists the layers it depends on;
- cycles: strongly connected components of the module graph with more than one module
  (Tarjan's algorithm, iterative so deep graphs do not hit the recursion limit). Imports
  done inside functions often exist precisely to break such a cycle at import time, but the
  modules still depend on each other, so they count;
- external packages: top-level names imported from outside the codebase, standard
  library excluded: the third-party dependencies the code actually uses;
- oversized modules: more than `oversized_lines` lines of code (default 500), the size at
  which a module usually holds more than one responsibility.

Synchronous and CPU-bound (it parses every file); call it through `asyncio.to_thread` from
async code.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from atrium.engines.health.inventory import count_code_lines, iter_source_paths
from atrium.engines.health.models import to_plain
from atrium.engines.health.pysource import (
    iter_imports,
    module_name,
    package_prefix,
    parse,
    resolve_targets,
)

OVERSIZED_LINES = 500
_STDLIB = frozenset(sys.stdlib_module_names) | {"__future__"}


@dataclass(frozen=True, slots=True)
class Module:
    name: str
    path: str
    lines_of_code: int
    layer: str


@dataclass(frozen=True, slots=True)
class Dependency:
    source: str
    target: str


@dataclass(frozen=True, slots=True)
class Layer:
    name: str
    modules: int
    lines_of_code: int
    depends_on: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Overview:
    modules: tuple[Module, ...]
    dependencies: tuple[Dependency, ...]
    layers: tuple[Layer, ...]
    cycles: tuple[tuple[str, ...], ...]
    oversized_modules: tuple[Module, ...]
    external_packages: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return to_plain(self)


def strongly_connected_components(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's SCC algorithm without recursion; components and members come out sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work: list[tuple[str, list[str]]] = [(start, sorted(graph.get(start, ()), reverse=True))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, pending = work[-1]
            if pending:
                nxt = pending.pop()
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, sorted(graph.get(nxt, ()), reverse=True)))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(sorted(component))
    return sorted(components)


def _layer_depth(names: list[str]) -> int:
    """Parts in a layer name: one more than the package prefix every module shares."""
    split = [n.split(".") for n in names if n]
    if not split:
        return 1
    common = 0
    while all(len(parts) > common for parts in split) and len({p[common] for p in split}) == 1:
        common += 1
    return common + 1


def architecture_overview(directory: Path, *, oversized_lines: int = OVERSIZED_LINES) -> Overview:
    root = Path(directory).resolve()
    prefix = package_prefix(root)
    sources: list[tuple[str, str, list[str]]] = []
    for relative, absolute in iter_source_paths(root):
        if not relative.endswith(".py"):
            continue
        try:
            text = absolute.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        sources.append((relative, module_name(relative, prefix), text.splitlines()))
    known = {name for _, name, _ in sources}
    depth = _layer_depth(sorted(known))
    graph: dict[str, set[str]] = {name: set() for name in known}
    external: set[str] = set()
    modules: list[Module] = []
    for relative, name, lines in sources:
        layer = ".".join(name.split(".")[:depth])
        modules.append(Module(name, relative, count_code_lines(lines, "python"), layer))
        tree = parse("\n".join(lines), relative)
        if tree is None:
            continue
        for ref in iter_imports(tree, name, relative.endswith("__init__.py")):
            targets = resolve_targets(ref, known) - {name}
            graph[name] |= targets
            if not targets and not ref.relative:
                external.add(ref.module.split(".")[0])
    modules.sort(key=lambda m: m.name)
    layer_of = {m.name: m.layer for m in modules}
    layer_deps: dict[str, set[str]] = defaultdict(set)
    for source, targets in graph.items():
        for target in targets:
            if layer_of[source] != layer_of[target]:
                layer_deps[layer_of[source]].add(layer_of[target])
    by_layer: dict[str, list[Module]] = defaultdict(list)
    for module in modules:
        by_layer[module.layer].append(module)
    layers = tuple(
        Layer(
            name,
            len(members),
            sum(m.lines_of_code for m in members),
            tuple(sorted(layer_deps[name])),
        )
        for name, members in sorted(by_layer.items())
    )
    top_levels = {n.split(".")[0] for n in known}
    return Overview(
        modules=tuple(modules),
        dependencies=tuple(Dependency(s, t) for s in sorted(graph) for t in sorted(graph[s])),
        layers=layers,
        cycles=tuple(tuple(c) for c in strongly_connected_components(graph) if len(c) > 1),
        oversized_modules=tuple(m for m in modules if m.lines_of_code > oversized_lines),
        external_packages=tuple(sorted(external - top_levels - _STDLIB)),
    )
