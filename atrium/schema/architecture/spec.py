"""The design itself in GraphQL: components, links and trust zones, as outputs and inputs.

Inputs turn straight into the engines' frozen dataclasses (``to_engine``), so what a
client sends is what the validation, the stored version and every analysis read.
"""

from __future__ import annotations

import strawberry

from atrium.engines.architecture import model as engine

strawberry.enum(engine.CloudProvider, name="CloudProvider", description="Where it runs.")
strawberry.enum(
    engine.ComponentKind,
    name="ComponentKind",
    description="What a component is; decides how it is priced, sized and threat-modelled.",
)
strawberry.enum(engine.Protocol, name="LinkProtocol", description="How a link talks.")
strawberry.enum(
    engine.DataClassification,
    name="DataClassification",
    description="How sensitive a link's data is: PUBLIC < INTERNAL < CONFIDENTIAL < RESTRICTED.",
)


@strawberry.type(
    description="A boundary of trust; level 0 is the internet, higher is more trusted."
)
class TrustZone:
    key: str = strawberry.field(description="Key unique in the architecture.")
    name: str = strawberry.field(description="Display name.")
    trust_level: int = strawberry.field(description="0 for the internet; higher is more trusted.")

    @classmethod
    def from_engine(cls, zone: engine.TrustZone) -> TrustZone:
        return cls(key=zone.key, name=zone.name, trust_level=zone.trust_level)


@strawberry.type(description="A part of the architecture: a service, a database, a queue…")
class Component:
    key: str = strawberry.field(description="Key unique in the architecture; links use it.")
    name: str = strawberry.field(description="Display name.")
    kind: engine.ComponentKind = strawberry.field(description="What it is.")
    instance_class: str | None = strawberry.field(
        description="Catalog class (e.g. `m6i.large`); null means the kind's default."
    )
    replicas: int = strawberry.field(description="Instances running (the minimum if autoscaled).")
    storage_gb: float = strawberry.field(description="Provisioned or stored data, GB.")
    requests_per_user_per_day: float = strawberry.field(
        description="Requests it serves per daily active user per day."
    )
    payload_kb: float = strawberry.field(description="Average response size, KB.")
    trust_zone: str | None = strawberry.field(description="Key of its trust zone.")
    public: bool = strawberry.field(description="Reachable from outside its zone (an entry point).")
    autoscaling: bool = strawberry.field(description="Scales replicas with load.")
    encrypted_at_rest: bool = strawberry.field(description="Stored data is encrypted.")
    audit_logging: bool = strawberry.field(description="Access is logged for audit.")
    technology: str | None = strawberry.field(description="e.g. `postgresql`, `redis`.")

    @classmethod
    def from_engine(cls, c: engine.Component) -> Component:
        return cls(
            key=c.key,
            name=c.name,
            kind=c.kind,
            instance_class=c.instance_class,
            replicas=c.replicas,
            storage_gb=c.storage_gb,
            requests_per_user_per_day=c.requests_per_user_per_day,
            payload_kb=c.payload_kb,
            trust_zone=c.trust_zone,
            public=c.public,
            autoscaling=c.autoscaling,
            encrypted_at_rest=c.encrypted_at_rest,
            audit_logging=c.audit_logging,
            technology=c.technology,
        )


@strawberry.type(description="A data flow from one component to another.")
class Link:
    source: str = strawberry.field(description="Key of the component that calls or sends.")
    target: str = strawberry.field(description="Key of the component called.")
    protocol: engine.Protocol = strawberry.field(description="How they talk.")
    data_classification: engine.DataClassification = strawberry.field(
        description="Most sensitive data carried."
    )
    encrypted: bool = strawberry.field(description="Encrypted in transit (TLS).")
    authenticated: bool = strawberry.field(description="The caller is authenticated.")
    description: str | None = strawberry.field(description="What flows.")

    @classmethod
    def from_engine(cls, link: engine.Link) -> Link:
        return cls(
            source=link.source,
            target=link.target,
            protocol=link.protocol,
            data_classification=link.data_classification,
            encrypted=link.encrypted,
            authenticated=link.authenticated,
            description=link.description,
        )


@strawberry.input(description="A trust zone.")
class TrustZoneInput:
    key: str = strawberry.field(description="Key unique in the architecture.")
    name: str = strawberry.field(description="Display name.")
    trust_level: int = strawberry.field(default=1, description="0 for the internet.")

    def to_engine(self) -> engine.TrustZone:
        return engine.TrustZone(key=self.key, name=self.name, trust_level=self.trust_level)


@strawberry.input(description="A component; omitted fields take the defaults shown.")
class ComponentInput:
    key: str = strawberry.field(description="Key unique in the architecture.")
    name: str = strawberry.field(description="Display name.")
    kind: engine.ComponentKind = strawberry.field(description="What it is.")
    instance_class: str | None = strawberry.field(default=None, description="Catalog class.")
    replicas: int = strawberry.field(default=1, description="Instances (1-10000).")
    storage_gb: float = strawberry.field(default=0.0, description="Stored data, GB.")
    requests_per_user_per_day: float = strawberry.field(
        default=0.0, description="Requests per daily active user per day."
    )
    payload_kb: float = strawberry.field(default=0.0, description="Average response size, KB.")
    trust_zone: str | None = strawberry.field(default=None, description="Trust zone key.")
    public: bool = strawberry.field(default=False, description="An entry point.")
    autoscaling: bool = strawberry.field(default=False, description="Scales with load.")
    encrypted_at_rest: bool = strawberry.field(default=True, description="Encrypted storage.")
    audit_logging: bool = strawberry.field(default=False, description="Audit-logged access.")
    technology: str | None = strawberry.field(default=None, description="e.g. `postgresql`.")

    def to_engine(self) -> engine.Component:
        return engine.Component(
            key=self.key,
            name=self.name,
            kind=self.kind,
            instance_class=self.instance_class,
            replicas=self.replicas,
            storage_gb=self.storage_gb,
            requests_per_user_per_day=self.requests_per_user_per_day,
            payload_kb=self.payload_kb,
            trust_zone=self.trust_zone,
            public=self.public,
            autoscaling=self.autoscaling,
            encrypted_at_rest=self.encrypted_at_rest,
            audit_logging=self.audit_logging,
            technology=self.technology,
        )


@strawberry.input(description="A data flow between two components, by key.")
class LinkInput:
    source: str = strawberry.field(description="Calling component's key.")
    target: str = strawberry.field(description="Called component's key.")
    protocol: engine.Protocol = strawberry.field(default=engine.Protocol.HTTPS, description="How.")
    data_classification: engine.DataClassification = strawberry.field(
        default=engine.DataClassification.INTERNAL, description="Most sensitive data carried."
    )
    encrypted: bool = strawberry.field(default=True, description="Encrypted in transit.")
    authenticated: bool = strawberry.field(default=True, description="Caller authenticated.")
    description: str | None = strawberry.field(default=None, description="What flows.")

    def to_engine(self) -> engine.Link:
        return engine.Link(
            source=self.source,
            target=self.target,
            protocol=self.protocol,
            data_classification=self.data_classification,
            encrypted=self.encrypted,
            authenticated=self.authenticated,
            description=self.description,
        )


@strawberry.interface(
    name="Design", description="What an architecture and each of its versions describe."
)
class Design:
    spec: strawberry.Private[engine.ArchitectureSpec]

    @strawberry.field(description="Cloud provider.")
    def cloud_provider(self) -> engine.CloudProvider:
        return self.spec.provider

    @strawberry.field(description="Region, e.g. `us-east-1`.")
    def region(self) -> str:
        return self.spec.region

    @strawberry.field(description="Peak traffic as a multiple of the daily average.")
    def peak_factor(self) -> float:
        return self.spec.peak_factor

    @strawberry.field(description="The components.")
    def components(self) -> list[Component]:
        return [Component.from_engine(c) for c in self.spec.components]

    @strawberry.field(description="The links between components.")
    def links(self) -> list[Link]:
        return [Link.from_engine(link) for link in self.spec.links]

    @strawberry.field(description="The trust zones.")
    def trust_zones(self) -> list[TrustZone]:
        return [TrustZone.from_engine(z) for z in self.spec.trust_zones]
