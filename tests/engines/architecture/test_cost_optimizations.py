"""Cost optimizations: each saving worked out by hand from AWS list prices.

Load model reminder: R requests per user per day at U users peak at U * R * 3 / 86,400
requests/s; R = 2,880 gives 0.1 rps per user. An m6i.large is $0.096/h, $70.08 a month.
"""

from __future__ import annotations

from atrium.engines.architecture.cost import analyze_cost
from atrium.engines.architecture.cost_optimizations import OptimizationKind
from atrium.engines.architecture.model import ArchitectureSpec, Component, ComponentKind, Link

K = ComponentKind


def _spec(*components: Component, links: tuple[Link, ...] = ()) -> ArchitectureSpec:
    return ArchitectureSpec(components=components, links=links)


def _busy_api(**options) -> Component:
    """An m6i.large service (2 vCPU x 100 rps = 200 rps) at 0.1 rps per user."""
    return Component(
        "api", "API", K.SERVICE, "m6i.large", requests_per_user_per_day=2_880, **options
    )


def _saving(report, kind):
    found = [o for o in report.optimizations if o.kind is kind]
    assert len(found) == 1, f"expected one {kind}, got {report.optimizations}"
    return found[0]


def test_reserving_what_always_runs_saves_the_reserved_discount():
    # given two fixed m6i.large and a fixed db.m6i.large
    spec = _spec(
        Component("api", "API", K.SERVICE, "m6i.large", replicas=2),
        Component("db", "DB", K.DATABASE, "db.m6i.large"),
    )

    # when
    found = _saving(analyze_cost(spec, [1_000, 10_000]), OptimizationKind.RESERVED_CAPACITY)

    # then ($140.16 + $129.94) x 0.37 = $99.937 -> $99.94
    assert found.monthly_saving_cents == 9994
    assert found.component_keys == ("api", "db")


def test_spot_prices_the_replicas_autoscaling_adds():
    # given an autoscaled service: 1 replica at 1,000 users, 8 at 10,000
    spec = _spec(_busy_api(autoscaling=True))

    # when
    report = analyze_cost(spec, [1_000, 10_000])

    # then 7 burst replicas x $70.08 = $490.56 x 0.65 = $318.864 -> $318.86;
    # the floor of 1 replica is reserved: $70.08 x 0.37 = $25.93
    assert _saving(report, OptimizationKind.SPOT_CAPACITY).monthly_saving_cents == 31886
    assert _saving(report, OptimizationKind.RESERVED_CAPACITY).monthly_saving_cents == 2593


def test_a_cache_in_front_of_a_loaded_database_saves_replicas():
    # given a database at 0.1 qps per user: 30,000 users ask 3,000 qps; one db.m6i.large
    # takes 2 vCPU x 500 = 1,000 qps, 700 at the target
    spec = _spec(Component("db", "DB", K.DATABASE, "db.m6i.large", requests_per_user_per_day=2_880))

    # when
    found = _saving(analyze_cost(spec, [30_000]), OptimizationKind.ADD_CACHE)

    # then without a cache 3,000 / 700 -> 5 replicas; with 80% x 80% of queries served by
    # the cache, 1,080 / 700 -> 2: 3 x $129.94 = $389.82 freed, minus one cache.m6g.large
    # (2,400 reads/s against 50,000) at $108.77 = $281.05
    assert found.monthly_saving_cents == 28105
    assert found.component_keys == ("db",)


def test_no_cache_is_suggested_when_one_is_beside_the_database():
    # given
    spec = _spec(
        Component("api", "API", K.SERVICE, autoscaling=True),
        Component("db", "DB", K.DATABASE, requests_per_user_per_day=2_880, autoscaling=True),
        Component("cache", "Cache", K.CACHE),
        links=(Link("api", "db"), Link("api", "cache")),
    )

    # when
    report = analyze_cost(spec, [30_000])

    # then
    assert OptimizationKind.ADD_CACHE not in {o.kind for o in report.optimizations}


def test_a_cdn_reprices_public_egress():
    # given a public gateway: 1,000,000 users x 100 requests x 10 KB x 30 days
    spec = _spec(
        Component(
            "gw", "Gateway", K.GATEWAY, requests_per_user_per_day=100, payload_kb=10, public=True
        )
    )

    # when
    found = _saving(analyze_cost(spec, [1_000_000]), OptimizationKind.ADD_CDN)

    # then 28,610.23 GB x ($0.09 - $0.085) = $143.05
    assert found.monthly_saving_cents == 14305


def test_no_cdn_is_suggested_for_egress_already_behind_one():
    # given the gateway behind a load balancer behind a CDN
    spec = _spec(
        Component("cdn", "CDN", K.CDN, requests_per_user_per_day=100, payload_kb=10, public=True),
        Component("lb", "LB", K.LOAD_BALANCER),
        Component(
            "gw", "Gateway", K.GATEWAY, requests_per_user_per_day=100, payload_kb=10, public=True
        ),
        links=(Link("cdn", "lb"), Link("lb", "gw")),
    )

    # when / then
    report = analyze_cost(spec, [1_000_000])
    assert OptimizationKind.ADD_CDN not in {o.kind for o in report.optimizations}


def test_autoscaling_would_release_idle_fixed_replicas():
    # given six fixed m6i.large with little load
    spec = _spec(
        Component("api", "API", K.SERVICE, "m6i.large", replicas=6, requests_per_user_per_day=100)
    )

    # when
    found = _saving(analyze_cost(spec, [1_000, 10_000]), OptimizationKind.ENABLE_AUTOSCALING)

    # then at 1,000 users one replica would do; keeping two, 4 x $70.08 = $280.32
    assert found.monthly_saving_cents == 28032
    assert found.at_users == 1_000


def test_right_sizing_picks_the_cheapest_class_that_stays_under_target():
    # given one m6i.xlarge (4 vCPU, 400 rps) at 20 rps peak: 5% utilized
    spec = _spec(Component("api", "API", K.SERVICE, "m6i.xlarge", requests_per_user_per_day=576))

    # when (1,000 users x 576 x 3 / 86,400 = 20 rps)
    found = _saving(analyze_cost(spec, [1_000]), OptimizationKind.RIGHT_SIZE)

    # then the cheapest non-burstable compute class, m7g.large (200 rps, 10%):
    # ($0.192 - $0.0816) x 730 = $80.592 -> $80.59
    assert found.monthly_saving_cents == 8059
    assert "m7g.large" in found.detail
