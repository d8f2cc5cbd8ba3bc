"""Each analyser's output format, parsed from canned output (no subprocess)."""

from __future__ import annotations

import json
from pathlib import Path

from atrium.engines.health.models import Category, Severity
from atrium.engines.health.parsers import (
    parse_lizard,
    parse_radon,
    parse_ruff,
    parse_symilar,
    parse_vulture,
)


def test_ruff_json_with_codes_and_a_syntax_error(tmp_path: Path):
    output = json.dumps(
        [
            {
                "code": "S307",
                "filename": str(tmp_path / "a.py"),
                "location": {"row": 3},
                "message": "eval",
            },
            {
                "code": None,
                "filename": str(tmp_path / "b.py"),
                "location": {"row": 1},
                "message": "bad",
            },
            {
                "code": "invalid-syntax",
                "filename": str(tmp_path / "d.py"),
                "location": {"row": 2},
                "message": "Expected an expression",
            },
            {
                "code": "E501",
                "filename": "/elsewhere/c.py",
                "location": {"row": 1},
                "message": "long",
            },
        ]
    )
    found = parse_ruff(output, tmp_path, tmp_path)
    assert [(f.rule, f.category, f.severity, f.path, f.line) for f in found] == [
        ("S307", Category.SECURITY, Severity.CRITICAL, "a.py", 3),
        ("invalid-syntax", Category.RUNTIME_RISKS, Severity.HIGH, "b.py", 1),
        ("invalid-syntax", Category.RUNTIME_RISKS, Severity.HIGH, "d.py", 2),
    ]  # the file outside the root is dropped


def test_radon_blocks_methods_and_unparsable_files(tmp_path: Path):
    output = json.dumps(
        {
            str(tmp_path / "m.py"): [
                {"type": "class", "name": "K", "lineno": 1, "complexity": 40},
                {"type": "method", "name": "run", "classname": "K", "lineno": 2, "complexity": 35},
                {"type": "function", "name": "f", "lineno": 9, "complexity": 12},
                {"type": "function", "name": "g", "lineno": 20, "complexity": 4},
            ],
            str(tmp_path / "broken.py"): {"error": "invalid syntax"},
        }
    )
    found = parse_radon(output, tmp_path, tmp_path)
    assert [(f.key, f.category, f.severity, f.line) for f in found] == [
        ("K.run", Category.RUNTIME_RISKS, Severity.HIGH, 2),
        ("f", Category.CODE_SMELLS, Severity.LOW, 9),
    ]
    assert found[0].message == "K.run has cyclomatic complexity 35 (rank E)"


def test_lizard_csv_rows(tmp_path: Path):
    output = (
        f'3,2,20,1,3,"small@1-3@{tmp_path}/w.js","{tmp_path}/w.js","small","small()",1,3\n'
        f'30,22,200,2,40,"big@5-44@{tmp_path}/w.js","{tmp_path}/w.js","big","big(a,b)",5,44\n'
    )
    found = parse_lizard(output, tmp_path, tmp_path)
    assert [(f.path, f.line, f.key, f.severity) for f in found] == [
        ("w.js", 5, "big", Severity.MEDIUM)
    ]


def test_vulture_lines_relative_to_its_working_directory(tmp_path: Path):
    (tmp_path / "repo").mkdir()
    output = (
        "repo/m.py:4: unused function 'helper' (60% confidence)\n"
        "repo/m.py:1: unused import 'os' (90% confidence)\n"
        "repo/m.py:9: unreachable code after 'return' (100% confidence, 2 lines)\n"
        "not a vulture line\n"
    )
    found = parse_vulture(output, tmp_path / "repo", tmp_path)
    assert [(f.rule, f.severity, f.path, f.key) for f in found] == [
        ("unused-function", Severity.INFO, "m.py", "helper"),
        ("unused-import", Severity.LOW, "m.py", "os"),
        ("unreachable-code-after", Severity.MEDIUM, "m.py", ""),
    ]
    assert all(f.category is Category.DEAD_CODE for f in found)


def test_symilar_report_skips_import_only_blocks(tmp_path: Path):
    output = """
7 similar lines in 2 files
==pkg/a.py:[10:17]
==pkg/b.py:[30:37]
       total = 0
       for item in items:
           total += item
       return total

6 similar lines in 2 files
==pkg/a.py:[0:6]
==pkg/c.py:[0:6]
   from os import path
   import sys
   from typing import (
       Any,
       cast,
   )

TOTAL lines=200 duplicates=13 percent=6.50
"""
    found = parse_symilar(output, tmp_path, tmp_path)
    assert len(found) == 1
    finding = found[0]
    assert (finding.path, finding.line, finding.severity) == ("pkg/a.py", 11, Severity.LOW)
    assert finding.message == "7 similar lines (11-17) also in pkg/b.py:31-37"
    assert finding.key.splitlines()[0] == "total = 0"
