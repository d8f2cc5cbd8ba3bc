"""Python modules of a directory by dotted name, and the imports each one makes.

Shared by the coverage estimate (which modules do tests import), the architecture overview
(the import graph) and convention detection (what the code looks like), so all three agree
on what a module is called.

Module names are what `import` would use: if the directory is itself a package (it has an
`__init__.py`), its enclosing packages prefix every name, so analysing `repo/atrium` still
calls a module `atrium.core.config` and matches the imports written in the code. A leading
`src/` of the src layout is not part of a name.
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path


def package_prefix(root: Path) -> str:
    """The dotted package the directory itself lives in, "" when it is not a package."""
    parts: list[str] = []
    current = root.resolve()
    while (current / "__init__.py").is_file() and current.parent != current:
        parts.append(current.name)
        current = current.parent
    return ".".join(reversed(parts))


def module_name(path: str, prefix: str = "") -> str:
    """`pkg/sub/mod.py` -> `pkg.sub.mod`; a package's `__init__.py` names the package."""
    parts = path.removesuffix(".py").split("/")
    if parts and parts[0] == "src" and len(parts) > 1:
        parts = parts[1:]
    if parts[-1] == "__init__":
        parts = parts[:-1]
    name = ".".join(parts)
    if prefix:
        return f"{prefix}.{name}" if name else prefix
    return name


def parse(source: str, path: str) -> ast.Module | None:
    """The module's AST, or None when it does not parse (the analysers report that)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escape sequences and the like
            return ast.parse(source, filename=path)
    except (SyntaxError, ValueError):
        return None


@dataclass(frozen=True, slots=True)
class ImportRef:
    """One imported name: `module` is absolute, `names` what a `from` import took from it."""

    module: str
    names: tuple[str, ...]
    line: int
    relative: bool


def _resolve_relative(current: str, is_package: bool, level: int, module: str | None) -> str:
    package = current.split(".") if is_package else current.split(".")[:-1]
    if level > 1:
        package = package[: len(package) - (level - 1)]
    base = ".".join(package)
    if module:
        return f"{base}.{module}" if base else module
    return base


def iter_imports(tree: ast.Module, current: str, is_package: bool) -> Iterator[ImportRef]:
    """Every import in the module, at any depth, relative ones resolved against `current`."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield ImportRef(alias.name, (), node.lineno, relative=False)
        elif isinstance(node, ast.ImportFrom):
            names = tuple(a.name for a in node.names if a.name != "*")
            if node.level:
                target = _resolve_relative(current, is_package, node.level, node.module)
                yield ImportRef(target, names, node.lineno, relative=True)
            elif node.module:
                yield ImportRef(node.module, names, node.lineno, relative=False)


def resolve_targets(ref: ImportRef, known: Iterable[str] | set[str]) -> set[str]:
    """The known modules an import refers to: `from a import b` is `a.b` when that exists.

    Otherwise the longest known prefix of the imported module, so `import a.b.c` with only
    `a.b` known (c being a function) still records a dependency on `a.b`.
    """
    modules = known if isinstance(known, set) else set(known)
    found: set[str] = set()
    for name in ref.names:
        candidate = f"{ref.module}.{name}"
        if candidate in modules:
            found.add(candidate)
    if len(found) < len(ref.names) or not ref.names:
        parts = ref.module.split(".")
        for end in range(len(parts), 0, -1):
            candidate = ".".join(parts[:end])
            if candidate in modules:
                found.add(candidate)
                break
    return found
