"""Cloud list prices shipped as data, one JSON file per provider under `data/`.

Prices live in JSON rather than code so they can be refreshed (or audited against the
providers' price pages) without touching the engines, and every figure an analysis prints
can be traced back to one line of one file. Each file states its `source` and `as_of`:
the figures are approximate list prices, not a live price feed.

Errors raised here carry the input `field` they blame, as a path like `SpecProblem.field`,
so the API layer can turn them into a userError that highlights the right form field.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

from atrium.engines.architecture.model import CloudProvider, Component, ComponentKind, SpecProblem

POOLS = ("compute", "database", "cache")
_POOL_KEYS = {"compute": "instances", "database": "databases", "cache": "caches"}
# The pool a kind's default class comes from; other kinds are priced per use, not per class.
KIND_POOL = {
    ComponentKind.SERVICE: "compute",
    ComponentKind.DATABASE: "database",
    ComponentKind.CACHE: "cache",
}


class AnalysisInputError(ValueError):
    """An analysis input the engines cannot price or size; `field` is the path to blame."""

    def __init__(self, field: tuple[str, ...], message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message

    def to_problem(self) -> SpecProblem:
        return SpecProblem(self.field, self.message)


class UnknownProvider(AnalysisInputError):
    pass


class UnknownRegion(AnalysisInputError):
    pass


class UnknownInstanceClass(AnalysisInputError):
    pass


@dataclass(frozen=True, slots=True)
class InstanceClass:
    name: str
    pool: str  # "compute", "database" or "cache"
    vcpu: int
    memory_gb: float
    hourly_usd: float  # on-demand, base region
    burstable: bool = False  # CPU credits: full vCPUs only in bursts (or at extra charge)


@dataclass(frozen=True, slots=True)
class Discounts:
    """Fractions saved against on-demand (0.37 = 37% cheaper)."""

    reserved_1y: float
    reserved_3y: float
    spot: float
    source: str


@dataclass(frozen=True, slots=True)
class UsagePrices:
    """Per-use prices in the base region, USD; flattened so pricing code reads one name."""

    block_storage_gb_month: float
    database_storage_gb_month: float
    object_storage_gb_month: float
    object_storage_per_million_requests: float
    egress_per_gb: float
    function_per_million_requests: float
    function_per_gb_second: float
    function_memory_gb: float
    queue_per_million_requests: float
    cdn_per_gb: float
    load_balancer_hourly: float
    load_balancer_per_gb_processed: float
    api_gateway_per_million_requests: float


@dataclass(frozen=True, slots=True)
class Catalog:
    provider: str
    currency: str
    source: str
    as_of: str
    base_region: str
    regions: Mapping[str, float]
    classes: Mapping[str, InstanceClass]
    defaults: Mapping[ComponentKind, str]
    prices: UsagePrices
    discounts: Discounts
    products: Mapping[str, str]  # e.g. "egress" -> what the egress price is the price of

    def instance(self, name: str, field: tuple[str, ...] = ("instance_class",)) -> InstanceClass:
        found = self.classes.get(name)
        if found is None:
            raise UnknownInstanceClass(
                field, f"No instance class '{name}' in the {self.provider} catalog."
            )
        return found

    def class_for(
        self, component: Component, field: tuple[str, ...] = ("instance_class",)
    ) -> InstanceClass | None:
        """The class a component runs on; None for kinds priced per use.

        Any pool's class is accepted for an instance kind (a database self-hosted on a
        compute instance is a real design); the kind still decides the cost category.
        """
        pool = KIND_POOL.get(component.kind)
        if pool is None:
            return None
        return self.instance(component.instance_class or self.defaults[component.kind], field)

    def region_multiplier(self, region: str, field: tuple[str, ...] = ("region",)) -> float:
        found = self.regions.get(region)
        if found is None:
            known = ", ".join(sorted(self.regions))
            raise UnknownRegion(
                field, f"No region '{region}' in the {self.provider} catalog (known: {known})."
            )
        return found

    def pool(self, pool: str) -> tuple[InstanceClass, ...]:
        """A pool's classes, cheapest first, for right-sizing searches."""
        return tuple(
            sorted(
                (c for c in self.classes.values() if c.pool == pool),
                key=lambda c: (c.hourly_usd, c.name),
            )
        )


def catalog_for(provider: CloudProvider | str) -> Catalog:
    try:
        name = CloudProvider(provider)
    except ValueError:
        raise UnknownProvider(
            ("provider",), f"No price catalog for provider '{provider}'."
        ) from None
    return _load(name.value)


@cache
def _load(provider: str) -> Catalog:
    text = (
        resources.files("atrium.engines.architecture")
        .joinpath("data", f"catalog_{provider.lower()}.json")
        .read_text(encoding="utf-8")
    )
    return _parse(json.loads(text))


def _parse(raw: dict[str, Any]) -> Catalog:
    classes: dict[str, InstanceClass] = {}
    for pool in POOLS:
        for entry in raw[_POOL_KEYS[pool]]:
            if entry["name"] in classes:
                raise ValueError(f"catalog: instance class {entry['name']} listed twice")
            classes[entry["name"]] = InstanceClass(
                name=entry["name"],
                pool=pool,
                vcpu=int(entry["vcpu"]),
                memory_gb=float(entry["memory_gb"]),
                hourly_usd=float(entry["hourly"]),
                burstable=bool(entry.get("burstable", False)),
            )
    if raw["regions"].get(raw["base_region"]) != 1.0:
        raise ValueError("catalog: the base region's multiplier must be 1.0")
    defaults = {ComponentKind(kind): name for kind, name in raw["defaults"].items()}
    for kind, name in defaults.items():
        if name not in classes:
            raise ValueError(f"catalog: default class {name} for {kind} is not listed")
    serverless, balancer = raw["serverless"], raw["load_balancer"]
    prices = UsagePrices(
        block_storage_gb_month=raw["block_storage"]["gb_month"],
        database_storage_gb_month=raw["database_storage"]["gb_month"],
        object_storage_gb_month=raw["object_storage"]["gb_month"],
        object_storage_per_million_requests=raw["object_storage"]["per_million_requests"],
        egress_per_gb=raw["egress"]["per_gb"],
        function_per_million_requests=serverless["per_million_requests"],
        function_per_gb_second=serverless["per_gb_second"],
        function_memory_gb=serverless["memory_gb"],
        queue_per_million_requests=raw["queue"]["per_million_requests"],
        cdn_per_gb=raw["cdn"]["per_gb"],
        load_balancer_hourly=balancer["hourly"],
        load_balancer_per_gb_processed=balancer["per_gb_processed"],
        api_gateway_per_million_requests=raw["api_gateway"]["per_million_requests"],
    )
    usage_keys = (
        "block_storage",
        "database_storage",
        "object_storage",
        "egress",
        "serverless",
        "queue",
        "cdn",
        "load_balancer",
        "api_gateway",
    )
    discounts = raw["discounts"]
    return Catalog(
        provider=raw["provider"],
        currency=raw["currency"],
        source=raw["source"],
        as_of=raw["as_of"],
        base_region=raw["base_region"],
        regions=MappingProxyType({k: float(v) for k, v in raw["regions"].items()}),
        classes=MappingProxyType(classes),
        defaults=MappingProxyType(defaults),
        prices=prices,
        discounts=Discounts(
            reserved_1y=discounts["reserved_1y"],
            reserved_3y=discounts["reserved_3y"],
            spot=discounts["spot"],
            source=discounts["source"],
        ),
        products=MappingProxyType({k: raw[k]["product"] for k in usage_keys}),
    )


__all__ = [
    "KIND_POOL",
    "AnalysisInputError",
    "Catalog",
    "Discounts",
    "InstanceClass",
    "UnknownInstanceClass",
    "UnknownProvider",
    "UnknownRegion",
    "UsagePrices",
    "catalog_for",
]
