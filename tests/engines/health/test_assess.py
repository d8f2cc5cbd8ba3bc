"""`assess()` end to end: real analysers over small repositories with known defects."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import pytest
import pytest_asyncio

from atrium.engines.health import (
    Assessment,
    Category,
    DismissRule,
    Finding,
    Grade,
    Severity,
    assess,
)
from atrium.engines.health import analysers as analysers_module
from atrium.engines.health.analysers import AnalyserCommand, run_command
from tests.engines.health.repos import clean_files, dirty_files, write_tree

ATRIUM_PACKAGE = Path(__file__).resolve().parents[3] / "atrium"


@pytest_asyncio.fixture(scope="module")
async def dirty(tmp_path_factory: pytest.TempPathFactory) -> Assessment:
    return await assess(write_tree(tmp_path_factory.mktemp("dirty"), dirty_files()))


@pytest_asyncio.fixture(scope="module")
async def clean(tmp_path_factory: pytest.TempPathFactory) -> Assessment:
    return await assess(write_tree(tmp_path_factory.mktemp("clean"), clean_files()))


def _one(assessment: Assessment, tool: str, rule: str, path: str) -> Finding:
    matches = [
        f for f in assessment.findings if f.tool == tool and f.rule == rule and f.path == path
    ]
    assert len(matches) == 1, [f.to_dict() for f in assessment.findings if f.path == path]
    return matches[0]


async def test_every_analyser_runs_and_reports_its_version(dirty: Assessment):
    # given a repository with Python and JavaScript, when assessed
    runs = {run.name: run for run in dirty.analysers}
    # then all five analysers ran cleanly, each with its version and duration
    assert set(runs) == {"ruff", "radon", "vulture", "symilar", "lizard"}
    assert all(run.status == "ok" and run.version for run in runs.values()), runs
    assert dirty.errors == ()
    assert all(run.findings > 0 for run in runs.values()), runs


async def test_eval_is_a_critical_security_finding(dirty: Assessment):
    finding = _one(dirty, "ruff", "S307", "app/handlers.py")
    assert (finding.category, finding.severity, finding.line) == (
        Category.SECURITY,
        Severity.CRITICAL,
        6,
    )


async def test_bare_except_is_a_runtime_risk(dirty: Assessment):
    finding = _one(dirty, "ruff", "E722", "app/handlers.py")
    assert finding.category is Category.RUNTIME_RISKS
    assert finding.line == 14


async def test_uncalled_function_is_dead_code_from_vulture(dirty: Assessment):
    unused = {
        f.message.split("'")[1]: f
        for f in dirty.findings
        if f.tool == "vulture" and f.rule == "unused-function"
    }
    # nothing calls run_user_code or never_called_helper; the test calls load
    assert {"run_user_code", "never_called_helper"} <= set(unused)
    assert "load" not in unused
    finding = unused["never_called_helper"]
    assert (finding.category, finding.path, finding.line) == (
        Category.DEAD_CODE,
        "app/handlers.py",
        18,
    )
    # and test functions, which the test runner calls, are not reported
    assert not [f for f in dirty.findings if f.tool == "vulture" and f.path.startswith("tests/")]


async def test_branchy_functions_are_flagged_by_radon_and_lizard(dirty: Assessment):
    python = _one(dirty, "radon", "cyclomatic-complexity", "app/complex.py")
    assert "classify has cyclomatic complexity 23 (rank D)" in python.message
    assert (python.category, python.severity) == (Category.CODE_SMELLS, Severity.MEDIUM)
    javascript = _one(dirty, "lizard", "cyclomatic-complexity", "web/widget.js")
    assert javascript.message.startswith("widget has cyclomatic complexity 29")


async def test_copied_block_is_duplication_naming_the_other_copy(dirty: Assessment):
    finding = _one(dirty, "symilar", "duplicate-code", "app/dup_a.py")
    assert finding.category is Category.DUPLICATION
    assert "app/dup_b.py" in finding.message


async def test_sizes_languages_and_coverage(dirty: Assessment):
    languages = {lang.language: lang for lang in dirty.languages}
    assert set(languages) == {"python", "javascript"}
    assert languages["python"].lines_of_tests == dirty.lines_of_tests > 0
    assert languages["javascript"].lines_of_code == 18
    assert dirty.lines_of_code == languages["python"].lines_of_code + 18
    assert dirty.files == 9
    # handlers has a test that imports it; the complex module has none
    untested = {f.path for f in dirty.findings if f.rule == "untested-module"}
    assert "app/handlers.py" not in untested
    assert 0 < dirty.coverage_estimate < 1


async def test_category_scores_and_grade(dirty: Assessment, clean: Assessment):
    # every category is scored, security weighing double
    assert [c.category for c in dirty.categories] == list(Category)
    assert dirty.category("security").weight == 2.0
    assert dirty.category(Category.SECURITY).score < 50 <= clean.category("security").score
    # the clean repository scores higher overall and in every finding-based category
    assert clean.overall_score > dirty.overall_score
    for category in Category:
        assert clean.category(category).score >= dirty.category(category).score, category
    assert clean.grade in (Grade.A, Grade.B)
    assert dirty.grade in (Grade.D, Grade.F)
    counted = sum(c.findings for c in dirty.categories)
    assert counted == len(dirty.findings)


async def test_assessment_round_trips_through_json(dirty: Assessment):
    data = dirty.to_dict()
    assert data["findings"][0]["severity"] in {s.value for s in Severity}
    assert Assessment.from_dict(data) == dirty


async def test_dismiss_rules_move_findings_to_suppressed(tmp_path: Path):
    root = write_tree(tmp_path, dirty_files())
    rules = (DismissRule(rule="S307"), DismissRule(path_glob="web/*"))
    assessment = await assess(root, dismiss_rules=rules)
    suppressed = {(f.rule, f.path) for f in assessment.suppressed}
    assert ("S307", "app/handlers.py") in suppressed
    assert ("cyclomatic-complexity", "web/widget.js") in suppressed
    remaining = {(f.rule, f.path) for f in assessment.findings}
    assert not suppressed & remaining
    assert not [f for f in assessment.findings if f.path.startswith("web/")]
    # an eval no longer counts against security
    assert assessment.category("security").score > 50


async def test_missing_and_failing_analysers_are_errors_not_crashes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    # given radon reported missing and ruff replaced by a command that fails
    root = write_tree(tmp_path, clean_files())
    real = analysers_module.is_installed
    monkeypatch.setattr(
        analysers_module, "is_installed", lambda name: name != "radon" and real(name)
    )
    failing = AnalyserCommand(
        "ruff",
        (sys.executable, "-c", "import sys; sys.exit('ruff blew up')"),
        tmp_path,
        frozenset({0}),
    )
    monkeypatch.setattr(analysers_module, "ruff_command", lambda root, workdir: failing)
    # when assessed
    assessment = await assess(root)
    # then both are recorded, and the other analysers still count
    statuses = {run.name: run.status for run in assessment.analysers}
    assert statuses == {
        "ruff": "failed",
        "radon": "missing",
        "vulture": "ok",
        "symilar": "ok",
        "lizard": "skipped",  # no file outside Python
    }
    messages = {e.analyser: e.message for e in assessment.errors}
    assert set(messages) == {"ruff", "radon"}
    assert "ruff blew up" in messages["ruff"]
    assert "not installed" in messages["radon"]
    assert assessment.grade in tuple(Grade)


async def test_a_hung_analyser_is_killed_at_its_timeout(tmp_path: Path):
    command = AnalyserCommand(
        "vulture", (sys.executable, "-c", "import time; time.sleep(30)"), tmp_path, frozenset({0})
    )
    started = time.perf_counter()
    result = await run_command(command, timeout_seconds=0.3)
    assert result.status == "timeout"
    assert "timed out after 0.3s" in (result.error or "")
    assert time.perf_counter() - started < 5


async def test_not_a_directory_is_refused(tmp_path: Path):
    with pytest.raises(NotADirectoryError):
        await assess(tmp_path / "missing")


async def test_a_file_that_does_not_parse_is_a_finding(tmp_path: Path):
    root = write_tree(tmp_path, clean_files() | {"calc/broken.py": "def broken(:\n    pass\n"})
    assessment = await assess(root)
    assert assessment.errors == ()  # vulture and radon skip the file, ruff reports it
    broken = [f for f in assessment.findings if f.path == "calc/broken.py"]
    assert [(f.rule, f.category, f.severity) for f in broken if f.tool == "ruff"][:1] == [
        ("invalid-syntax", Category.RUNTIME_RISKS, Severity.HIGH)
    ]


async def test_atrium_itself():
    # given Atrium's own package, and a task that should keep ticking meanwhile
    gaps: list[float] = []
    stop = asyncio.Event()

    async def ticker() -> None:
        last = time.perf_counter()
        while not stop.is_set():
            await asyncio.sleep(0.01)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    ticking = asyncio.create_task(ticker())
    # when assessed with the default settings
    assessment = await assess(ATRIUM_PACKAGE)
    stop.set()
    await ticking
    # then it completes with every analyser and sane numbers
    assert assessment.errors == ()
    assert assessment.lines_of_code > 10_000
    assert assessment.files > 100
    assert len(assessment.findings) > 50
    assert 0 < assessment.overall_score < 100
    assert assessment.grade in tuple(Grade)
    assert {f.tool for f in assessment.findings} >= {"ruff", "radon", "vulture", "symilar"}
    # and the event loop kept running: no stall anywhere near the analysers' duration
    assert max(gaps) < assessment.duration_seconds / 2
