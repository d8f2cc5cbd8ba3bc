"""Raw findings to fingerprinted `Finding`s, and dismiss rules applied to them.

A fingerprint identifies "the same issue" across commits, which is what lets a PR analysis
say which findings it introduced and which it fixed. It hashes the tool, the rule, the file
path, and a key that does not depend on the line number: the symbol the tool named, the
duplicated block's text, or else the offending line's text with whitespace collapsed.
Inserting lines above an issue therefore keeps its fingerprint; editing the offending line
itself gives a new one, which is right, since the issue may then be a different one.

Identical keys within a file (two `eval(input())` lines) are told apart by an occurrence
index, counted in line order, so they stay distinct and stable while their order holds.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence

from atrium.engines.health.inventory import Inventory
from atrium.engines.health.models import Category, DismissRule, Finding, Severity
from atrium.engines.health.parsers import RawFinding
from atrium.engines.health.rules import exempt_in_tests


def normalize(text: str) -> str:
    return " ".join(text.split())


def fingerprint(tool: str, rule: str, path: str, key: str, occurrence: int) -> str:
    payload = "\x1f".join((tool, rule, path, key, str(occurrence)))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]


def _key(raw: RawFinding, inventory: Inventory) -> str:
    if raw.key:
        return normalize(raw.key)
    source = inventory.by_path.get(raw.path)
    if source is not None and 0 < raw.line <= len(source.lines):
        text = normalize(source.lines[raw.line - 1])
        if text:
            return text
    return normalize(raw.message)


def _adjusted(raw: RawFinding, inventory: Inventory) -> RawFinding | None:
    """Drop what a test file is exempt from, cap security findings in tests at low."""
    source = inventory.by_path.get(raw.path)
    if source is None:
        return None  # outside the inventory: excluded, generated or unreadable
    if not source.is_test:
        return raw
    if raw.tool == "vulture" or exempt_in_tests(raw.rule):
        return None  # the test runner calls fixtures and tests; vulture cannot see that
    if raw.category is Category.SECURITY and raw.severity.rank < Severity.LOW.rank:
        return RawFinding(
            raw.tool, raw.rule, raw.category, Severity.LOW, raw.path, raw.line, raw.message
        )
    return raw


def build_findings(raws: Iterable[RawFinding], inventory: Inventory) -> list[Finding]:
    """Fingerprinted findings, sorted by path, line and rule (the order people read them)."""
    kept = [adjusted for raw in raws if (adjusted := _adjusted(raw, inventory)) is not None]
    kept.sort(key=lambda r: (r.path, r.line, r.tool, r.rule, r.message))
    seen: Counter[tuple[str, str, str, str]] = Counter()
    findings: list[Finding] = []
    for raw in kept:
        identity = (raw.tool, raw.rule, raw.path, _key(raw, inventory))
        occurrence = seen[identity]
        seen[identity] += 1
        findings.append(
            Finding(
                rule=raw.rule,
                category=raw.category,
                severity=raw.severity,
                path=raw.path,
                line=raw.line,
                message=raw.message,
                tool=raw.tool,
                fingerprint=fingerprint(*identity, occurrence),
            )
        )
    return findings


def apply_dismiss_rules(
    findings: Sequence[Finding], rules: Sequence[DismissRule]
) -> tuple[list[Finding], list[Finding]]:
    """(kept, suppressed): a finding any rule matches is suppressed."""
    if not rules:
        return list(findings), []
    kept: list[Finding] = []
    suppressed: list[Finding] = []
    for finding in findings:
        (suppressed if any(r.matches(finding) for r in rules) else kept).append(finding)
    return kept, suppressed
