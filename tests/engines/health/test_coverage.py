"""The static coverage estimate: modules with tests and the volume of tests."""

from __future__ import annotations

from pathlib import Path

from atrium.engines.health.coverage import coverage_findings, estimate_coverage
from atrium.engines.health.inventory import count_code_lines, is_test_path, scan
from tests.engines.health.repos import write_tree


def _module(lines: int) -> str:
    return '"""Module."""\n' + "".join(f"V{i} = {i}\n" for i in range(lines - 1))


def test_modules_are_covered_by_name_or_by_import(tmp_path: Path):
    write_tree(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/named.py": _module(40),
            "pkg/imported.py": _module(40),
            "pkg/untested.py": _module(320),
            "web/cart.ts": "export const x = 1;\n" * 20,
            "tests/test_named.py": '"""T."""\n' + "x = 1\n" * 9,
            "tests/test_other.py": "from pkg import imported\n",
            "web/cart.test.ts": "test('x', () => {});\n",
        },
    )
    estimate = estimate_coverage(scan(tmp_path))
    assert [f.path for f in estimate.untested] == ["pkg/untested.py"]
    code, tests = 420, 12
    assert estimate.module_coverage == 100 / code
    assert estimate.test_volume == tests / code
    assert estimate.estimate == round(0.6 * 100 / code + 0.4 * tests / code, 4)
    findings = coverage_findings(estimate)
    assert [(f.path, f.severity.value) for f in findings] == [("pkg/untested.py", "medium")]


def test_no_code_means_no_coverage(tmp_path: Path):
    assert estimate_coverage(scan(tmp_path)).estimate == 0.0


def test_test_paths_and_line_counting():
    for path in (
        "tests/a.py",
        "pkg/test_a.py",
        "a_test.go",
        "src/x.spec.ts",
        "FooTest.java",
        "conftest.py",
    ):
        assert is_test_path(path), path
    for path in ("pkg/testing_utils.py", "contest.py", "src/latest.ts"):
        assert not is_test_path(path), path
    js = ["/* header", " * more", " */", "", "// note", "let a = 1; // trailing", "/* x */ let b;"]
    assert count_code_lines(js, "javascript") == 1  # the one-line block comment counts as comment
    assert count_code_lines(["# c", "", "x = 1", "  # indented"], "python") == 1
