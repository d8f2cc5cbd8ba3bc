"""Conventions a Python codebase follows, measured from its code rather than declared.

Each convention is a yes/no question asked of many sites (every function, every `except`,
every module); adherence is the share of sites that answer yes. Two sorts:

- norms, where one answer is better: names follow PEP 8, handlers catch specific
  exceptions, `raise` inside `except` chains with `from`, public functions are annotated
  and documented, modules stay under 500 lines, modules have a test;
- styles, where either answer is fine and consistency is what matters: the description
  states the codebase's dominant choice (absolute or relative imports; `from __future__
  import annotations` or not; exception classes named `...Error` or not) and adherence is
  the dominant share.

Conventions seen at fewer than 3 sites are not reported: one function is not a convention.
Examples show up to 3 conforming sites and counterexamples up to 3 that break it, as
`path:line name`. Only Python is examined; synchronous and CPU-bound like
`architecture_overview`.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from atrium.engines.health.coverage import estimate_coverage
from atrium.engines.health.inventory import scan
from atrium.engines.health.models import to_plain
from atrium.engines.health.pysource import parse

MIN_SITES = 3
MAX_EXAMPLES = 3
MAX_MODULE_LINES = 500
_SNAKE = re.compile(r"^_{0,2}[a-z][a-z0-9_]*$")
_PASCAL = re.compile(r"^_?[A-Z][a-zA-Z0-9]*$")
_UPPER = re.compile(r"^_?[A-Z][A-Z0-9_]*$")
_BROAD = frozenset({"Exception", "BaseException"})


class ConventionKind(StrEnum):
    NAMING = "naming"
    ERROR_HANDLING = "error_handling"
    STRUCTURE = "structure"
    API_DESIGN = "api_design"
    DOCUMENTATION = "documentation"
    IMPORTS = "imports"


@dataclass(frozen=True, slots=True)
class Convention:
    key: str
    kind: ConventionKind
    description: str
    adherence: float
    examples: tuple[str, ...]
    counterexamples: tuple[str, ...]
    sites: int

    def to_dict(self) -> dict[str, Any]:
        return to_plain(self)


@dataclass
class _Tally:
    """Yes/no answers for one question, with a few sites of each for the examples."""

    yes: int = 0
    no: int = 0
    yes_sites: list[str] = field(default_factory=list)
    no_sites: list[str] = field(default_factory=list)

    def add(self, ok: bool, site: str) -> None:
        if ok:
            self.yes += 1
            if len(self.yes_sites) < MAX_EXAMPLES:
                self.yes_sites.append(site)
        else:
            self.no += 1
            if len(self.no_sites) < MAX_EXAMPLES:
                self.no_sites.append(site)

    @property
    def sites(self) -> int:
        return self.yes + self.no


_NORMS: dict[str, tuple[ConventionKind, str]] = {
    "naming.functions": (ConventionKind.NAMING, "Functions and methods are snake_case"),
    "naming.classes": (ConventionKind.NAMING, "Classes are PascalCase"),
    "naming.constants": (ConventionKind.NAMING, "Module-level constants are UPPER_CASE"),
    "error_handling.specific_except": (
        ConventionKind.ERROR_HANDLING,
        "Exception handlers catch specific exceptions, not bare or Exception",
    ),
    "error_handling.chained_raise": (
        ConventionKind.ERROR_HANDLING,
        "Exceptions raised while handling another are chained with `from`",
    ),
    "api_design.annotated": (
        ConventionKind.API_DESIGN,
        "Public functions annotate every parameter and the return type",
    ),
    "api_design.few_parameters": (
        ConventionKind.API_DESIGN,
        "Functions take at most 5 parameters",
    ),
    "documentation.public_docstrings": (
        ConventionKind.DOCUMENTATION,
        "Public functions and classes have docstrings",
    ),
    "documentation.module_docstrings": (ConventionKind.DOCUMENTATION, "Modules have docstrings"),
    "structure.module_size": (
        ConventionKind.STRUCTURE,
        f"Modules stay under {MAX_MODULE_LINES} lines of code",
    ),
    "structure.tested_modules": (ConventionKind.STRUCTURE, "Every module has a test"),
    "imports.top_level": (ConventionKind.IMPORTS, "Imports are at module level"),
}
_STYLES: dict[str, tuple[ConventionKind, str, str]] = {
    "imports.absolute": (
        ConventionKind.IMPORTS,
        "Imports are absolute",
        "Imports inside the package are relative",
    ),
    "imports.future_annotations": (
        ConventionKind.IMPORTS,
        "Modules start with `from __future__ import annotations`",
        "Modules do not use `from __future__ import annotations`",
    ),
    "error_handling.error_suffix": (
        ConventionKind.ERROR_HANDLING,
        "Exception classes are named ...Error",
        "Exception classes are not named ...Error",
    ),
}


def _functions(tree: ast.AST) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def _parameters(node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.arg]:
    args = node.args
    params = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    params += [a for a in (args.vararg, args.kwarg) if a is not None]
    return [p for p in params if p.arg not in {"self", "cls"}]


def _is_exception_class(node: ast.ClassDef) -> bool:
    names = {b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases}
    return any(n.endswith(("Error", "Exception")) or n in _BROAD for n in names)


def _handler_names(handler: ast.ExceptHandler) -> set[str]:
    if handler.type is None:
        return {""}
    nodes = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return {n.id if isinstance(n, ast.Name) else getattr(n, "attr", "?") for n in nodes}


def _examine(path: str, tree: ast.Module, tallies: dict[str, _Tally]) -> None:
    def site(node: ast.AST, name: str = "") -> str:
        return f"{path}:{getattr(node, 'lineno', 1)}{' ' + name if name else ''}"

    tallies["documentation.module_docstrings"].add(ast.get_docstring(tree) is not None, path)
    future = any(isinstance(n, ast.ImportFrom) and n.module == "__future__" for n in tree.body)
    tallies["imports.future_annotations"].add(future, path)
    top_level = {id(n) for n in tree.body}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom) and not (
            isinstance(node, ast.ImportFrom) and node.module == "__future__"
        ):
            tallies["imports.top_level"].add(id(node) in top_level, site(node))
            if isinstance(node, ast.ImportFrom):
                tallies["imports.absolute"].add(node.level == 0, site(node, node.module or "."))
        elif isinstance(node, ast.ClassDef):
            tallies["naming.classes"].add(bool(_PASCAL.match(node.name)), site(node, node.name))
            if not node.name.startswith("_"):
                documented = ast.get_docstring(node) is not None
                tallies["documentation.public_docstrings"].add(documented, site(node, node.name))
            if _is_exception_class(node):
                ends = node.name.endswith("Error")
                tallies["error_handling.error_suffix"].add(ends, site(node, node.name))
        elif isinstance(node, ast.ExceptHandler):
            names = _handler_names(node)
            specific = not (names & (_BROAD | {""}))
            tallies["error_handling.specific_except"].add(specific, site(node, "except"))
            for inner in ast.walk(node):
                if isinstance(inner, ast.Raise) and inner.exc is not None:
                    chained = inner.cause is not None
                    tallies["error_handling.chained_raise"].add(chained, site(inner, "raise"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            for target in node.targets:
                if isinstance(target, ast.Name) and not target.id.startswith("__"):
                    upper = bool(_UPPER.match(target.id))
                    tallies["naming.constants"].add(upper, site(node, target.id))
    for function in _functions(tree):
        name = function.name
        if name.startswith("__") and name.endswith("__"):
            continue
        tallies["naming.functions"].add(bool(_SNAKE.match(name)), site(function, name))
        params = _parameters(function)
        tallies["api_design.few_parameters"].add(len(params) <= 5, site(function, name))
        if not name.startswith("_"):
            annotated = function.returns is not None and all(p.annotation for p in params)
            tallies["api_design.annotated"].add(annotated, site(function, name))
            documented = ast.get_docstring(function) is not None
            tallies["documentation.public_docstrings"].add(documented, site(function, name))


def detect_conventions(directory: Path) -> list[Convention]:
    """The conventions of the Python code under `directory`, sorted by kind then key."""
    inventory = scan(Path(directory).resolve())
    tallies: dict[str, _Tally] = {key: _Tally() for key in (*_NORMS, *_STYLES)}
    python = [f for f in inventory.files if f.language == "python"]
    for source in python:
        if not source.is_test:
            small = source.lines_of_code < MAX_MODULE_LINES
            tallies["structure.module_size"].add(small, f"{source.path} ({source.lines_of_code})")
        tree = parse("\n".join(source.lines), source.path)
        if tree is not None:
            _examine(source.path, tree, tallies)
    coverage = estimate_coverage(inventory)
    untested = {f.path for f in coverage.untested}
    for source in python:
        if (
            not source.is_test
            and source.lines_of_code >= 10
            and not source.path.endswith("__init__.py")
        ):
            tallies["structure.tested_modules"].add(source.path not in untested, source.path)
    conventions: list[Convention] = []
    for key, tally in tallies.items():
        if tally.sites < MIN_SITES:
            continue
        share = tally.yes / tally.sites
        if key in _NORMS:
            kind, description = _NORMS[key]
            examples, counter = tally.yes_sites, tally.no_sites
        else:
            kind, yes_text, no_text = _STYLES[key]
            dominant = share >= 0.5
            description = yes_text if dominant else no_text
            examples, counter = (
                (tally.yes_sites, tally.no_sites) if dominant else (tally.no_sites, tally.yes_sites)
            )
            share = share if dominant else 1 - share
        conventions.append(
            Convention(
                key,
                kind,
                description,
                round(share, 3),
                tuple(examples),
                tuple(counter),
                tally.sites,
            )
        )
    order = list(ConventionKind)
    return sorted(conventions, key=lambda c: (order.index(c.kind), c.key))
