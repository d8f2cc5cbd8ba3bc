"""What every STRIDE rule shares: categories, severities, the rule record and the spec index.

Modelled on OWASP Threat Dragon and the Microsoft Threat Modeling Tool: every component (an
element) and every link (a data flow) is checked against fixed rules, so the same spec always
yields the same findings, and each finding names the facts that made its rule fire. A person
reviewing a threat model has to be able to disagree with a finding; they can only do that if
they can see why it was raised.

The rules themselves live in `threat_link_rules` (data flows) and `threat_component_rules`
(elements). They never scan the whole spec: `SpecIndex` indexes components, zones and incoming
links once, so an analysis is linear in components plus links.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from atrium.engines.architecture.model import (
    ArchitectureSpec,
    Component,
    ComponentKind,
    DataClassification,
    Link,
)


class StrideCategory(StrEnum):
    SPOOFING = "SPOOFING"
    TAMPERING = "TAMPERING"
    REPUDIATION = "REPUDIATION"
    INFORMATION_DISCLOSURE = "INFORMATION_DISCLOSURE"
    DENIAL_OF_SERVICE = "DENIAL_OF_SERVICE"
    ELEVATION_OF_PRIVILEGE = "ELEVATION_OF_PRIVILEGE"


class Severity(StrEnum):
    CRITICAL = "CRITICAL"
    HIGH = "HIGH"
    MEDIUM = "MEDIUM"
    LOW = "LOW"


class ElementKind(StrEnum):
    COMPONENT = "COMPONENT"
    LINK = "LINK"


FRONT_DOOR_KINDS = frozenset(
    {ComponentKind.GATEWAY, ComponentKind.LOAD_BALANCER, ComponentKind.CDN}
)
SENSITIVE = frozenset({DataClassification.CONFIDENTIAL, DataClassification.RESTRICTED})
_CLASSIFICATION_RANK = {c: i for i, c in enumerate(DataClassification)}
# The ladder most rules use: the more sensitive the data, the worse the same weakness.
BY_CLASSIFICATION: dict[DataClassification | None, Severity] = {
    None: Severity.LOW,
    DataClassification.PUBLIC: Severity.LOW,
    DataClassification.INTERNAL: Severity.MEDIUM,
    DataClassification.CONFIDENTIAL: Severity.HIGH,
    DataClassification.RESTRICTED: Severity.CRITICAL,
}


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule as a reviewer reads it; `severity` says how the severity is chosen."""

    id: str
    category: StrideCategory
    element_kind: ElementKind
    title: str
    condition: str
    severity: str
    mitigation: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Finding:
    """A rule that fired on one element, before it is fingerprinted into a threat."""

    rule: Rule
    element: str
    severity: Severity
    rationale: str


class SpecIndex:
    """Lookups every rule needs, built once so no rule walks all links per component."""

    def __init__(self, spec: ArchitectureSpec) -> None:
        self.components = {c.key: c for c in spec.components}
        self._zones = {z.key: z for z in spec.trust_zones}
        self.incoming: dict[str, list[Link]] = defaultdict(list)
        for link in spec.links:
            self.incoming[link.target].append(link)

    def trust(self, component: Component) -> int:
        """A component with no zone (or an unknown one) is internet-facing: trust 0."""
        zone = self._zones.get(component.trust_zone) if component.trust_zone else None
        return zone.trust_level if zone else 0

    def zone_label(self, component: Component) -> str:
        return f"{component.trust_zone or 'none'}({self.trust(component)})"

    def held_classification(self, component: Component) -> DataClassification | None:
        """The most sensitive data written into a component, judged from its incoming links."""
        levels = [link.data_classification for link in self.incoming.get(component.key, ())]
        return max(levels, key=_CLASSIFICATION_RANK.__getitem__, default=None)


def raised(base: Severity, condition: bool) -> Severity:
    """One step worse when an aggravating fact holds, so rules state a base and a reason."""
    order = list(Severity)
    return order[max(order.index(base) - 1, 0)] if condition else base
