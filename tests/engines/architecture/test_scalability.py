"""Scalability analysis: capacity, utilization, Erlang C latency and the bottleneck.

Load model reminder: R requests per user per day at U users peak at U * R * 3 / 86,400
requests/s; R = 2,880 gives 0.1 rps per user. An m6i.large SERVICE is 2 servers (vCPUs)
of 100 rps each (10 ms service time): 200 rps per replica.
"""

from __future__ import annotations

import json
import math
from fractions import Fraction

import pytest

from atrium.engines.architecture.model import ArchitectureSpec, Component, ComponentKind, Link
from atrium.engines.architecture.queueing import erlang_b, erlang_c, mmc_response_time
from atrium.engines.architecture.scalability import analyze_scalability
from atrium.engines.architecture.scale_points import InvalidScalePoints

K = ComponentKind


def _spec(*components: Component, links: tuple[Link, ...] = ()) -> ArchitectureSpec:
    return ArchitectureSpec(components=components, links=links)


def _component(report, key):
    return next(c for c in report.components if c.key == key)


def _exact_erlang_c(c: int, a: Fraction) -> Fraction:
    top = a**c / math.factorial(c) * Fraction(c) / (c - a)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


def test_erlang_c_matches_known_values():
    # given / when / then
    # c=2, a=1: B = (1/2) / (1 + 1 + 1/2) = 0.2; C = 2 * 0.2 / (2 - 1 * 0.8) = 1/3
    assert erlang_b(2, 1.0) == pytest.approx(0.2)
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    # c=3, a=2: B = (8/6) / (1 + 2 + 2 + 8/6) = 4/19; C = (12/19) / (3 - 2 * 15/19) = 4/9
    assert erlang_c(3, 2.0) == pytest.approx(4 / 9)
    # M/M/1: the probability of waiting is the utilization
    assert erlang_c(1, 0.5) == pytest.approx(0.5)


@pytest.mark.parametrize(("c", "a"), [(10, 9.5), (60, 50), (150, 120), (40, 0.3)])
def test_erlang_c_agrees_with_the_textbook_sum(c, a):
    # given the formula summed in exact fractions
    expected = float(_exact_erlang_c(c, Fraction(a)))

    # when / then
    assert erlang_c(c, a) == pytest.approx(expected, rel=1e-9, abs=1e-300)


def test_erlang_c_is_one_at_or_above_capacity_and_zero_without_load():
    # given / when / then
    assert erlang_c(4, 4.0) == 1.0
    assert erlang_c(4, 0.0) == 0.0
    assert erlang_c(2_500, 10.0) == pytest.approx(0.0, abs=1e-300)


def test_response_time_is_wait_plus_service():
    # given / when / then
    # M/M/1 at lam = 50/s, mu = 100/s: W = 1 / (mu - lam) = 20 ms
    assert mmc_response_time(1, 50.0, 0.010) == pytest.approx(0.020)
    assert mmc_response_time(2, 0.0, 0.010) == 0.010
    assert mmc_response_time(2, 200.0, 0.010) == math.inf


def test_utilization_is_peak_load_over_capacity():
    # given two fixed m6i.large: 400 rps
    spec = _spec(
        Component("api", "API", K.SERVICE, "m6i.large", replicas=2, requests_per_user_per_day=2_880)
    )

    # when 1,000 users ask 100 rps
    api = _component(analyze_scalability(spec, [1_000]), "api")

    # then
    assert api.capacity_rps_per_replica == pytest.approx(200)
    point = api.points[0]
    assert point.peak_rps == pytest.approx(100)
    assert point.utilization == pytest.approx(0.25)
    assert (point.replicas, point.needed_replicas, point.saturated) == (2, 1, False)


def test_autoscaled_replicas_keep_utilization_under_the_target():
    # given an autoscaled m6i.large: 140 rps per replica at the 0.7 target
    spec = _spec(
        Component(
            "api", "API", K.SERVICE, "m6i.large", autoscaling=True, requests_per_user_per_day=2_880
        )
    )

    # when
    report = analyze_scalability(spec, [1_000, 10_000])

    # then 1,000 rps / 140 = 7.1 -> 8 replicas at 1,000 / 1,600 = 0.625
    point = _component(report, "api").points[1]
    assert point.replicas == 8
    assert point.utilization == pytest.approx(0.625)
    assert report.bottleneck is None  # it scales out instead of saturating


def test_a_database_is_limited_by_connections_from_its_memory():
    # given db.m6i.large: 8 GiB / 9,531,392 bytes = 901 connections; gp3 3,000 IOPS
    small = Component("db", "DB", K.DATABASE, "db.m6i.large", storage_gb=100)
    large = Component("db2", "DB2", K.DATABASE, "db.m6i.large", storage_gb=500)

    # when
    report = analyze_scalability(_spec(small, large), [1_000])

    # then (400 GB and more is striped: 12,000 IOPS)
    assert (_component(report, "db").max_connections, _component(report, "db").iops) == (
        901,
        3_000,
    )
    assert _component(report, "db2").iops == 12_000


def test_a_database_saturates_when_its_callers_pools_outgrow_its_connections():
    # given 50 fixed replicas x 10 pooled connections = 500, plus a function at 0.3 rps per
    # user (8,640 a day) holding one connection for its 0.1 s: 0.03 connections per user
    spec = _spec(
        Component("api", "API", K.SERVICE, replicas=50),
        Component("fn", "Worker", K.FUNCTION, requests_per_user_per_day=8_640),
        Component("db", "DB", K.DATABASE, "db.m6i.large"),
        links=(Link("api", "db"), Link("fn", "db")),
    )

    # when
    report = analyze_scalability(spec, [20_000])

    # then 901 connections are all held at (901 - 500) / 0.03 = 13,366.7 -> 13,367 users;
    # at 20,000 users 500 + 600 = 1,100 are asked for: 1,100 / 901 = 1.22
    db = _component(report, "db")
    assert (db.saturation_users, db.saturation_resource) == (13_367, "connections")
    point = db.points[0]
    assert point.connections == pytest.approx(1_100)
    assert point.limiting_resource == "connections"
    assert point.utilization == pytest.approx(1_100 / 901)
    assert report.bottleneck is not None and report.bottleneck.key == "db"


def test_the_bottleneck_is_the_first_component_to_saturate():
    # given, with their given replicas:
    #   api   2 x 200 rps = 400 rps at 0.1 rps per user      -> 4,000 users
    #   db    2 vCPU x 500 qps = 1,000 at 0.2 qps per user    -> 5,000 users
    #   cache 2 vCPU x 25,000 ops = 50,000 at 1 op per user   -> 50,000 users
    #   lb    scales itself; worker autoscales: neither is ranked
    spec = _spec(
        Component("lb", "LB", K.LOAD_BALANCER, requests_per_user_per_day=2_880, public=True),
        Component("cache", "Cache", K.CACHE, "cache.m6g.large", requests_per_user_per_day=28_800),
        Component("db", "DB", K.DATABASE, "db.m6i.large", requests_per_user_per_day=5_760),
        Component(
            "api", "API", K.SERVICE, "m6i.large", replicas=2, requests_per_user_per_day=2_880
        ),
        Component(
            "worker", "Worker", K.SERVICE, autoscaling=True, requests_per_user_per_day=28_800
        ),
    )

    # when
    report = analyze_scalability(spec, [1_000, 4_000])

    # then
    assert [(b.key, b.saturation_users) for b in report.saturation_order] == [
        ("api", 4_000),
        ("db", 5_000),
        ("cache", 50_000),
    ]
    assert report.bottleneck == report.saturation_order[0]
    assert report.bottleneck.limiting_resource == "cpu"
    assert report.points[1].saturated_components == ("api",)


def test_latency_follows_erlang_c_and_the_slowest_path():
    # given lb -> api -> {db, queue}, queue -> worker (asynchronous: not on the path)
    spec = _spec(
        Component("lb", "LB", K.LOAD_BALANCER, public=True),
        Component("api", "API", K.SERVICE, "m6i.large", requests_per_user_per_day=2_880),
        Component("db", "DB", K.DATABASE, "db.m6i.large"),
        Component("q", "Queue", K.QUEUE),
        Component("worker", "Worker", K.FUNCTION),
        links=(Link("lb", "api"), Link("api", "db"), Link("api", "q"), Link("q", "worker")),
    )

    # when 1,000 users: api at lam = 100 rps, c = 2, mu = 100/s, a = 1, C = 1/3
    report = analyze_scalability(spec, [1_000])

    # then api: Wq = (1/3) / (200 - 100) s = 3.333 ms, W = 13.333 ms; idle db 2 ms,
    # idle queue 10 ms, lb 1 ms: the slowest path is lb -> api -> q = 24.333 ms
    api, point = _component(report, "api").points[0], report.points[0]
    assert api.latency_ms == pytest.approx(10 + 10 / 3)
    assert point.critical_path == ("lb", "api", "q")
    assert point.end_to_end_latency_ms == pytest.approx(1 + 10 + 10 / 3 + 10)


def test_a_saturated_component_has_no_finite_latency():
    # given one fixed m6i.large (200 rps)
    spec = _spec(
        Component(
            "api", "API", K.SERVICE, "m6i.large", public=True, requests_per_user_per_day=2_880
        )
    )

    # when 3,000 users ask 300 rps
    report = analyze_scalability(spec, [3_000])

    # then
    point = _component(report, "api").points[0]
    assert point.saturated and point.utilization == pytest.approx(1.5)
    assert point.latency_ms == math.inf
    assert report.points[0].end_to_end_latency_ms == math.inf
    as_json = report.to_dict()
    assert as_json["components"][0]["points"][0]["latency_ms"] is None
    assert as_json["points"][0]["end_to_end_latency_ms"] is None
    json.dumps(as_json)


def test_a_cycle_of_links_does_not_loop():
    # given a -> b -> c -> a
    spec = _spec(
        Component("a", "A", K.SERVICE, public=True),
        Component("b", "B", K.SERVICE),
        Component("c", "C", K.SERVICE),
        links=(Link("a", "b"), Link("b", "c"), Link("c", "a")),
    )

    # when
    point = analyze_scalability(spec, [1_000]).points[0]

    # then the link that closes the cycle is not followed: 3 idle services x 10 ms
    assert point.critical_path == ("a", "b", "c")
    assert point.end_to_end_latency_ms == pytest.approx(30)


def test_two_hundred_components_are_analysed():
    # given 50 cells of service -> database, cache, queue
    components, links = [], []
    for i in range(50):
        components += [
            Component(
                f"s{i}",
                f"S{i}",
                K.SERVICE,
                replicas=2,
                public=True,
                requests_per_user_per_day=10 + i,
                autoscaling=i % 2 == 0,
            ),
            Component(f"d{i}", f"D{i}", K.DATABASE, requests_per_user_per_day=30 + i),
            Component(f"c{i}", f"C{i}", K.CACHE, requests_per_user_per_day=50),
            Component(f"q{i}", f"Q{i}", K.QUEUE, requests_per_user_per_day=5),
        ]
        links += [Link(f"s{i}", f"d{i}"), Link(f"s{i}", f"c{i}"), Link(f"s{i}", f"q{i}")]
    spec = _spec(*components, links=tuple(links))

    # when
    report = analyze_scalability(spec, [1_000, 10_000, 100_000, 1_000_000, 10_000_000])

    # then every component is sized at every point, and the first to saturate is ranked first
    assert len(report.components) == 200
    assert all(len(c.points) == 5 for c in report.components)
    users = [b.saturation_users for b in report.saturation_order]
    assert users == sorted(users)
    assert report.bottleneck is not None


@pytest.mark.parametrize("points", [[], [0], [5, 5], [10, 5], list(range(1, 12))])
def test_scale_points_are_validated(points):
    # given / when / then
    with pytest.raises(InvalidScalePoints) as raised:
        analyze_scalability(_spec(Component("a", "A", K.SERVICE)), points)
    assert raised.value.field == ("scale_points",)
