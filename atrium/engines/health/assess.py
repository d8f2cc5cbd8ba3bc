"""`assess()`: run every analyser over a directory and score what they report.

The analysers are independent processes, so they run concurrently: ruff, radon and vulture
start at once (they find files themselves), while the inventory is read in a worker thread;
symilar and lizard, which take an explicit file list, start as soon as it is ready. Parsing
and scoring also run in a worker thread, so a caller's event loop keeps serving requests
during an assessment of a large repository.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from atrium.engines.health import analysers
from atrium.engines.health.coverage import coverage_findings, estimate_coverage
from atrium.engines.health.findings import apply_dismiss_rules, build_findings
from atrium.engines.health.inventory import Inventory, scan
from atrium.engines.health.models import (
    AnalyserError,
    AnalyserRun,
    Assessment,
    DismissRule,
    LanguageStats,
)
from atrium.engines.health.parsers import (
    ParseError,
    RawFinding,
    parse_lizard,
    parse_radon,
    parse_ruff,
    parse_symilar,
    parse_vulture,
)
from atrium.engines.health.scoring import category_scores, grade_for, overall_score

DEFAULT_TIMEOUT_SECONDS = 300.0
_PARSERS = {
    "ruff": parse_ruff,
    "radon": parse_radon,
    "vulture": parse_vulture,
    "symilar": parse_symilar,
    "lizard": parse_lizard,
}
_ALL_ANALYSERS = ("ruff", "radon", "vulture", "symilar", "lizard")


async def assess(
    directory: Path,
    *,
    dismiss_rules: Sequence[DismissRule] = (),
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
) -> Assessment:
    """Assess the code under `directory`; analyser failures land in `errors`, not raised.

    `timeout_seconds` applies to each analyser separately. Raises NotADirectoryError when
    `directory` is not one, since there is nothing meaningful to score then.
    """
    started = time.perf_counter()
    root = await asyncio.to_thread(_directory, Path(directory))
    with tempfile.TemporaryDirectory(prefix="atrium-health-") as scratch:
        workdir = Path(scratch)
        tasks = [
            asyncio.create_task(analysers.run_command(command, timeout_seconds))
            for command in analysers.early_commands(root, workdir)
        ]
        try:
            inventory = await asyncio.to_thread(scan, root)
            tasks += [
                asyncio.create_task(analysers.run_command(command, timeout_seconds))
                for command in analysers.inventory_commands(inventory, workdir)
            ]
            results = list(await asyncio.gather(*tasks))
        finally:
            for task in tasks:
                task.cancel()  # a no-op unless something failed; run_command kills its child
            await asyncio.gather(*tasks, return_exceptions=True)
        assessment = await asyncio.to_thread(
            _score, root, workdir, inventory, results, tuple(dismiss_rules)
        )
    return replace(assessment, duration_seconds=round(time.perf_counter() - started, 3))


def _directory(directory: Path) -> Path:
    root = directory.resolve()
    if not root.is_dir():
        raise NotADirectoryError(str(directory))
    return root


def _score(
    root: Path,
    workdir: Path,
    inventory: Inventory,
    results: list[analysers.CommandResult],
    dismiss_rules: tuple[DismissRule, ...],
) -> Assessment:
    raws: list[RawFinding] = []
    runs: list[AnalyserRun] = []
    errors: list[AnalyserError] = []
    for result in results:
        found: list[RawFinding] = []
        status, error = result.status, result.error
        if status == "ok":
            cwd = root if result.name == "symilar" else workdir
            try:
                found = _PARSERS[result.name](result.stdout, root, cwd)
            except (ParseError, KeyError, ValueError, TypeError) as exc:
                status, error = "failed", f"{result.name} output could not be read: {exc}"
        if error:
            errors.append(AnalyserError(result.name, error))
        raws.extend(found)
        runs.append(
            AnalyserRun(
                name=result.name,
                version=analysers.analyser_version(result.name),
                status=status,
                duration_seconds=round(result.duration_seconds, 3),
                findings=len(found),
            )
        )
    ran = {r.name for r in runs}
    runs.extend(
        AnalyserRun(name, analysers.analyser_version(name), "skipped", 0.0, 0)
        for name in _ALL_ANALYSERS
        if name not in ran  # lizard without non-Python files, symilar without files
    )
    coverage = estimate_coverage(inventory)
    raws.extend(coverage_findings(coverage))
    findings, suppressed = apply_dismiss_rules(build_findings(raws, inventory), dismiss_rules)
    lines = inventory.lines_of_code + inventory.lines_of_tests
    categories = category_scores(findings, lines, coverage.estimate)
    overall = overall_score(categories)
    return Assessment(
        findings=tuple(findings),
        categories=tuple(categories),
        overall_score=overall,
        grade=grade_for(overall),
        lines_of_code=inventory.lines_of_code,
        lines_of_tests=inventory.lines_of_tests,
        files=len(inventory.files),
        languages=_languages(inventory),
        coverage_estimate=coverage.estimate,
        analysers=tuple(runs),
        errors=tuple(errors),
        suppressed=tuple(suppressed),
    )


def _languages(inventory: Inventory) -> tuple[LanguageStats, ...]:
    stats: dict[str, list[int]] = {}
    for source in inventory.files:
        entry = stats.setdefault(source.language, [0, 0, 0])
        entry[0] += 1
        entry[2 if source.is_test else 1] += source.lines_of_code
    ordered = sorted(stats.items(), key=lambda item: (-(item[1][1] + item[1][2]), item[0]))
    return tuple(LanguageStats(lang, n, code, tests) for lang, (n, code, tests) in ordered)
