"""Octokraft's code-health engine: plain functions over a directory on disk.

- `assess(directory)` runs established analysers (ruff, radon, lizard, vulture and pylint's
  symilar) concurrently as subprocesses and scores their findings in Octokraft's eight
  categories (`scoring` documents the formula: severity-weighted findings per thousand
  lines, exponential decay per category, security weighing double, grades A to F);
- `drift(previous, current)` lists what got worse between two assessments;
- `compare(base, head, changed_files)` is a pull request's impact: introduced and fixed
  findings by fingerprint, health impact, risk and merge readiness;
- `architecture_overview(directory)` and `detect_conventions(directory)` describe the
  Python code's import graph and the conventions it follows.

Nothing here touches a database, the network or Strawberry; results are frozen
dataclasses with `to_dict()`.
"""

from atrium.engines.health.architecture import (
    Dependency,
    Layer,
    Module,
    Overview,
    architecture_overview,
)
from atrium.engines.health.assess import DEFAULT_TIMEOUT_SECONDS, assess
from atrium.engines.health.conventions import Convention, ConventionKind, detect_conventions
from atrium.engines.health.drift import DriftAlert, DriftThresholds, DriftType, drift
from atrium.engines.health.models import (
    AnalyserError,
    AnalyserRun,
    Assessment,
    Category,
    CategoryScore,
    DismissRule,
    Finding,
    Grade,
    HealthSummary,
    LanguageStats,
    Severity,
)
from atrium.engines.health.pull_requests import (
    CategoryDelta,
    PullRequestImpact,
    Readiness,
    Risk,
    compare,
)
from atrium.engines.health.scoring import grade_for

__all__ = [
    "DEFAULT_TIMEOUT_SECONDS",
    "AnalyserError",
    "AnalyserRun",
    "Assessment",
    "Category",
    "CategoryDelta",
    "CategoryScore",
    "Convention",
    "ConventionKind",
    "Dependency",
    "DismissRule",
    "DriftAlert",
    "DriftThresholds",
    "DriftType",
    "Finding",
    "Grade",
    "HealthSummary",
    "LanguageStats",
    "Layer",
    "Module",
    "Overview",
    "PullRequestImpact",
    "Readiness",
    "Risk",
    "Severity",
    "architecture_overview",
    "assess",
    "compare",
    "detect_conventions",
    "drift",
    "grade_for",
]
