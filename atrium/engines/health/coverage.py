"""A static estimate of test coverage: an estimate, not a measurement.

Running a repository's tests to measure coverage would mean installing its dependencies and
executing its code, which an analysis service must not do with code it did not write. The
estimate combines two signals that correlate with coverage and need nothing but the files:

- module coverage (weight 0.6): the share of code lines in modules that have a test. A
  module has one when a test file is named after it (`test_x.py`, `x_test.go`, `x.test.ts`,
  `XTest.java`) or, for Python, when a test file imports it (`import pkg.x`,
  `from pkg import x`, `from pkg.x import y`). Modules under 10 lines are ignored,
  unless there is nothing else.
- test volume (weight 0.4): lines of tests per line of code, saturating at 1.0.

`estimate = 0.6 * module_coverage + 0.4 * min(1, test_lines / code_lines)`. Every module
of 30 or more lines without a test becomes an `untested-module` finding: low, or medium from
300 lines up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from atrium.engines.health.inventory import Inventory, SourceFile
from atrium.engines.health.models import Category, Severity
from atrium.engines.health.parsers import RawFinding
from atrium.engines.health.pysource import (
    iter_imports,
    module_name,
    package_prefix,
    parse,
    resolve_targets,
)

MODULE_WEIGHT = 0.6
VOLUME_WEIGHT = 0.4
TRIVIAL_LINES = 10
FINDING_MIN_LINES = 30
_TEST_NAME = re.compile(
    r"^(?:test_)?(?P<stem>.+?)(?:_test|_spec|\.test|\.spec|Tests?)?$",
)


@dataclass(frozen=True, slots=True)
class CoverageEstimate:
    estimate: float
    module_coverage: float
    test_volume: float
    untested: tuple[SourceFile, ...]


def _stem(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[0] if "." in name else name


def _tested_names(tests: list[SourceFile]) -> set[str]:
    names: set[str] = set()
    for test in tests:
        match = _TEST_NAME.match(_stem(test.path))
        if match:
            names.add(match["stem"].lower())
    return names


def _imported_modules(inventory: Inventory, code: list[SourceFile]) -> set[str]:
    prefix = package_prefix(inventory.root)
    known = {module_name(f.path, prefix) for f in code if f.language == "python"}
    imported: set[str] = set()
    for test in inventory.files:
        if not test.is_test or test.language != "python":
            continue
        tree = parse("\n".join(test.lines), test.path)
        if tree is None:
            continue
        current = module_name(test.path, prefix)
        is_package = test.path.endswith("__init__.py")
        for ref in iter_imports(tree, current, is_package):
            imported |= resolve_targets(ref, known)
    return imported


def estimate_coverage(inventory: Inventory) -> CoverageEstimate:
    modules = [f for f in inventory.files if not f.is_test and not f.path.endswith("__init__.py")]
    code = [f for f in modules if f.lines_of_code >= TRIVIAL_LINES] or modules
    tests = [f for f in inventory.files if f.is_test]
    code_lines = inventory.lines_of_code
    if not code or code_lines == 0:
        return CoverageEstimate(0.0, 0.0, 0.0, ())
    named = _tested_names(tests)
    imported = _imported_modules(inventory, code) if tests else set()
    prefix = package_prefix(inventory.root) if imported else ""
    untested: list[SourceFile] = []
    covered_lines = 0
    for source in code:
        covered = _stem(source.path).lower() in named or (
            source.language == "python" and module_name(source.path, prefix) in imported
        )
        if covered:
            covered_lines += source.lines_of_code
        else:
            untested.append(source)
    module_coverage = covered_lines / sum(f.lines_of_code for f in code)
    volume = min(1.0, inventory.lines_of_tests / code_lines)
    estimate = MODULE_WEIGHT * module_coverage + VOLUME_WEIGHT * volume
    return CoverageEstimate(round(estimate, 4), module_coverage, volume, tuple(untested))


def coverage_findings(estimate: CoverageEstimate) -> list[RawFinding]:
    return [
        RawFinding(
            tool="coverage-estimate",
            rule="untested-module",
            category=Category.TEST_COVERAGE,
            severity=Severity.MEDIUM if source.lines_of_code >= 300 else Severity.LOW,
            path=source.path,
            line=1,
            message=(
                f"{source.lines_of_code} lines with no test named after the module or importing it"
            ),
            key=source.path,
        )
        for source in estimate.untested
        if source.lines_of_code >= FINDING_MIN_LINES
    ]
