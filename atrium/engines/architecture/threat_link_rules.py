"""STRIDE rules over data flows (links): transport security, caller identity, tier bypass.

Where two rules would report the same weakness of one link, the more specific one wins
(STRIDE-S-003 over STRIDE-S-001, STRIDE-T-001 over STRIDE-T-002), so the risk score does not
count one weakness twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from atrium.engines.architecture.model import (
    DATASTORE_KINDS,
    Component,
    ComponentKind,
    Link,
    Protocol,
)
from atrium.engines.architecture.threat_rules import (
    BY_CLASSIFICATION,
    SENSITIVE,
    ElementKind,
    Finding,
    Rule,
    Severity,
    SpecIndex,
    StrideCategory,
    raised,
)

I001 = Rule(
    "STRIDE-I-001",
    StrideCategory.INFORMATION_DISCLOSURE,
    ElementKind.LINK,
    "Unencrypted data flow across a trust boundary",
    "link not encrypted and its ends are in different trust zones (or one has no zone)",
    "by data classification: PUBLIC LOW, INTERNAL MEDIUM, CONFIDENTIAL HIGH, RESTRICTED CRITICAL",
    "Encrypt the flow in transit (TLS 1.2+ or mTLS); never rely on the network to hide data.",
)
T001 = Rule(
    "STRIDE-T-001",
    StrideCategory.TAMPERING,
    ElementKind.LINK,
    "Data flow across a trust boundary can be modified in transit",
    "link not encrypted and its ends are in different trust zones (or one has no zone)",
    "by data classification: PUBLIC LOW, INTERNAL MEDIUM, CONFIDENTIAL HIGH, RESTRICTED CRITICAL",
    "Use TLS or mTLS for integrity, and sign messages whose integrity matters end to end.",
)
T002 = Rule(
    "STRIDE-T-002",
    StrideCategory.TAMPERING,
    ElementKind.LINK,
    "Plain HTTP offers no integrity protection",
    "link protocol is HTTP and STRIDE-T-001 did not already fire on it",
    "MEDIUM when crossing a trust boundary or carrying CONFIDENTIAL/RESTRICTED data, else LOW",
    "Switch to HTTPS (or terminate TLS in a service mesh and declare the link encrypted).",
)
S001 = Rule(
    "STRIDE-S-001",
    StrideCategory.SPOOFING,
    ElementKind.LINK,
    "Unauthenticated call from a less trusted zone",
    "link not authenticated and its source zone trusts less than its target zone "
    "(sources of kind EXTERNAL are STRIDE-S-003)",
    "MEDIUM; HIGH when the target is a datastore or the data is CONFIDENTIAL/RESTRICTED",
    "Authenticate the caller (mTLS, signed tokens or workload identity) at the boundary.",
)
S003 = Rule(
    "STRIDE-S-003",
    StrideCategory.SPOOFING,
    ElementKind.LINK,
    "External party calls in without authentication",
    "link not authenticated, source kind EXTERNAL, target not EXTERNAL",
    "HIGH; CRITICAL when the target is a datastore",
    "Verify the external party: signed webhooks (HMAC), mTLS or API keys, plus replay checks.",
)
E001 = Rule(
    "STRIDE-E-001",
    StrideCategory.ELEVATION_OF_PRIVILEGE,
    ElementKind.LINK,
    "Less trusted zone reaches a datastore directly",
    "link target is a datastore (DATABASE, OBJECT_STORAGE, QUEUE, CACHE) and the source "
    "zone trusts less than the target zone",
    "HIGH; CRITICAL when the source is internet-facing (trust 0 or no zone)",
    "Put a service in the datastore's zone in front of it, and give callers least-privilege "
    "credentials scoped to the operations they need.",
)


def _boundary(index: SpecIndex, source: Component, target: Component) -> str:
    return f"{index.zone_label(source)}->{index.zone_label(target)}"


def _check_unencrypted(index: SpecIndex, link: Link, s: Component, t: Component) -> list[Finding]:
    if link.encrypted or s.trust_zone == t.trust_zone:
        return []
    cls = link.data_classification
    because = (
        f"link {s.key}->{t.key} carries {cls} data unencrypted across the boundary "
        f"{_boundary(index, s, t)}"
    )
    severity = BY_CLASSIFICATION[cls]
    return [
        Finding(I001, f"{s.key}->{t.key}", severity, because),
        Finding(
            T001, f"{s.key}->{t.key}", severity, f"{because}, so anyone on the path can alter it"
        ),
    ]


def _check_http(index: SpecIndex, link: Link, s: Component, t: Component) -> list[Finding]:
    crossing = s.trust_zone != t.trust_zone
    if link.protocol != Protocol.HTTP or (crossing and not link.encrypted):
        return []
    sensitive = link.data_classification in SENSITIVE
    where = (
        f"across the boundary {_boundary(index, s, t)}"
        if crossing
        else f"within zone {index.zone_label(s)}"
    )
    because = (
        f"link {s.key}->{t.key} uses plain HTTP {where} carrying {link.data_classification} data"
        + (" (declared encrypted, but HTTP itself has no integrity)" if link.encrypted else "")
    )
    severity = Severity.MEDIUM if crossing or sensitive else Severity.LOW
    return [Finding(T002, f"{s.key}->{t.key}", severity, because)]


def _check_spoofing(index: SpecIndex, link: Link, s: Component, t: Component) -> list[Finding]:
    if link.authenticated:
        return []
    element = f"{s.key}->{t.key}"
    datastore = t.kind in DATASTORE_KINDS
    if s.kind == ComponentKind.EXTERNAL:
        if t.kind == ComponentKind.EXTERNAL:
            return []
        because = (
            f"external component {s.key} sends to {t.key} ({t.kind}) without authentication, "
            f"so anyone can claim to be {s.key}"
        )
        return [Finding(S003, element, raised(Severity.HIGH, datastore), because)]
    if index.trust(s) >= index.trust(t):
        return []
    because = (
        f"link {s.key}->{t.key} is unauthenticated and enters a more trusted zone "
        f"{_boundary(index, s, t)}"
    )
    worse = datastore or link.data_classification in SENSITIVE
    return [Finding(S001, element, raised(Severity.MEDIUM, worse), because)]


def _check_datastore_reach(
    index: SpecIndex, link: Link, s: Component, t: Component
) -> list[Finding]:
    if t.kind not in DATASTORE_KINDS or index.trust(s) >= index.trust(t):
        return []
    because = (
        f"{s.key} reaches {t.kind} {t.key} directly from a less trusted zone "
        f"{_boundary(index, s, t)}"
    )
    severity = raised(Severity.HIGH, index.trust(s) == 0)
    return [Finding(E001, f"{s.key}->{t.key}", severity, because)]


LinkCheck = Callable[[SpecIndex, Link, Component, Component], list[Finding]]
LINK_CHECKS: tuple[LinkCheck, ...] = (
    _check_unencrypted,
    _check_http,
    _check_spoofing,
    _check_datastore_reach,
)
LINK_RULES = (I001, T001, T002, S001, S003, E001)


def link_findings(index: SpecIndex, links: Iterable[Link]) -> list[Finding]:
    """Links naming a missing component are skipped: validation reports those, not STRIDE."""
    findings: list[Finding] = []
    for link in links:
        source = index.components.get(link.source)
        target = index.components.get(link.target)
        if source is None or target is None:
            continue
        for check in LINK_CHECKS:
            findings += check(index, link, source, target)
    return findings
