"""One component's monthly bill at one scale point, as lines that show their arithmetic.

Every line carries a `basis` ("3 x m6i.large x 730 h x $0.096/h") so a reader can redo the
sum by hand and trace each price to the catalog. Unit prices in a basis are regional: the
base-region price times the region's multiplier.

Categories (the four the seed's breakdown has):

- compute: instances of SERVICEs, and the per-use managed services: FUNCTION (requests +
  GB-seconds), QUEUE (requests), GATEWAY (requests), LOAD_BALANCER (hours + GB processed)
  and CDN delivery. CDN egress is priced at the CDN's own $/GB and booked here, not under
  data_transfer: data_transfer is then exactly origin internet egress, the figure a CDN
  would shrink, so the "CDN in front of public egress" suggestion reads straight off it.
- storage: a SERVICE's block storage (one volume, not one per replica); OBJECT_STORAGE's
  GB-months and requests.
- database: DATABASE and CACHE instances, and database storage (one copy per replica).
- data_transfer: internet egress of every public component but a CDN or an EXTERNAL one,
  at the first paid tier (free allowances are left out; they vanish at scale anyway).

An EXTERNAL component costs nothing here: its provider bills it. Usage is per month of 30
days (as `load_at` counts egress); instance hours per month are the providers' 730.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from atrium.engines.architecture.capacity import ComponentCapacity, Sizing
from atrium.engines.architecture.catalog import Catalog
from atrium.engines.architecture.model import (
    HOURS_PER_MONTH,
    ArchitectureSpec,
    ComponentKind,
    load_at,
)

DAYS_PER_MONTH = 30


class Category(StrEnum):
    COMPUTE = "compute"
    STORAGE = "storage"
    DATABASE = "database"
    DATA_TRANSFER = "data_transfer"


@dataclass(frozen=True, slots=True)
class CostLine:
    component_key: str
    component_name: str
    category: Category
    monthly_cost_cents: int
    basis: str

    @property
    def monthly_cost(self) -> float:
        return self.monthly_cost_cents / 100


def to_cents(dollars: float) -> int:
    """Half-up to the cent; the inner round absorbs binary noise (0.125 stays a half)."""
    return math.floor(round(dollars * 100, 6) + 0.5)


def fmt(x: float) -> str:
    """Six significant digits, no exponent, no trailing zeros: $0.0000166667, 1,234.57."""
    if x == 0:
        return "0"
    decimals = max(0, 5 - math.floor(math.log10(abs(x))))
    text = f"{x:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def usd(dollars: float) -> str:
    return f"${dollars:,.2f}"


_Part = tuple[Category, float, str]


@dataclass(frozen=True, slots=True)
class _Usage:
    """What one component uses in a month at one scale point."""

    cap: ComponentCapacity
    replicas: int
    million_requests: float
    egress_gb: float  # the bytes it sends, whoever ends up billing them


@dataclass(frozen=True, slots=True)
class Pricer:
    """Prices components at regional rates; also used to cost the optimizations."""

    spec: ArchitectureSpec
    catalog: Catalog
    multiplier: float

    def rate(self, base_usd: float) -> float:
        return base_usd * self.multiplier

    def instance_month(self, hourly_usd: float, replicas: int) -> float:
        return replicas * self.rate(hourly_usd) * HOURS_PER_MONTH

    def lines(self, cap: ComponentCapacity, sizing: Sizing) -> list[CostLine]:
        c = cap.component
        return [
            CostLine(c.key, c.name, category, to_cents(amount), basis)
            for category, amount, basis in self.parts(cap, sizing)
        ]

    def parts(self, cap: ComponentCapacity, sizing: Sizing) -> list[_Part]:
        c, p = cap.component, self.catalog.prices
        load = load_at(self.spec, c, sizing.users)
        usage = _Usage(
            cap,
            sizing.replicas,
            load.requests_per_day * DAYS_PER_MONTH / 1e6,
            load.egress_gb_per_month,
        )
        parts = [_KIND_PRICERS[c.kind](self, usage)]
        if c.kind is ComponentKind.DATABASE and c.storage_gb > 0:
            price = self.rate(p.database_storage_gb_month)
            basis = (
                f"{sizing.replicas} x {fmt(c.storage_gb)} GB x ${fmt(price)}/GB-month "
                "database storage"
            )
            parts.append((Category.DATABASE, sizing.replicas * c.storage_gb * price, basis))
        if c.kind is ComponentKind.SERVICE and c.storage_gb > 0:
            price = self.rate(p.block_storage_gb_month)
            basis = f"{fmt(c.storage_gb)} GB x ${fmt(price)}/GB-month block storage"
            parts.append((Category.STORAGE, c.storage_gb * price, basis))
        egress = self.egress_gb(cap, sizing.users)
        if egress > 0:
            price = self.rate(p.egress_per_gb)
            basis = f"{fmt(egress)} GB x ${fmt(price)}/GB internet egress"
            parts.append((Category.DATA_TRANSFER, egress * price, basis))
        return parts

    def _instance(self, u: _Usage) -> _Part:
        kind, instance = u.cap.component.kind, u.cap.instance
        name, hourly_usd = (instance.name, instance.hourly_usd) if instance else ("?", 0.0)
        category = Category.COMPUTE if kind is ComponentKind.SERVICE else Category.DATABASE
        basis = f"{u.replicas} x {name} x {HOURS_PER_MONTH} h x ${fmt(self.rate(hourly_usd))}/h"
        return category, self.instance_month(hourly_usd, u.replicas), basis

    def _function(self, u: _Usage) -> _Part:
        p = self.catalog.prices
        per_req = self.rate(p.function_per_million_requests)
        per_gbs = self.rate(p.function_per_gb_second)
        seconds = u.cap.service_time_s
        gb_s = u.million_requests * 1e6 * seconds * p.function_memory_gb
        basis = (
            f"{fmt(u.million_requests)} M requests x ${fmt(per_req)}/M + {fmt(gb_s)} GB-s "
            f"({fmt(seconds)} s x {fmt(p.function_memory_gb)} GB each) x ${fmt(per_gbs)}/GB-s"
        )
        return Category.COMPUTE, u.million_requests * per_req + gb_s * per_gbs, basis

    def _requests(self, u: _Usage) -> _Part:
        p = self.catalog.prices
        queue = u.cap.component.kind is ComponentKind.QUEUE
        price = self.rate(
            p.queue_per_million_requests if queue else p.api_gateway_per_million_requests
        )
        basis = f"{fmt(u.million_requests)} M requests x ${fmt(price)}/M"
        return Category.COMPUTE, u.million_requests * price, basis

    def _object_storage(self, u: _Usage) -> _Part:
        p, gb = self.catalog.prices, u.cap.component.storage_gb
        per_gb = self.rate(p.object_storage_gb_month)
        per_req = self.rate(p.object_storage_per_million_requests)
        basis = (
            f"{fmt(gb)} GB x ${fmt(per_gb)}/GB-month + "
            f"{fmt(u.million_requests)} M requests x ${fmt(per_req)}/M"
        )
        return Category.STORAGE, gb * per_gb + u.million_requests * per_req, basis

    def _cdn(self, u: _Usage) -> _Part:
        price = self.rate(self.catalog.prices.cdn_per_gb)
        basis = f"{fmt(u.egress_gb)} GB x ${fmt(price)}/GB CDN delivery"
        return Category.COMPUTE, u.egress_gb * price, basis

    def _load_balancer(self, u: _Usage) -> _Part:
        p, replicas = self.catalog.prices, u.cap.component.replicas
        hourly = self.rate(p.load_balancer_hourly)
        per_gb = self.rate(p.load_balancer_per_gb_processed)
        basis = (
            f"{replicas} x {HOURS_PER_MONTH} h x ${fmt(hourly)}/h + "
            f"{fmt(u.egress_gb)} GB processed x ${fmt(per_gb)}/GB"
        )
        return Category.COMPUTE, replicas * hourly * HOURS_PER_MONTH + u.egress_gb * per_gb, basis

    def _external(self, u: _Usage) -> _Part:
        return Category.COMPUTE, 0.0, "billed by its own provider; not estimated"

    def egress_gb(self, cap: ComponentCapacity, users: int) -> float:
        """Internet egress billed as data transfer: public components but CDN and EXTERNAL."""
        c = cap.component
        if not c.public or c.kind in (ComponentKind.CDN, ComponentKind.EXTERNAL):
            return 0.0
        return load_at(self.spec, c, users).egress_gb_per_month


_KIND_PRICERS: dict[ComponentKind, Callable[[Pricer, _Usage], _Part]] = {
    ComponentKind.SERVICE: Pricer._instance,
    ComponentKind.DATABASE: Pricer._instance,
    ComponentKind.CACHE: Pricer._instance,
    ComponentKind.FUNCTION: Pricer._function,
    ComponentKind.QUEUE: Pricer._requests,
    ComponentKind.GATEWAY: Pricer._requests,
    ComponentKind.OBJECT_STORAGE: Pricer._object_storage,
    ComponentKind.CDN: Pricer._cdn,
    ComponentKind.LOAD_BALANCER: Pricer._load_balancer,
    ComponentKind.EXTERNAL: Pricer._external,
}


__all__ = ["DAYS_PER_MONTH", "Category", "CostLine", "Pricer", "fmt", "to_cents", "usd"]
