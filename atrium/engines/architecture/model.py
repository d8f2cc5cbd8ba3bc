"""The architecture a user describes, as plain frozen data every engine reads.

The GraphQL inputs, the stored versions (JSON) and the engines all speak this one shape,
so an analysis is a pure function of a version: the same spec always gives the same
answer, and a benchmark can build 200 components without a database.

Load model: a *scale point* is a number of daily active users. A component serves
`requests_per_user_per_day` requests per active user per day, each returning
`payload_kb` on average; traffic peaks at `peak_factor` times the daily average.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

SECONDS_PER_DAY = 86_400
HOURS_PER_MONTH = 730  # the providers' own convention for monthly prices


class CloudProvider(StrEnum):
    AWS = "AWS"
    GCP = "GCP"
    AZURE = "AZURE"


class ComponentKind(StrEnum):
    SERVICE = "SERVICE"
    FUNCTION = "FUNCTION"
    DATABASE = "DATABASE"
    CACHE = "CACHE"
    QUEUE = "QUEUE"
    OBJECT_STORAGE = "OBJECT_STORAGE"
    CDN = "CDN"
    LOAD_BALANCER = "LOAD_BALANCER"
    GATEWAY = "GATEWAY"
    EXTERNAL = "EXTERNAL"


DATASTORE_KINDS = frozenset(
    {ComponentKind.DATABASE, ComponentKind.CACHE, ComponentKind.OBJECT_STORAGE, ComponentKind.QUEUE}
)
INSTANCE_KINDS = frozenset({ComponentKind.SERVICE, ComponentKind.DATABASE, ComponentKind.CACHE})


class Protocol(StrEnum):
    HTTPS = "HTTPS"
    HTTP = "HTTP"
    GRPC = "GRPC"
    WEBSOCKET = "WEBSOCKET"
    TCP = "TCP"
    SQL = "SQL"
    AMQP = "AMQP"
    OTHER = "OTHER"


class DataClassification(StrEnum):
    PUBLIC = "PUBLIC"
    INTERNAL = "INTERNAL"
    CONFIDENTIAL = "CONFIDENTIAL"
    RESTRICTED = "RESTRICTED"


@dataclass(frozen=True, slots=True)
class TrustZone:
    """A boundary of trust; `trust_level` 0 is the internet, higher is more trusted."""

    key: str
    name: str
    trust_level: int = 1


@dataclass(frozen=True, slots=True)
class Component:
    key: str
    name: str
    kind: ComponentKind
    instance_class: str | None = None  # a catalog class, e.g. "m6i.large"; None: the kind's default
    replicas: int = 1
    storage_gb: float = 0.0
    requests_per_user_per_day: float = 0.0
    payload_kb: float = 0.0
    trust_zone: str | None = None  # a TrustZone key; None: no zone (treated as internet-facing)
    public: bool = False  # an entry point reachable from outside its zone
    autoscaling: bool = False
    encrypted_at_rest: bool = True
    audit_logging: bool = False
    technology: str | None = None  # e.g. "postgresql", "redis"; free text, for documents


@dataclass(frozen=True, slots=True)
class Link:
    source: str  # Component key
    target: str  # Component key
    protocol: Protocol = Protocol.HTTPS
    data_classification: DataClassification = DataClassification.INTERNAL
    encrypted: bool = True
    authenticated: bool = True
    description: str | None = None


@dataclass(frozen=True, slots=True)
class ArchitectureSpec:
    provider: CloudProvider = CloudProvider.AWS
    region: str = "us-east-1"
    components: tuple[Component, ...] = ()
    links: tuple[Link, ...] = ()
    trust_zones: tuple[TrustZone, ...] = ()
    peak_factor: float = 3.0

    def component(self, key: str) -> Component | None:
        return next((c for c in self.components if c.key == key), None)

    def zone_of(self, component: Component) -> TrustZone | None:
        return next((z for z in self.trust_zones if z.key == component.trust_zone), None)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ArchitectureSpec:
        """Rebuild from `to_dict()` output (stored versions); unknown keys are ignored."""

        def build(shape: Any, raw: dict[str, Any], **enums: type) -> Any:
            names = set(shape.__dataclass_fields__)
            values = {k: v for k, v in raw.items() if k in names}
            for name, enum in enums.items():
                if values.get(name) is not None:
                    values[name] = enum(values[name])
            return shape(**values)

        return cls(
            provider=CloudProvider(data.get("provider", "AWS")),
            region=data.get("region", "us-east-1"),
            components=tuple(
                build(Component, c, kind=ComponentKind) for c in data.get("components", ())
            ),
            links=tuple(
                build(Link, link, protocol=Protocol, data_classification=DataClassification)
                for link in data.get("links", ())
            ),
            trust_zones=tuple(build(TrustZone, z) for z in data.get("trust_zones", ())),
            peak_factor=float(data.get("peak_factor", 3.0)),
        )


@dataclass(frozen=True, slots=True)
class SpecProblem:
    """One validation failure; `field` is the path a form highlights, e.g. components.2.replicas."""

    field: tuple[str, ...]
    message: str


_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def validate(spec: ArchitectureSpec) -> list[SpecProblem]:
    """Every problem at once, so a form can show them all, not the first one only."""
    problems: list[SpecProblem] = []
    problems += _unique_keys("trust_zones", (z.key for z in spec.trust_zones))
    problems += _unique_keys("components", (c.key for c in spec.components))
    zones = {z.key for z in spec.trust_zones}
    keys = {c.key for c in spec.components}
    for i, c in enumerate(spec.components):
        at = ("components", str(i))
        if not c.name.strip():
            problems.append(SpecProblem((*at, "name"), "Name can't be blank."))
        if c.replicas < 1 or c.replicas > 10_000:
            problems.append(SpecProblem((*at, "replicas"), "Replicas must be between 1 and 10000."))
        for name in ("storage_gb", "requests_per_user_per_day", "payload_kb"):
            if getattr(c, name) < 0:
                problems.append(SpecProblem((*at, name), "Must not be negative."))
        if c.trust_zone is not None and c.trust_zone not in zones:
            problems.append(SpecProblem((*at, "trust_zone"), f"No trust zone '{c.trust_zone}'."))
    for i, link in enumerate(spec.links):
        at = ("links", str(i))
        for end in ("source", "target"):
            if getattr(link, end) not in keys:
                problems.append(SpecProblem((*at, end), f"No component '{getattr(link, end)}'."))
        if link.source == link.target:
            problems.append(SpecProblem((*at, "target"), "A link joins two different components."))
    if not 1.0 <= spec.peak_factor <= 100.0:
        problems.append(SpecProblem(("peak_factor",), "Peak factor must be between 1 and 100."))
    return problems


def _unique_keys(where: str, keys: Iterable[str]) -> list[SpecProblem]:
    problems, seen = [], set()
    for i, key in enumerate(keys):
        if not _KEY.match(key):
            problems.append(
                SpecProblem((where, str(i), "key"), "Use 1-64 letters, digits, '_', '.' or '-'.")
            )
        elif key in seen:
            problems.append(SpecProblem((where, str(i), "key"), f"Key '{key}' is used twice."))
        seen.add(key)
    return problems


@dataclass(frozen=True, slots=True)
class LoadAt:
    """Requests and egress one component sees at one scale point."""

    users: int
    requests_per_day: float
    average_rps: float
    peak_rps: float
    egress_gb_per_month: float


def load_at(spec: ArchitectureSpec, component: Component, users: int) -> LoadAt:
    per_day = users * component.requests_per_user_per_day
    average = per_day / SECONDS_PER_DAY
    egress_gb = per_day * 30 * component.payload_kb / (1024 * 1024)
    return LoadAt(users, per_day, average, average * spec.peak_factor, egress_gb)


__all__ = [
    "DATASTORE_KINDS",
    "HOURS_PER_MONTH",
    "INSTANCE_KINDS",
    "SECONDS_PER_DAY",
    "ArchitectureSpec",
    "CloudProvider",
    "Component",
    "ComponentKind",
    "DataClassification",
    "Link",
    "LoadAt",
    "Protocol",
    "SpecProblem",
    "TrustZone",
    "load_at",
    "validate",
]
