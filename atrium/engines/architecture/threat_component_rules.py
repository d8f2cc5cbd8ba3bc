"""STRIDE rules over elements (components): datastores, public entry points, availability.

A datastore's sensitivity is not declared on it; it is inferred from the classification of the
links writing into it, so marking one flow RESTRICTED is enough for every rule about where that
data lands to take it into account.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from atrium.engines.architecture.model import (
    DATASTORE_KINDS,
    INSTANCE_KINDS,
    Component,
    ComponentKind,
)
from atrium.engines.architecture.threat_rules import (
    BY_CLASSIFICATION,
    FRONT_DOOR_KINDS,
    SENSITIVE,
    ElementKind,
    Finding,
    Rule,
    Severity,
    SpecIndex,
    StrideCategory,
    raised,
)

S002 = Rule(
    "STRIDE-S-002",
    StrideCategory.SPOOFING,
    ElementKind.COMPONENT,
    "Public entry point accepts unauthenticated calls",
    "component is public and has an unauthenticated incoming link that neither STRIDE-S-001 "
    "nor STRIDE-S-003 reports (the caller is not EXTERNAL and is at least as trusted)",
    "MEDIUM; HIGH when such a link carries CONFIDENTIAL/RESTRICTED data",
    "Authenticate every request at the entry point (OIDC/JWT, API keys, mTLS); anything that "
    "can reach a public component can pretend to be its usual caller.",
)
R001 = Rule(
    "STRIDE-R-001",
    StrideCategory.REPUDIATION,
    ElementKind.COMPONENT,
    "Datastore changes are not audited",
    "component is a datastore (DATABASE, OBJECT_STORAGE, QUEUE, CACHE) without audit_logging",
    "by the data it holds: none/PUBLIC LOW, INTERNAL MEDIUM, CONFIDENTIAL/RESTRICTED HIGH",
    "Enable audit logging (e.g. pgaudit, CloudTrail data events) to an append-only store "
    "outside the datastore's own administrators' reach.",
)
I002 = Rule(
    "STRIDE-I-002",
    StrideCategory.INFORMATION_DISCLOSURE,
    ElementKind.COMPONENT,
    "Sensitive data stored unencrypted",
    "datastore not encrypted_at_rest and an incoming link carries CONFIDENTIAL/RESTRICTED data",
    "CONFIDENTIAL HIGH, RESTRICTED CRITICAL",
    "Enable encryption at rest with a managed key (KMS), and restrict who can use the key.",
)
I003 = Rule(
    "STRIDE-I-003",
    StrideCategory.INFORMATION_DISCLOSURE,
    ElementKind.COMPONENT,
    "Datastore exposed publicly",
    "datastore marked public",
    "by the data it holds: none/PUBLIC LOW, INTERNAL MEDIUM, CONFIDENTIAL HIGH, RESTRICTED "
    "CRITICAL",
    "Make the datastore private and serve its content through a service or CDN; block public "
    "access at the account level.",
)
D001 = Rule(
    "STRIDE-D-001",
    StrideCategory.DENIAL_OF_SERVICE,
    ElementKind.COMPONENT,
    "Public component has no redundancy",
    "component is public, of an instance kind (SERVICE, DATABASE, CACHE), has one replica and "
    "no autoscaling",
    "MEDIUM",
    "Run at least two replicas across availability zones, or enable autoscaling.",
)
D002 = Rule(
    "STRIDE-D-002",
    StrideCategory.DENIAL_OF_SERVICE,
    ElementKind.COMPONENT,
    "Public component has no rate-limiting front door",
    "component is public, not itself a GATEWAY, LOAD_BALANCER, CDN or EXTERNAL, and no "
    "incoming link comes from a GATEWAY, LOAD_BALANCER or CDN",
    "MEDIUM; HIGH for a datastore",
    "Put an API gateway, load balancer or CDN in front of it with rate limiting and a WAF.",
)


def _check_public_unauthenticated(index: SpecIndex, c: Component) -> list[Finding]:
    if not c.public or c.kind == ComponentKind.EXTERNAL:
        return []
    callers = []
    sensitive = False
    for link in index.incoming.get(c.key, ()):
        source = index.components.get(link.source)
        if link.authenticated or source is None or source.kind == ComponentKind.EXTERNAL:
            continue
        if index.trust(source) < index.trust(c):
            continue  # STRIDE-S-001 reports this link
        callers.append(source.key)
        sensitive = sensitive or link.data_classification in SENSITIVE
    if not callers:
        return []
    because = (
        f"public entry point {c.key} accepts unauthenticated calls from {', '.join(callers)}, "
        "and anything that reaches it can call it the same way"
    )
    return [Finding(S002, c.key, raised(Severity.MEDIUM, sensitive), because)]


def _check_audit(index: SpecIndex, c: Component) -> list[Finding]:
    if c.kind not in DATASTORE_KINDS or c.audit_logging:
        return []
    held = index.held_classification(c)
    severity = Severity.HIGH if held in SENSITIVE else BY_CLASSIFICATION[held]
    because = (
        f"{c.kind} {c.key} holds {held or 'no classified'} data and has audit_logging off, "
        "so changes to it cannot be attributed"
    )
    return [Finding(R001, c.key, severity, because)]


def _check_encryption_at_rest(index: SpecIndex, c: Component) -> list[Finding]:
    held = index.held_classification(c)
    if c.kind not in DATASTORE_KINDS or c.encrypted_at_rest or held not in SENSITIVE:
        return []
    because = f"{c.kind} {c.key} holds {held} data (from its incoming links) unencrypted at rest"
    return [Finding(I002, c.key, BY_CLASSIFICATION[held], because)]


def _check_public_datastore(index: SpecIndex, c: Component) -> list[Finding]:
    if c.kind not in DATASTORE_KINDS or not c.public:
        return []
    held = index.held_classification(c)
    because = f"{c.kind} {c.key} is public and holds {held or 'no classified'} data"
    return [Finding(I003, c.key, BY_CLASSIFICATION[held], because)]


def _check_redundancy(index: SpecIndex, c: Component) -> list[Finding]:
    if not c.public or c.kind not in INSTANCE_KINDS or c.replicas > 1 or c.autoscaling:
        return []
    because = (
        f"public {c.kind} {c.key} runs a single replica without autoscaling, "
        "so one instance failure or a traffic spike takes it down"
    )
    return [Finding(D001, c.key, Severity.MEDIUM, because)]


def _check_front_door(index: SpecIndex, c: Component) -> list[Finding]:
    if not c.public or c.kind in FRONT_DOOR_KINDS or c.kind == ComponentKind.EXTERNAL:
        return []
    for link in index.incoming.get(c.key, ()):
        source = index.components.get(link.source)
        if source is not None and source.kind in FRONT_DOOR_KINDS:
            return []
    because = (
        f"public {c.kind} {c.key} has no incoming link from a GATEWAY, LOAD_BALANCER or CDN, "
        "so nothing rate-limits or filters traffic before it"
    )
    severity = raised(Severity.MEDIUM, c.kind in DATASTORE_KINDS)
    return [Finding(D002, c.key, severity, because)]


ComponentCheck = Callable[[SpecIndex, Component], list[Finding]]
COMPONENT_CHECKS: tuple[ComponentCheck, ...] = (
    _check_public_unauthenticated,
    _check_audit,
    _check_encryption_at_rest,
    _check_public_datastore,
    _check_redundancy,
    _check_front_door,
)
COMPONENT_RULES = (S002, R001, I002, I003, D001, D002)


def component_findings(index: SpecIndex, components: Iterable[Component]) -> list[Finding]:
    findings: list[Finding] = []
    for component in components:
        for check in COMPONENT_CHECKS:
            findings += check(index, component)
    return findings
