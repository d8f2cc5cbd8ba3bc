"""The values the health engine hands out: findings, category scores and assessments.

Everything is a frozen dataclass so an assessment can be cached, compared and shared between
tasks without defensive copies. `to_dict()` returns JSON-able values (enums become their
lowercase values, tuples become lists) so a result can be stored as a JSON column or sent
as-is by the REST layer; `from_dict()` rebuilds it, which is what `drift()` and `compare()`
need when the previous assessment comes out of a database.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, fields, is_dataclass
from enum import Enum, StrEnum
from typing import Any


class Category(StrEnum):
    """Octokraft's eight health categories; the value is the REST spelling."""

    SECURITY = "security"
    RUNTIME_RISKS = "runtime_risks"
    TEST_COVERAGE = "test_coverage"
    CODE_SMELLS = "code_smells"
    DUPLICATION = "duplication"
    DEAD_CODE = "dead_code"
    CONSISTENCY = "consistency"
    COMPLIANCE = "compliance"


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """0 for critical up to 4 for info, so sorting by rank puts the worst first."""
        return _SEVERITY_ORDER.index(self)


_SEVERITY_ORDER = tuple(Severity)


class Grade(StrEnum):
    A = "A"
    B = "B"
    C = "C"
    D = "D"
    F = "F"


def to_plain(value: Any) -> Any:
    """Dataclasses to dicts, enums to values, tuples to lists, recursively."""
    if isinstance(value, Enum):
        return value.value
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, Mapping):
        return {str(to_plain(k)): to_plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [to_plain(v) for v in value]
    return value


@dataclass(frozen=True, slots=True)
class Finding:
    """One issue an analyser reported, with a fingerprint that survives unrelated edits.

    `path` is relative to the assessed directory with forward slashes; `line` is 1-based.
    The fingerprint does not include the line number (see `findings.fingerprint`), so a
    finding that moves down its file keeps its identity across commits.
    """

    rule: str
    category: Category
    severity: Severity
    path: str
    line: int
    message: str
    tool: str
    fingerprint: str

    def to_dict(self) -> dict[str, Any]:
        return to_plain(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        return cls(
            rule=str(data["rule"]),
            category=Category(data["category"]),
            severity=Severity(data["severity"]),
            path=str(data["path"]),
            line=int(data["line"]),
            message=str(data["message"]),
            tool=str(data["tool"]),
            fingerprint=str(data["fingerprint"]),
        )


@dataclass(frozen=True, slots=True)
class DismissRule:
    """Hide matching findings from scores; every field given must match (an AND).

    `rule` is an exact rule id or an fnmatch pattern ("S1*"); `path_glob` is an fnmatch
    pattern over the relative path, where `*` also crosses `/` ("tests/*" covers the whole
    tree); `severity` is exact. A rule with no field set would hide everything, which is
    never what a person meant, so it is refused.
    """

    rule: str | None = None
    path_glob: str | None = None
    severity: Severity | None = None

    def __post_init__(self) -> None:
        if self.rule is None and self.path_glob is None and self.severity is None:
            raise ValueError("a dismiss rule needs a rule, a path glob or a severity")
        if self.severity is not None and not isinstance(self.severity, Severity):
            object.__setattr__(self, "severity", Severity(self.severity))

    def matches(self, finding: Finding) -> bool:
        if self.rule is not None and not (
            finding.rule == self.rule or fnmatch.fnmatchcase(finding.rule, self.rule)
        ):
            return False
        if self.path_glob is not None and not fnmatch.fnmatchcase(finding.path, self.path_glob):
            return False
        return self.severity is None or finding.severity == self.severity

    def to_dict(self) -> dict[str, Any]:
        return to_plain(self)


@dataclass(frozen=True, slots=True)
class CategoryScore:
    """`per_kloc` is the severity-weighted finding density the score was derived from."""

    category: Category
    score: float
    findings: int
    weight: float
    per_kloc: float

    def to_dict(self) -> dict[str, Any]:
        return to_plain(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CategoryScore:
        return cls(
            category=Category(data["category"]),
            score=float(data["score"]),
            findings=int(data["findings"]),
            weight=float(data["weight"]),
            per_kloc=float(data["per_kloc"]),
        )


@dataclass(frozen=True, slots=True)
class LanguageStats:
    language: str
    files: int
    lines_of_code: int
    lines_of_tests: int

    def to_dict(self) -> dict[str, Any]:
        return to_plain(self)


@dataclass(frozen=True, slots=True)
class AnalyserRun:
    """How one analyser went: status is ok, failed, timeout, missing or skipped."""

    name: str
    version: str | None
    status: str
    duration_seconds: float
    findings: int

    def to_dict(self) -> dict[str, Any]:
        return to_plain(self)


@dataclass(frozen=True, slots=True)
class AnalyserError:
    analyser: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return to_plain(self)


@dataclass(frozen=True, slots=True)
class HealthSummary:
    """The few numbers drift detection needs, small enough to keep for every assessment."""

    overall_score: float
    grade: Grade
    category_scores: Mapping[Category, float]
    coverage_estimate: float
    lines_of_code: int
    lines_of_tests: int
    findings: int

    def to_dict(self) -> dict[str, Any]:
        return to_plain(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> HealthSummary:
        return cls(
            overall_score=float(data["overall_score"]),
            grade=Grade(data["grade"]),
            category_scores={Category(k): float(v) for k, v in data["category_scores"].items()},
            coverage_estimate=float(data["coverage_estimate"]),
            lines_of_code=int(data["lines_of_code"]),
            lines_of_tests=int(data["lines_of_tests"]),
            findings=int(data["findings"]),
        )


@dataclass(frozen=True, slots=True)
class Assessment:
    """A full health assessment of one directory at one moment.

    `findings` excludes what dismiss rules matched; those are in `suppressed` and count
    nowhere. `coverage_estimate` (0 to 1) is a static estimate, not a measurement.
    """

    findings: tuple[Finding, ...]
    categories: tuple[CategoryScore, ...]
    overall_score: float
    grade: Grade
    lines_of_code: int
    lines_of_tests: int
    files: int
    languages: tuple[LanguageStats, ...]
    coverage_estimate: float
    analysers: tuple[AnalyserRun, ...] = ()
    errors: tuple[AnalyserError, ...] = ()
    suppressed: tuple[Finding, ...] = ()
    duration_seconds: float = 0.0

    def category(self, category: Category | str) -> CategoryScore:
        wanted = Category(category)
        return next(c for c in self.categories if c.category == wanted)

    def summary(self) -> HealthSummary:
        return HealthSummary(
            overall_score=self.overall_score,
            grade=self.grade,
            category_scores={c.category: c.score for c in self.categories},
            coverage_estimate=self.coverage_estimate,
            lines_of_code=self.lines_of_code,
            lines_of_tests=self.lines_of_tests,
            findings=len(self.findings),
        )

    def to_dict(self) -> dict[str, Any]:
        return to_plain(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Assessment:
        return cls(
            findings=tuple(Finding.from_dict(f) for f in data["findings"]),
            categories=tuple(CategoryScore.from_dict(c) for c in data["categories"]),
            overall_score=float(data["overall_score"]),
            grade=Grade(data["grade"]),
            lines_of_code=int(data["lines_of_code"]),
            lines_of_tests=int(data["lines_of_tests"]),
            files=int(data["files"]),
            languages=tuple(LanguageStats(**lang) for lang in data.get("languages", ())),
            coverage_estimate=float(data["coverage_estimate"]),
            analysers=tuple(AnalyserRun(**a) for a in data.get("analysers", ())),
            errors=tuple(AnalyserError(**e) for e in data.get("errors", ())),
            suppressed=tuple(Finding.from_dict(f) for f in data.get("suppressed", ())),
            duration_seconds=float(data.get("duration_seconds", 0.0)),
        )
