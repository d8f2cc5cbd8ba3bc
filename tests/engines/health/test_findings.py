"""Fingerprints that survive unrelated edits, test-file exemptions and dismiss rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from atrium.engines.health import Assessment, Category, DismissRule, Severity, assess
from atrium.engines.health.findings import apply_dismiss_rules, build_findings
from atrium.engines.health.inventory import scan
from atrium.engines.health.parsers import RawFinding
from tests.engines.health.repos import dirty_files, shifted, write_tree


def _raw(path: str, line: int, rule: str = "S307", **kwargs: object) -> RawFinding:
    values: dict = {
        "tool": "ruff",
        "rule": rule,
        "category": Category.SECURITY,
        "severity": Severity.CRITICAL,
        "path": path,
        "line": line,
        "message": "eval",
    }
    values.update(kwargs)
    return RawFinding(**values)


def test_same_line_text_gets_occurrence_indexes_and_moves_keep_them(tmp_path: Path):
    # given a file with the same offending line twice
    (tmp_path / "m.py").write_text("x = eval(input())\ny = 1\nx = eval(input())\n")
    first = build_findings([_raw("m.py", 1), _raw("m.py", 3)], scan(tmp_path))
    # then the two are distinct
    assert len({f.fingerprint for f in first}) == 2
    # and when lines are inserted above both, each keeps its fingerprint
    (tmp_path / "m.py").write_text("import os\n\n\nx = eval(input())\ny = 1\nx = eval(input())\n")
    moved = build_findings([_raw("m.py", 6), _raw("m.py", 4)], scan(tmp_path))
    assert [f.fingerprint for f in moved] == [f.fingerprint for f in first]
    assert [f.line for f in moved] == [4, 6]


def test_editing_the_offending_line_changes_the_fingerprint(tmp_path: Path):
    (tmp_path / "m.py").write_text("x = eval(input())\n")
    before = build_findings([_raw("m.py", 1)], scan(tmp_path))
    (tmp_path / "m.py").write_text("x = eval(input('? '))\n")
    after = build_findings([_raw("m.py", 1)], scan(tmp_path))
    assert before[0].fingerprint != after[0].fingerprint


def test_test_files_are_exempt_and_capped(tmp_path: Path):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_m.py").write_text("assert eval('1')\n")
    (tmp_path / "m.py").write_text("assert x\n")
    raws = [
        _raw("tests/test_m.py", 1, rule="S101", severity=Severity.INFO),
        _raw("tests/test_m.py", 1),
        _raw("m.py", 1, rule="S101", severity=Severity.INFO),
        _raw("generated/other.py", 1),  # not in the inventory
        _raw("tests/test_m.py", 1, tool="vulture", rule="unused-function"),
    ]
    found = build_findings(raws, scan(tmp_path))
    assert [(f.path, f.rule, f.severity) for f in found] == [
        ("m.py", "S101", Severity.INFO),
        ("tests/test_m.py", "S307", Severity.LOW),
    ]


def test_dismiss_rules_match_on_every_given_field(tmp_path: Path):
    (tmp_path / "a.py").write_text("eval(x)\n")
    (tmp_path / "b.py").write_text("eval(x)\n")
    findings = build_findings([_raw("a.py", 1), _raw("b.py", 1)], scan(tmp_path))
    kept, suppressed = apply_dismiss_rules(
        findings, [DismissRule(rule="S3*", path_glob="b.*", severity="critical")]
    )
    assert [f.path for f in kept] == ["a.py"]
    assert [f.path for f in suppressed] == ["b.py"]
    assert DismissRule(severity="low").severity is Severity.LOW
    with pytest.raises(ValueError):
        DismissRule()


async def test_fingerprints_survive_code_inserted_above(tmp_path: Path):
    # given the dirty repository and a later commit that adds code at the top of two files
    files = dirty_files()
    before = await assess(write_tree(tmp_path / "before", files))
    files["app/handlers.py"] = shifted(files["app/handlers.py"])
    files["app/complex.py"] = shifted(files["app/complex.py"])
    after = await assess(write_tree(tmp_path / "after", files))

    def by_rule(assessment: Assessment) -> dict[tuple[str, str], tuple[str, int]]:
        return {
            (f.rule, f.message): (f.fingerprint, f.line)
            for f in assessment.findings
            if f.rule in {"S307", "E722", "unused-function", "cyclomatic-complexity"}
        }

    old, new = by_rule(before), by_rule(after)
    # then the same issues keep their fingerprints while their lines moved
    for key in ("S307", "E722"):
        (old_print, old_line), *_ = [v for k, v in old.items() if k[0] == key]
        (new_print, new_line), *_ = [v for k, v in new.items() if k[0] == key]
        assert old_print == new_print
        assert new_line == old_line + 9
    helper = next(k for k in old if "never_called_helper" in k[1])
    moved_helper = next(k for k in new if "never_called_helper" in k[1])
    assert old[helper][0] == new[moved_helper][0]
    assert old[helper][1] + 9 == new[moved_helper][1]
    complex_old = {v[0] for k, v in old.items() if k[0] == "cyclomatic-complexity"}
    complex_new = {v[0] for k, v in new.items() if k[0] == "cyclomatic-complexity"}
    assert complex_old == complex_new
