"""Each analyser's output turned into raw findings: located, classified, not yet fingerprinted.

A raw finding carries a `key`, the part of its identity that is not the line number: the
symbol name when the tool names one (a function, an unused variable), or the normalized
block of duplicated lines. When the key is empty the offending line's text is used instead
(see `findings.build_findings`). Parsers are pure functions of the tool's text output so
they can be tested on canned output and run off the event loop.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

from atrium.engines.health.models import Category, Severity
from atrium.engines.health.rules import (
    SYNTAX_ERROR_RULE,
    classify_ruff,
    complexity_rank,
    complexity_severity,
)


@dataclass(frozen=True, slots=True)
class RawFinding:
    tool: str
    rule: str
    category: Category
    severity: Severity
    path: str
    line: int
    message: str
    key: str = ""


class ParseError(ValueError):
    """The tool ran but its output was not what this parser understands."""


@functools.lru_cache(maxsize=65_536)
def relative_path(printed: str, root: Path, cwd: Path) -> str | None:
    """A tool's path as a forward-slash path relative to `root`, None when outside it.

    Cached: a tool names the same file once per finding, and resolving touches the disk,
    which the common case (an absolute path under the resolved root) does not need.
    """
    anchor = f"{root}/"
    if printed.startswith(anchor) and "/../" not in printed and "/./" not in printed:
        return printed[len(anchor) :]
    path = Path(printed)
    absolute = path if path.is_absolute() else cwd / path
    try:
        return absolute.resolve().relative_to(root).as_posix()
    except (ValueError, OSError):
        return None


def parse_ruff(output: str, root: Path, cwd: Path) -> list[RawFinding]:
    try:
        items = json.loads(output or "[]")
    except json.JSONDecodeError as exc:
        raise ParseError(f"ruff output is not JSON: {exc}") from exc
    found: list[RawFinding] = []
    for item in items:
        path = relative_path(item["filename"], root, cwd)
        if path is None:
            continue
        code = item.get("code")
        category, severity = classify_ruff(code)
        location = item.get("location") or {}
        found.append(
            RawFinding(
                tool="ruff",
                rule=code or SYNTAX_ERROR_RULE,
                category=category,
                severity=severity,
                path=path,
                line=int(location.get("row") or 1),
                message=str(item.get("message", "")),
            )
        )
    return found


def _complexity_finding(
    tool: str, path: str, line: int, name: str, complexity: int
) -> RawFinding | None:
    classified = complexity_severity(complexity)
    if classified is None:
        return None
    category, severity = classified
    rank = complexity_rank(complexity)
    return RawFinding(
        tool=tool,
        rule="cyclomatic-complexity",
        category=category,
        severity=severity,
        path=path,
        line=line,
        message=f"{name} has cyclomatic complexity {complexity} (rank {rank})",
        key=name,
    )


def parse_radon(output: str, root: Path, cwd: Path) -> list[RawFinding]:
    """radon's JSON maps a file to its blocks; classes are skipped (their methods are listed)."""
    try:
        per_file = json.loads(output or "{}")
    except json.JSONDecodeError as exc:
        raise ParseError(f"radon output is not JSON: {exc}") from exc
    found: list[RawFinding] = []
    for printed, blocks in per_file.items():
        path = relative_path(printed, root, cwd)
        if path is None or not isinstance(blocks, list):
            continue  # a dict here is radon's {"error": ...} for a file that did not parse
        for block in blocks:
            if block.get("type") == "class":
                continue
            name = block["name"]
            if block.get("classname"):
                name = f"{block['classname']}.{name}"
            finding = _complexity_finding(
                "radon", path, int(block["lineno"]), name, int(block["complexity"])
            )
            if finding:
                found.append(finding)
    return found


def parse_lizard(output: str, root: Path, cwd: Path) -> list[RawFinding]:
    """lizard's CSV: NLOC, CCN, tokens, params, length, location, file, function, ..."""
    found: list[RawFinding] = []
    for row in csv.reader(io.StringIO(output)):
        if len(row) < 10 or not row[1].isdigit():
            continue
        path = relative_path(row[6], root, cwd)
        if path is None:
            continue
        finding = _complexity_finding("lizard", path, int(row[9]), row[7], int(row[1]))
        if finding:
            found.append(finding)
    return found


_VULTURE_LINE = re.compile(
    r"^(?P<path>.+?):(?P<line>\d+): (?P<message>.+?) \((?P<confidence>\d+)% confidence"
)
_QUOTED = re.compile(r"'([^']*)'")


def parse_vulture(output: str, root: Path, cwd: Path) -> list[RawFinding]:
    """`path:line: unused function 'name' (60% confidence)` lines.

    Confidence 100 (unreachable code, unused arguments) is medium, 90 (unused imports) low,
    60 (names vulture cannot prove unused: frameworks call them by reflection) info.
    """
    found: list[RawFinding] = []
    for raw in output.splitlines():
        match = _VULTURE_LINE.match(raw.strip())
        if not match:
            continue
        path = relative_path(match["path"], root, cwd)
        if path is None:
            continue
        message = match["message"]
        confidence = int(match["confidence"])
        head = message.split("'", 1)[0].strip()
        rule = re.sub(r"[^a-z]+", "-", head.lower()).strip("-") or "unused-code"
        symbol = _QUOTED.search(message)
        severity = (
            Severity.MEDIUM
            if confidence >= 100
            else Severity.LOW
            if confidence >= 90
            else Severity.INFO
        )
        found.append(
            RawFinding(
                tool="vulture",
                rule=rule,
                category=Category.DEAD_CODE,
                severity=severity,
                path=path,
                line=int(match["line"]),
                message=f"{message} ({confidence}% confidence)",
                key=symbol.group(1) if symbol and rule.startswith("unused") else "",
            )
        )
    return found


_SIMILAR_HEADER = re.compile(r"^(\d+) similar lines in (\d+) files$")
_SIMILAR_LOCATION = re.compile(r"^==(?P<path>.+):\[(?P<start>\d+):(?P<end>\d+)\]$")
_IMPORT_LINE = re.compile(
    r"^(from\s+[\w.]+\s+import\b.*|import\s+[\w.].*|\)|[\w.]+(\s+as\s+\w+)?,?)$"
)


def _duplication_severity(lines: int) -> Severity:
    return Severity.HIGH if lines >= 50 else Severity.MEDIUM if lines >= 20 else Severity.LOW


def parse_symilar(output: str, root: Path, cwd: Path) -> list[RawFinding]:
    """symilar's report: a header, `==path:[start:end]` lines (0-based start), the block.

    One finding per duplicated block, at its first location, naming the other copies. A
    block made only of import lines is not reported: symilar's own option to skip imports
    parses every file with astroid and is many times slower than the whole rest.
    """
    found: list[RawFinding] = []
    lines = output.splitlines()
    index = 0
    while index < len(lines):
        header = _SIMILAR_HEADER.match(lines[index].strip())
        index += 1
        if not header:
            continue
        locations: list[tuple[str, int, int]] = []
        while index < len(lines) and (loc := _SIMILAR_LOCATION.match(lines[index].strip())):
            path = relative_path(loc["path"], root, cwd)
            if path is not None:
                locations.append((path, int(loc["start"]) + 1, int(loc["end"])))
            index += 1
        block: list[str] = []
        while index < len(lines) and not _SIMILAR_HEADER.match(lines[index].strip()):
            if lines[index].startswith("TOTAL lines="):
                break
            if lines[index].strip():
                block.append(" ".join(lines[index].split()))
            index += 1
        if not locations or all(_IMPORT_LINE.match(b) for b in block):
            continue
        count = int(header.group(1))
        path, start, end = locations[0]
        others = ", ".join(f"{p}:{s}-{e}" for p, s, e in locations[1:])
        found.append(
            RawFinding(
                tool="symilar",
                rule="duplicate-code",
                category=Category.DUPLICATION,
                severity=_duplication_severity(count),
                path=path,
                line=start,
                message=f"{count} similar lines ({start}-{end}) also in {others}",
                key="\n".join(block),
            )
        )
    return found
